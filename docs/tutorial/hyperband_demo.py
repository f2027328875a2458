"""Hyperparameter search with hyperband: many random configurations, few epochs each.

``pg.hyperband(getconfig, getloss, maxresource, reduction)`` draws random configurations,
trains them all briefly, keeps the best third, trains those longer, and so on (Li et al.,
2018). Here a configuration is an MLP's hidden size and learning rate, and the resource is
the number of training epochs on the digits.

Run it with ``python hyperband_demo.py`` (``PLUGRAD_TUTORIAL_QUICK=1`` searches briefly).
"""

import os

import numpy as np

import plugrad as pg

QUICK = os.environ.get("PLUGRAD_TUTORIAL_QUICK") == "1"
MAXRESOURCE = 9 if QUICK else 27  # the most epochs any one configuration gets

xtrn, ytrn, xtst, ytst = pg.data.digits()
order = np.random.default_rng(0).permutation(len(xtrn))
trn, val = order[:1100], order[1100:]


def getconfig(rng):
    """A random configuration, drawn from the random.Random that hyperband passes."""
    return {"hidden": rng.choice([8, 16, 32, 64, 128, 256]), "lr": 10 ** rng.uniform(-4, -1)}


def train_mlp(config, epochs):
    pg.seed(1)
    hidden = config["hidden"]
    model = pg.Sequential(
        pg.Flatten(), pg.Dense(64, hidden, activation="relu"), pg.Dense(hidden, 10)
    )
    data = pg.minibatch(xtrn[trn], ytrn[trn], batchsize=64, shuffle=True)
    optimizer = pg.Adam(lr=config["lr"])
    for _ in range(epochs):
        pg.exhaust(pg.minimize(lambda x, y: pg.nll(model(x), y), data, optimizer))
    return model


def getloss(config, epochs):
    """Train ``config`` for ``epochs`` epochs from scratch; return the validation loss."""
    model = train_mlp(config, epochs)
    return float(pg.nll(model(xtrn[val]), ytrn[val]))


for b in pg.hyperband_schedule(MAXRESOURCE, 3):  # what the search will do
    print(f"bracket {b.s}:", ", ".join(f"{r.n} x {r.resource} epochs" for r in b.rungs))
result = pg.hyperband(getconfig, getloss, MAXRESOURCE, 3, seed=0, full=True)
best = result.config
print(f"{len(result.history)} trainings; best: hidden {best['hidden']}, lr {best['lr']:.5f}")
print(f"validation loss {result.loss:.4f} after {result.resource} epochs")

model = train_mlp(result.config, result.resource)
acc = pg.accuracy(model(xtst), ytst)
print(f"test accuracy of the best configuration: {acc:.3f}")
assert acc > (0.85 if QUICK else 0.95)
print("hyperband demo ok")
