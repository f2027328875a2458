"""2-D max and average pooling (``pool_forward``/``pool_backward``), planes in parallel.

The saved state for max pooling is ``("cpu-kernels", argmax)``: the flat index of each
maximum in its (H, W) plane. A backward call with another saved state (from the portable
forward) is left to the portable path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _core
from ._elementwise import contiguous, handles

TAG = "cpu-kernels"


def _geometry(x_shape, out, window, padding, stride, mode) -> tuple[int, ...]:
    n, c, h, w = x_shape
    return (n * c, h, w, *out, *window, *padding, *stride, mode)


def _out(x_shape, window, padding, stride) -> tuple[int, int]:
    return tuple(
        (n + 2 * p - k) // s + 1 for n, k, p, s in zip(x_shape[2:], window, padding, stride)
    )


def pool_forward(x: Any, window, padding, stride, mode: int, save: bool = False) -> Any:
    """Max (mode 0, 3) or average (1, 2) pooling of a 4-D ``x``."""
    if not handles(x) or x.ndim != 4:
        return NotImplemented
    maxpool = mode in (0, 3)
    if maxpool and _may_hold_nan(x):
        return NotImplemented  # the compiled maximum skips NaN; the portable one propagates it
    out = _out(x.shape, window, padding, stride)
    y = np.empty((*x.shape[:2], *out), dtype=x.dtype)
    arg = np.empty(y.shape, dtype=np.int32) if maxpool and save else None
    _core.pool2d_forward(
        _geometry(x.shape, out, window, padding, stride, mode), contiguous(x), y, arg
    )
    return y, ((TAG, arg) if arg is not None else None)


def _may_hold_nan(x: np.ndarray) -> bool:
    """NaN in ``x`` makes its sum NaN (so does +inf beside -inf: the portable path then
    runs, with the same result); one vectorized pass, no mask."""
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.isnan(x.sum()))


def pool_backward(dy: Any, x: Any, y: Any, saved: Any, x_shape, window, padding, stride, mode):
    """The gradient of :func:`pool_forward` with respect to ``x``."""
    if not handles(dy) or len(x_shape) != 4:
        return NotImplemented
    maxpool = mode in (0, 3)
    if maxpool:
        if saved is None:
            if x is None:
                return NotImplemented
            got = pool_forward(x, window, padding, stride, mode, True)
            if got is NotImplemented:
                return NotImplemented
            saved = got[1]
        if not (isinstance(saved, tuple) and saved[0] == TAG):
            return NotImplemented
    out = tuple(dy.shape[2:])
    dx = np.zeros(tuple(x_shape), dtype=dy.dtype)
    geometry = _geometry(tuple(x_shape), out, window, padding, stride, mode)
    _core.pool2d_backward(geometry, contiguous(dy), saved[1] if maxpool else None, dx)
    return dx


def kernels() -> dict[str, Callable[..., Any]]:
    return {"pool_forward": pool_forward, "pool_backward": pool_backward}
