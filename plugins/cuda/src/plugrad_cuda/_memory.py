"""GPU memory: what cupy's pool holds, and Knet's ``gc`` to give the cached part back."""

from __future__ import annotations

import gc as _python_gc
from dataclasses import dataclass

from . import _cupy


@dataclass(frozen=True)
class MemoryInfo:
    """Memory of one device, in bytes.

    Attributes:
        device: the device id.
        pool_used: bytes held by live cupy arrays.
        pool_total: bytes cupy's default pool holds from the device: ``pool_used`` plus
            freed blocks kept for reuse (:func:`gc` returns those).
        device_used: bytes in use on the device by every process (the CUDA context too).
        device_total: the device's memory.
    """

    device: int
    pool_used: int
    pool_total: int
    device_used: int
    device_total: int

    def __str__(self) -> str:
        mib = 2**20
        return (
            f"cuda:{self.device}: pool {self.pool_used / mib:.1f} MiB used of "
            f"{self.pool_total / mib:.1f} MiB held; device {self.device_used / mib:.1f} MiB "
            f"used of {self.device_total / mib:.1f} MiB"
        )


def memory_info(device: int | None = None) -> MemoryInfo:
    """Memory of cupy's default pool and of ``device`` (the active device if None).

    Raises:
        BackendError: the CUDA backend cannot run here (the message says why).
        ValueError: no such device.

    Example:
        >>> import plugrad_cuda
        >>> info = plugrad_cuda.memory_info()  # doctest: +SKIP
        >>> info.pool_used <= info.pool_total <= info.device_total  # doctest: +SKIP
        True
    """
    cupy = _cupy.require_device("plugrad_cuda.memory_info")
    if device is not None:
        device = _cupy.check_device(cupy, device, "plugrad_cuda.memory_info")
    dev = cupy.cuda.Device(device)
    pool = cupy.get_default_memory_pool()
    with dev:
        free, total = cupy.cuda.runtime.memGetInfo()
        return MemoryInfo(dev.id, pool.used_bytes(), pool.total_bytes(), total - free, total)


def gc(device: int | None = None) -> int:
    """Knet's ``gc``: give the GPU memory cupy keeps for reuse back to the device.

    Python's garbage collector runs first, so arrays held only by reference cycles (a
    finished tape, say) return to the pool; then the pool's free blocks on ``device`` (the
    active device if None) and cupy's pinned host blocks are released. Live arrays are not
    touched. Useful before a large allocation or when another process needs the memory.

    Returns:
        The bytes given back to the device.

    Raises:
        BackendError: the CUDA backend cannot run here (the message says why).
        ValueError: no such device.

    Example:
        >>> import plugrad_cuda
        >>> plugrad_cuda.gc() >= 0  # doctest: +SKIP
        True
    """
    cupy = _cupy.require_device("plugrad_cuda.gc")
    if device is not None:
        device = _cupy.check_device(cupy, device, "plugrad_cuda.gc")
    dev = cupy.cuda.Device(device)
    _python_gc.collect()
    pool = cupy.get_default_memory_pool()
    with dev:
        before = pool.total_bytes()
        pool.free_all_blocks()
        freed = before - pool.total_bytes()
    cupy.get_default_pinned_memory_pool().free_all_blocks()
    return freed
