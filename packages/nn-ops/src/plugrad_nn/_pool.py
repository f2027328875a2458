"""Pooling: ``pool`` and ``unpool``, and the portable kernels behind them.

Kernels in the backend's table (``backend.kernels``, run through ``ag.run_kernel``; one
returns ``NotImplemented`` for inputs it leaves to the portable path), with portable
fallbacks:

- ``pool_forward(x, window, padding, stride, mode, save) -> (y, saved)``: ``save`` is True
  when a backward pass will follow (the portable max pooling then records, per output, the
  offset of the maximum in its window).
- ``pool_backward(dy, x, y, saved, x_shape, window, padding, stride, mode) -> dx``: ``x``,
  ``y`` and ``saved`` may be None for the average modes (``unpool`` calls it so).

A backend overriding one of them overrides both (``saved`` passes between them).

The portable kernels loop over the window's offsets, never over pixels: each offset is a
strided view of the input, so max and average pooling are ``prod(window)`` elementwise
passes over the output.
"""

from __future__ import annotations

import contextlib
import itertools
from typing import Any, NamedTuple

import plugrad_autograd as ag

from ._common import (
    ArgumentTypeError,
    Saved,
    backend_for,
    bool_arg,
    is_int,
    op_error,
    prod,
    real_arg,
    recording,
    shape_of,
    spatial,
)
from ._conv import _crop, _pad


class PoolConfig(NamedTuple):
    """Normalized pooling settings: spatial tuples in array order, Knet's mode."""

    window: tuple[int, ...]
    padding: tuple[int, ...]
    stride: tuple[int, ...]
    mode: int


