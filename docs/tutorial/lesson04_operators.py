"""Lesson 4: new operators.

Two kinds of abstraction keep models short. A model is a callable, so models compose into
bigger models like any other operator. And when no existing op does what you need, a new
differentiable op is a forward function plus its gradient rule.

Run it with ``python lesson04_operators.py``.
"""

import numpy as np

import plugrad as pg

pg.seed(0)


class Linear:
    """``x @ w + b`` (lesson 3)."""

    def __init__(self, inputs, outputs):
        self.w = pg.param(inputs, outputs)
        self.b = pg.param0(outputs)

    def __call__(self, x):
        return x @ self.w + self.b


class Chain:
    """Apply layers one after the other: a model made of models."""

    def __init__(self, *layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


# A softmax classifier is a linear model followed by a normalization: compose them.
classifier = Chain(pg.mat, Linear(64, 10), lambda s: pg.softmax(s, axis=-1))
xtrn, ytrn, xtst, ytst = pg.data.digits()
probs = classifier(xtst[:5])
print("class probabilities", probs.shape, "rows sum to", np.round(probs.sum(axis=1), 4).tolist())
print("Params found in the chain:", [p.shape for p in pg.params(classifier)])

# For training we keep the unnormalized scores and let the loss normalize them.
scorer = Chain(pg.mat, Linear(64, 10))


# A new primitive op: the forward pass works on raw arrays of any backend (xp is numpy on
# the CPU, cupy on a GPU); the gradient rule is declared next to it.
@pg.primitive
def cross_entropy(scores, labels):
    """Mean negative log-probability of the right class under softmax(scores)."""
    xp = pg.xp_of(scores)
    top = scores.max(axis=-1, keepdims=True)
    logz = top + xp.log(xp.exp(scores - top).sum(axis=-1, keepdims=True))
    picked = xp.take_along_axis(scores - logz, labels[:, None], axis=-1)
    return -picked.mean()


def cross_entropy_vjp(dy, y, scores, labels):
    """d loss / d scores = (softmax(scores) - onehot(labels)) / N, times the incoming dy.

    Written with plugrad ops, so the backward pass could itself be differentiated.
    """
    n, classes = scores.shape
    onehot = pg.onehot(pg.to_host(labels), classes)
    return dy * (pg.softmax(scores, axis=-1) - onehot) / n


pg.defvjp(cross_entropy, cross_entropy_vjp, None)  # None: labels get no gradient

x, y = xtrn[:50], ytrn[:50]
ours = float(cross_entropy(scorer(x), y))
library = float(pg.nll(scorer(x), y))
print(f"cross_entropy {ours:.5f}, pg.nll {library:.5f}")

# gcheck compares the recorded gradients with finite differences of the loss.
ok = pg.gcheck(lambda: cross_entropy(scorer(x), y), verbose=0)
print("gradient check:", ok)

J = pg.diff(lambda: cross_entropy(scorer(x), y))
K = pg.diff(lambda: pg.nll(scorer(x), y))
w = scorer.layers[1].w
print("same gradient as pg.nll:", np.allclose(pg.grad(J, w), pg.grad(K, w), atol=1e-6))

assert abs(ours - library) < 1e-5 and ok
print("lesson 4 ok")
