"""2-D convolution: compiled im2col/col2im (parallel over the batch) around numpy's GEMM.

The columns are laid out (C*kh*kw, N*OH*OW), so each group's product is one large GEMM
through numpy's BLAS (threaded) rather than one small product per instance. The forward
pass keeps its columns for the filter gradient (``saved``), tagged so that columns from
the portable forward are never misread. 3-D convolution falls back to the portable path.
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


def _columns(x: np.ndarray, w_shape, out, padding, stride, dilation) -> np.ndarray:
    n, c = x.shape[:2]
    rows = c * w_shape[2] * w_shape[3]
    cols = np.empty((rows, n * out[0] * out[1]), dtype=x.dtype)
    _core.im2col2d(_geometry(x.shape, w_shape, out, padding, stride, dilation), contiguous(x), cols)
    return cols


def _wide(n: int, length: int) -> bool:
    """True when each instance's product is wide enough (``length`` outputs) for BLAS.

    Then one product per instance reads a strided view of the columns and writes (N, O, L)
    directly; narrow outputs (deep layers) do better as one large product per group and a
    copy that puts N first (BLAS runs a (20, 25) @ (25, 73728) product far below its rate).
    """
    return length >= 16 or n * length < 64


def _per_instance(cols: np.ndarray, groups: int, n: int, length: int) -> np.ndarray:
    """The (G*Ck, N*L) columns seen as (N, G, Ck, L): instance b's matrices, no copy."""
    return cols.reshape(groups, cols.shape[0] // groups, n, length).transpose(2, 0, 1, 3)


def _swap(a: np.ndarray, first: int, second: int, inner: int) -> np.ndarray:
    """(first, second, inner) -> (second, first, inner), copied in parallel."""
    out = np.empty((second, first, inner), dtype=a.dtype)
    _core.swap_leading(contiguous(a).reshape(-1), out.reshape(-1), first, second, inner)
    return out


def conv_forward(x: Any, w: Any, padding, stride, dilation, groups: int) -> Any:
    """Cross-correlation of a 4-D ``x`` (N, C, H, W) with ``w`` (O, C/groups, kh, kw)."""
    if not handles(x) or x.ndim != 4 or not handles(w) or w.dtype != x.dtype:
        return NotImplemented
    n, o = x.shape[0], w.shape[0]
    out = _out(x.shape, w.shape, padding, stride, dilation)
    length = out[0] * out[1]
    cols = _columns(x, w.shape, out, padding, stride, dilation)
    wg = contiguous(w).reshape(groups, o // groups, w[0].size)
    if _wide(n, length):  # one product per instance, written straight into (N, O, L)
        y = np.empty((n, groups, o // groups, length), dtype=x.dtype)
        np.matmul(wg, _per_instance(cols, groups, n, length), out=y)
        y = y.reshape(n, o, *out)
    else:  # one (O/G, Ck) @ (Ck, N*L) product per group, then N to the front
        y = np.matmul(wg, cols.reshape(groups, cols.shape[0] // groups, n * length))
        y = _swap(y, o, n, length).reshape(n, o, *out)
    saved = (TAG, cols) if cols.nbytes <= SAVE_COLUMNS_MAX_BYTES else None
    return y, saved


def _dy_by_channel(dy: np.ndarray, groups: int) -> np.ndarray:
    n, o = dy.shape[:2]
    length = dy.shape[2] * dy.shape[3]
    return _swap(dy, n, o, length).reshape(groups, o // groups, n * length)


def conv_backward_data(dy: Any, w: Any, x_shape, padding, stride, dilation, groups: int) -> Any:
    """The gradient of :func:`conv_forward` with respect to ``x``."""
    if not handles(dy) or dy.ndim != 4 or not handles(w) or w.dtype != dy.dtype:
        return NotImplemented
    wt = contiguous(w).reshape(groups, w.shape[0] // groups, w[0].size).swapaxes(1, 2)
    n, length = dy.shape[0], dy.shape[2] * dy.shape[3]
    if _wide(n, length):  # per instance, written into the columns' (N, G, Ck, L) view
        cols = np.empty((groups * wt.shape[1], n * length), dtype=dy.dtype)
        dyg = contiguous(dy).reshape(n, groups, w.shape[0] // groups, length)
        np.matmul(wt, dyg, out=_per_instance(cols, groups, n, length))
    else:
        cols = np.matmul(wt, _dy_by_channel(dy, groups))  # (G, C/G*k, N*L)
    dx = np.empty(tuple(x_shape), dtype=dy.dtype)
    geometry = _geometry(tuple(x_shape), w.shape, dy.shape[2:], padding, stride, dilation)
    _core.col2im2d(geometry, cols.reshape(-1), dx)
    return dx


def conv_backward_filter(
    dy: Any, x: Any, w_shape, padding, stride, dilation, groups: int, saved: Any = None
) -> Any:
    """The gradient of :func:`conv_forward` with respect to ``w``."""
    if not handles(dy) or dy.ndim != 4 or not handles(x) or x.dtype != dy.dtype:
        return NotImplemented
    if isinstance(saved, tuple) and saved[0] == TAG and saved[1].dtype == dy.dtype:
        cols = saved[1]
    else:
        cols = _columns(x, w_shape, tuple(dy.shape[2:]), padding, stride, dilation)
    cols = cols.reshape(groups, cols.shape[0] // groups, cols.shape[-1])
    dw = np.matmul(_dy_by_channel(dy, groups), cols.swapaxes(1, 2))  # (G, O/G, C/G*k)
    return dw.reshape(tuple(w_shape))


def kernels() -> dict[str, Callable[..., Any]]:
    return {
        "conv_forward": conv_forward,
        "conv_backward_data": conv_backward_data,
        "conv_backward_filter": conv_backward_filter,
    }
