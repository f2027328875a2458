"""Convolution layers: ``Conv`` (2-D and 3-D) and ``ConvTranspose``, on conv4/deconv4."""

from __future__ import annotations

from typing import Any

import plugrad_autograd as ag

from ._common import bool_arg, in_dtype_of, ints_arg, op_error
from ._conv import conv4, deconv4
from ._layers_activation import apply_activation, check_activation
from ._layers_base import Layer, positive_int, shape_of
from ._layers_init import Init, check_init, init_bias, init_weight

IntOrTuple = int | tuple[int, ...]


def _spatial(name: str, value: Any, nd: int, where: str, minimum: int) -> tuple[int, ...]:
    layout = "(H, W)" if nd == 2 else "(D, H, W)"
    what = f"an int >= {minimum} or a tuple of {nd} of them (array order, {layout})"
    items = ints_arg(where, name, value, (1, nd), minimum, what)
    return items * nd if len(items) == 1 else items


def _kernel_size(kernel_size: Any, where: str) -> tuple[int, ...]:
    nd = len(kernel_size) if isinstance(kernel_size, (tuple, list)) else 2
    if nd not in (2, 3):
        raise op_error(
            where,
            f"kernel_size must be an int (2-D), (kH, kW) or (kD, kH, kW), got {kernel_size!r}",
        )
    return _spatial("kernel_size", kernel_size, nd, where, 1)


def _options(layer: Any, names: tuple[str, ...]) -> str:
    nd = len(layer.kernel_size)
    defaults = {"stride": 1, "padding": 0, "output_padding": 0, "dilation": 1}
    parts = []
    for name in names:
        value = getattr(layer, name)
        if value != (defaults[name],) * nd:
            parts.append(f"{name}={value[0] if len(set(value)) == 1 else value}")
    if layer.groups != 1:
        parts.append(f"groups={layer.groups}")
    if layer.bias is None:
        parts.append("bias=False")
    if layer.activation:
        parts.append(layer.activation)
    return "".join(", " + p for p in parts)


class _ConvBase(Layer):
    """What Conv and ConvTranspose share: arguments, input check, bias and activation."""

    def _setup(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrTuple,
        stride: IntOrTuple,
        padding: IntOrTuple,
        dilation: IntOrTuple,
        groups: int,
        activation: str | None,
    ) -> int:
        where = type(self).__name__
        self.in_channels = positive_int("in_channels", in_channels, where)
        self.out_channels = positive_int("out_channels", out_channels, where)
        self.kernel_size = _kernel_size(kernel_size, where)
        nd = len(self.kernel_size)
        self.stride = _spatial("stride", stride, nd, where, 1)
        self.padding = _spatial("padding", padding, nd, where, 0)
        self.dilation = _spatial("dilation", dilation, nd, where, 1)
        self.groups = positive_int("groups", groups, where)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"{where}: in_channels {self.in_channels} and out_channels "
                f"{self.out_channels} must both be divisible by groups={self.groups}"
            )
        self.activation = check_activation(activation, where)
        return nd

    def _check(self, x: Any) -> None:
        shape = shape_of(x)
        nd = len(self.kernel_size)
        if len(shape) != nd + 2 or shape[1] != self.in_channels:
            layout = "(N, C, H, W)" if nd == 2 else "(N, C, D, H, W)"
            raise self.bad_input(
                f"expected input of shape {layout} with C = {self.in_channels} channels, "
                f"got shape {shape}"
            )

    def _finish(self, y: Any) -> Any:
        if self.bias is not None:
            nd = len(self.kernel_size)
            y = y + ag.reshape(self.bias, (1, self.out_channels) + (1,) * nd)
        return apply_activation(self.activation, y, axis=1)

    def _kernel_text(self) -> str:
        return "x".join(map(str, self.kernel_size))


