"""Lesson 5: training with minibatches.

Taking one instance per step is slow, and taking the whole data set per step is slow to
learn. Minibatches of a few dozen instances give both speed and progress. This lesson trains
a softmax classifier on handwritten digits, 32 images per step.

Run it with ``python lesson05_minibatch.py`` (``PLUGRAD_TUTORIAL_QUICK=1`` trains briefly).
Set ``PLUGRAD_MNIST`` to a folder holding the four MNIST files to train on MNIST as well.
"""

import itertools
import os

import plugrad as pg

QUICK = os.environ.get("PLUGRAD_TUTORIAL_QUICK") == "1"
pg.seed(0)


class Linear:
    """``x @ w + b`` on flattened images: the scores of a softmax classifier."""

    def __init__(self, inputs, outputs):
        self.w = pg.param(inputs, outputs)
        self.b = pg.param0(outputs)

    def __call__(self, x):
        return pg.mat(x) @ self.w + self.b  # (N, 1, 8, 8) -> (N, 64) -> (N, 10)


# digits(): 1437 training and 360 test images, (N, 1, 8, 8) float32 in [0, 1], labels 0..9.
xtrn, ytrn, xtst, ytst = pg.data.digits()
print("train", xtrn.shape, ytrn.shape, "test", xtst.shape, ytst.shape)

dtrn = pg.minibatch(xtrn, ytrn, batchsize=32, shuffle=True)  # a new shuffle every pass
dtst = pg.minibatch(xtst, ytst, batchsize=32)
x, y = next(iter(dtrn))
print(len(dtrn), "batches per epoch; one batch:", x.shape, y.shape)


def loss(model, x, y):
    """Softmax cross-entropy of the scores: Knet's ``nll``."""
    return pg.nll(model(x), y)


def train(model, data, lr):
    """One pass over the data, one gradient step per minibatch."""
    for x, y in data:
        J = pg.diff(loss, model, x, y)
        for p in pg.params(J):
            p.value -= lr * pg.grad(J, p)


def test(model, data, loss):
    """The average of ``loss`` over the minibatches of ``data``."""
    values = [loss(model(x), y) for x, y in data]
    return float(sum(values) / len(values))


model = Linear(64, 10)
print(f"before: test error {test(model, dtst, pg.zeroone):.3f}")
epochs = 10 if QUICK else 40
for epoch in range(epochs):
    train(model, dtrn, lr=0.2)
    if epoch % 5 == 4 or epoch == epochs - 1:
        print(f"epoch {epoch + 1}: train loss {test(model, dtrn, pg.nll):.4f}, ", end="")
        print(f"test error {test(model, dtst, pg.zeroone):.3f}")

# The library forms: nll/accuracy/zeroone take (model, data) too and pool every instance;
# pg.sgd is the training loop above as an iterator of losses, pg.progress draws a bar and
# .run() drives the iterator to its end.
model2 = Linear(64, 10)
batches = itertools.chain.from_iterable(itertools.repeat(dtrn, epochs))  # every epoch
losses = pg.sgd(lambda x, y: pg.nll(model2(x), y), batches, lr=0.2)
pg.progress(losses, msg=lambda p: f"loss {p.currval:.4f}").run()
accuracy = pg.accuracy(model2, dtst)
print(f"pg.sgd: test accuracy {accuracy:.3f}, test nll {pg.nll(model2, dtst):.4f}")

assert pg.zeroone(model, dtst) < (0.15 if QUICK else 0.08)
assert accuracy > (0.85 if QUICK else 0.92)

if os.environ.get("PLUGRAD_MNIST"):
    # pg.data.mnist() reads the four IDX files from $PLUGRAD_MNIST; nothing is downloaded.
    xtrn, ytrn, xtst, ytst = pg.data.mnist()
    mtrn = pg.minibatch(xtrn, ytrn, batchsize=100, shuffle=True)
    mtst = pg.minibatch(xtst, ytst, batchsize=100)
    mnist_model = Linear(784, 10)
    batches = itertools.chain.from_iterable(itertools.repeat(mtrn, 1 if QUICK else 10))
    losses = pg.sgd(lambda x, y: pg.nll(mnist_model(x), y), batches, lr=0.2)
    pg.progress(losses, msg=lambda p: f"loss {p.currval:.4f}").run()
    print(f"MNIST: test error {pg.zeroone(mnist_model, mtst):.4f}")
else:
    print("MNIST: skipped (set PLUGRAD_MNIST to a folder with the four MNIST files)")
print("lesson 5 ok")
