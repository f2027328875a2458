"""Reaching the backend of an op's inputs (numpy, cupy, a plugin's) from op code."""

from __future__ import annotations

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
