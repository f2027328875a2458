"""Convolution: ``conv4``, ``deconv4`` and the portable im2col kernels behind them.

Three primitives close the family under differentiation. With ``B(w, x)`` the bilinear
convolution, ``_conv`` is ``B``, ``_conv_dx`` its adjoint in ``x`` (conv4's input gradient,
deconv4's forward) and ``_conv_dw`` its adjoint in ``w``; the vjps of each are the other
two, so gradients of any order stay convolutions.

The arithmetic lives in three kernels looked up in the backend's kernel table
(``backend.kernels``, through ``ag.run_kernel``) with a portable fallback written against
``xp``; a kernel returns ``NotImplemented`` for inputs it leaves to the portable one:

- ``conv_forward(x, w, padding, stride, dilation, groups) -> (y, saved)``
- ``conv_backward_data(dy, w, x_shape, padding, stride, dilation, groups) -> dx``
- ``conv_backward_filter(dy, x, w_shape, padding, stride, dilation, groups, saved) -> dw``

They compute cross-correlation; ``mode`` (filter flip) and ``alpha`` are applied to the
small filter by the ops. ``saved`` is whatever ``conv_forward`` returned for the backward
pass (the portable one returns its im2col matrix and its layout, or None when the matrix
is too large to keep); a backend overriding one of ``conv_forward``/``conv_backward_filter``
overrides both.
"""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

import plugrad_autograd as ag

from ._common import (
    ArgumentTypeError,
    Saved,
    backend_for,
    is_int,
    op_error,
    prod,
    shape_of,
    spatial,
)

# The portable kernels keep the im2col matrix for the filter gradient unless it is larger
# than this; above it the backward pass rebuilds it rather than hold the memory.
SAVE_COLUMNS_MAX_BYTES = 1 << 28


class ConvConfig(NamedTuple):
    """Normalized convolution settings: spatial tuples in array order, Knet's mode/alpha."""

    padding: tuple[int, ...]
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    mode: int
    alpha: float
    groups: int


# -- portable kernels ----------------------------------------------------------------------


