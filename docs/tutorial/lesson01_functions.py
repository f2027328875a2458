"""Lesson 1: functions and models.

A model is ordinary Python: a function of its parameters and its input. This lesson writes a
linear regression model that predicts how far a car needs to stop from its speed, makes
predictions with it, and looks at its parameters.

Run it with ``python lesson01_functions.py``.
"""

from pathlib import Path

import numpy as np

import plugrad as pg

pg.seed(0)  # every random draw below is reproducible

# The data: 50 cars, one per row. Instances go along axis 0: Knet puts them in the last
# dimension, and the same memory read row-major puts them first.
cars = np.loadtxt(Path(__file__).parent / "data" / "cars.csv", delimiter=",", dtype=np.float32)
x = cars[:, :1]  # (50, 1): speed in miles per hour
y = cars[:, 1:]  # (50, 1): stopping distance in feet
print("x", x.shape, "y", y.shape)

# The parameters: a weight matrix shaped (inputs, outputs) and a bias vector (outputs,).
w = pg.Param(pg.gaussian(1, 1, std=0.1))
b = pg.Param(np.zeros(1, dtype=np.float32))


def predict(w, b, x):
    """Linear regression: ``x @ w + b``, one row of outputs per instance."""
    return x @ w + b


# Outside diff a Param acts like its array, so predicting is just calling the function.
ypred = predict(w, b, x)
print("predictions", ypred.shape, [f"{v:.3f}" for v in ypred[:3, 0]])

# The same model as an object: parameters in attributes, the prediction in __call__.


class Linear:
    """A linear model with one input and one output."""

    def __init__(self):
        self.w = pg.Param(pg.gaussian(1, 1, std=0.1))
        self.b = pg.Param(np.zeros(1, dtype=np.float32))

    def __call__(self, x):
        return x @ self.w + self.b


model = Linear()
print("parameters", [p.shape for p in pg.params(model)])  # found by searching the object
print(f"w = {float(model.w[0, 0]):.4f}, b = {float(model.b[0]):.4f}")

# The model computes exactly the expression it is made of, on plain arrays.
expected = x @ pg.value(model.w) + pg.value(model.b)
assert np.allclose(model(x), expected)
assert ypred.shape == (50, 1) and len(pg.params(model)) == 2


def loss(model, x, y):
    """Half the mean squared error, Knet's ``quadloss``."""
    return pg.mean((model(x) - y) ** 2) / 2


before = float(loss(model, x, y))
print(f"loss of the untrained model: {before:.1f} (RMS error {np.sqrt(2 * before):.1f} ft)")
print("lesson 1 ok")
