"""Layers without parameters: ``Identity``, ``Reshape``, ``Flatten``, ``Softmax``."""

from __future__ import annotations

from typing import Any

import plugrad_autograd as ag

from ._activations import softmax
from ._common import ArgumentTypeError, ints_arg, is_int, op_error, refuse_keywords
from ._layers_activation import apply_activation, check_activation
from ._layers_base import Layer, shape_of


@ag.serializable
class Identity(Layer):
    """Passes its input through, applying ``activation`` when one is given.

    A placeholder, or an activation as a layer: ``Identity("relu")``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.Identity("relu")(np.array([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """

    def __init__(self, activation: str | None = None) -> None:
        self.activation = check_activation(activation, "Identity")

    def forward(self, x: Any) -> Any:
        """``activation(x)``, or ``x``."""
        return apply_activation(self.activation, x, axis=-1)

    def __repr__(self) -> str:
        return f"Identity({self.activation})" if self.activation else "Identity()"


def _instances(layer: Layer, x: Any) -> tuple[int, ...]:
    shape = shape_of(x)
    if not shape:
        raise layer.bad_input(f"expected a batch with instances along axis 0, got shape {shape}")
    return shape


@ag.serializable
class Reshape(Layer):
    """Reshape every instance: ``(N, ...)`` to ``(N, *shape)``; axis 0 is kept.

    One entry of ``shape`` may be -1 (inferred). ``activation`` (a name, as GradValley's
    ``activation_function``) is applied after reshaping; softmax along the last axis.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.Reshape((4, 4))(np.zeros((2, 16))).shape
        (2, 4, 4)
    """

    def __init__(self, shape: int | tuple[int, ...], activation: str | None = None) -> None:
        what = "positive ints with at most one -1"
        items = ints_arg("Reshape", "shape", shape, range(1, 1 << 16), -1, what)
        if 0 in items or items.count(-1) > 1:
            raise op_error("Reshape", f"shape must be {what}, got {shape!r}")
        self.shape = items
        self.activation = check_activation(activation, "Reshape")

    def forward(self, x: Any) -> Any:
        """``x`` reshaped to ``(N, *shape)``."""
        shape = _instances(self, x)
        size = 1
        for n in shape[1:]:
            size *= n
        known = 1
        for n in self.shape:
            known *= n if n != -1 else 1
        if (-1 in self.shape and size % known) or (-1 not in self.shape and size != known):
            raise self.bad_input(
                f"expected instances of {known} elements (to reshape to {self.shape}), got "
                f"shape {shape} ({size} elements per instance)"
            )
        y = ag.reshape(x, (shape[0], *self.shape))
        return apply_activation(getattr(self, "activation", None), y, axis=-1)

    def __repr__(self) -> str:
        act = getattr(self, "activation", None)
        return f"Reshape({self.shape}, activation={act!r})" if act else f"Reshape({self.shape})"


@ag.serializable
class Flatten(Layer):
    """Flatten every instance: (N, ...) to (N, -1), Knet's ``mat``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.Flatten()(np.zeros((2, 3, 4, 4))).shape
        (2, 48)
    """

    def forward(self, x: Any) -> Any:
        """``x`` reshaped to (N, -1)."""
        shape = _instances(self, x)
        size = 1
        for n in shape[1:]:
            size *= n
        return ag.reshape(x, (shape[0], size))

    def __repr__(self) -> str:
        return "Flatten()"


@ag.serializable
class Softmax(Layer):
    """Softmax along ``axis`` (the last by default): every slice along it sums to 1.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.Softmax()(np.zeros((1, 4))).tolist()
        [[0.25, 0.25, 0.25, 0.25]]
    """

    def __init__(self, axis: int = -1, **unknown: Any) -> None:
        refuse_keywords("Softmax", unknown)  # e.g. PyTorch's nn.Softmax(dim=1): say axis=
        if not is_int(axis):
            raise op_error(
                "Softmax",
                f"axis must be an int, got {type(axis).__name__} {axis!r}",
                ArgumentTypeError,
            )
        self.axis = int(axis)

    def forward(self, x: Any) -> Any:
        """``softmax(x, axis=self.axis)``."""
        ndim = len(shape_of(x))
        if not -ndim <= self.axis < ndim:
            raise self.bad_input(f"axis {self.axis} is out of range for shape {shape_of(x)}")
        return softmax(x, axis=self.axis)

    def __repr__(self) -> str:
        return f"Softmax(axis={self.axis})"
