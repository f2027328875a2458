"""Pooling layers: ``MaxPool``, ``AvgPool`` and the adaptive ones, on the functional pool."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

import plugrad_autograd as ag
import plugrad_backends as B

from ._common import ints_arg
from ._layers_activation import apply_activation, check_activation
from ._layers_base import Layer, shape_of
from ._pool import pool

IntOrTuple = int | tuple[int, ...]


def _spatial(name: str, value: Any, where: str, minimum: int) -> IntOrTuple:
    what = f"an int >= {minimum} or a tuple of 2 or 3 of them (array order: (H, W) or (D, H, W))"
    items = ints_arg(where, name, value, (1, 2, 3), minimum, what)
    return items if isinstance(value, (tuple, list)) else items[0]


def _text(value: IntOrTuple) -> str:
    return str(value) if isinstance(value, int) else "x".join(map(str, value))


def _spatial_shape(layer: Layer, x: Any, *sizes: IntOrTuple | None) -> tuple[int, ...]:
    """The input's shape, checked to be (N, C, H, W) or (N, C, D, H, W) as ``sizes`` ask."""
    shape = shape_of(x)
    fixed = {len(s) for s in sizes if isinstance(s, tuple)}
    nd = fixed.pop() if len(fixed) == 1 else None
    if fixed or len(shape) not in (4, 5) or (nd is not None and len(shape) != nd + 2):
        layout = {2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}.get(
            nd, "(N, C, H, W) or (N, C, D, H, W)"
        )
        raise layer.bad_input(f"expected input of shape {layout}, got shape {shape}")
    return shape


def _full(value: IntOrTuple, nd: int) -> tuple[int, ...]:
    return value if isinstance(value, tuple) else (value,) * nd


def _dilated_pool(x: Any, window: tuple, padding: tuple, stride: tuple, dilation: tuple, mode: int):
    """Pooling over dilated windows (GradValley's ``dilation``), as differentiable slices.

    Window element ``o`` (per axis) reads input ``i*stride + o*dilation - padding``; the
    output size is ``(n + 2p - dilation*(k - 1) - 1) // stride + 1``. Max pooling pads
    with -inf (padding never wins; tied maxima share the gradient) and, as :func:`pool`
    by default, lets no NaN win (a window of NaN only gives NaN); mode 1 averages over the
    whole window, mode 2 over its real inputs only.
    """
    raw = ag.value(x)
    xp, dtype = ag.xp_of(raw), raw.dtype
    sizes = shape_of(x)[2:]
    out = [(n + 2 * p - d * (k - 1) - 1) // s + 1
           for n, k, p, s, d in zip(sizes, window, padding, stride, dilation)]  # fmt: skip
    maxpool = mode in (0, 3)
    fill = -np.inf if maxpool else 0.0
    nan = xp.isnan(raw) if maxpool and dtype.kind == "f" else None
    if nan is not None and bool(nan.any()):
        x, ones = ag.where(nan, fill, x), (~nan).astype(dtype)  # count the non-NaN inputs
    else:
        nan, ones = None, xp.ones((1, 1, *sizes), dtype=dtype)
    padded = x
    for axis, p in enumerate(padding, start=2):
        if p:
            side = list(shape_of(padded))
            side[axis] = p
            pad = xp.full(side, fill, dtype=dtype)
            padded = ag.concat([pad, padded, pad], axis=axis)
            zeros = xp.zeros((*ones.shape[:axis], p, *ones.shape[axis + 1 :]), dtype=dtype)
            ones = xp.concatenate([zeros, ones, zeros], axis=axis)
    total, count = None, 0
    for offset in itertools.product(*(range(k) for k in window)):
        index = (slice(None), slice(None)) + tuple(
            slice(o * d, o * d + s * (m - 1) + 1, s)
            for o, d, s, m in zip(offset, dilation, stride, out)
        )
        view = padded[index]
        count = count + ones[index]
        if total is None:
            total = view
        else:
            total = ag.maximum(total, view) if mode in (0, 3) else total + view
    if maxpool:
        return total if nan is None else ag.where(count == 0, np.nan, total)
    return total * (1.0 / prod_of(window)) if mode == 1 else total / count


def prod_of(sizes: tuple[int, ...]) -> int:
    n = 1
    for k in sizes:
        n *= k
    return n


