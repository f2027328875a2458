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


def xp_of(*arrays: Any) -> ModuleType:
    """The array namespace (numpy, cupy, ...) of the given arrays.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.xp_of(np.zeros(2)).__name__
        'numpy'
    """
    return of(*arrays).xp
