"""Pooling layers: against pool, and the adaptive ones against PyTorch's bin rule."""

import math

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
from plugrad_nn import _layers as nn
from plugrad_nn._pool import pool

rng = np.random.default_rng(0)


def _normal(*shape):
    return rng.normal(size=shape).astype("float32")


def _adaptive_loop(x, out, reduce):
    """PyTorch's rule, one output element at a time: bins [floor(i*n/m), ceil((i+1)*n/m))."""
    n, c, *sizes = x.shape
    y = np.zeros((n, c, *out), x.dtype)
    for index in np.ndindex(*out):
        window = tuple(
            slice(math.floor(i * size / m), math.ceil((i + 1) * size / m))
            for i, size, m in zip(index, sizes, out)
        )
        y[(slice(None), slice(None), *index)] = reduce(
            x[(slice(None), slice(None), *window)], axis=tuple(range(2, x.ndim))
        )
    return y


def test_max_and_avg_pool_by_hand():
    x = np.arange(16, dtype="float32").reshape(1, 1, 4, 4)
    np.testing.assert_allclose(nn.MaxPool(2)(x)[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_allclose(nn.AvgPool(2)(x)[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    np.testing.assert_allclose(nn.MaxPool(3, stride=1)(x)[0, 0], [[10, 11], [14, 15]])
    # padded zeros count in the average unless asked otherwise
    assert nn.AvgPool(2, padding=1)(x)[0, 0, 0, 0] == 0.0
    assert nn.AvgPool(2, padding=1, count_include_pad=False)(x + 1)[0, 0, 0, 0] == 1.0


def test_pool_layers_match_pool(backend):
    x = backend.xp.asarray(_normal(2, 3, 9, 8))
    layer = nn.MaxPool((3, 2), stride=(2, 1), padding=(1, 0))
    expected = pool(x, window=(3, 2), stride=(2, 1), padding=(1, 0), mode=0)
    np.testing.assert_allclose(B.to_host(layer(x)), B.to_host(expected))
    layer = nn.AvgPool(3, stride=2, padding=1)
    expected = pool(x, window=3, stride=2, padding=1, mode=1)
    np.testing.assert_allclose(B.to_host(layer(x)), B.to_host(expected), rtol=1e-6)
    assert repr(layer) == "AvgPool(3, stride=2, padding=1)"


def test_pool_3d_and_gradients():
    x = ag.Param(_normal(2, 2, 4, 4, 6))
    assert nn.MaxPool(2)(x).shape == (2, 2, 2, 2, 3)
    assert ag.gcheck(lambda: ag.sum(nn.AvgPool((2, 2, 3))(x) ** 2), verbose=0)
    assert ag.gcheck(lambda: ag.sum(nn.MaxPool(2)(x) ** 2), verbose=0)


def test_pool_input_checks():
    with pytest.raises(
        nn.LayerInputError,
        match=r"MaxPool\(2\): expected input of shape "
        r"\(N, C, H, W\) or \(N, C, D, H, W\), got shape \(4, 10\)",
    ):
        nn.MaxPool(2)(np.zeros((4, 10), "float32"))
    with pytest.raises(nn.LayerInputError, match=r"expected input of shape \(N, C, D, H, W\)"):
        nn.MaxPool((2, 2, 2))(np.zeros((1, 1, 4, 4), "float32"))
    with pytest.raises(nn.LayerInputError, match=r"window \(5, 5\) is larger"):
        nn.MaxPool(5)(np.zeros((1, 1, 4, 4), "float32"))


@pytest.mark.parametrize(
    ("size", "out"),
    [((8, 6), (4, 3)), ((7, 5), (3, 2)), ((5, 4), (7, 9)), ((6, 6), (1, 1)), ((5, 6), (5, 4))],
    ids=["uniform", "uneven", "larger", "global", "mixed"],
)
def test_adaptive_pools_follow_pytorch_bins(backend, size, out):
    x = _normal(2, 3, *size)
    xb = backend.xp.asarray(x)
    avg = nn.AdaptiveAvgPool(out)(xb)
    mx = nn.AdaptiveMaxPool(out)(xb)
    np.testing.assert_allclose(
        B.to_host(avg), _adaptive_loop(x, out, np.mean), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(B.to_host(mx), _adaptive_loop(x, out, np.max))


def test_adaptive_pools_3d_and_int_size():
    x = _normal(1, 2, 5, 3, 4)
    np.testing.assert_allclose(
        nn.AdaptiveAvgPool((2, 4, 3))(x),
        _adaptive_loop(x, (2, 4, 3), np.mean),
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(nn.AdaptiveMaxPool(3)(x), _adaptive_loop(x, (3, 3, 3), np.max))


def test_adaptive_pools_agree_with_pytorch():
    torch = pytest.importorskip("torch")
    x = _normal(2, 3, 10, 7)
    for out in [(4, 3), (13, 9), (10, 7)]:
        ref = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(x), out).numpy()
        np.testing.assert_allclose(nn.AdaptiveAvgPool(out)(x), ref, rtol=1e-5, atol=1e-6)
        ref = torch.nn.functional.adaptive_max_pool2d(torch.from_numpy(x), out).numpy()
        np.testing.assert_allclose(nn.AdaptiveMaxPool(out)(x), ref)


@pytest.mark.parametrize("out", [(3, 2), (7, 6), (2, 3)])
def test_adaptive_pool_gradients(out):
    x = ag.Param(_normal(2, 2, 4, 6))
    w = _normal(2, 2, *out)
    assert ag.gcheck(lambda: ag.sum(nn.AdaptiveAvgPool(out)(x) * w), verbose=0)
    assert ag.gcheck(lambda: ag.sum(nn.AdaptiveMaxPool(out)(x) * w), verbose=0)


def test_adaptive_max_pool_gradient_by_hand():
    x = ag.Param(np.array([[[[1.0, 5.0, 2.0]]]], "float32"))
    # bins for 3 -> 2: [0, 2) and [1, 3); the 5 wins both and collects both gradients
    tape = ag.diff(lambda: ag.sum(nn.AdaptiveMaxPool((1, 2))(x) * np.array([1.0, 10.0])))
    np.testing.assert_allclose(ag.grad(tape, x), [[[[0.0, 11.0, 0.0]]]])
