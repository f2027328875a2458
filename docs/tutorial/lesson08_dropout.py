"""Lesson 8: conditional evaluation and dropout.

Some parts of a model should run only while training. Because a plugrad model is ordinary
Python, that is an ``if``: ``pg.training()`` is True exactly while ``pg.diff`` records a
training step. Dropout uses it to zero random activations during training only, which
keeps a network from memorizing its training set. This lesson adds dropout to LeNet and
lowers the learning rate whenever the validation error gets worse.

Run it with ``python lesson08_dropout.py`` (``PLUGRAD_TUTORIAL_QUICK=1`` trains briefly).
"""

import os

import numpy as np

import plugrad as pg

QUICK = os.environ.get("PLUGRAD_TUTORIAL_QUICK") == "1"
pg.seed(0)
EPOCHS = 3 if QUICK else 20


def drop(x, p):
    """Dropout written by hand: only inside diff, zero each element with probability p."""
    if pg.training():
        keep = pg.backend_of(x).rng.random(x.shape) >= p  # the backend's generator
        return x * (keep / (1 - p)).astype(np.float32)
    return x


def peek(w):
    y = drop(w, 0.5)
    print("inside diff:", pg.value(y).tolist())  # about half zeros, the rest doubled
    return pg.sum(y)


w = pg.Param(np.ones((2, 4), dtype=np.float32))
print("outside diff, drop(w) is w:", drop(w, 0.5) is w)
pg.diff(peek, w)
# pg.dropout(x, p) is the library's version of drop; the Dropout layer wraps it.


class LeNet:
    """LeNet with dropout before each dense layer. ``pdrop`` is the dropout probability."""

    def __init__(self, pdrop=0.3):
        self.pdrop = pdrop
        self.conv = [pg.Conv(1, 20, 3, padding=1), pg.Conv(20, 50, 3, padding=1)]
        self.hidden = pg.Dense(200, 128, activation="relu")
        self.out = pg.Dense(128, 10)

    def __call__(self, x):
        for conv in self.conv:
            x = pg.pool(pg.relu(conv(x)))
        x = self.hidden(pg.dropout(pg.mat(x), self.pdrop))  # active only while training
        return self.out(pg.dropout(x, self.pdrop))


xtrn, ytrn, xtst, ytst = pg.data.digits()
# Hold out part of the training set to decide when to lower the learning rate; the test set
# stays unseen until the end.
order = np.random.default_rng(0).permutation(len(xtrn))
trn, val = order[:1200], order[1200:]
dtrn = pg.minibatch(xtrn[trn], ytrn[trn], batchsize=32, shuffle=True)
dval = pg.minibatch(xtrn[val], ytrn[val], batchsize=100, partial=True)
dtst = pg.minibatch(xtst, ytst, batchsize=100, partial=True)

model = LeNet(pdrop=0.3)
lr, decay, last_error = 0.002, 0.8, 1.0
optimizer = pg.Adam(lr=lr)  # each Param gets its own copy at its first update
for epoch in range(EPOCHS):
    pg.exhaust(pg.minimize(lambda x, y: pg.nll(model(x), y), dtrn, optimizer))
    train_error, val_error = pg.zeroone(model, dtrn), pg.zeroone(model, dval)
    print(f"epoch {epoch + 1:2d}  lr {lr:.5f}  train error {train_error:.4f}  ", end="")
    print(f"validation error {val_error:.4f}")
    if val_error > last_error:  # worse than last epoch: take smaller steps from now on
        lr *= decay
        for p in pg.params(model):
            p.opt.lr = lr  # each Param carries its own optimizer (Knet's p.opt)
    last_error = val_error

acc = pg.accuracy(model, dtst)
print(f"test accuracy {acc:.4f}")
assert acc > (0.85 if QUICK else 0.97)
print("lesson 8 ok")
