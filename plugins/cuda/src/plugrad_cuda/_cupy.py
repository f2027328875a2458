"""The one place that imports cupy: lazily, once, keeping the reason when it cannot run.

Nothing here runs when ``plugrad_cuda`` is imported. The first question about the backend
(``is_available()``, ``xp``, ...) imports cupy and asks the CUDA runtime how many devices it
sees; both answers are kept for the life of the process, so a missing cupy or driver is
diagnosed once and reported the same way everywhere.
"""

from __future__ import annotations

import functools
import operator
import os
from types import ModuleType
from typing import Any

from plugrad_backends import BackendError

INSTALL = "pip install cupy-cuda12x"


@functools.cache
def import_cupy() -> tuple[ModuleType | None, str | None]:
    """``(cupy, None)``, or ``(None, why cupy cannot be imported)``."""
    try:
        import cupy
    except Exception as exc:  # a broken cupy install must not break plugrad on the CPU
        if isinstance(exc, ModuleNotFoundError) and exc.name == "cupy":
            return None, f"cupy is not installed: {INSTALL}"
        return None, (
            f"cupy is installed but failed to import ({type(exc).__name__}: {exc}); "
            f"install the cupy wheel that matches your CUDA version, e.g. {INSTALL}"
        )
    return cupy, None


@functools.cache
def unavailable_reason() -> str | None:
    """Why the CUDA backend cannot run here (what is missing), or None when it can."""
    cupy, reason = import_cupy()
    if cupy is None:
        return reason
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CUDARuntimeError: no driver, a driver too old, no device
        return f"cupy imported but no CUDA device is visible: {exc}{visible_devices_note()}"
    if count < 1:
        return (
            "cupy imported but no CUDA device is visible: getDeviceCount() returned "
            f"{count}{visible_devices_note()}"
        )
    return None


def visible_devices_note() -> str:
    """`` (CUDA_VISIBLE_DEVICES='...')`` when that variable is set, else ``""``."""
    value = os.environ.get("CUDA_VISIBLE_DEVICES")
    return "" if value is None else f" (CUDA_VISIBLE_DEVICES={value!r})"


def require_cupy(op: str) -> ModuleType:
    """cupy, or a BackendError naming ``op`` and why cupy cannot be imported."""
    cupy, reason = import_cupy()
    if cupy is None:
        raise BackendError(f"{op}: the CUDA backend cannot run: {reason}")
    return cupy


def require_device(op: str) -> ModuleType:
    """cupy with at least one visible device, or a BackendError naming ``op`` and the reason."""
    reason = unavailable_reason()
    if reason is not None:
        raise BackendError(f"{op}: the CUDA backend cannot run: {reason}")
    return require_cupy(op)


def check_device(cupy: ModuleType, device: Any, op: str) -> int:
    """``device`` as a valid device id, or an error saying how many devices exist."""
    if isinstance(device, bool):
        raise TypeError(f"{op}: a CUDA device id is an int, got {device!r}")
    try:
        device = operator.index(device)
    except TypeError:
        raise TypeError(f"{op}: a CUDA device id is an int, got {device!r}") from None
    count = cupy.cuda.runtime.getDeviceCount()
    if not 0 <= device < count:
        raise ValueError(
            f"{op}: there is no CUDA device {device}; {count} device(s) visible, "
            f"ids 0 to {count - 1}{visible_devices_note()}"
        )
    return device