@ag.serializable
class Conv(_ConvBase):
    """A 2-D or 3-D convolution layer (cross-correlation, like PyTorch and GradValley).

    ``kernel_size`` decides the dimension: an int or ``(kH, kW)`` for 2-D inputs
    (N, C, H, W), ``(kD, kH, kW)`` for 3-D inputs (N, C, D, H, W). ``weight`` is
    ``(out_channels, in_channels/groups, *kernel_size)`` and ``bias`` (out_channels,). Spatial
    arguments are an int or a tuple in array order. Built on :func:`conv4` with ``mode=1``.

    Args:
        in_channels: channels of the input.
        out_channels: channels of the output.
        kernel_size: the filter's spatial size.
        stride, padding, dilation: as in :func:`conv4`.
        groups: blocked connections; in and out channels must divide by it.
        bias: whether to add a learnable bias.
        activation: an activation name or None (softmax runs over the channels).
        init: ``"default"``, ``"xavier"``, ``"kaiming"`` (and their ``_normal`` forms) or
            a function ``f(*shape)``, as for :class:`Dense`.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> conv = nn.Conv(3, 8, 3, padding=1, activation="relu")
        >>> conv(np.zeros((2, 3, 16, 16), "float32")).shape
        (2, 8, 16, 16)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrTuple,
        stride: IntOrTuple = 1,
        padding: IntOrTuple = 0,
        dilation: IntOrTuple = 1,
        groups: int = 1,
        bias: bool = True,
        activation: str | None = None,
        init: Init = "default",
    ) -> None:
        self._setup(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, activation
        )
        use_bias = bool_arg(type(self).__name__, "bias", bias)
        init = check_init(init, type(self).__name__)
        shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        self.weight = ag.Param(init_weight(init, shape))
        self.bias = ag.Param(init_bias(init, self.out_channels, shape)) if use_bias else None

    def forward(self, x: Any) -> Any:
        """Convolve ``x`` (N, in_channels, ...) into (N, out_channels, ...)."""
        self._check(x)
        shape = shape_of(x)
        extent = tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation))
        padded = tuple(n + 2 * p for n, p in zip(shape[2:], self.padding))
        if any(e > n for e, n in zip(extent, padded)):
            raise self.bad_input(
                f"the input's spatial size {shape[2:]} (padded: {padded}) is smaller than the "
                f"kernel's extent {extent}; got shape {shape}"
            )
        y = conv4(
            self.weight,
            in_dtype_of(x, self.weight),
            padding=self.padding,
            stride=self.stride,
            dilation=self.dilation,
            mode=1,
            groups=self.groups,
        )
        return self._finish(y)

    def __repr__(self) -> str:
        options = _options(self, ("stride", "padding", "dilation"))
        return f"Conv({self.in_channels} -> {self.out_channels}, {self._kernel_text()}{options})"


@ag.serializable
class ConvTranspose(_ConvBase):
    """A transposed convolution layer (fractionally strided), built on :func:`deconv4`.

    The input gradient of the :class:`Conv` with the same arguments: a Conv that maps
    size H to H' has a ConvTranspose mapping H' back to H, where ``output_padding`` picks
    among the sizes a strided Conv maps to the same H'. The output size is
    ``(H - 1)*stride - 2*padding + dilation*(kH - 1) + output_padding + 1``. ``weight`` is
    ``(in_channels, out_channels/groups, *kernel_size)`` as in PyTorch.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> up = nn.ConvTranspose(8, 3, 3, stride=2, padding=1, output_padding=1)
        >>> up(np.zeros((2, 8, 16, 16), "float32")).shape
        (2, 3, 32, 32)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrTuple,
        stride: IntOrTuple = 1,
        padding: IntOrTuple = 0,
        output_padding: IntOrTuple = 0,
        dilation: IntOrTuple = 1,
        groups: int = 1,
        bias: bool = True,
        activation: str | None = None,
        init: Init = "default",
    ) -> None:
        nd = self._setup(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, activation
        )
        self.output_padding = _spatial("output_padding", output_padding, nd, "ConvTranspose", 0)
        if any(e >= max(s, d) for e, s, d in zip(self.output_padding, self.stride, self.dilation)):
            raise ValueError(
                f"ConvTranspose: output_padding {self.output_padding} must be smaller than the "
                f"stride {self.stride} or the dilation {self.dilation} in every dimension"
            )
        use_bias = bool_arg(type(self).__name__, "bias", bias)
        init = check_init(init, type(self).__name__)
        # As in PyTorch, the fans come from the weight's layout: its dimension 1
        # (out_channels/groups) times the kernel is the fan in.
        shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        self.weight = ag.Param(init_weight(init, shape))
        self.bias = ag.Param(init_bias(init, self.out_channels, shape)) if use_bias else None

    def forward(self, x: Any) -> Any:
        """Transposed convolution of ``x`` (N, in_channels, ...) into (N, out_channels, ...)."""
        self._check(x)
        shape = shape_of(x)
        out = tuple(
            (n - 1) * s - 2 * p + d * (k - 1) + e + 1
            for n, k, p, s, d, e in zip(
                shape[2:],
                self.kernel_size,
                self.padding,
                self.stride,
                self.dilation,
                self.output_padding,
            )
        )
        if min(out) < 1:
            raise self.bad_input(
                f"padding {self.padding} leaves no output for an input of spatial size "
                f"{shape[2:]} (output size {out}); got shape {shape}"
            )
        y = deconv4(
            self.weight,
            in_dtype_of(x, self.weight),
            padding=self.padding,
            stride=self.stride,
            dilation=self.dilation,
            mode=1,
            groups=self.groups,
            output_padding=self.output_padding,
        )
        return self._finish(y)

    def __repr__(self) -> str:
        options = _options(self, ("stride", "padding", "output_padding", "dilation"))
        return (
            f"ConvTranspose({self.in_channels} -> {self.out_channels}, "
            f"{self._kernel_text()}{options})"
        )
