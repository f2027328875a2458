"""The ``init=`` choice of layers (GradValley's ``init_mode``), on the functional initializers."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import plugrad_autograd as ag
import plugrad_backends as B

from ._init import fans, kaiming_normal, kaiming_uniform, xavier_normal, xavier_uniform

Init = str | Callable[..., Any]

# PyTorch's default for Linear and Conv: kaiming_uniform with a = sqrt(5), i.e. the bound
# gain * sqrt(3 / fan_in) with gain sqrt(2 / (1 + 5)), which is 1 / sqrt(fan_in).
_DEFAULT_GAIN = math.sqrt(1.0 / 3.0)

_WEIGHTS: dict[str, Callable[..., Any]] = {
    "default": lambda *shape: kaiming_uniform(*shape, gain=_DEFAULT_GAIN),
    "xavier": xavier_uniform,
    "xavier_normal": xavier_normal,
    "kaiming": kaiming_uniform,
    "kaiming_normal": kaiming_normal,
}
_ALIASES = {
    "default_uniform": "default",
    "xavier_uniform": "xavier",
    "kaiming_uniform": "kaiming",
}


def check_init(init: Init, where: str) -> Init:
    """Validate an ``init=`` value: a mode name (normalized) or a function ``f(*shape)``.

    Raises:
        ValueError: an unknown mode name (the message lists the valid ones).

    Example:
        >>> from plugrad_nn._layers_init import check_init
        >>> check_init("xavier_uniform", "Dense")
        'xavier'
    """
    if callable(init):
        return init
    if isinstance(init, str):
        key = _ALIASES.get(init.strip().lower(), init.strip().lower())
        if key in _WEIGHTS:
            return key
    names = ", ".join(sorted([*_WEIGHTS, *_ALIASES]))
    raise ValueError(
        f"{where}: unknown init {init!r}; valid modes: {names}, or a function f(*shape)"
    )


def init_weight(init: Init, shape: tuple[int, ...]) -> Any:
    """A weight array of ``shape`` drawn by a checked ``init`` (on the default backend)."""
    if callable(init):
        return B.array(ag.value(init(*shape)), dtype=B.default_dtype())
    return _WEIGHTS[init](*shape)


def init_bias(init: Init, n: int, weight_shape: tuple[int, ...]) -> Any:
    """A bias of length ``n``: PyTorch's ±1/sqrt(fan_in) for ``"default"``, else zeros."""
    backend, dtype = B.current(), B.default_dtype()
    if init != "default":
        return backend.asarray(backend.xp.zeros(n, dtype=dtype))
    bound = 1.0 / math.sqrt(max(fans(weight_shape)[0], 1))
    u = backend.asarray(backend.rng.random(n, dtype=dtype))
    return (2 * u - 1) * dtype.type(bound)
