"""Lasagne's norm_constraint and total_norm_constraint."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_optim as po


def lasagne_norm_constraint(x, max_norm, axes, eps=1e-7):
    norms = np.sqrt(np.sum(x**2, axis=axes, keepdims=True))
    return x * (np.clip(norms, 0, max_norm) / (eps + norms))


@pytest.mark.parametrize(
    ("shape", "axes"),
    [
        ((5, 3), (0,)),
        ((4, 2, 3), (1, 2)),
        ((4, 2, 3, 3), (1, 2, 3)),
        ((2, 2, 2, 2, 2), (1, 2, 3, 4)),
    ],
)
def test_norm_constraint_default_axes(backend, shape, axes):
    x = np.random.default_rng(0).standard_normal(shape) * 3
    got = backend.to_host(po.norm_constraint(backend.asarray(x), 2.0))
    np.testing.assert_allclose(got, lasagne_norm_constraint(x, 2.0, axes), rtol=1e-12)
    norms = np.sqrt(np.sum(got**2, axis=axes))
    assert norms.max() == pytest.approx(2.0, rel=1e-6)


def test_norm_constraint_dense_columns(backend):
    # (in_features, out_features): each column holds the weights into one unit.
    w = backend.asarray(np.array([[3.0, 0.3], [4.0, 0.4]]))
    got = backend.to_host(po.norm_constraint(w, 1.0))
    np.testing.assert_allclose(got, [[0.6, 0.3], [0.8, 0.4]], rtol=1e-6)


def test_norm_constraint_norm_axes_override(backend):
    w = backend.asarray(np.array([[3.0, 4.0], [0.3, 0.4]]))
    got = backend.to_host(po.norm_constraint(w, 1.0, norm_axes=(1,), epsilon=0.0))
    np.testing.assert_allclose(got, [[0.6, 0.8], [0.3, 0.4]])


@pytest.mark.parametrize("shape", [(4,), (2, 2, 2, 2, 2, 2), ()])
def test_norm_constraint_unsupported_ndim(backend, shape):
    x = backend.asarray(np.ones(shape))
    with pytest.raises(
        ValueError, match=r"norm_constraint: unsupported tensor dimensionality .*norm_axes"
    ):
        po.norm_constraint(x, 1.0)


def test_norm_constraint_errors(backend):
    x = backend.asarray(np.ones((2, 2)))
    with pytest.raises(
        ValueError, match=r"norm_constraint: norm_axes \(2,\) out of range .*\(2, 2\)"
    ):
        po.norm_constraint(x, 1.0, norm_axes=(2,))
    with pytest.raises(ValueError, match="norm_constraint: max_norm must be >= 0"):
        po.norm_constraint(x, -1.0)
    with pytest.raises(TypeError, match="norm_constraint: tensor must be a Param or an array"):
        po.norm_constraint([[1.0, 2.0]], 1.0)


def test_norm_constraint_on_param_returns_new_array_or_writes_out(backend):
    p = ag.Param(backend.asarray(np.array([[3.0], [4.0]])))
    got = po.norm_constraint(p, 1.0, epsilon=0.0)
    np.testing.assert_allclose(backend.to_host(got), [[0.6], [0.8]])
    np.testing.assert_array_equal(backend.to_host(p.value), [[3.0], [4.0]])  # untouched
    before = p.value
    out = po.norm_constraint(p, 1.0, epsilon=0.0, out=p)
    assert out is before and p.value is before
    np.testing.assert_allclose(backend.to_host(p.value), [[0.6], [0.8]])


def test_total_norm_constraint(backend):
    ts = [backend.asarray(np.array([3.0, 0.0])), ag.Param(backend.asarray(np.array([[4.0]])))]
    scaled, norm = po.total_norm_constraint(ts, 2.5, return_norm=True)
    assert float(norm) == pytest.approx(5.0)
    np.testing.assert_allclose(backend.to_host(scaled[0]), [1.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(backend.to_host(scaled[1]), [[2.0]], rtol=1e-6)
    kept = po.total_norm_constraint(ts, 10.0, epsilon=0.0)
    np.testing.assert_allclose(backend.to_host(kept[0]), [3.0, 0.0])
    assert po.total_norm_constraint([], 1.0) == []


def test_total_norm_constraint_keeps_dtype(backend):
    ts = [backend.asarray(np.ones(3, dtype=np.float32)), backend.asarray(np.ones(2))]
    out = po.total_norm_constraint(ts, 1.0)
    assert [t.dtype for t in out] == [np.float32, np.float64]
    total = np.sqrt(sum(float(np.sum(backend.to_host(t) ** 2)) for t in out))
    assert total == pytest.approx(1.0, rel=1e-6)


def test_total_norm_constraint_errors(backend):
    with pytest.raises(TypeError, match="total_norm_constraint: tensors must be a list"):
        po.total_norm_constraint(backend.asarray(np.ones(2)), 1.0)
    with pytest.raises(TypeError, match=r"total_norm_constraint: tensors\[1\] must be"):
        po.total_norm_constraint([backend.asarray(np.ones(2)), "x"], 1.0)