def conv_output_shape(
    size: tuple[int, ...],
    kernel: tuple[int, ...],
    padding: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[int, ...]:
    """Knet's ``1 + floor((X + 2p - d(k-1) - 1) / s)`` per spatial dimension."""
    return tuple(
        (n + 2 * p - d * (k - 1) - 1) // s + 1
        for n, k, p, s, d in zip(size, kernel, padding, stride, dilation)
    )


def _pad(xp: Any, x: Any, padding: tuple[int, ...], fill: float = 0) -> Any:
    if not any(padding):
        return x
    shape = x.shape[:2] + tuple(n + 2 * p for n, p in zip(x.shape[2:], padding))
    out = xp.full(shape, fill, dtype=x.dtype) if fill else xp.zeros(shape, dtype=x.dtype)
    out[(slice(None), slice(None), *(slice(p, p + n) for n, p in zip(x.shape[2:], padding)))] = x
    return out


def _crop(xp: Any, x: Any, shape: tuple[int, ...], padding: tuple[int, ...]) -> Any:
    if not any(padding):
        return x
    index = (slice(None), slice(None), *(slice(p, p + n) for n, p in zip(shape[2:], padding)))
    return xp.ascontiguousarray(x[index])


def batch_last(n: int, out: tuple[int, ...]) -> bool:
    """Which im2col layout suits a batch of ``n`` with output size ``out``.

    Building the columns copies runs of contiguous elements: ``out[-1]`` of them in the
    per-instance layout (N, C*k, L), ``n * out[-1]`` in the batch-last layout (C*k, L*N).
    Narrow outputs (deep layers) favour batch-last, despite the transposes of input and
    output it needs; wide ones the per-instance layout, whose products (one per instance,
    through a strided batch of matrices) write the (N, O, L) output in place.
    """
    return out[-1] < 16 and n * out[-1] >= 64


def _spatial_index(lead: int, starts: Any, stride: Any, out: Any, tail: int = 0) -> tuple:
    return (
        (slice(None),) * lead
        + tuple(slice(o, o + s * (m - 1) + 1, s) for o, s, m in zip(starts, stride, out))
        + (slice(None),) * tail
    )


def im2col(
    xp: Any,
    x: Any,
    kernel: tuple[int, ...],
    out: tuple[int, ...],
    padding: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    last: bool = False,
) -> Any:
    """Every receptive field of ``x`` as matrix columns, built by one contiguous copy.

    Rows are (channel, kernel offset). The result is (N, C*prod(kernel), prod(out)), one
    matrix per instance, or with ``last`` the single matrix (C*prod(kernel), prod(out)*N)
    whose columns run (output position, instance).
    """
    n, c = x.shape[:2]
    if last:
        size = tuple(m + 2 * p for m, p in zip(x.shape[2:], padding))
        src = xp.zeros((c, *size, n), dtype=x.dtype)
        src[_spatial_index(1, padding, (1,) * len(size), x.shape[2:], 1)] = xp.moveaxis(x, 0, -1)
        s_c, *s_sp, s_n = src.strides
        shape = (c, *kernel, *out, n)
        strides = (
            s_c,
            *(st * d for st, d in zip(s_sp, dilation)),
            *(st * s for st, s in zip(s_sp, stride)),
            s_n,
        )
        final = (c * prod(kernel), prod(out) * n)
    else:
        src = _pad(xp, x, padding)
        s_n, s_c, *s_sp = src.strides
        shape = (n, c, *kernel, *out)
        strides = (
            s_n,
            s_c,
            *(st * d for st, d in zip(s_sp, dilation)),
            *(st * s for st, s in zip(s_sp, stride)),
        )
        final = (n, c * prod(kernel), prod(out))
    view = xp.lib.stride_tricks.as_strided(src, shape=shape, strides=strides)
    return xp.ascontiguousarray(view).reshape(final)


def col2im(
    xp: Any,
    cols: Any,
    x_shape: tuple[int, ...],
    kernel: tuple[int, ...],
    out: tuple[int, ...],
    padding: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    last: bool = False,
) -> Any:
    """Adjoint of :func:`im2col`: add every column back into its receptive field."""
    n, c = x_shape[:2]
    size = tuple(m + 2 * p for m, p in zip(x_shape[2:], padding))
    if last:
        dx = xp.zeros((c, *size, n), dtype=cols.dtype)
        blocks, lead, tail = cols.reshape(c, *kernel, *out, n), 1, 1
    else:
        dx = xp.zeros((n, c, *size), dtype=cols.dtype)
        blocks, lead, tail = cols.reshape(n, c, *kernel, *out), 2, 0
    for offset in itertools.product(*(range(k) for k in kernel)):
        starts = tuple(o * d for o, d in zip(offset, dilation))
        dx[_spatial_index(lead, starts, stride, out, tail)] += blocks[
            (slice(None),) * (lead) + offset
        ]
    if last:
        dx = xp.moveaxis(dx, -1, 0)
        if not any(padding):
            return xp.ascontiguousarray(dx)
    return _crop(xp, dx, x_shape, padding)


def _grouped(w: Any, groups: int) -> Any:
    """The (O, C/groups, k...) filter as (groups, O/groups, C/groups * prod(k)) matrices."""
    return w.reshape(groups, w.shape[0] // groups, -1)


def conv_forward(
    x: Any,
    w: Any,
    padding: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int,
) -> tuple[Any, Any]:
    """Portable cross-correlation of ``x`` (N, C, ...) with ``w`` (O, C/groups, ...)."""
    xp = ag.xp_of(x)
    n = x.shape[0]
    o, kernel = w.shape[0], w.shape[2:]
    out = conv_output_shape(x.shape[2:], kernel, padding, stride, dilation)
    last = batch_last(n, out)
    cols = im2col(xp, x, kernel, out, padding, stride, dilation, last)
    wg = _grouped(w, groups)
    ck = cols.shape[-2] // groups  # explicit sizes: an empty batch cannot infer a -1
    if last:  # one product (G, O/G, Ck) @ (G, Ck, L*N), then N to the front
        y = xp.matmul(wg, cols.reshape(groups, ck, cols.shape[-1])).reshape(o, *out, n)
        y = xp.ascontiguousarray(xp.moveaxis(y, -1, 0))
    else:  # one product per instance, written straight into (N, O, L)
        y = xp.matmul(wg, cols.reshape(n, groups, ck, cols.shape[-1])).reshape(n, o, *out)
    saved = (last, cols) if cols.nbytes <= SAVE_COLUMNS_MAX_BYTES else None
    return y, saved


def conv_backward_data(
    dy: Any,
    w: Any,
    x_shape: tuple[int, ...],
    padding: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int,
) -> Any:
    """Portable gradient of :func:`conv_forward` with respect to ``x``."""
    xp = ag.xp_of(dy)
    n, o, kernel = dy.shape[0], w.shape[0], w.shape[2:]
    out = dy.shape[2:]
    last = batch_last(n, out)
    wt = _grouped(w, groups).swapaxes(1, 2)  # (G, Ck, O/G)
    rows, length = groups * wt.shape[1], prod(out)  # explicit: an empty batch has no -1
    if last:
        dyt = xp.ascontiguousarray(xp.moveaxis(dy, 0, -1)).reshape(groups, o // groups, n * length)
        cols = xp.matmul(wt, dyt).reshape(rows, dyt.shape[-1])
    else:
        dyg = dy.reshape(n, groups, o // groups, length)
        cols = xp.matmul(wt, dyg).reshape(n, rows, length)
    return col2im(xp, cols, tuple(x_shape), kernel, out, padding, stride, dilation, last)


def conv_backward_filter(
    dy: Any,
    x: Any,
    w_shape: tuple[int, ...],
    padding: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int,
    saved: Any = None,
) -> Any:
    """Portable gradient of :func:`conv_forward` with respect to ``w``."""
    xp = ag.xp_of(dy)
    n, o, kernel = dy.shape[0], w_shape[0], tuple(w_shape[2:])
    if saved is not None:
        last, cols = saved
    else:
        last = batch_last(n, dy.shape[2:])
        cols = im2col(xp, x, kernel, dy.shape[2:], padding, stride, dilation, last)
    ck, length = cols.shape[-2] // groups, prod(dy.shape[2:])  # explicit, for empty batches
    if last:
        dyt = xp.ascontiguousarray(xp.moveaxis(dy, 0, -1)).reshape(groups, o // groups, n * length)
        dw = xp.matmul(dyt, cols.reshape(groups, ck, cols.shape[-1]).swapaxes(1, 2))
    else:
        per = xp.matmul(
            dy.reshape(n, groups, o // groups, length),
            cols.reshape(n, groups, ck, cols.shape[-1]).swapaxes(2, 3),
        )
        dw = per.sum(axis=0)
    return dw.reshape(w_shape)


# -- primitives ----------------------------------------------------------------------------


def _same_dtype(xp: Any, a: Any, b: Any) -> tuple[Any, Any]:
    if a.dtype == b.dtype:
        return a, b
    dt = xp.result_type(a, b)
    return a.astype(dt, copy=False), b.astype(dt, copy=False)


def _prepare(xp: Any, w: Any, cfg: ConvConfig) -> Any:
    """Knet's mode 0 is true convolution: correlate with the flipped filter; fold alpha in."""
    if cfg.mode == 0:
        w = xp.flip(w, axis=tuple(range(2, w.ndim)))
    if cfg.alpha != 1:
        w = w * cfg.alpha
    return w


@ag.primitive
def _conv(w: Any, x: Any, cfg: ConvConfig, saved: Saved) -> Any:
    xp = ag.xp_of(x)
    w, x = _same_dtype(xp, w, x)
    y, saved.columns = ag.run_kernel(
        "conv_forward",
        conv_forward,
        x,
        _prepare(xp, w, cfg),
        cfg.padding,
        cfg.stride,
        cfg.dilation,
        cfg.groups,
    )
    return y


@ag.primitive
def _conv_dx(dy: Any, w: Any, x_shape: tuple[int, ...], cfg: ConvConfig) -> Any:
    xp = ag.xp_of(dy)
    dy, w = _same_dtype(xp, dy, w)
    w = _prepare(xp, w, cfg)
    args = (x_shape, cfg.padding, cfg.stride, cfg.dilation, cfg.groups)
    return ag.run_kernel("conv_backward_data", conv_backward_data, dy, w, *args)


@ag.primitive
def _conv_dw(
    dy: Any, x: Any, w_shape: tuple[int, ...], cfg: ConvConfig, saved: Saved | None = None
) -> Any:
    xp = ag.xp_of(dy)
    dy, x = _same_dtype(xp, dy, x)
    columns = getattr(saved, "columns", None)
    if columns is not None and columns[1].dtype != dy.dtype:
        columns = None
    args = (w_shape, cfg.padding, cfg.stride, cfg.dilation, cfg.groups, columns)
    dw = ag.run_kernel("conv_backward_filter", conv_backward_filter, dy, x, *args)
    return _prepare(xp, dw, cfg)


ag.defvjp(
    _conv,
    lambda g, y, w, x, cfg, saved: _conv_dw(g, x, w.shape, cfg, saved),
    lambda g, y, w, x, cfg, saved: _conv_dx(g, w, x.shape, cfg),
)
ag.defvjp(
    _conv_dx,
    lambda g, y, dy, w, x_shape, cfg: _conv(w, g, cfg, Saved()),
    lambda g, y, dy, w, x_shape, cfg: _conv_dw(dy, g, w.shape, cfg),
)
ag.defvjp(
    _conv_dw,
    lambda g, y, dy, x, w_shape, cfg, saved=None: _conv(g, x, cfg, Saved()),
    lambda g, y, dy, x, w_shape, cfg, saved=None: _conv_dx(dy, g, x.shape, cfg),
)


# -- public ops ----------------------------------------------------------------------------

_LAYOUT = (
    "x (N, C, H, W) with w (O, C/groups, kH, kW), "
    "or x (N, C, D, H, W) with w (O, C/groups, kD, kH, kW)"
)


def _config(
    op: str, nd: int, padding: Any, stride: Any, dilation: Any, mode: Any, alpha: Any, groups: Any
) -> ConvConfig:
    if not is_int(mode) or mode not in (0, 1):
        raise op_error(
            op,
            f"mode must be 0 (convolution) or 1 (cross-correlation), got {mode!r}",
            ValueError if is_int(mode) else ArgumentTypeError,
        )
    if not isinstance(groups, int) or groups < 1:
        raise op_error(op, f"groups must be a positive int, got {groups!r}")
    return ConvConfig(
        spatial(padding, nd, "padding", op, 0),
        spatial(stride, nd, "stride", op, 1),
        spatial(dilation, nd, "dilation", op, 1),
        int(mode),
        alpha,
        groups,
    )


def _check_ranks(op: str, w_shape: tuple[int, ...], x_shape: tuple[int, ...], layout: str) -> int:
    if len(x_shape) not in (4, 5) or len(w_shape) != len(x_shape):
        raise op_error(op, f"expected {layout}; got w of shape {w_shape} and x of shape {x_shape}")
    return len(x_shape) - 2


def conv4(
    w: Any,
    x: Any,
    padding: int | tuple[int, ...] = 0,
    stride: int | tuple[int, ...] = 1,
    dilation: int | tuple[int, ...] = 1,
    mode: int = 0,
    alpha: float = 1,
    groups: int = 1,
) -> Any:
    """Knet's ``conv4``: 2-D or 3-D convolution of a batch ``x`` with filters ``w``.

    ``x`` is (N, C, H, W) or (N, C, D, H, W) and ``w`` is (O, C/groups, kH, kW) or
    (O, C/groups, kD, kH, kW); the result is (N, O, H', W') with
    ``H' = 1 + (H + 2*padding - dilation*(kH-1) - 1) // stride``. ``padding``, ``stride``
    and ``dilation`` are an int or one int per spatial dimension in array order (H, W).
    ``mode=0`` (Knet's default) is true convolution, which flips the filter; ``mode=1`` is
    cross-correlation (PyTorch's ``conv2d``). ``alpha`` scales the result. Differentiable in
    ``w`` and ``x`` to any order.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> x = np.arange(16.0, dtype=np.float32).reshape(1, 1, 4, 4)
        >>> w = np.ones((2, 1, 3, 3), dtype=np.float32)
        >>> nn.conv4(w, x, padding=1).shape
        (1, 2, 4, 4)
        >>> float(nn.conv4(w, x)[0, 0, 0, 0])
        45.0
    """
    backend_for("conv4", w, x)
    w_shape, x_shape = shape_of(w), shape_of(x)
    nd = _check_ranks("conv4", w_shape, x_shape, _LAYOUT)
    cfg = _config("conv4", nd, padding, stride, dilation, mode, alpha, groups)
    o, per_group = w_shape[0], w_shape[1]
    if x_shape[1] != per_group * groups or o % groups:
        raise op_error(
            "conv4",
            f"x has {x_shape[1]} channels (shape {x_shape}) but w of shape {w_shape} with "
            f"groups={groups} expects C = w.shape[1] * groups = {per_group * groups} input "
            f"channels and O = {o} divisible by groups; filters are (O, C/groups, kH, kW)",
        )
    out = conv_output_shape(x_shape[2:], w_shape[2:], cfg.padding, cfg.stride, cfg.dilation)
    if min(out) < 1:
        extent = tuple(d * (k - 1) + 1 for k, d in zip(w_shape[2:], cfg.dilation))
        padded = tuple(n + 2 * p for n, p in zip(x_shape[2:], cfg.padding))
        raise op_error(
            "conv4",
            f"the filter's extent {extent} (w of shape {w_shape}, dilation {cfg.dilation}) is "
            f"larger than the padded input {padded} (x of shape {x_shape}, padding "
            f"{cfg.padding}); use a smaller filter or more padding",
        )
    return _conv(w, x, cfg, Saved())


def deconv4(
    w: Any,
    x: Any,
    padding: int | tuple[int, ...] = 0,
    stride: int | tuple[int, ...] = 1,
    dilation: int | tuple[int, ...] = 1,
    mode: int = 0,
    alpha: float = 1,
    groups: int = 1,
    output_padding: int | tuple[int, ...] = 0,
) -> Any:
    """Knet's ``deconv4``: transposed convolution, the input gradient of :func:`conv4`.

    ``x`` is (N, C_in, H, W) (or 3-D spatial) and ``w`` is (C_in, C_out/groups, kH, kW)
    (PyTorch's ``conv_transpose`` layout). The output is (N, C_out, H', W') with Knet's
    ``H' = kH + stride*(H-1) - 2*padding`` (with dilation: ``dilation*(kH-1) + 1`` for kH),
    plus ``output_padding`` to choose among the sizes a strided conv4 maps to the same
    ``H``. ``padding``, ``stride`` and ``dilation`` are those of the convolution it reverses:
    ``conv4(w, deconv4(w, x, ...), ...)`` has the shape of ``x``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> x = np.ones((1, 3, 4, 4), dtype=np.float32)
        >>> w = np.ones((3, 2, 2, 2), dtype=np.float32)
        >>> nn.deconv4(w, x, stride=2).shape
        (1, 2, 8, 8)
    """
    backend_for("deconv4", w, x)
    w_shape, x_shape = shape_of(w), shape_of(x)
    layout = "x (N, C_in, H, W) with w (C_in, C_out/groups, kH, kW), or the 3-D spatial forms"
    nd = _check_ranks("deconv4", w_shape, x_shape, layout)
    cfg = _config("deconv4", nd, padding, stride, dilation, mode, alpha, groups)
    extra = spatial(output_padding, nd, "output_padding", "deconv4", 0)
    if any(e >= max(s, d) for e, s, d in zip(extra, cfg.stride, cfg.dilation)):
        raise op_error(
            "deconv4",
            f"output_padding {extra} must be smaller than the stride {cfg.stride} or the "
            f"dilation {cfg.dilation} in every dimension",
        )
    if x_shape[1] != w_shape[0] or w_shape[0] % groups:
        raise op_error(
            "deconv4",
            f"x has {x_shape[1]} channels (shape {x_shape}) but w of shape {w_shape} expects "
            f"C_in = w.shape[0] = {w_shape[0]} (divisible by groups={groups}); deconv4 "
            "filters are (C_in, C_out/groups, kH, kW)",
        )
    out = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + 1 + e
        for n, k, p, s, d, e in zip(
            x_shape[2:], w_shape[2:], cfg.padding, cfg.stride, cfg.dilation, extra
        )
    )
    if min(out) < 1:
        raise op_error(
            "deconv4",
            f"padding {cfg.padding} is too large: the output size would be {out} for x of "
            f"shape {x_shape} and w of shape {w_shape}",
        )
    y_shape = (x_shape[0], w_shape[1] * groups, *out)
    return _conv_dx(x, w, y_shape, cfg)
