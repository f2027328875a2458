"""A toy backend: numpy arrays of a distinct subclass, so plugrad can tell them apart."""

import numpy as np
import scipy.special

from plugrad_backends import Backend, hookimpl


class ToyArray(np.ndarray):
    """A numpy array that lives on the 'toy' device."""


class ToyBackend(Backend):
    name = "toy"
    xp = np
    special = scipy.special
    array_types = (ToyArray,)

    def __init__(self):
        super().__init__()
        self._rng = np.random.default_rng()

    def from_host(self, x, dtype=None):
        return np.array(x, dtype=dtype).view(ToyArray)

    def asarray(self, x, dtype=None):
        return np.asarray(x, dtype=dtype).view(ToyArray)

    def to_host(self, x):
        return np.asarray(x).view(np.ndarray).copy()

    def seed(self, n):
        self._rng = np.random.default_rng(n)

    @property
    def rng(self):
        return self._rng

    def devices(self):
        return ["toy device 0"]


@hookimpl
def plugrad_backends():
    return [ToyBackend()]
