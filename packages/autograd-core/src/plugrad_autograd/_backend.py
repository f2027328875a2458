"""Reaching the backend of an op's inputs (numpy, cupy, a plugin's) from op code."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from plugrad_backends import Backend, of

from ._tape import _raw


def backend_of(*arrays: Any) -> Backend:
    """The backend the (possibly boxed) arrays live on; raises on a mix of backends.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.backend_of(np.zeros(2)).name
        'cpu'
    """
    return of(*[_raw(a) for a in arrays])


# Array type -> namespace, for the one-array case every elementwise op hits: an array's
# type decides its backend once and for all.
_NAMESPACES: dict[type, ModuleType] = {}


def xp_of(*arrays: Any) -> ModuleType:
    """The array namespace (numpy, cupy, ...) of the given arrays.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.xp_of(np.zeros(2)).__name__
        'numpy'
    """
    if len(arrays) == 1:
        xp = _NAMESPACES.get(type(arrays[0]))
        if xp is not None:
            return xp
        xp = of(arrays[0]).xp
        if hasattr(arrays[0], "dtype"):
            _NAMESPACES[type(arrays[0])] = xp
        return xp
    return of(*arrays).xp


def run_kernel(name: str, portable: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``portable(*args)``, or the kernel ``name`` of ``args[0]``'s backend when it has one.

    A kernel plugin fills ``backend.kernels`` (the ``plugrad_kernels`` hook); a kernel
    returns ``NotImplemented`` for inputs it does not handle (a dtype, a layout), and those
    run the portable code. Arguments are raw arrays, never boxes.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> float(ag.run_kernel("no_such_kernel", np.negative, np.ones(1))[0])
        -1.0
    """
    kernel = of(args[0]).kernels.get(name)
    if kernel is not None:
        out = kernel(*args, **kwargs)
        if out is not NotImplemented:
            return out
    return portable(*args, **kwargs)
