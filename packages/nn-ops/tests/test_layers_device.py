"""``to``: every Param and layer state of any object moves and casts in place."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
from plugrad_nn import _layers as nn


def _model():
    return nn.Sequential(
        nn.Conv(1, 4, 3, padding=1, activation="relu"),
        nn.BatchNorm(4),
        nn.Flatten(),
        nn.Dense(64, 8),
    )


def test_to_moves_every_param_and_state(backend):
    model = nn.trainmode(_model())
    lstm = nn.LSTM(3, 4, h=0, c=0)
    lstm(np.zeros((2, 5, 3), "float32"))  # the states become arrays
    model(np.zeros((2, 1, 4, 4), "float32"))  # the running moments become arrays
    holder = {"model": model, "rnn": [lstm]}
    assert nn.to(holder, device=backend.name, dtype="float64") is holder
    arrays = [p.value for p in ag.params(holder)]
    arrays += [model[1].moments.mean, model[1].moments.var, lstm.h, lstm.c]
    for a in arrays:
        assert B.of(a) is backend
        assert a.dtype == np.float64
    y = model(backend.xp.zeros((2, 1, 4, 4), "float64"))
    assert B.of(y) is backend and y.dtype == np.float64


def test_to_keeps_devices_and_integer_state():
    class Custom:
        def __init__(self):
            self.w = ag.Param(np.ones(3, "float32"))
            self.layer = nn.Embedding(4, 2)

    model = Custom()
    model.layer.counts = np.arange(3)  # integer state of a layer keeps its dtype
    nn.to(model, dtype=np.float16)
    assert model.w.value.dtype == np.float16
    assert model.layer.weight.value.dtype == np.float16
    assert model.layer.counts.dtype == np.arange(3).dtype
    with pytest.raises(TypeError, match="floating-point"):
        nn.to(model, dtype="int32")
    with pytest.raises(B.BackendError, match="unknown plugrad backend"):
        nn.to(model, device="tpu")
