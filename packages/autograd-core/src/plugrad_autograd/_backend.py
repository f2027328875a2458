"""Reaching the backend of an op's inputs (numpy, cupy, a plugin's) from op code."""

from __future__ import annotations

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
