"""BatchNorm and Dropout, and trainmode/testmode/automode fixing their behaviour."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
from plugrad_nn import _layers as nn
from plugrad_nn._norm import batchnorm, bnmoments

rng = np.random.default_rng(0)


def _normal(*shape, scale=1.0, shift=0.0):
    return (rng.normal(size=shape) * scale + shift).astype("float32")


def test_batchnorm_matches_batchnorm_and_updates_moments(backend):
    bn = nn.to(nn.BatchNorm(3, momentum=0.2), device=backend.name)
    bn.params.value = backend.xp.asarray([1.0, 2.0, 3.0, 0.5, 0.0, -0.5], "float32")
    x = backend.xp.asarray(_normal(6, 3, 4, 4, scale=2.0, shift=1.0))
    moments = bnmoments(momentum=0.2)
    tape = ag.diff(lambda: ag.sum(bn(x)))  # inside diff: training statistics
    expected = batchnorm(x, moments, bn.params.value, training=True)
    host = B.to_host(x)
    mean, var = host.mean(axis=(0, 2, 3)), host.var(axis=(0, 2, 3))
    by_hand = (host - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5)
    by_hand = by_hand * [[[1.0]], [[2.0]], [[3.0]]] + [[[0.5]], [[0.0]], [[-0.5]]]
    np.testing.assert_allclose(B.to_host(expected), by_hand, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(B.to_host(bn.moments.mean), B.to_host(moments.mean), rtol=1e-6)
    np.testing.assert_allclose(
        B.to_host(bn.moments.mean).reshape(-1), 0.2 * mean, rtol=1e-5, atol=1e-6
    )
    assert ag.grad(tape, bn.params) is not None
    # outside diff: the running statistics
    np.testing.assert_allclose(
        B.to_host(bn(x)),
        B.to_host(batchnorm(x, moments, bn.params.value, training=False)),
        rtol=1e-5,
        atol=1e-5,
    )


def test_batchnorm_2d_inputs_and_gradients():
    # gcheck's numerical side runs outside diff: train mode keeps batch statistics there
    bn = nn.trainmode(nn.BatchNorm(4))
    x = ag.Param(_normal(8, 4))
    assert ag.gcheck(lambda: ag.sum(bn(x) * np.arange(4.0)), verbose=0)


def test_batchnorm_modes():
    bn = nn.BatchNorm(2)
    x = _normal(16, 2, 3, 3, shift=5.0)
    assert bn.mode is None
    np.testing.assert_allclose(bn(x), x / np.sqrt(1 + 1e-5), rtol=1e-5)  # untouched moments
    nn.trainmode(bn)
    y = bn(x)  # batch statistics, outside diff
    assert abs(float(y.mean())) < 1e-4
    assert float(bn.moments.mean.mean()) == pytest.approx(0.5, abs=0.1)
    nn.testmode(bn)
    frozen = bn.moments.mean.copy()
    ag.diff(lambda: ag.sum(bn(x)))  # inside diff, but test mode: moments stay
    np.testing.assert_array_equal(bn.moments.mean, frozen)
    assert nn.automode(bn).mode is None


def test_batchnorm_input_check():
    with pytest.raises(
        nn.LayerInputError,
        match=r"BatchNorm\(16\): expected input .* with "
        r"C = 16 channels, got shape \(2, 8, 5, 5\)",
    ):
        nn.BatchNorm(16)(np.zeros((2, 8, 5, 5), "float32"))


def test_dropout_modes():
    x = np.ones((100, 100), "float32")
    drop = nn.Dropout(0.25)
    assert drop(x) is x  # outside diff
    tape = ag.diff(lambda: ag.sum(drop(ag.Param(x) * 1)))
    assert float(ag.value(tape)) != 10000.0
    nn.trainmode(drop)
    y = drop(x)
    assert set(np.unique(y).tolist()) == {0.0, np.float32(1 / 0.75)}
    assert 0.2 < float((y == 0).mean()) < 0.3
    nn.testmode(drop)
    w = ag.Param(x)
    assert float(ag.value(ag.diff(lambda: ag.sum(drop(w))))) == 10000.0
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        nn.Dropout(1.0)


def test_modes_reach_nested_layers_of_any_object():
    class Model:
        def __init__(self):
            self.blocks = {"a": nn.Sequential(nn.Dense(2, 2), nn.Dropout(0.5))}
            self.norms = [nn.BatchNorm(2)]

    model = Model()
    assert nn.trainmode(model) is model
    assert model.blocks["a"][1].mode is True and model.norms[0].mode is True
    nn.testmode(model)
    assert model.blocks["a"][1].mode is False and model.norms[0].mode is False
    assert "mode" not in vars(model.blocks["a"][0])  # layers without a mode are left alone