def pool_output_shape(
    size: tuple[int, ...],
    window: tuple[int, ...],
    padding: tuple[int, ...],
    stride: tuple[int, ...],
) -> tuple[int, ...]:
    """Knet's ``1 + floor((X + 2p - window) / s)`` per spatial dimension."""
    return tuple((n + 2 * p - k) // s + 1 for n, k, p, s in zip(size, window, padding, stride))


def _offsets(window: tuple[int, ...], stride: tuple[int, ...], out: tuple[int, ...]) -> list:
    """For every offset in the window, the index of its strided view of the (padded) input."""
    return [
        (slice(None), slice(None))
        + tuple(slice(o, o + s * (m - 1) + 1, s) for o, s, m in zip(offset, stride, out))
        for offset in itertools.product(*(range(k) for k in window))
    ]


def _tiles(shape: tuple[int, ...], window: tuple[int, ...], padding: Any, stride: Any) -> bool:
    """True when the windows do not overlap and need no padding (the separable case)."""
    return not any(padding) and tuple(stride) == tuple(window)


def _counts(xp: Any, x_shape: tuple[int, ...], window: Any, padding: Any, stride: Any, dtype: Any):
    """How many real (unpadded) inputs each output window covers, shaped for broadcasting."""
    ones = xp.ones((1, 1, *x_shape[2:]), dtype=dtype)
    padded = _pad(xp, ones, padding)
    out = pool_output_shape(x_shape[2:], window, padding, stride)
    total = None
    for index in _offsets(window, stride, out):
        total = padded[index].copy() if total is None else total + padded[index]
    return total


def _along(axis: int, start: int, step: int) -> tuple:
    return (slice(None),) * axis + (slice(start, None, step),)


def _flat_ready(cur: Any, axis: int, k: int) -> bool:
    return bool(cur.flags.c_contiguous) and cur.shape[axis] % k == 0


def _flat_axis_step(xp: Any, cur: Any, axis: int, k: int, maxpool: bool, save: bool):
    """One axis of non-overlapping pooling computed on ``cur`` seen as a flat vector.

    Window members along ``axis`` are ``s = prod(shape[axis+1:])`` elements apart, so the
    k members of every window are k unit-stride views of the flat data shifted by ``s``.
    Combining them computes a value at every position (numpy's fast contiguous loops,
    where the strided views of short rows run several times slower); the window starts
    are then kept by one copy. Returns the reduced array and, for max pooling with
    ``save`` (k == 2 only), where the second member won.
    """
    shape = cur.shape
    s = prod(shape[axis + 1 :])
    total = cur.size
    n = total - (k - 1) * s  # positions that have all k members after them
    flat = cur.reshape(-1)
    members = [flat[j * s : j * s + n] for j in range(k)]
    full = xp.empty(total, dtype=cur.dtype)
    combine = xp.maximum if maxpool else xp.add
    combine(members[0], members[1], out=full[:n])
    for v in members[2:]:
        combine(full[:n], v, out=full[:n])
    reduced = (*shape[:axis], shape[axis] // k, *shape[axis + 1 :])

    def starts(a: Any) -> Any:  # the positions whose index along axis is a multiple of k
        kept = a[::k] if s == 1 else a.reshape(total // (k * s), k, s)[:, 0, :]
        return xp.ascontiguousarray(kept).reshape(reduced)

    won = None
    if maxpool and save:
        second = xp.empty(total, dtype=bool)
        xp.greater(members[1], members[0], out=second[:n])
        won = starts(second)
    return starts(full), won


def _separable_forward(xp: Any, x: Any, window: tuple[int, ...], mode: int, save: bool):
    """Non-overlapping pooling one spatial axis at a time (the last axis first).

    Each axis costs ``window - 1`` elementwise passes over a shrinking array; max pooling
    records, per axis, which offset won (ties to the first), so the backward pass routes
    the gradient back axis by axis without searching.
    """
    out = tuple(n // k for n, k in zip(x.shape[2:], window))
    cur = x[(slice(None), slice(None), *(slice(0, m * k) for m, k in zip(out, window)))]
    winners = []
    for axis in range(x.ndim - 1, 1, -1):
        k = window[axis - 2]
        if k == 1:
            winners.append(None)
            continue
        if (save and mode in (0, 3) and k > 2) or not _flat_ready(cur, axis, k):
            views = [cur[_along(axis, j, k)] for j in range(k)]
        else:  # the same passes over flat, unit-stride data, then the window starts kept
            cur, won = _flat_axis_step(xp, cur, axis, k, mode in (0, 3), save)
            winners.append(won)
            continue
        if mode not in (0, 3):
            acc = views[0] + views[1]
            for v in views[2:]:
                acc += v
        elif not save:
            acc = xp.maximum(views[0], views[1])
            for v in views[2:]:
                xp.maximum(acc, v, out=acc)
        elif k == 2:
            winners.append(views[1] > views[0])
            acc = xp.maximum(views[0], views[1])
        else:
            arg = xp.zeros(views[0].shape, dtype=xp.int8 if k < 128 else xp.int32)
            acc = xp.maximum(views[0], views[1])
            xp.copyto(arg, 1, where=views[1] > views[0])
            for j, v in enumerate(views[2:], 2):
                xp.copyto(arg, j, where=v > acc)
                xp.maximum(acc, v, out=acc)
            winners.append(arg)
        if mode not in (0, 3) or not save:
            winners.append(None)
        cur = acc
    if all(k == 1 for k in window):
        cur = cur.copy()
    if mode not in (0, 3):
        cur *= 1.0 / prod(window)
    return cur, winners


def _separable_backward(xp: Any, dy: Any, winners: Any, x_shape: tuple[int, ...], window, mode):
    out = dy.shape[2:]
    shapes = []  # the shape before each axis was reduced, in forward order
    shape = list(dy.shape[:2]) + [m * k for m, k in zip(out, window)]
    for axis in range(len(x_shape) - 1, 1, -1):
        shapes.append(tuple(shape))
        shape[axis] //= window[axis - 2]
    g = dy * (1.0 / prod(window)) if mode not in (0, 3) else dy
    winners = winners or [None] * len(shapes)
    for axis, before, won in zip(range(2, len(x_shape)), reversed(shapes), reversed(winners)):
        k = window[axis - 2]
        if k == 1:
            continue
        expanded = xp.empty(before, dtype=dy.dtype)
        if mode in (0, 3) and won.dtype == bool:
            # two passes written in place: the second offset's share, then the rest
            second = expanded[_along(axis, 1, k)]
            xp.multiply(g, won, out=second)
            xp.subtract(g, second, out=expanded[_along(axis, 0, k)])
            g = expanded
            continue
        for j in range(k):
            # masks multiply: an elementwise product is much faster than where()
            piece = g if mode not in (0, 3) else g * (won == j)
            expanded[_along(axis, j, k)] = piece
        g = expanded
    if tuple(g.shape) == tuple(x_shape):
        return g
    dx = xp.zeros(x_shape, dtype=dy.dtype)
    dx[tuple(slice(0, n) for n in g.shape)] = g
    return dx


def pool_forward(
    x: Any,
    window: tuple[int, ...],
    padding: tuple[int, ...],
    stride: tuple[int, ...],
    mode: int,
    save: bool = False,
) -> tuple[Any, Any]:
    """Portable max (mode 0, 3) or average (1 counting padding, 2 excluding it) pooling."""
    xp = ag.xp_of(x)
    if _tiles(x.shape, window, padding, stride):
        y, winners = _separable_forward(xp, x, window, mode, save)
        return y, (("axes", winners) if save and mode in (0, 3) else None)
    out = pool_output_shape(x.shape[2:], window, padding, stride)
    maxpool = mode in (0, 3)
    fill = -xp.inf if maxpool else 0
    padded = _pad(xp, x, padding, fill)
    views = [padded[index] for index in _offsets(window, stride, out)]
    y = views[0].copy()
    if not maxpool:
        for v in views[1:]:
            y += v
        if mode == 1:
            y *= 1.0 / len(views)
        else:
            y /= _counts(xp, x.shape, window, padding, stride, y.dtype)
        return y, None
    if not save:
        for v in views[1:]:
            xp.maximum(y, v, out=y)
        return y, None
    # The offset of each maximum, so the backward pass routes gradients without searching;
    # ties go to the first offset, as a strict comparison keeps the earlier one.
    arg = xp.zeros(y.shape, dtype=xp.int8 if len(views) < 128 else xp.int32)
    for k, v in enumerate(views[1:], 1):
        xp.copyto(arg, k, where=v > y)
        xp.maximum(y, v, out=y)
    return y, ("offsets", arg)


def pool_backward(
    dy: Any,
    x: Any,
    y: Any,
    saved: Any,
    x_shape: tuple[int, ...],
    window: tuple[int, ...],
    padding: tuple[int, ...],
    stride: tuple[int, ...],
    mode: int,
) -> Any:
    """Portable gradient of :func:`pool_forward` with respect to ``x``."""
    xp = ag.xp_of(dy)
    maxpool = mode in (0, 3)
    if maxpool and saved is None:
        saved = pool_forward(x, window, padding, stride, mode, True)[1]
    if _tiles(x_shape, window, padding, stride):
        return _separable_backward(xp, dy, saved[1] if maxpool else None, x_shape, window, mode)
    out = dy.shape[2:]
    indices = _offsets(window, stride, out)
    if maxpool:
        arg = saved[1]
        pieces = (lambda k: dy * (arg == k)) if len(indices) > 1 else (lambda k: dy)
    else:
        scale = (
            dy * (1.0 / len(indices))
            if mode == 1
            else dy / _counts(xp, x_shape, window, padding, stride, dy.dtype)
        )
        pieces = lambda k: scale  # noqa: E731
    padded = (*x_shape[:2], *(n + 2 * p for n, p in zip(x_shape[2:], padding)))
    dx = xp.zeros(padded, dtype=dy.dtype)
    for k, index in enumerate(indices):
        dx[index] += pieces(k)
    return _crop(xp, dx, x_shape, padding)


# -- primitives ----------------------------------------------------------------------------


@ag.primitive
def _pool(x: Any, cfg: PoolConfig, saved: Saved) -> Any:
    y, saved.positions = ag.run_kernel(
        "pool_forward", pool_forward, x, cfg.window, cfg.padding, cfg.stride, cfg.mode, True
    )
    return y


@ag.primitive
def _pool_dx(
    dy: Any, x: Any, y: Any, x_shape: tuple[int, ...], cfg: PoolConfig, saved: Saved
) -> Any:
    positions = getattr(saved, "positions", None)
    args = (x_shape, cfg.window, cfg.padding, cfg.stride, cfg.mode)
    return ag.run_kernel("pool_backward", pool_backward, dy, x, y, positions, *args)


@ag.primitive
def _maxpool_select(g: Any, x: Any, cfg: PoolConfig) -> Any:
    """``g`` read at the positions where max pooling of ``x`` found its maxima."""
    xp = ag.xp_of(g)
    out = pool_output_shape(x.shape[2:], cfg.window, cfg.padding, cfg.stride)
    if _tiles(x.shape, cfg.window, cfg.padding, cfg.stride):
        # reuse the general path: the same windows, expressed as offsets
        cfg = cfg._replace(stride=tuple(cfg.window))
    arg = _offset_winners(xp, x, cfg, out)
    padded = _pad(xp, g, cfg.padding)
    y = xp.zeros((*g.shape[:2], *out), dtype=g.dtype)
    for k, index in enumerate(_offsets(cfg.window, cfg.stride, out)):
        y += padded[index] * (arg == k)
    return y


def _offset_winners(xp: Any, x: Any, cfg: PoolConfig, out: tuple[int, ...]) -> Any:
    """For every output of max pooling ``x``, the offset of its maximum in the window."""
    padded = _pad(xp, x, cfg.padding, -xp.inf)
    views = [padded[index] for index in _offsets(cfg.window, cfg.stride, out)]
    y = views[0].copy()
    arg = xp.zeros(y.shape, dtype=xp.int32)
    for k, v in enumerate(views[1:], 1):
        xp.copyto(arg, k, where=v > y)
        xp.maximum(y, v, out=y)
    return arg


@ag.primitive
def _maxpool_route(dy: Any, x: Any, cfg: PoolConfig) -> Any:
    """``dy`` sent back to the maxima of max pooling ``x`` (portable, for second order)."""
    return pool_backward(dy, x, None, None, x.shape, cfg.window, cfg.padding, cfg.stride, 0)


def _pool_dx_dy(g: Any, _: Any, dy: Any, x: Any, y: Any, x_shape: Any, cfg: PoolConfig, saved: Any):
    if cfg.mode in (0, 3):
        return _maxpool_select(g, x, cfg)
    return _pool(g, cfg, Saved())


ag.defvjp(_pool, lambda g, y, x, cfg, saved: _pool_dx(g, x, y, x.shape, cfg, saved))
# dx moves with x and y only where the pooling's choice of maxima changes: zero almost
# everywhere, so their rules are declared None (no gradient), not left undeclared.
ag.defvjp(_pool_dx, _pool_dx_dy, None, None)
ag.defvjp(_maxpool_select, lambda dy, y, g, x, cfg: _maxpool_route(dy, x, cfg))
ag.defvjp(_maxpool_route, lambda g, y, dy, x, cfg: _maxpool_select(g, x, cfg))


# -- public ops ----------------------------------------------------------------------------


def _config(op: str, x_shape: tuple[int, ...], window: Any, padding: Any, stride: Any, mode: Any):
    if len(x_shape) not in (4, 5):
        raise op_error(
            op, f"expected x of shape (N, C, H, W) or (N, C, D, H, W), got shape {x_shape}"
        )
    nd = len(x_shape) - 2
    if not is_int(mode) or mode not in (0, 1, 2, 3):
        raise op_error(
            op,
            f"mode must be 0 (max), 1 (average counting padding), 2 (average excluding "
            f"padding) or 3 (deterministic max), got {mode!r}",
            ValueError if is_int(mode) else ArgumentTypeError,
        )
    win = spatial(window, nd, "window", op, 1)
    return PoolConfig(
        win,
        spatial(padding, nd, "padding", op, 0),
        win if stride is None else spatial(stride, nd, "stride", op, 1),
        int(mode),
    )


def pool(
    x: Any,
    window: int | tuple[int, ...] = 2,
    padding: int | tuple[int, ...] = 0,
    stride: int | tuple[int, ...] | None = None,
    mode: int = 0,
    alpha: float = 1,
    nan_propagation: bool = False,
) -> Any:
    """Knet's ``pool``: max or average pooling over 2-D or 3-D windows of ``x``.

    ``x`` is (N, C, H, W) or (N, C, D, H, W); the result is (N, C, H', W') with
    ``H' = 1 + (H + 2*padding - window) // stride``. ``window``, ``padding`` and ``stride``
    (default: the window) are an int or one int per spatial dimension in array order.
    ``mode``: 0 max (padding never wins), 1 average with padded zeros counted, 2 average
    over the real inputs only, 3 deterministic max (the same as 0 here: the first maximum
    of a window takes the whole gradient). ``alpha`` scales the result (Knet's ``alpha``).

    ``nan_propagation`` (Knet's ``maxpoolingNanOpt``, default off as Knet's 0): in max
    pooling a NaN input never wins, so a window's maximum is that of its other values (a
    window of NaN only gives NaN) and NaN inputs get zero gradient; with
    ``nan_propagation=True`` any NaN in a window makes its maximum NaN (PyTorch's
    behaviour). Average pooling always propagates NaN, as a sum does.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> x = np.arange(16.0, dtype=np.float32).reshape(1, 1, 4, 4)
        >>> nn.pool(x)[0, 0].tolist()
        [[5.0, 7.0], [13.0, 15.0]]
        >>> nn.pool(x, mode=1)[0, 0].tolist()
        [[2.5, 4.5], [10.5, 12.5]]
    """
    backend_for("pool", x)
    x_shape = shape_of(x)
    cfg = _config("pool", x_shape, window, padding, stride, mode)
    real_arg("pool", "alpha", alpha, "a number", lambda a: True)
    bool_arg("pool", "nan_propagation", nan_propagation)
    if cfg.mode in (0, 3) and any(p >= k for p, k in zip(cfg.padding, cfg.window)):
        raise op_error(
            "pool",
            f"max pooling needs padding {cfg.padding} smaller than the window {cfg.window}",
        )
    out = pool_output_shape(x_shape[2:], cfg.window, cfg.padding, cfg.stride)
    if min(out) < 1:
        padded = tuple(n + 2 * p for n, p in zip(x_shape[2:], cfg.padding))
        raise op_error(
            "pool",
            f"the window {cfg.window} is larger than the padded input {padded} (x of shape "
            f"{x_shape}, padding {cfg.padding}); use a smaller window or more padding",
        )
    y = _pooled(x, cfg)
    if not nan_propagation and cfg.mode in (0, 3) and _has_nan(y):
        y = _pooled_ignoring_nan(x, cfg)
    return y if alpha == 1 else y * alpha


def _pooled(x: Any, cfg: PoolConfig) -> Any:
    if not recording(x):
        raw = ag.value(x)
        args = (cfg.window, cfg.padding, cfg.stride, cfg.mode, False)
        return ag.run_kernel("pool_forward", pool_forward, raw, *args)[0]
    return _pool(x, cfg, Saved())


def _has_nan(y: Any) -> bool:
    """Whether max pooling may have met a NaN: the maximum propagates it, so the (smaller)
    output's sum tells, in one pass without a mask (a sum of +inf and -inf, NaN too, only
    sends a NaN-free input down the slower path, which gives the same result)."""
    raw = ag.value(y)
    if raw.dtype.kind not in "fc":
        return False
    xp = ag.xp_of(raw)
    errstate = getattr(xp, "errstate", None)  # inf - inf in the sum is expected: no warning
    with errstate(invalid="ignore", over="ignore") if errstate else contextlib.nullcontext():
        return bool(xp.isnan(raw.sum()))


def _pooled_ignoring_nan(x: Any, cfg: PoolConfig) -> Any:
    """Max pooling where NaN never wins (Knet's ``maxpoolingNanOpt=0``): NaN pooled as
    -inf, so it gets no gradient; a window of NaN only gives NaN."""
    raw = ag.value(x)
    nan = ag.xp_of(raw).isnan(raw)
    y = _pooled(ag.where(nan, -float("inf"), x), cfg)
    present = (~nan).astype(ag.value(y).dtype)
    args = (cfg.window, cfg.padding, cfg.stride, 0, False)
    seen = ag.run_kernel("pool_forward", pool_forward, present, *args)[0]
    return ag.where(seen == 0, float("nan"), y)


def unpool(
    x: Any,
    window: int | tuple[int, ...] = 2,
    padding: int | tuple[int, ...] = 0,
    stride: int | tuple[int, ...] | None = None,
    mode: int = 0,
    alpha: float = 1,
) -> Any:
    """Knet's ``unpool``: upsampling that undoes pooling, ``pool(unpool(x, **o), **o) == x``.

    Each input value is spread over its window (nearest-neighbour upsampling when the
    windows tile the output): ``unpool(x)`` is ``prod(window)`` times the gradient of
    average pooling (counting padding) applied to ``x``, scaled by ``alpha``. The output
    size is ``(H - 1)*stride + window - 2*padding``. ``mode`` is accepted so that pool's
    keyword arguments can be passed unchanged; it does not change the result.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]], dtype=np.float32)
        >>> nn.unpool(x)[0, 0].tolist()
        [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 4.0, 4.0], [3.0, 3.0, 4.0, 4.0]]
    """
    backend_for("unpool", x)
    x_shape = shape_of(x)
    cfg = _config("unpool", x_shape, window, padding, stride, mode)
    out = tuple(
        (n - 1) * s + k - 2 * p
        for n, k, p, s in zip(x_shape[2:], cfg.window, cfg.padding, cfg.stride)
    )
    if min(out) < 1:
        raise op_error(
            "unpool", f"padding {cfg.padding} is too large for x of shape {x_shape}: output {out}"
        )
    cfg = cfg._replace(mode=1)
    y_shape = (*x_shape[:2], *out)
    return _pool_dx(x * (alpha * prod(cfg.window)), None, None, y_shape, cfg, Saved())
