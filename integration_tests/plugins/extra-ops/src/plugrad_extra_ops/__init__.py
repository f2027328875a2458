"""Adds ``swish(x) = x * sigmoid(x)`` as a primitive with its gradient rule."""

from plugrad_autograd import defvjp, primitive, xp_of
from plugrad_backends import hookimpl


@primitive
def swish(x):
    xp = xp_of(x)
    return x / (1 + xp.exp(-x))


def _swish_vjp(dy, y, x):
    from plugrad_autograd import exp

    s = 1 / (1 + exp(-x))
    return dy * (s + x * s * (1 - s))


defvjp(swish, _swish_vjp)


@hookimpl
def plugrad_ops():
    return [swish]
