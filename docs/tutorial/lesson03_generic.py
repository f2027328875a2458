"""Lesson 3: generic models.

Hard-coding the sizes of the parameters ties a model to one data set. Passing the sizes as
arguments, or reading them from the first input, makes one definition serve many problems:
here a two-feature regression on the cars data and a ten-class scorer for 8x8 images.

Run it with ``python lesson03_generic.py`` (``PLUGRAD_TUTORIAL_QUICK=1`` trains briefly).
"""

import os
from pathlib import Path

import numpy as np

import plugrad as pg

QUICK = os.environ.get("PLUGRAD_TUTORIAL_QUICK") == "1"
pg.seed(0)


class Linear:
    """``x @ w + b`` for any number of inputs and outputs.

    ``pg.param(inputs, outputs)`` is Knet's ``param``: a Param drawn from Xavier's uniform
    distribution; ``pg.param0(outputs)`` is a Param of zeros.
    """

    def __init__(self, inputs, outputs=1):
        self.w = pg.param(inputs, outputs)
        self.b = pg.param0(outputs)

    def __call__(self, x):
        return x @ self.w + self.b


class LazyLinear:
    """Like :class:`Linear`, but the number of inputs is read from the first input.

    This is what Knet calls size inference: the weights are made on the first call.
    """

    def __init__(self, outputs=1):
        self.outputs = outputs
        self.w = self.b = None

    def __call__(self, x):
        if self.w is None:
            self.w = pg.param(x.shape[-1], self.outputs)
            self.b = pg.param0(self.outputs)
        return x @ self.w + self.b


def loss(model, x, y):
    return pg.mean((model(x) - y) ** 2) / 2


def fit(model, x, y, epochs):
    """Full-batch gradient descent: every step sees all the training data.

    The features are normalized, so a large step is safe.
    """
    data = [(x, y)] * epochs  # minimize calls f(*item) for each item
    losses = list(pg.minimize(lambda x, y: loss(model, x, y), data, pg.SGD(lr=0.9)))
    return losses[-1]


# Stopping distance grows roughly with the square of the speed: give the model both.
cars = np.loadtxt(Path(__file__).parent / "data" / "cars.csv", delimiter=",", dtype=np.float32)
speed, dist = cars[:, :1], cars[:, 1:]
features = np.hstack([speed, speed**2])  # (50, 2)
features = (features - features.mean(axis=0)) / features.std(axis=0)

epochs = 100 if QUICK else 500
for name, x in [("speed", features[:, :1]), ("speed and speed^2", features)]:
    model = Linear(inputs=x.shape[1])
    final = fit(model, x, dist, epochs)
    A = np.hstack([x, np.ones((len(x), 1), np.float32)])
    coef, *_ = np.linalg.lstsq(A, dist[:, 0], rcond=None)
    optimum = float(np.mean((A @ coef - dist[:, 0]) ** 2) / 2)
    print(f"{name:>18}: loss {final:.2f} after {epochs} steps (least squares {optimum:.2f})")
    assert final < 1.02 * optimum

# The same class scores 8x8 digit images: 64 inputs (the flattened pixels), 10 outputs.
xtrn, ytrn, xtst, ytst = pg.data.digits()
scorer = Linear(inputs=64, outputs=10)
scores = scorer(pg.mat(xtst))  # mat(x) is x.reshape(N, -1)
print("digit scores", scores.shape)

# Size inference: the weights take their shape from the first batch, even inside diff.
lazy = LazyLinear(outputs=10)
J = pg.diff(lambda: pg.nll(lazy(pg.mat(xtrn[:32])), ytrn[:32]))
print("lazy weights", lazy.w.shape, "gradient", pg.grad(J, lazy.w).shape)

# plugrad's own Dense layer is this model with the same (inputs, outputs) weight layout.
dense = pg.Dense(64, 10)
print("Dense weight", dense.weight.shape, "bias", dense.bias.shape)

assert scores.shape == (360, 10) and pg.grad(J, lazy.w).shape == (64, 10)
print("lesson 3 ok")
