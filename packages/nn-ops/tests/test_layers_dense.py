"""Dense and Embedding: hand-computed cases, the functional ops they use, gradients, init."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
from plugrad_nn import _activations as act
from plugrad_nn import _layers as nn


def test_dense_hand_computed(backend):
    layer = nn.to(nn.Dense(3, 2), device=backend.name)
    layer.weight.value = backend.xp.asarray([[1.0, -1.0], [2.0, 0.0], [0.0, 3.0]], "float32")
    layer.bias.value = backend.xp.asarray([0.5, -0.5], "float32")
    x = backend.xp.asarray([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]], "float32")
    y = layer(x)
    # row 0: [1 + 4 + 0 + 0.5, -1 + 0 + 9 - 0.5]; row 1: [-1 + 0 + 0 + 0.5, 1 + 0 + 3 - 0.5]
    np.testing.assert_allclose(B.to_host(y), [[5.5, 7.5], [-0.5, 3.5]])


def test_dense_without_bias_and_with_activation():
    layer = nn.Dense(2, 2, bias=False, activation="relu")
    assert layer.bias is None
    layer.weight[:] = [[1.0, -1.0], [1.0, -1.0]]
    np.testing.assert_allclose(layer(np.array([[1.0, 2.0]], "float32")), [[3.0, 0.0]])
    assert repr(layer) == "Dense(2 -> 2, relu, bias=False)"


def test_dense_flattens_like_mat_and_takes_vectors():
    layer = nn.Dense(12, 4)
    x = np.random.default_rng(0).normal(size=(5, 3, 2, 2)).astype("float32")
    expected = x.reshape(5, 12) @ layer.weight.value + layer.bias.value
    np.testing.assert_allclose(layer(x), expected, rtol=1e-5)
    np.testing.assert_allclose(layer(x[0].reshape(-1)), expected[0], rtol=1e-5)


@pytest.mark.parametrize(
    ("name", "reference"),
    [
        ("relu", act.relu),
        ("sigmoid", act.sigm),
        ("tanh", np.tanh),
        ("elu", act.elu),
        ("selu", act.selu),
        ("gelu", act.gelu),
        ("softplus", act.softplus),
        ("leaky_relu", lambda z: act.leaky_relu(z, 0.01)),
        ("leaky_relu:0.2", lambda z: act.leaky_relu(z, 0.2)),
        ("softmax", lambda z: act.softmax(z, axis=-1)),
        ("identity", lambda z: z),
        (None, lambda z: z),
    ],
)
def test_dense_activations_match_the_functional_ones(name, reference):
    layer = nn.Dense(4, 3, activation=name)
    x = np.random.default_rng(1).normal(size=(6, 4)).astype("float32")
    linear = x @ layer.weight.value + layer.bias.value
    np.testing.assert_allclose(layer(x), reference(linear), rtol=1e-5, atol=1e-6)


def test_unknown_activation_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'swish'") as info:
        nn.Dense(2, 2, activation="swish")
    for name in ("relu", "sigmoid", "tanh", "leaky_relu:<slope>", "gelu", "softmax"):
        assert name in str(info.value)
    with pytest.raises(ValueError, match="unknown activation"):
        nn.Dense(2, 2, activation="leaky_relu:steep")
    with pytest.raises(TypeError, match="string name"):
        nn.Dense(2, 2, activation=np.tanh)


def test_dense_gradients(backend):
    layer = nn.to(nn.Dense(4, 3, activation="tanh"), device=backend.name)
    x = backend.xp.asarray(np.random.default_rng(2).normal(size=(5, 4)), "float32")
    assert ag.gcheck(lambda: ag.sum(layer(x) ** 2), verbose=0)


def test_dense_input_check():
    layer = nn.Dense(800, 500)
    with pytest.raises(nn.LayerInputError) as info:
        layer(np.zeros((128, 720), "float32"))
    assert str(info.value) == (
        "Dense(800 -> 500): expected input with 800 features, got shape (128, 720)"
    )
    with pytest.raises(ValueError, match=r"got shape \(2, 20, 6, 6\) \(720 features when flat"):
        layer(np.zeros((2, 20, 6, 6), "float32"))


@pytest.mark.parametrize(
    ("init", "bound"),
    [
        ("default", lambda fan_in, fan_out: 1 / np.sqrt(fan_in)),
        ("xavier", lambda fan_in, fan_out: np.sqrt(6 / (fan_in + fan_out))),
        ("kaiming", lambda fan_in, fan_out: np.sqrt(6 / fan_in)),
    ],
)
def test_init_modes_draw_within_their_bounds(init, bound):
    B.seed(0)
    layer = nn.Dense(200, 100, init=init)
    w = layer.weight.value
    limit = bound(200, 100)
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.95 * limit  # uniform over the whole range
    b = layer.bias.value
    if init == "default":
        assert 0 < np.abs(b).max() <= 1 / np.sqrt(200)
    else:
        assert not b.any()


def test_init_normal_modes_aliases_and_functions():
    B.seed(0)
    w = nn.Dense(400, 300, init="kaiming_normal").weight.value
    assert abs(w.std() - np.sqrt(2 / 400)) < 0.002
    w = nn.Dense(400, 300, init="xavier_normal").weight.value
    assert abs(w.std() - np.sqrt(2 / 700)) < 0.002
    assert nn.Dense(3, 2, init="xavier_uniform").weight.shape == (3, 2)
    w = nn.Dense(3, 2, init=lambda *shape: np.full(shape, 0.5)).weight.value
    assert w.dtype == np.float32 and (w == 0.5).all()
    with pytest.raises(ValueError, match=r"unknown init 'he'.*kaiming_normal"):
        nn.Dense(3, 2, init="he")


def test_layer_arguments_are_checked():
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        nn.Dense(0, 3)
    with pytest.raises(ValueError, match="embedding_dim must be a positive int"):
        nn.Embedding(3, 2.5)


def test_embedding_takes_rows_and_routes_gradients(backend):
    emb = nn.to(nn.Embedding(5, 3), device=backend.name)
    idx = backend.xp.asarray([[0, 4], [4, 2]])
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    w = B.to_host(emb.weight.value)
    np.testing.assert_allclose(B.to_host(out), w[[[0, 4], [4, 2]]])
    tape = ag.diff(lambda: ag.sum(emb(idx)))
    counts = np.array([1, 0, 1, 0, 2], "float32")[:, None] * np.ones(3, "float32")
    np.testing.assert_allclose(B.to_host(ag.grad(tape, emb.weight)), counts)


def test_embedding_input_check():
    emb = nn.Embedding(5, 3)
    with pytest.raises(
        nn.LayerInputError, match=r"indices must be in \[0, 5\), got values in \[0, 7\]"
    ):
        emb(np.array([0, 7]))
    with pytest.raises(nn.LayerInputError, match="expected integer indices"):
        emb(np.array([0.0, 1.0]))


@pytest.mark.parametrize("stored", ["relU", "swish", "leaky", "softmax:2", "leaky_relu:x"])
def test_an_unknown_stored_activation_raises_instead_of_computing_leaky_relu(stored):
    from plugrad_nn._layers_activation import apply_activation

    layer = nn.Dense(3, 2, activation="relu")
    layer.activation = stored  # as a renamed field in a saved file would set it
    x = np.ones((1, 3), "float32")
    with pytest.raises(ValueError, match=rf"unknown activation {stored!r}; valid names: .*relu"):
        layer(x)
    with pytest.raises(ValueError, match="valid names: identity, relu, sigmoid"):
        apply_activation(stored, x)
