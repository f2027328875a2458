"""``to``: move and cast every parameter and layer state of a model in place."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np

import plugrad_autograd as ag
import plugrad_backends as B

from ._layers_base import Layer, objects

M = TypeVar("M")


def _is_array(x: Any) -> bool:
    if isinstance(x, (ag.Param, ag.Value)) or not hasattr(x, "dtype"):
        return False
    try:
        backend = B.of(x)
    except B.BackendError:
        return False
    return isinstance(x, backend.array_types) and not isinstance(x, np.generic)


def _holds_state(obj: Any) -> bool:
    cls = type(obj)
    return isinstance(obj, Layer) or ag.serializable_class(ag.serializable_name(cls)) is cls


def to(model: M, device: str | B.Backend | None = None, dtype: Any = None) -> M:
    """Move every Param of ``model`` to ``device`` and cast it to ``dtype``, in place.

    ``model`` is any object: the Params are found as ``plugrad_autograd.params`` finds
    them. The arrays held by layers and registered classes besides Params (BatchNorm's
    running moments, recurrent states) move with them. ``device=None`` keeps each array
    where it is; ``dtype`` applies to floating-point arrays only (integer state keeps its
    type). Returns ``model``. Call it outside ``diff``.

    Raises:
        BackendError: ``device`` is unknown or cannot run here.
        TypeError: ``dtype`` is not a floating-point type.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> layer = nn.to(nn.Dense(3, 2), device="cpu", dtype=np.float64)
        >>> layer.weight.value.dtype
        dtype('float64')
    """
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(
                f"to: dtype must be a floating-point type such as float32, got {dtype}; "
                f"parameters are real numbers"
            )
    if device is not None:
        device = B.get(device)

    def move(x: Any) -> Any:
        cast = dtype if dtype is not None and x.dtype.kind == "f" else None
        return B.array(x, device=device if device is not None else B.of(x), dtype=cast)

    for p in ag.params(model):
        p.value = move(p.value)
    for obj in objects(model):
        if _holds_state(obj):
            for name, x in list(getattr(obj, "__dict__", {}).items()):
                if _is_array(x):
                    setattr(obj, name, move(x))
    return model
