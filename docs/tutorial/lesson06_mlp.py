"""Lesson 6: multilayer perceptrons.

A linear classifier can only draw straight boundaries between the classes. Stacking linear
layers with a nonlinearity between them (a multilayer perceptron, MLP) lets the model bend
them. This lesson writes an MLP as a function of a list of weights, then builds the same
network from plugrad's layers.

Run it with ``python lesson06_mlp.py`` (``PLUGRAD_TUTORIAL_QUICK=1`` trains briefly).
"""

import itertools
import os

import plugrad as pg

QUICK = os.environ.get("PLUGRAD_TUTORIAL_QUICK") == "1"
pg.seed(0)
EPOCHS = 4 if QUICK else 20

xtrn, ytrn, xtst, ytst = pg.data.digits()
dtrn = pg.minibatch(xtrn, ytrn, batchsize=32, shuffle=True)
dtst = pg.minibatch(xtst, ytst, batchsize=100, partial=True)  # keep every test image


def mlp_init(sizes):
    """One (weight, bias) pair per layer: sizes [64, 64, 10] make two layers."""
    return [(pg.param(i, o), pg.param0(o)) for i, o in itertools.pairwise(sizes)]


def mlp(layers, x):
    """Flatten the images, then linear layers with relu between them."""
    x = pg.mat(x)
    for k, (w, b) in enumerate(layers):
        x = x @ w + b
        if k < len(layers) - 1:  # no relu after the last layer: it gives the class scores
            x = pg.relu(x)
    return x


def train(loss, data, optimizer, epochs):
    """Run ``epochs`` passes of ``pg.minimize`` under a progress bar; return the last loss."""
    batches = itertools.chain.from_iterable(itertools.repeat(data, epochs))
    losses = pg.minimize(loss, batches, optimizer)
    return pg.progress(losses, msg=lambda p: f"loss {p.currval:.4f}").run()


layers = mlp_init([64, 64, 10])
last = train(lambda x, y: pg.nll(mlp(layers, x), y), dtrn, pg.Adam(lr=0.01), EPOCHS)
acc = pg.accuracy(lambda x: mlp(layers, x), dtst)
print(f"MLP 64-64-10: final loss {last:.4f}, test accuracy {acc:.3f}")

# The same network from layers: Dense computes activation(x @ weight + bias).
model = pg.Sequential(
    pg.Flatten(),
    pg.Dense(64, 64, activation="relu"),
    pg.Dense(64, 10),
)
print(pg.summary(model, (1, 1, 8, 8)))  # a table: layers, output shapes, parameter counts
last = train(lambda x, y: pg.nll(model(x), y), dtrn, pg.Adam(lr=0.01), EPOCHS)
acc2 = pg.accuracy(model, dtst)
print(f"Sequential: final loss {last:.4f}, test accuracy {acc2:.3f}")

assert acc > (0.90 if QUICK else 0.96) and acc2 > (0.90 if QUICK else 0.96)

if os.environ.get("PLUGRAD_MNIST"):
    # The same recipe on MNIST's 28x28 images (read from $PLUGRAD_MNIST, never downloaded).
    xtrn, ytrn, xtst, ytst = pg.data.mnist()
    mtrn = pg.minibatch(xtrn, ytrn, batchsize=100, shuffle=True)
    mtst = pg.minibatch(xtst, ytst, batchsize=100)
    big = mlp_init([784, 128, 10])
    train(lambda x, y: pg.nll(mlp(big, x), y), mtrn, pg.Adam(lr=0.001), 1 if QUICK else 10)
    print(f"MNIST: test accuracy {pg.accuracy(lambda x: mlp(big, x), mtst):.4f}")
else:
    print("MNIST: skipped (set PLUGRAD_MNIST to a folder with the four MNIST files)")
print("lesson 6 ok")
