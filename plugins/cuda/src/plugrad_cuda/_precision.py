"""float32 matmul precision on the GPU: full float32, or TF32 tensor cores.

cupy chooses the cuBLAS compute type of its float32 and complex64 ``dot``, ``tensordot``
and ``matmul``/``@`` of 1-D and 2-D arrays from a process-wide setting; batched ``matmul``
over 3-D and larger arrays does not consult it (cupy 14) and is not affected. Left alone,
the setting is taken from the ``CUPY_TF32`` environment variable at the first float32
matmul and fixed from then on; :func:`set_matmul_precision` sets it directly, at any time,
through ``cupy._core._routines_linalg.set_compute_type``. That function is not part of
cupy's documented API (it is there in cupy 14.2); if a cupy lacks it, the error says to
use ``CUPY_TF32`` instead.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from plugrad_backends import BackendError

from . import _cupy

PRECISIONS = ("highest", "tf32")


def _linalg(op: str) -> ModuleType:
    _cupy.require_device(op)
    try:
        from cupy._core import _routines_linalg as linalg
    except ImportError as exc:
        raise BackendError(f"{op}: this cupy has no compute-type switch ({exc})") from None
    if not hasattr(linalg, "set_compute_type"):
        raise BackendError(
            f"{op}: this cupy has no compute-type switch; set CUPY_TF32=1 in the environment "
            "before the first float32 matmul instead"
        )
    return linalg


def matmul_precision() -> str:
    """The precision of float32 matmuls on the GPU now: ``"highest"`` or ``"tf32"``.

    Example:
        >>> import plugrad_cuda
        >>> plugrad_cuda.matmul_precision()  # doctest: +SKIP
        'highest'
    """
    linalg = _linalg("matmul_precision")
    tf32 = linalg.get_compute_type(np.dtype(np.float32)) == linalg.COMPUTE_TYPE_TF32
    return "tf32" if tf32 else "highest"


def set_matmul_precision(precision: str) -> str:
    """Choose the precision of float32 matmuls on the GPU; returns the previous one.

    ``"highest"`` computes in float32 throughout (cuBLAS ``CUBLAS_COMPUTE_32F``); ``"tf32"``
    lets cuBLAS round the inputs to TF32 on tensor cores (``CUBLAS_COMPUTE_32F_FAST_TF32``):
    faster on Ampere and newer GPUs, but the inputs keep a 10-bit mantissa (about 3
    significant digits, against float32's 7) while sums stay in float32. GPUs older than
    compute capability 8.0 have no TF32: cupy warns and keeps float32, and
    :func:`matmul_precision` says ``"highest"``. The setting is process-wide, takes effect
    at the next matmul, and replaces whatever ``CUPY_TF32`` asked for. float16, float64 and
    integer matmuls, and batched matmuls of 3-D and larger arrays, are not affected.

    Raises:
        ValueError: ``precision`` is neither ``"highest"`` nor ``"tf32"``.
        BackendError: the CUDA backend cannot run here (the message says why).

    Example:
        >>> import plugrad_cuda
        >>> previous = plugrad_cuda.set_matmul_precision("tf32")  # doctest: +SKIP
        >>> plugrad_cuda.matmul_precision()  # doctest: +SKIP
        'tf32'
    """
    if precision not in PRECISIONS:
        raise ValueError(f"set_matmul_precision: expected 'highest' or 'tf32', got {precision!r}")
    linalg = _linalg("set_matmul_precision")
    previous = matmul_precision()
    compute = linalg.COMPUTE_TYPE_TF32 if precision == "tf32" else linalg.COMPUTE_TYPE_DEFAULT
    # One setting covers float32 and complex64: cupy keeps them in the same slot.
    linalg.set_compute_type(np.dtype(np.float32), compute)
    return previous
