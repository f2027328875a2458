"""Lesson 7: convolutional networks.

An MLP treats the 64 pixels of an image as an unordered list. A convolutional network slides
small filters over the image, so a stroke is recognized wherever it appears, and pooling
makes the picture smaller and coarser layer by layer. This lesson builds LeNet, first from
the primitives ``conv4`` and ``pool``, then from layers.

Run it with ``python lesson07_convnet.py`` (``PLUGRAD_TUTORIAL_QUICK=1`` trains briefly).
"""

import itertools
import os

import plugrad as pg

QUICK = os.environ.get("PLUGRAD_TUTORIAL_QUICK") == "1"
pg.seed(0)
EPOCHS = 2 if QUICK else 10

xtrn, ytrn, xtst, ytst = pg.data.digits()  # images are NCHW: (N, 1, 8, 8)
dtrn = pg.minibatch(xtrn, ytrn, batchsize=32, shuffle=True)
dtst = pg.minibatch(xtst, ytst, batchsize=100, partial=True)


def lenet_init():
    """Filters are (out_channels, in_channels, kH, kW); dense weights (inputs, outputs)."""
    return [
        pg.param(20, 1, 3, 3),  # 20 filters of 3x3 over 1 channel
        pg.param0(1, 20, 1, 1),  # one bias per channel, broadcast over N, H and W
        pg.param(50, 20, 3, 3),
        pg.param0(1, 50, 1, 1),
        pg.param(50 * 2 * 2, 128),
        pg.param0(128),
        pg.param(128, 10),
        pg.param0(10),
    ]


def lenet(w, x):
    x = pg.pool(pg.relu(pg.conv4(w[0], x, padding=1) + w[1]))  # (N, 20, 4, 4)
    x = pg.pool(pg.relu(pg.conv4(w[2], x, padding=1) + w[3]))  # (N, 50, 2, 2)
    x = pg.relu(pg.mat(x) @ w[4] + w[5])  # (N, 128)
    return x @ w[6] + w[7]  # (N, 10) class scores


def train(loss, data, optimizer, epochs):
    batches = itertools.chain.from_iterable(itertools.repeat(data, epochs))
    losses = pg.minimize(loss, batches, optimizer)
    return pg.progress(losses, msg=lambda p: f"loss {p.currval:.4f}").run()


w = lenet_init()
print("first convolution", pg.conv4(w[0], xtst[:2], padding=1).shape)  # (2, 20, 8, 8)
print("class scores", lenet(w, xtst[:2]).shape)  # (2, 10)
train(lambda x, y: pg.nll(lenet(w, x), y), dtrn, pg.Adam(lr=0.002), EPOCHS)
acc = pg.accuracy(lambda x: lenet(w, x), dtst)
print(f"LeNet from conv4 and pool: test accuracy {acc:.3f}")

# The same network from layers. Conv is cross-correlation (conv4 with mode=1, as in
# PyTorch); conv4's default mode=0 flips the filter, as Knet does. A network learns either.
model = pg.Sequential(
    pg.Conv(1, 20, 3, padding=1, activation="relu"),
    pg.MaxPool(2),
    pg.Conv(20, 50, 3, padding=1, activation="relu"),
    pg.MaxPool(2),
    pg.Dense(200, 128, activation="relu"),  # Dense flattens its input first
    pg.Dense(128, 10),
)
print(pg.summary(model, (1, 1, 8, 8)))
train(lambda x, y: pg.nll(model(x), y), dtrn, pg.Adam(lr=0.002), EPOCHS)
acc2 = pg.accuracy(model, dtst)
print(f"LeNet from layers: test accuracy {acc2:.3f}")

assert min(acc, acc2) > (0.85 if QUICK else 0.96)
print("lesson 7 ok")
