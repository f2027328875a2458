"""Row-wise kernels: softmax, log-softmax, the fused nll, and bias-gradient reductions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _core
from ._elementwise import contiguous, handles


def _last_axis(x: np.ndarray, axis: Any) -> bool:
    return x.ndim >= 1 and axis is not None and axis % x.ndim == x.ndim - 1 and x.shape[-1] > 0


def softmax(x: Any, axis: int | None = -1, log: bool = False) -> Any:
    """softmax (or with ``log`` log-softmax) along the last axis; other axes fall back."""
    if not handles(x) or not _last_axis(x, axis):
        return NotImplemented
    y = np.empty(x.shape, dtype=x.dtype)
    c = x.shape[-1]
    _core.softmax_rows(contiguous(x), y, x.size // c, c, log)
    return y


def softmax_grad(dy: Any, y: Any, axis: int | None = -1, log: bool = False) -> Any:
    """The gradient of :func:`softmax` given its output ``y``."""
    if not handles(dy, y) or not _last_axis(y, axis):
        return NotImplemented
    dx = np.empty(y.shape, dtype=y.dtype)
    c = y.shape[-1]
    _core.softmax_rows_grad(contiguous(dy), contiguous(y), dx, y.size // c, c, log)
    return dx


def nll_rows(s: Any, picks: Any, keep: Any) -> Any:
    """Per-row losses of softmax cross-entropy, with exp(s - max) and its row sums."""
    if not handles(s) or s.ndim != 2 or s.shape[1] == 0:
        return NotImplemented
    rows = s.shape[0]
    e = np.empty(s.shape, dtype=s.dtype)
    total = np.empty(rows, dtype=s.dtype)
    losses = np.empty(rows, dtype=s.dtype)
    picks = np.ascontiguousarray(picks, dtype=np.int64)
    keep = np.ascontiguousarray(keep, dtype=np.uint8)
    _core.nll_rows(contiguous(s), picks, keep, e, total, losses)
    return losses, e, total


def nll_rows_grad(e: Any, total: Any, picks: Any, weight: Any) -> Any:
    """``(e / total - onehot(picks)) * weight`` per row: the gradient of :func:`nll_rows`."""
    if not handles(e) or e.ndim != 2 or e.shape[1] == 0:
        return NotImplemented
    p = np.empty(e.shape, dtype=e.dtype)
    _core.nll_rows_grad(
        contiguous(e),
        np.ascontiguousarray(total, dtype=e.dtype),
        np.ascontiguousarray(picks, dtype=np.int64),
        np.ascontiguousarray(weight, dtype=e.dtype),
        p,
    )
    return p


def bias_grad(g: Any, shape: tuple[int, ...]) -> Any:
    """``g`` summed to ``shape`` when ``shape`` keeps one axis of ``g`` (a bias's gradient).

    Handles (N, C) -> (C,) and (N, C, ...) -> (1, C, 1, ...) or (C, 1, ...); anything else
    returns NotImplemented.
    """
    if not handles(g) or g.ndim < 2 or g.size == 0:
        return NotImplemented
    shape = tuple(shape)
    lead = g.ndim - len(shape)
    full = (1,) * lead + shape
    kept = [i for i, n in enumerate(full) if n != 1]
    if len(kept) != 1 or full[kept[0]] != g.shape[kept[0]] or kept[0] == 0:
        return NotImplemented
    axis = kept[0]
    out = np.empty(g.shape[axis], dtype=g.dtype)
    outer = int(np.prod(g.shape[:axis]))
    inner = int(np.prod(g.shape[axis + 1 :]))
    _core.bias_grad(contiguous(g), out, outer, g.shape[axis], inner)
    return out.reshape(shape)


def kernels() -> dict[str, Callable[..., Any]]:
    """The row-wise entries of the kernel table."""
    return {
        "softmax": softmax,
        "softmax_grad": softmax_grad,
        "logsoftmax": lambda x, axis=-1: softmax(x, axis, log=True),
        "logsoftmax_grad": lambda dy, y, axis=-1: softmax_grad(dy, y, axis, log=True),
        "nll_rows": nll_rows,
        "nll_rows_grad": nll_rows_grad,
        "bias_grad": bias_grad,
    }
