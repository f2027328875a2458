"""A layer computes in its Params' dtype: a float32 model given float64 (or integer) input
returns float32, as if the input had been cast, and the input's gradient keeps its dtype."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_nn as nn

LAYERS = [
    ("Dense", lambda: nn.Dense(3, 2, activation="tanh"), (4, 3)),
    ("Conv", lambda: nn.Conv(2, 3, 3, padding=1), (2, 2, 5, 5)),
    ("ConvTranspose", lambda: nn.ConvTranspose(2, 3, 3, stride=2), (2, 2, 4, 4)),
    ("BatchNorm", lambda: nn.trainmode(nn.BatchNorm(2)), (4, 2, 3, 3)),
    ("LSTM", lambda: nn.LSTM(3, 4), (5, 2, 3)),
    ("GRU", lambda: nn.GRU(3, 4, bidirectional=True), (5, 2, 3)),
    ("RNN", lambda: nn.RNN(3, 4, rnn_type="tanh", num_layers=2), (5, 2, 3)),
    ("Sequential", lambda: nn.Sequential(nn.Dense(3, 4), nn.Dense(4, 2)), (4, 3)),
]


@pytest.mark.parametrize("name, make, shape", LAYERS)
def test_a_float32_layer_given_float64_input_computes_in_float32(name, make, shape):
    layer = make()
    x64 = np.random.default_rng(0).normal(size=shape)
    y = layer(x64)
    assert y.dtype == np.float32, name
    np.testing.assert_array_equal(y, layer(x64.astype(np.float32)))


@pytest.mark.parametrize("name, make, shape", LAYERS)
def test_the_gradient_of_a_float64_input_keeps_its_dtype(name, make, shape):
    layer = make()
    x = ag.Param(np.random.default_rng(1).normal(size=shape))
    assert x.value.dtype == np.float64
    tape = ag.diff(lambda: ag.sum(layer(x) ** 2))
    assert ag.value(tape).dtype == np.float32
    assert ag.grad(tape, x).dtype == np.float64
    for p in ag.params(layer):
        g = ag.grad(tape, p)
        assert g is None or g.dtype == np.float32


def test_integer_input_is_cast_too():
    layer = nn.Dense(3, 2)
    x = np.arange(6).reshape(2, 3)
    np.testing.assert_array_equal(layer(x), layer(x.astype(np.float32)))
    assert layer(x).dtype == np.float32
