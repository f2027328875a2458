"""2-D convolution: compiled im2col/col2im (parallel over the batch) around numpy's GEMM.

Two column layouts, chosen as the portable path chooses (``plugrad_nn._conv.batch_last``):
wide outputs take one contiguous (C*k, L) matrix per instance and one BLAS product per
instance, written straight into (N, O, L); narrow outputs (deep layers) take one
(C*k, N*L) matrix and one large product per group, then a parallel copy puts N first.
The forward pass keeps its columns for the filter gradient (``saved``), tagged so that
columns from the portable forward are never misread. 3-D convolution falls back to the
portable path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _core
from ._elementwise import contiguous, handles

TAG = "cpu-kernels"
# Columns above this size are rebuilt in the backward pass instead of kept.
SAVE_COLUMNS_MAX_BYTES = 1 << 28


def _geometry(x_shape, w_shape, out, padding, stride, dilation) -> tuple[int, ...]:
    n, c, h, w = x_shape
    return (n, c, h, w, *out, *w_shape[2:], *padding, *stride, *dilation)


def _out(x_shape, w_shape, padding, stride, dilation) -> tuple[int, int]:
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, p, s, d in zip(x_shape[2:], w_shape[2:], padding, stride, dilation)
    )


def per_instance(n: int, out: tuple[int, ...]) -> bool:
    """The per-instance layout for rows of 16 outputs or more (or a small batch).

    BLAS runs a product with a short inner dimension and a very long one (conv1 of LeNet:
    (20, 25) @ (25, 73728)) far below its rate, while 128 products of (25, 576) run well;
    narrow rows (8 outputs) favour the single large product.
    """
    return out[-1] >= 16 or n * out[-1] < 64


def _columns(x: np.ndarray, w_shape, out, padding, stride, dilation, mine: bool) -> np.ndarray:
    n, c = x.shape[:2]
    rows, length = c * w_shape[2] * w_shape[3], out[0] * out[1]
    shape = (n, rows, length) if mine else (rows, n * length)
    cols = np.empty(shape, dtype=x.dtype)
    geometry = _geometry(x.shape, w_shape, out, padding, stride, dilation)
    _core.im2col2d(geometry, contiguous(x), cols, mine)
    return cols


def _swap(a: np.ndarray, first: int, second: int, inner: int) -> np.ndarray:
    """(first, second, inner) -> (second, first, inner), copied in parallel."""
    out = np.empty((second, first, inner), dtype=a.dtype)
    _core.swap_leading(contiguous(a).reshape(-1), out.reshape(-1), first, second, inner)
    return out


def _grouped(w: np.ndarray, groups: int) -> np.ndarray:
    return contiguous(w).reshape(groups, w.shape[0] // groups, w[0].size)


def conv_forward(x: Any, w: Any, padding, stride, dilation, groups: int) -> Any:
    """Cross-correlation of a 4-D ``x`` (N, C, H, W) with ``w`` (O, C/groups, kh, kw)."""
    if not handles(x) or x.ndim != 4 or not handles(w) or w.dtype != x.dtype:
        return NotImplemented
    n, o = x.shape[0], w.shape[0]
    out = _out(x.shape, w.shape, padding, stride, dilation)
    length = out[0] * out[1]
    mine = per_instance(n, out)
    cols = _columns(x, w.shape, out, padding, stride, dilation, mine)
    wg = _grouped(w, groups)
    ck = w[0].size
    if mine:  # (G, O/G, Ck) @ (N, G, Ck, L): one product per instance, into (N, O, L)
        y = np.matmul(wg, cols.reshape(n, groups, ck, length)).reshape(n, o, *out)
    else:  # (G, O/G, Ck) @ (G, Ck, N*L), then N to the front
        y = np.matmul(wg, cols.reshape(groups, ck, n * length))
        y = _swap(y, o, n, length).reshape(n, o, *out)
    # index 1 holds the columns, as in the portable saved state (the op checks its dtype)
    saved = (TAG, cols, mine) if cols.nbytes <= SAVE_COLUMNS_MAX_BYTES else None
    return y, saved


def _dy_by_channel(dy: np.ndarray, groups: int) -> np.ndarray:
    n, o = dy.shape[:2]
    length = dy.shape[2] * dy.shape[3]
    return _swap(dy, n, o, length).reshape(groups, o // groups, n * length)


def conv_backward_data(dy: Any, w: Any, x_shape, padding, stride, dilation, groups: int) -> Any:
    """The gradient of :func:`conv_forward` with respect to ``x``."""
    if not handles(dy) or dy.ndim != 4 or not handles(w) or w.dtype != dy.dtype:
        return NotImplemented
    n, o = dy.shape[:2]
    length = dy.shape[2] * dy.shape[3]
    wt = _grouped(w, groups).swapaxes(1, 2)  # (G, Ck, O/G)
    mine = per_instance(n, dy.shape[2:])
    if mine:
        cols = np.matmul(wt, contiguous(dy).reshape(n, groups, o // groups, length))
    else:
        cols = np.matmul(wt, _dy_by_channel(dy, groups))  # (G, Ck, N*L)
    dx = np.empty(tuple(x_shape), dtype=dy.dtype)
    geometry = _geometry(tuple(x_shape), w.shape, dy.shape[2:], padding, stride, dilation)
    _core.col2im2d(geometry, cols.reshape(-1), dx, mine)
    return dx


def conv_backward_filter(
    dy: Any, x: Any, w_shape, padding, stride, dilation, groups: int, saved: Any = None
) -> Any:
    """The gradient of :func:`conv_forward` with respect to ``w``."""
    if not handles(dy) or dy.ndim != 4 or not handles(x) or x.dtype != dy.dtype:
        return NotImplemented
    n, o = dy.shape[:2]
    length = dy.shape[2] * dy.shape[3]
    if isinstance(saved, tuple) and saved[0] == TAG and saved[1].dtype == dy.dtype:
        _, cols, mine = saved
    else:
        mine = per_instance(n, dy.shape[2:])
        cols = _columns(x, w_shape, tuple(dy.shape[2:]), padding, stride, dilation, mine)
    ck = int(np.prod(w_shape[1:]))
    if mine:  # sum over instances of (O/G, L) @ (L, Ck)
        per = np.matmul(
            contiguous(dy).reshape(n, groups, o // groups, length),
            cols.reshape(n, groups, ck, length).swapaxes(2, 3),
        )
        dw = per.sum(axis=0)
    else:
        cols = cols.reshape(groups, ck, n * length)
        dw = np.matmul(_dy_by_channel(dy, groups), cols.swapaxes(1, 2))  # (G, O/G, Ck)
    return dw.reshape(tuple(w_shape))


def kernels() -> dict[str, Callable[..., Any]]:
    return {
        "conv_forward": conv_forward,
        "conv_backward_data": conv_backward_data,
        "conv_backward_filter": conv_backward_filter,
    }
