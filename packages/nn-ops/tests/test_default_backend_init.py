"""Initializers and layers create their arrays on the default backend, whatever it is.

The backend here keeps numpy-subclass arrays and draws from a plain numpy generator, as the
plugin guide's first toy backend did: before, pg.param, pg.gaussian and layers inside
``using("sub-init")`` gave CPU arrays while ``pg.Param([...])`` gave the backend's.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

import plugrad_backends as B
import plugrad_nn as nn


class SubArray(np.ndarray):
    pass


class SubBackend(B.Backend):
    name = "sub-init"
    xp = np
    special = scipy.special
    array_types = (SubArray,)

    def __init__(self):
        super().__init__()
        self._rng = np.random.default_rng(0)

    def from_host(self, x, dtype=None):
        return np.array(x, dtype=dtype).view(SubArray)

    def asarray(self, x, dtype=None):
        return np.asarray(x, dtype=dtype).view(SubArray)

    def seed(self, n):
        self._rng = np.random.default_rng(n)

    @property
    def rng(self):
        return self._rng


class Plugin:
    @B.hookimpl
    def plugrad_backends(self):
        return [SubBackend()]


@pytest.fixture
def sub_backend():
    plugin = Plugin()
    B.register(plugin)
    try:
        with B.using("sub-init"):
            yield
    finally:
        B.unregister(plugin)


MAKERS = {
    "param": lambda: nn.param(3, 4).value,
    "param0": lambda: nn.param0(4).value,
    "gaussian": lambda: nn.gaussian(3, 4),
    "xavier_uniform": lambda: nn.xavier_uniform(3, 4),
    "xavier_normal": lambda: nn.xavier_normal(3, 4),
    "kaiming_uniform": lambda: nn.kaiming_uniform(3, 4),
    "kaiming_normal": lambda: nn.kaiming_normal(3, 4),
    "bilinear": lambda: nn.bilinear(2, 2, 1, 1),
    "Dense.weight": lambda: nn.Dense(3, 2).weight.value,
    "Dense.bias": lambda: nn.Dense(3, 2).bias.value,
    "Dense.bias zeros": lambda: nn.Dense(3, 2, init="xavier").bias.value,
    "Conv.weight": lambda: nn.Conv(1, 2, 3).weight.value,
    "Conv.bias": lambda: nn.Conv(1, 2, 3).bias.value,
    "LSTM.w_ih": lambda: nn.LSTM(3, 4).w_ih[0].value,
    "LSTM.b_ih": lambda: nn.LSTM(3, 4).b_ih[0].value,
}


@pytest.mark.parametrize("make", MAKERS.values(), ids=MAKERS.keys())
def test_arrays_are_made_on_the_default_backend(sub_backend, make):
    x = make()
    assert type(x) is SubArray, type(x)
    assert B.of(x).name == "sub-init"


def test_a_layer_made_there_trains_there(sub_backend):
    import plugrad_autograd as ag

    layer = nn.Dense(3, 2)
    x = B.array(np.ones((4, 3), np.float32))
    g = ag.grad(ag.diff(lambda: ag.sum(layer(x))), layer.weight)
    assert type(g) is SubArray