class _Pool(Layer):
    """Window pooling on :func:`pool`; subclasses choose the pool mode."""

    def __init__(
        self,
        kernel_size: IntOrTuple,
        stride: IntOrTuple | None = None,
        padding: IntOrTuple = 0,
        dilation: IntOrTuple = 1,
        activation: str | None = None,
    ) -> None:
        where = type(self).__name__
        self.kernel_size = _spatial("kernel_size", kernel_size, where, 1)
        self.stride = None if stride is None else _spatial("stride", stride, where, 1)
        self.padding = _spatial("padding", padding, where, 0)
        self.dilation = _spatial("dilation", dilation, where, 1)
        self.activation = check_activation(activation, where)

    def _pool_mode(self) -> int:
        raise NotImplementedError

    def forward(self, x: Any) -> Any:
        """Pool ``x`` of shape (N, C, H, W) or (N, C, D, H, W) over the spatial axes."""
        dilation = getattr(self, "dilation", 1)  # layers saved before dilation= have none
        shape = _spatial_shape(self, x, self.kernel_size, self.stride, self.padding, dilation)
        nd = len(shape) - 2
        window, padding = _full(self.kernel_size, nd), _full(self.padding, nd)
        dilation = _full(dilation, nd)
        span = tuple(d * (k - 1) + 1 for k, d in zip(window, dilation))
        padded = tuple(n + 2 * p for n, p in zip(shape[2:], padding))
        dilated = any(d != 1 for d in dilation)
        if any(k > n for k, n in zip(span, padded)):
            spans = f" (spanning {span} with dilation {dilation})" if dilated else ""
            raise self.bad_input(
                f"the window {window}{spans} is larger than the input's spatial size "
                f"{shape[2:]} (padded: {padded}); got shape {shape}"
            )
        maxpool = self._pool_mode() in (0, 3)
        if dilated and maxpool and any(p >= k for p, k in zip(padding, span)):
            raise self.bad_input(
                f"max pooling needs padding {padding} smaller than the window's span {span}"
            )
        stride = window if self.stride is None else _full(self.stride, nd)
        if dilated:
            y = _dilated_pool(x, window, padding, stride, dilation, self._pool_mode())
        else:
            y = pool(x, window=window, padding=padding, stride=stride, mode=self._pool_mode())
        return apply_activation(getattr(self, "activation", None), y, axis=1)

    def __repr__(self) -> str:
        parts = [_text(self.kernel_size)]
        if self.stride is not None and self.stride != self.kernel_size:
            parts.append(f"stride={_text(self.stride)}")
        if self.padding:
            parts.append(f"padding={_text(self.padding)}")
        if getattr(self, "dilation", 1) not in (1, (1, 1), (1, 1, 1)):
            parts.append(f"dilation={_text(self.dilation)}")
        if getattr(self, "activation", None):
            parts.append(f"activation={self.activation!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


@ag.serializable
class MaxPool(_Pool):
    """Max pooling over windows of ``kernel_size`` (2-D or 3-D, from the input's rank).

    ``stride`` defaults to the window; ``padding`` never wins the maximum, nor does a
    NaN input (Knet's default; see :func:`pool`). Spatial arguments are an int or a tuple
    in array order. ``dilation`` spaces the window's
    elements (GradValley's and PyTorch's); ``activation`` (a name, see :class:`Dense`) is
    applied to the output, softmax over the channels.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> x = np.arange(16.0, dtype="float32").reshape(1, 1, 4, 4)
        >>> nn.MaxPool(2)(x)[0, 0].tolist()
        [[5.0, 7.0], [13.0, 15.0]]
    """

    def _pool_mode(self) -> int:
        return 0


@ag.serializable
class AvgPool(_Pool):
    """Average pooling over windows of ``kernel_size`` (2-D or 3-D, from the input's rank).

    ``stride`` defaults to the window. Padded zeros count in the average, as in PyTorch
    and GradValley; ``count_include_pad=False`` averages over the real inputs only.
    ``dilation`` spaces the window's elements (GradValley's); ``activation`` (a name) is
    applied to the output, softmax over the channels.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> x = np.arange(16.0, dtype="float32").reshape(1, 1, 4, 4)
        >>> nn.AvgPool(2)(x)[0, 0].tolist()
        [[2.5, 4.5], [10.5, 12.5]]
    """

    def __init__(
        self,
        kernel_size: IntOrTuple,
        stride: IntOrTuple | None = None,
        padding: IntOrTuple = 0,
        count_include_pad: bool = True,
        dilation: IntOrTuple = 1,
        activation: str | None = None,
    ) -> None:
        super().__init__(kernel_size, stride, padding, dilation, activation)
        self.count_include_pad = bool(count_include_pad)

    def _pool_mode(self) -> int:
        return 1 if self.count_include_pad else 2


def adaptive_bins(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive pooling bins: ``[floor(i*size/out), ceil((i+1)*size/out))``.

    Example:
        >>> from plugrad_nn._layers_pool import adaptive_bins
        >>> adaptive_bins(5, 3)
        [(0, 2), (1, 4), (3, 5)]
    """
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _move_last(x: Any, axis: int) -> Any:
    return x if axis == len(shape_of(x)) - 1 else ag.swapaxes(x, axis, -1)


class _AdaptivePool(Layer):
    """Pooling to a fixed output size with PyTorch's bins, on :func:`pool` when uniform."""

    def __init__(self, output_size: IntOrTuple, activation: str | None = None) -> None:
        where = type(self).__name__
        self.output_size = _spatial("output_size", output_size, where, 1)
        self.activation = check_activation(activation, where)

    def forward(self, x: Any) -> Any:
        """Pool ``x`` (N, C, H, W) or (N, C, D, H, W) to ``output_size``, then activate."""
        return apply_activation(getattr(self, "activation", None), self._pooled(x), axis=1)

    def _pooled(self, x: Any) -> Any:
        shape = _spatial_shape(self, x, self.output_size)
        sizes = shape[2:]
        out = _full(self.output_size, len(sizes))
        if all(n % m == 0 for n, m in zip(sizes, out)):
            window = tuple(n // m for n, m in zip(sizes, out))
            return pool(x, window=window, stride=window, mode=self._pool_mode())
        for axis, (n, m) in enumerate(zip(sizes, out), start=2):
            if n != m:
                x = self._along(x, axis, n, m)
        return x

    def _along(self, x: Any, axis: int, size: int, out: int) -> Any:
        raise NotImplementedError

    def _pool_mode(self) -> int:
        raise NotImplementedError

    def __repr__(self) -> str:
        act = getattr(self, "activation", None)
        extra = f", activation={act!r}" if act else ""
        return f"{type(self).__name__}({_text(self.output_size)}{extra})"


@ag.serializable
class AdaptiveMaxPool(_AdaptivePool):
    """Max pooling to a fixed spatial ``output_size``, for any input size.

    Output element ``i`` (per axis) takes the maximum over inputs
    ``floor(i*in/out) <= j < ceil((i+1)*in/out)`` (PyTorch's bins; an output larger than
    the input repeats inputs). Uniform bins run on :func:`pool`, others on a gather.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> x = np.arange(5.0, dtype="float32").reshape(1, 1, 1, 5)
        >>> nn.AdaptiveMaxPool((1, 3))(x).tolist()
        [[[[1.0, 3.0, 4.0]]]]
    """

    def _pool_mode(self) -> int:
        return 0

    def _along(self, x: Any, axis: int, size: int, out: int) -> Any:
        bins = adaptive_bins(size, out)
        width = max(end - start for start, end in bins)
        # Short bins repeat their last index: a repeated element leaves the maximum (and,
        # as ties share the gradient and repeats add back up, the gradient) unchanged.
        index = np.array(
            [[min(start + k, end - 1) for k in range(width)] for start, end in bins]
        ).reshape(-1)
        moved = _move_last(x, axis)
        gathered = ag.take(moved, B.array(index, device=ag.backend_of(x)), axis=-1)
        gathered = ag.reshape(gathered, (*gathered.shape[:-1], out, width))
        return _move_last(ag.max(gathered, axis=-1), axis)


@ag.serializable
class AdaptiveAvgPool(_AdaptivePool):
    """Average pooling to a fixed spatial ``output_size``, for any input size.

    Output element ``i`` (per axis) averages inputs
    ``floor(i*in/out) <= j < ceil((i+1)*in/out)`` (PyTorch's bins; an output larger than
    the input repeats inputs). Uniform bins run on :func:`pool`, others as a product with
    a small averaging matrix per axis.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> x = np.arange(5.0, dtype="float32").reshape(1, 1, 1, 5)
        >>> nn.AdaptiveAvgPool((1, 3))(x).tolist()
        [[[[0.5, 2.0, 3.5]]]]
    """

    def _pool_mode(self) -> int:
        return 1

    def _along(self, x: Any, axis: int, size: int, out: int) -> Any:
        weights = np.zeros((size, out))
        for i, (start, end) in enumerate(adaptive_bins(size, out)):
            weights[start:end, i] = 1.0 / (end - start)
        averaging = B.array(weights, device=ag.backend_of(x), dtype=ag.value(x).dtype)
        return _move_last(ag.matmul(_move_last(x, axis), averaging), axis)
