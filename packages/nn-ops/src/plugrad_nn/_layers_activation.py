"""The ``activation=`` strings of layers: names checked at construction, applied on call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import plugrad_autograd as ag

from . import _activations as act

_ELEMENTWISE: dict[str, Callable[[Any], Any]] = {
    "relu": act.relu,
    "sigmoid": act.sigm,
    "tanh": ag.tanh,
    "elu": act.elu,
    "selu": act.selu,
    "gelu": act.gelu,
    "gelu_tanh": lambda x: act.gelu(x, approximate="tanh"),
    "silu": act.silu,
    "softplus": act.softplus,
}
_VALID = ("identity", *_ELEMENTWISE, "leaky_relu", "leaky_relu:<slope>", "softmax")


def check_activation(name: str | None, where: str) -> str | None:
    """Validate an ``activation=`` value and return its stored form (None for identity).

    Raises:
        ValueError: ``name`` is not one of the valid names (the message lists them).

    Example:
        >>> from plugrad_nn._layers_activation import check_activation
        >>> check_activation("leaky_relu:0.2", "Dense"), check_activation("identity", "Dense")
        ('leaky_relu:0.2', None)
    """
    if name is None:
        return None
    if not isinstance(name, str):
        raise TypeError(
            f"{where}: activation must be a string name or None, got {type(name).__name__}; "
            f"store a name such as 'relu' so the layer can be saved"
        )
    key = name.strip().lower()
    if key == "identity":
        return None
    if key in _ELEMENTWISE or key == "softmax" or _leaky_slope(key) is not None:
        return key
    raise _unknown(name, where)


def _unknown(name: Any, where: str) -> ValueError:
    return ValueError(
        f"{where}: unknown activation {name!r}; valid names: {', '.join(_VALID)} or None"
    )


def _leaky_slope(name: str) -> float | None:
    """The slope of ``"leaky_relu"`` (0.01) or ``"leaky_relu:<slope>"``; None for other names."""
    if name == "leaky_relu":
        return 0.01
    if not name.startswith("leaky_relu:"):
        return None
    try:
        return float(name.split(":", 1)[1])
    except ValueError:
        return None


def apply_activation(name: str | None, y: Any, axis: int = -1) -> Any:
    """Apply a checked activation to ``y``; softmax normalizes along ``axis``.

    Raises:
        ValueError: ``name`` is not a valid activation (the message lists the valid ones).

    Example:
        >>> import numpy as np
        >>> from plugrad_nn._layers_activation import apply_activation
        >>> apply_activation("relu", np.array([-1.0, 2.0])).tolist()
        [0.0, 2.0]
    """
    if name is None:
        return y
    f = _ELEMENTWISE.get(name)
    if f is not None:
        return f(y)
    if name == "softmax":
        return act.softmax(y, axis=axis)
    slope = _leaky_slope(name) if isinstance(name, str) else None
    if slope is None:  # e.g. a renamed field in a saved file: never guess
        raise _unknown(name, "apply_activation")
    return act.leaky_relu(y, slope)
