"""Elementwise kernels: exp, log, tanh, sigm and the activations, forward and gradient.

Each takes the op's raw arguments and returns the result, or ``NotImplemented`` for inputs
it does not handle (not a numpy float32/float64 array, mixed dtypes), leaving them to the
portable path. Non-contiguous inputs are made contiguous first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _core

FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

# The compiled activation codes (enum Act in src/ext/elementwise.hpp).
CODES = {
    "relu": 0,
    "leaky_relu": 1,
    "elu": 2,
    "sigm": 3,
    "tanh": 4,
    "gelu": 5,
    "gelu_tanh": 6,
    "exp": 7,
    "log": 8,
}


def handles(*arrays: Any) -> bool:
    """True when every argument is a numpy float32/float64 array of one dtype and shape."""
    first = arrays[0]
    if type(first) is not np.ndarray or first.dtype not in FLOATS:
        return False
    for a in arrays[1:]:
        if type(a) is not np.ndarray or a.dtype != first.dtype or a.shape != first.shape:
            return False
    return True


def contiguous(a: np.ndarray) -> np.ndarray:
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)


def forward(name: str, x: Any, alpha: float = 0.0) -> Any:
    """``name(x)`` by the compiled loop, e.g. ``forward("tanh", x)``."""
    scalar = isinstance(x, np.generic)  # a numpy scalar gets the array's numbers, as a scalar
    x = _array(x)
    if not handles(x):
        return NotImplemented
    y = np.empty(x.shape, dtype=x.dtype)
    _core.activate(CODES[name], contiguous(x), y, alpha)
    return y[()] if scalar else y


def gradient(name: str, dy: Any, y: Any, x: Any, alpha: float = 0.0) -> Any:
    """``dy * name'(x)`` by the compiled loop (``y = name(x)`` is reused where it helps)."""
    scalar = isinstance(x, np.generic)
    dy, y, x = _array(dy), _array(y), _array(x)
    if not handles(dy, y, x):
        return NotImplemented
    dx = np.empty(x.shape, dtype=x.dtype)
    _core.activate_grad(CODES[name], contiguous(dy), contiguous(x), contiguous(y), dx, alpha)
    return dx[()] if scalar else dx


def _array(a: Any) -> Any:
    """A numpy scalar as a 0-d array (so that 0.3 and [0.3] give the same numbers)."""
    return np.asarray(a) if isinstance(a, np.generic) else a


def _forward_kernel(name: str) -> Callable[..., Any]:
    def kernel(x: Any) -> Any:
        return forward(name, x)

    kernel.__name__ = name
    return kernel


def _gradient_kernel(name: str) -> Callable[..., Any]:
    def kernel(dy: Any, y: Any, x: Any) -> Any:
        return gradient(name, dy, y, x)

    kernel.__name__ = f"{name}_grad"
    return kernel


def leaky_relu(x: Any, alpha: float = 0.01) -> Any:
    return forward("leaky_relu", x, alpha)


def leaky_relu_grad(dy: Any, y: Any, x: Any, alpha: float = 0.01) -> Any:
    return gradient("leaky_relu", dy, y, x, alpha)


def elu(x: Any, alpha: float = 1.0) -> Any:
    return forward("elu", x, alpha)


def elu_grad(dy: Any, y: Any, x: Any, alpha: float = 1.0) -> Any:
    return gradient("elu", dy, y, x, alpha)


def _gelu_name(approximate: Any) -> str | None:
    if approximate in (True, "tanh"):
        return "gelu_tanh"
    if approximate in (False, "none"):
        return "gelu"
    return None  # the op itself reports the bad value


def gelu(x: Any, approximate: Any = False) -> Any:
    name = _gelu_name(approximate)
    return NotImplemented if name is None else forward(name, x)


def gelu_grad(dy: Any, y: Any, x: Any, approximate: Any = False) -> Any:
    name = _gelu_name(approximate)
    return NotImplemented if name is None else gradient(name, dy, y, x)


# numpy's own SIMD loops for these (numpy 2.x, AVX-512) measured 1.4-5x faster than the
# compiled ones on one thread (benchmarks: float32 (256, 1024) tanh 94 us against 467 us),
# so the table leaves them to numpy; the compiled forms still serve inside the fused
# kernels (sigm, gelu, elu, softmax, nll) and are tested against numpy all the same.
SLOWER_THAN_NUMPY = ("exp", "log", "tanh")


def kernels(everything: bool = False) -> dict[str, Callable[..., Any]]:
    """The elementwise entries of the kernel table (``everything``: the slower ones too)."""
    table: dict[str, Callable[..., Any]] = {}
    for name in ("exp", "log", "tanh", "sigm", "relu"):
        if everything or name not in SLOWER_THAN_NUMPY:
            table[name] = _forward_kernel(name)
    for name in ("tanh", "sigm", "relu"):
        table[f"{name}_grad"] = _gradient_kernel(name)
    table.update(
        leaky_relu=leaky_relu,
        leaky_relu_grad=leaky_relu_grad,
        elu=elu,
        elu_grad=elu_grad,
        gelu=gelu,
        gelu_grad=gelu_grad,
    )
    return table
