"""Reaching the backend of an op's inputs (numpy, cupy, a plugin's) from op code."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugrad_backends import Backend, array_namespace, of

from ._tape import _raw


def backend_of(*arrays: Any) -> Backend:
    """The backend the (possibly boxed) arrays live on; raises on a mix of backends.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.backend_of(np.zeros(2)).name
        'cpu'
    """
    return of(*[_raw(a) for a in arrays])


# The array namespace (numpy, cupy, ...) of an op's raw arrays. It is the backends' own
# function, not a wrapper: every op calls it, and its per-type cache belongs to the
# backend registry, which clears it when plugins change (plugrad_backends.refresh).
xp_of = array_namespace


def run_kernel(name: str, portable: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``portable(*args)``, or the kernel ``name`` of the backend of the first array among
    ``args`` when that backend has one.

    The one dispatch of plugrad's ops to compiled kernels. A kernel plugin fills
    ``backend.kernels`` (the ``plugrad_kernels`` hook); a kernel takes the portable
    function's arguments and returns ``NotImplemented`` for inputs it does not handle (a
    dtype, a layout, an option), and those run the portable code. Arguments are raw arrays
    (never boxes) and plain values, such as the RNN's cell and run records before their
    arrays.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> float(ag.run_kernel("no_such_kernel", np.negative, np.ones(1))[0])
        -1.0
    """
    first = args[0] if hasattr(args[0], "dtype") else _first_array(args)
    kernel = of(first).kernels.get(name)
    if kernel is not None:
        out = kernel(*args, **kwargs)
        if out is not NotImplemented:
            return out
    return portable(*args, **kwargs)


def _first_array(args: tuple[Any, ...]) -> Any:
    return next((a for a in args if hasattr(a, "dtype")), None)
