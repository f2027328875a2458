"""Hyperparameter search with goldensection: an MLP's hidden size and learning rate.

``pg.goldensection(f, n)`` minimizes a function of ``n`` real numbers, starting from zeros
with steps of 1. The function maps those numbers to hyperparameters, trains a small model
on the digits and returns its loss on held-out validation images.

Run it with ``python goldensection_demo.py`` (``PLUGRAD_TUTORIAL_QUICK=1`` searches briefly).
"""

import math
import os

import numpy as np

import plugrad as pg

QUICK = os.environ.get("PLUGRAD_TUTORIAL_QUICK") == "1"
EPOCHS = 2 if QUICK else 5

xtrn, ytrn, xtst, ytst = pg.data.digits()
order = np.random.default_rng(0).permutation(len(xtrn))
trn, val = order[:1100], order[1100:]  # the test images stay out of the search


def train_mlp(hidden, lr, epochs):
    """Train a 64-hidden-10 MLP; return it with its validation loss."""
    pg.seed(1)  # the same start and the same shuffles for every trial: f is deterministic
    model = pg.Sequential(
        pg.Flatten(), pg.Dense(64, hidden, activation="relu"), pg.Dense(hidden, 10)
    )
    data = pg.minibatch(xtrn[trn], ytrn[trn], batchsize=32, shuffle=True)
    optimizer = pg.Adam(lr=lr)
    for _ in range(epochs):
        pg.exhaust(pg.minimize(lambda x, y: pg.nll(model(x), y), data, optimizer))
    return model, float(pg.nll(model(xtrn[val]), ytrn[val]))


def f(x):
    """Map goldensection's numbers to hyperparameters; NaN for values out of range."""
    hidden = round(16 * math.exp(x[0]))  # starts at 16 and moves by factors of e**step
    lr = 0.001 * math.exp(x[1])  # starts at 0.001
    if not (2 <= hidden <= 1024 and lr < 0.5):
        return math.nan
    loss = train_mlp(hidden, lr, EPOCHS)[1]
    print(f"  hidden {hidden:4d}  lr {lr:.5f}  validation loss {loss:.4f}")
    return loss


history = {}  # every evaluation, {x: f(x)}
fmin, xmin = pg.goldensection(f, 2, dxmin=0.5 if QUICK else 0.1, history=history)
hidden, lr = round(16 * math.exp(xmin[0])), 0.001 * math.exp(xmin[1])
print(f"{len(history)} evaluations; best: hidden {hidden}, lr {lr:.5f}, loss {fmin:.4f}")

start = history[(0.0, 0.0)]
model, _ = train_mlp(hidden, lr, EPOCHS)
acc = pg.accuracy(model(xtst), ytst)
print(f"validation loss {start:.4f} at the start, {fmin:.4f} tuned; test accuracy {acc:.3f}")
assert fmin < start and acc > (0.85 if QUICK else 0.95)
print("goldensection demo ok")
