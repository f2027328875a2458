"""``Linear``: a fully connected layer on the last axis of any input (PyTorch's nn.Linear)."""

from __future__ import annotations

from typing import Any

import plugrad_autograd as ag

from ._layers_base import Layer, positive_int, shape_of
from ._layers_init import Init, check_init, init_bias, init_weight


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """``x @ weight + bias`` on the last axis of ``x``; ``weight`` is (in, out).

    Leading axes are joined for one matrix product (one BLAS call forward and one per
    gradient), then restored.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.linear(np.ones((2, 3, 4)), np.ones((4, 5))).shape
        (2, 3, 5)
    """
    shape = shape_of(x)
    if len(shape) > 2:
        x = ag.reshape(x, (-1, shape[-1]))
    y = ag.matmul(x, weight)
    if bias is not None:
        y = y + bias
    if len(shape) > 2:
        y = ag.reshape(y, (*shape[:-1], shape_of(weight)[-1]))
    return y


@ag.serializable
class Linear(Layer):
    """A fully connected layer on the last axis: ``x @ weight + bias``.

    Any input ``(..., in_features)`` gives ``(..., out_features)``; nothing is flattened
    (unlike :class:`Dense`, which follows Knet and flattens to ``(N, -1)``). ``weight`` is
    (in_features, out_features), the transpose of PyTorch's ``nn.Linear.weight``; both are
    initialized as PyTorch's (uniform in ±1/sqrt(in_features)) by default.

    Args:
        in_features: the size of the input's last axis.
        out_features: the size of the output's last axis.
        bias: whether to add a learnable bias.
        init: as :class:`Dense`'s ``init``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> layer = nn.Linear(4, 3)
        >>> layer(np.ones((2, 5, 4), dtype="float32")).shape
        (2, 5, 3)
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, init: Init = "default"
    ) -> None:
        self.in_features = positive_int("in_features", in_features, "Linear")
        self.out_features = positive_int("out_features", out_features, "Linear")
        init = check_init(init, "Linear")
        shape = (self.in_features, self.out_features)
        self.weight = ag.Param(init_weight(init, shape))
        self.bias = ag.Param(init_bias(init, self.out_features, shape)) if bias else None

    def forward(self, x: Any) -> Any:
        """``x @ weight + bias`` for x of shape (..., in_features)."""
        shape = shape_of(x)
        if not shape or shape[-1] != self.in_features:
            raise self.bad_input(
                f"expected input (..., {self.in_features}) with {self.in_features} features "
                f"on its last axis, got shape {shape}"
            )
        return linear(x, self.weight, self.bias)

    def __repr__(self) -> str:
        extra = "" if self.bias is not None else ", bias=False"
        return f"Linear({self.in_features} -> {self.out_features}{extra})"
