"""Row-wise kernels against the portable path: softmax, logsoftmax, nll, bias gradients."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_nn._activations as A
import plugrad_nn._losses as L
from plugrad_autograd._ops_reduce import _unbroadcast as portable_unbroadcast

DTYPES = [np.float32, np.float64]
SHAPES = [(0, 5), (1, 1), (3, 7), (2, 3, 10), (517, 130)]


def _scores(shape, dtype, seed=0):
    return np.random.default_rng(seed).normal(0, 5, size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "logsoftmax"])
def test_softmax_and_gradient(table, threads, matches, log, shape, dtype):
    name = "logsoftmax" if log else "softmax"
    forward = A._logsoftmax_raw if log else A._softmax_raw
    grad = A._logsoftmax_grad_raw if log else A._softmax_grad_raw
    x = _scores(shape, dtype)
    y = forward(x, -1)
    # log-softmax subtracts log(row sum) (summed in another order): its few ulp are the floor
    eps = float(np.finfo(dtype).eps)
    floor = 4 * eps * np.log(shape[-1]) + 1e-30 if log and y.size else None
    matches(table[name](x, -1), y, dtype, floor)
    dy = _scores(shape, dtype, 1)
    # Both subtract a row sum from each element: a few ulp of that sum (summed in another
    # order) are the only difference, so the floor is a few ulp of the subtracted term.
    p = np.exp(y) if log else y
    row = np.abs(dy if log else dy * y).sum(axis=-1, keepdims=True)
    floor = 4 * float(np.finfo(dtype).eps) * float((p * row).max()) if y.size else None
    matches(table[f"{name}_grad"](dy, y, -1), grad(dy, y, -1), dtype, floor)


def test_softmax_of_other_axes_is_left_to_the_portable_path(table):
    x = _scores((3, 4), np.float32)
    assert table["softmax"](x, 0) is NotImplemented
    assert table["softmax"](x, None) is NotImplemented
    # a non-contiguous input along the last axis is handled (copied first)
    np.testing.assert_allclose(table["softmax"](x.T, -1), A._softmax_raw(x.T, -1), rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows,classes", [(0, 4), (1, 1), (5, 3), (700, 97)])
def test_nll_rows_and_gradient(table, threads, matches, rows, classes, dtype):
    rng = np.random.default_rng(2)
    s = _scores((rows, classes), dtype)
    labels = rng.integers(0, classes, size=rows)
    keep = rng.random(rows) > 0.2
    picks = np.where(keep, labels, 0)
    got, want = table["nll_rows"](s, picks, keep), L._nll_rows(s, picks, keep)
    # a loss is (log(sum) + max) - s[label]: a few ulp of the first term are the floor
    floor = (
        4 * float(np.finfo(dtype).eps) * (float(np.abs(s).max()) + np.log(classes))
        if rows
        else None
    )
    matches(got[0], want[0].astype(dtype), dtype, floor)
    for g, w in zip(got[1:], want[1:]):
        matches(g, w.astype(dtype), dtype)
    weight = (keep * rng.random(rows)).astype(dtype)
    e, total = want[1], want[2]
    matches(
        table["nll_rows_grad"](e, total, picks, weight),
        L._nll_rows_grad(e, total, picks, weight),
        dtype,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "g_shape,shape",
    [
        ((7, 5), (5,)),
        ((300, 257), (257,)),
        ((4, 6, 5, 3), (1, 6, 1, 1)),
        ((64, 20, 24, 24), (20, 1, 1)),
        ((0, 5), (5,)),
        ((2, 3, 4), (1, 3, 1)),
    ],
    ids=str,
)
def test_bias_gradient_equals_the_portable_sum(table, threads, matches, g_shape, shape, dtype):
    g = np.random.default_rng(3).random(g_shape).astype(dtype)  # positive: no cancellation
    got = table["bias_grad"](g, shape)
    if g.size == 0:
        assert got is NotImplemented
        return
    kept = g.ndim - len(shape) + next(j for j, m in enumerate(shape) if m != 1)
    others = tuple(i for i in range(g.ndim) if i != kept)
    want = np.asarray(g, dtype=np.float64).sum(axis=others)
    matches(got, want.astype(dtype).reshape(shape), dtype)
    matches(got, portable_unbroadcast(g, shape), dtype)


def test_bias_gradient_leaves_other_reductions_alone(table):
    g = np.ones((4, 3, 2), np.float32)
    assert table["bias_grad"](g, (3, 2)) is NotImplemented  # two kept axes
    assert table["bias_grad"](g, (4, 1, 1)) is NotImplemented  # the leading axis kept
    assert table["bias_grad"](g, (1, 1, 1)) is NotImplemented  # a full sum
