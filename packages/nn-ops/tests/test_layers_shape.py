"""Identity, Reshape, Flatten and Softmax."""

import numpy as np
import pytest

import plugrad_autograd as ag
from plugrad_nn import _layers as nn
from plugrad_nn._activations import softmax

x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")


def test_identity():
    assert nn.Identity()(x) is x
    np.testing.assert_allclose(nn.Identity("leaky_relu:0.5")(np.array([-2.0, 2.0])), [-1, 2])
    assert repr(nn.Identity("tanh")) == "Identity(tanh)"


def test_reshape_and_flatten_keep_axis_0():
    assert nn.Reshape((4, 3))(x).shape == (2, 4, 3)
    assert nn.Reshape((-1, 2))(x).shape == (2, 6, 2)
    assert nn.Reshape(12)(x).shape == (2, 12)
    np.testing.assert_array_equal(nn.Flatten()(x), x.reshape(2, 12))
    with pytest.raises(
        nn.LayerInputError,
        match=r"Reshape\(\(5, 2\)\): expected instances of "
        r"10 elements .* got shape \(2, 3, 4\) \(12 elements per instance\)",
    ):
        nn.Reshape((5, 2))(x)
    with pytest.raises(ValueError, match="at most one -1"):
        nn.Reshape((-1, -1))


def test_shape_layers_pass_gradients():
    w = ag.Param(x)
    tape = ag.diff(lambda: ag.sum(nn.Reshape((12,))(nn.Flatten()(w)) * np.arange(12.0)))
    np.testing.assert_allclose(
        ag.grad(tape, w), np.broadcast_to(np.arange(12.0), (2, 12)).reshape(2, 3, 4)
    )


def test_softmax_layer():
    np.testing.assert_allclose(nn.Softmax()(x), softmax(x, axis=-1), rtol=1e-6)
    np.testing.assert_allclose(nn.Softmax(axis=1)(x).sum(axis=1), np.ones((2, 4)), rtol=1e-6)
    with pytest.raises(nn.LayerInputError, match="axis 3 is out of range"):
        nn.Softmax(axis=3)(x)
    w = ag.Param(x)
    assert ag.gcheck(lambda: ag.sum(nn.Softmax(axis=0)(w) * x), verbose=0)
