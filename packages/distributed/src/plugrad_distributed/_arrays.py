"""Turning what users pass (arrays, Params, numbers) into contiguous arrays the backends move."""

from __future__ import annotations

from typing import Any

import numpy as np

import plugrad_backends
from plugrad_autograd import Param

from ._communicator import OPS


def as_array(x: Any, fn: str) -> Any:
    """A contiguous copy of ``x`` (array of any backend, Param, number or list) on its backend."""
    if isinstance(x, Param):
        x = x.value
    if x is None or isinstance(x, (str, bytes, dict)):
        raise TypeError(
            f"plugrad_distributed.{fn}: expected an array, a Param or a number, got "
            f"{type(x).__name__}"
        )
    backend = plugrad_backends.of(x)
    if not isinstance(x, backend.array_types):
        x = np.asarray(x)
        backend = plugrad_backends.of(x)
    out = backend.xp.array(x, copy=True, order="C")
    check_dtype(out.dtype, fn)
    return out


def check_dtype(dtype: Any, fn: str) -> None:
    """Refuse dtypes that MPI and NCCL have no type for, naming the fix."""
    if np.dtype(dtype).kind not in "biufc":
        raise TypeError(
            f"plugrad_distributed.{fn}: arrays of dtype {dtype} cannot be communicated; use a "
            f"numeric dtype (float32, float64, int64, bool, ...)"
        )


def check_op(op: str, dtype: Any, fn: str) -> None:
    """``op`` must be one of sum/mean/max/min and make sense for ``dtype``."""
    if op not in (*OPS, "mean"):
        raise ValueError(
            f"plugrad_distributed.{fn}: op must be one of 'sum', 'mean', 'max', 'min', got {op!r}"
        )
    kind = np.dtype(dtype).kind
    if op == "mean" and kind not in "fc":
        raise TypeError(
            f"plugrad_distributed.{fn}: op='mean' needs a float array, got dtype {dtype}; use "
            f"op='sum' and divide, or convert first, e.g. x.astype('float64')"
        )
    if op in ("max", "min") and kind == "c":
        raise TypeError(
            f"plugrad_distributed.{fn}: op={op!r} is not defined for complex dtype {dtype}"
        )


def backend_name(x: Any) -> str:
    """The array backend's name for ``x`` (``"cpu"``, ``"cuda"``)."""
    return plugrad_backends.of(x).name


def wire(flat: Any, op: str) -> tuple[Any, str]:
    """The buffer and op the communication backend gets for ``op`` on ``flat``.

    ``mean`` travels as ``sum`` (divided afterwards). MPI defines no arithmetic on booleans,
    so they travel as bytes, where numpy's boolean ``sum`` (logical or) is ``max``.
    """
    if flat.dtype.kind == "b":
        return flat.view("uint8"), "min" if op == "min" else "max"
    return flat, "sum" if op == "mean" else op
