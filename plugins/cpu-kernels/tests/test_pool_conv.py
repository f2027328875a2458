"""Pooling and convolution kernels against the portable path."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_nn._conv as C
import plugrad_nn._pool as P

DTYPES = [np.float32, np.float64]

POOLS = [  # x shape, window, padding, stride
    ((2, 3, 8, 8), (2, 2), (0, 0), (2, 2)),
    ((1, 1, 7, 5), (3, 2), (1, 0), (2, 1)),
    ((3, 2, 9, 9), (3, 3), (1, 1), (1, 1)),
    ((0, 4, 6, 6), (2, 2), (0, 0), (2, 2)),
    ((64, 20, 24, 24), (2, 2), (0, 0), (2, 2)),
    ((2, 2, 5, 7), (5, 7), (2, 3), (3, 2)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", [0, 1, 2, 3])
@pytest.mark.parametrize("case", POOLS, ids=str)
def test_pool_forward_and_backward(table, threads, matches, case, mode, dtype):
    shape, window, padding, stride = case
    rng = np.random.default_rng(4)
    # averages of positive numbers: no cancellation, so the summation order cannot matter
    x = (rng.normal(size=shape) if mode in (0, 3) else rng.random(shape) + 0.5).astype(dtype)
    x = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)  # strided view
    y, saved = table["pool_forward"](x, window, padding, stride, mode, True)
    want, want_saved = P.pool_forward(x, window, padding, stride, mode, True)
    matches(y, want, dtype)
    dy = (rng.random(y.shape) + 0.5).astype(dtype)
    got = table["pool_backward"](dy, x, y, saved, shape, window, padding, stride, mode)
    ref = P.pool_backward(dy, x, want, want_saved, shape, window, padding, stride, mode)
    matches(got, ref, dtype)
    # without the saved positions (second-order and unpool paths) the result is the same
    again = table["pool_backward"](dy, x, None, None, shape, window, padding, stride, mode)
    matches(again, ref, dtype)


def test_pool_leaves_3d_and_portable_state_to_the_portable_path(table):
    x = np.ones((1, 1, 4, 4, 4), np.float32)
    assert table["pool_forward"](x, (2, 2, 2), (0, 0, 0), (2, 2, 2), 0, True) is NotImplemented
    x = np.random.default_rng(0).normal(size=(1, 1, 4, 4)).astype(np.float32)
    y, portable_saved = P.pool_forward(x, (2, 2), (0, 0), (2, 2), 0, True)
    args = ((1, 1, 4, 4), (2, 2), (0, 0), (2, 2), 0)
    assert table["pool_backward"](y, x, y, portable_saved, *args) is NotImplemented


CONVS = [  # x shape, w shape, padding, stride, dilation, groups
    ((2, 3, 9, 9), (4, 3, 3, 3), (0, 0), (1, 1), (1, 1), 1),
    ((1, 4, 8, 7), (6, 2, 3, 2), (1, 2), (2, 1), (1, 1), 2),
    ((3, 2, 10, 10), (2, 2, 3, 3), (2, 2), (1, 3), (2, 2), 1),
    ((0, 3, 6, 6), (5, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    ((64, 1, 28, 28), (20, 1, 5, 5), (0, 0), (1, 1), (1, 1), 1),
    ((32, 20, 12, 12), (50, 20, 5, 5), (0, 0), (1, 1), (1, 1), 1),
    ((2, 6, 5, 5), (6, 1, 3, 3), (1, 1), (1, 1), (1, 1), 6),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONVS, ids=str)
def test_conv_forward_and_gradients(table, threads, matches, case, dtype):
    x_shape, w_shape, padding, stride, dilation, groups = case
    rng = np.random.default_rng(5)
    x = rng.random(x_shape).astype(dtype)  # positive: sums without cancellation
    w = rng.random(w_shape).astype(dtype)
    args = (padding, stride, dilation, groups)
    y, saved = table["conv_forward"](x, w, *args)
    want, want_saved = C.conv_forward(x, w, *args)
    matches(y, want, dtype)
    dy = rng.random(y.shape).astype(dtype)
    matches(
        table["conv_backward_data"](dy, w, x_shape, *args),
        C.conv_backward_data(dy, w, x_shape, *args),
        dtype,
    )
    want_dw = C.conv_backward_filter(dy, x, w_shape, *args, want_saved)
    matches(table["conv_backward_filter"](dy, x, w_shape, *args, saved), want_dw, dtype)
    matches(table["conv_backward_filter"](dy, x, w_shape, *args, None), want_dw, dtype)
    # the portable forward's columns are not this kernel's: it rebuilds its own
    matches(table["conv_backward_filter"](dy, x, w_shape, *args, want_saved), want_dw, dtype)


def test_conv_of_non_contiguous_inputs(table, matches):
    rng = np.random.default_rng(6)
    x = rng.random((3, 5, 6, 4)).astype(np.float32).transpose(0, 1, 3, 2)  # (3, 5, 4, 6)
    w = rng.random((2, 5, 3, 3)).astype(np.float32)[:, :, ::-1]
    args = ((1, 0), (1, 2), (1, 1), 1)
    matches(table["conv_forward"](x, w, *args)[0], C.conv_forward(x, w, *args)[0], np.float32)


def test_conv_leaves_3d_and_mixed_dtypes_to_the_portable_path(table):
    x = np.ones((1, 1, 4, 4, 4), np.float32)
    w = np.ones((1, 1, 2, 2, 2), np.float32)
    assert table["conv_forward"](x, w, (0,) * 3, (1,) * 3, (1,) * 3, 1) is NotImplemented
    x, w = np.ones((1, 1, 4, 4), np.float32), np.ones((1, 1, 2, 2), np.float64)
    assert table["conv_forward"](x, w, (0, 0), (1, 1), (1, 1), 1) is NotImplemented


def test_max_pooling_of_nan_is_left_to_the_portable_path(table):
    # the portable maximum propagates NaN (nn.pool relies on it to find NaN windows);
    # the compiled one would skip it
    x = np.arange(16.0, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    assert table["pool_forward"](x, (2, 2), (0, 0), (2, 2), 0, True) is NotImplemented
    y, _ = table["pool_forward"](x, (2, 2), (0, 0), (2, 2), 1, False)  # average: NaN anyway
    assert np.isnan(y[0, 0, 0, 0]) and y[0, 0, 1, 1] == 12.5
