"""Lesson 2: training a model.

A plugrad model is a differentiable program: ``pg.diff`` runs it while recording, and
``pg.grad`` says how the loss changes with each parameter. Stepping every parameter against
its gradient, over and over, fits the linear model of lesson 1 to the stopping distances.

Run it with ``python lesson02_training.py`` (``PLUGRAD_TUTORIAL_QUICK=1`` trains briefly).
"""

import os
from pathlib import Path

import numpy as np

import plugrad as pg

QUICK = os.environ.get("PLUGRAD_TUTORIAL_QUICK") == "1"
pg.seed(0)

cars = np.loadtxt(Path(__file__).parent / "data" / "cars.csv", delimiter=",", dtype=np.float32)
speed, dist = cars[:, :1], cars[:, 1:]

# Normalize the input to zero mean and unit variance; axis 0 runs over the instances.
mean, std = speed.mean(axis=0), speed.std(axis=0)
x = (speed - mean) / std
y = dist

# Keep 10 cars aside to test on cars the model never saw.
order = np.random.default_rng(0).permutation(len(x))
xtrn, ytrn = x[order[:40]], y[order[:40]]
xtst, ytst = x[order[40:]], y[order[40:]]

w = pg.Param(pg.gaussian(1, 1, std=0.1))
b = pg.Param(np.zeros(1, dtype=np.float32))


def predict(w, b, x):
    return x @ w + b


def loss(w, b, x, y):
    """Half the mean squared error, Knet's ``quadloss``."""
    return pg.mean((predict(w, b, x) - y) ** 2) / 2


def rmse(w, b, x, y):
    return float(np.sqrt(2 * loss(w, b, x, y)))


start = rmse(w, b, xtst, ytst)
print(f"before training: test RMS error {start:.2f} ft")

# One look at the gradient: diff returns a Tape; grad reads the gradient of one Param.
J = pg.diff(loss, w, b, xtrn, ytrn)
print(f"loss {float(pg.value(J)):.2f}, dloss/dw {float(pg.grad(J, w)[0, 0]):.2f}")


def train(w, b, x, y, lr=0.01):
    """One epoch: take the instances one at a time and step against the gradient."""
    for i in range(len(x)):
        J = pg.diff(loss, w, b, x[i : i + 1], y[i : i + 1])
        for p in pg.params(J):  # every Param the loss depended on
            p.value -= lr * pg.grad(J, p)


epochs = 20 if QUICK else 100
for _ in range(epochs):
    train(w, b, xtrn, ytrn)
trained = rmse(w, b, xtst, ytst)
print(f"after {epochs} epochs: test RMS error {trained:.2f} ft")

# The best line through the training data, computed directly, for comparison.
A = np.hstack([xtrn, np.ones_like(xtrn)])
(w_best, b_best), *_ = np.linalg.lstsq(A, ytrn[:, 0], rcond=None)
best = rmse(np.array([[w_best]]), np.array([b_best]), xtst, ytst)
print(f"least squares:        test RMS error {best:.2f} ft")

# Back in the original units: distance = slope * speed + intercept.
slope = float(pg.value(w)[0, 0]) / float(std[0])
intercept = float(pg.value(b)[0]) - slope * float(mean[0])
print(f"learned: dist = {slope:.2f} * speed {intercept:+.2f}")

# The same training with the library's loop: pg.sgd yields the loss of every step.
w2 = pg.Param(pg.gaussian(1, 1, std=0.1))
b2 = pg.Param(np.zeros(1, dtype=np.float32))
data = [(xtrn[i : i + 1], ytrn[i : i + 1]) for i in range(len(xtrn))]
for _ in range(epochs):
    pg.exhaust(pg.sgd(lambda x, y: loss(w2, b2, x, y), data, lr=0.01))
print(f"with pg.sgd: test RMS error {rmse(w2, b2, xtst, ytst):.2f} ft")

assert trained < start / 2
assert trained < 1.1 * best and rmse(w2, b2, xtst, ytst) < 1.1 * best
print("lesson 2 ok")
