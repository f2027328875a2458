"""The CUDA backend: cupy arrays on NVIDIA GPUs."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import numpy as np

from plugrad_backends import Backend, ThreadGenerators

from . import _cupy
from ._memory import MemoryInfo, gc, memory_info


class CudaBackend(Backend):
    """cupy on NVIDIA GPUs, registered as ``"cuda"`` by the ``plugrad-cuda`` plugin.

    cupy is imported on the first question asked of the backend, never when
    ``plugrad_cuda`` is imported. Where cupy is missing or sees no device the backend is
    still registered: ``is_available()`` is False and ``unavailable_reason()`` says what is
    missing. Devices are cupy's: the active one is per thread, ``select_device`` (or
    ``plugrad_backends.get("cuda:1")``) changes it, and arrays are made there.

    GPU memory is never reserved upfront: cupy's memory pool grows as arrays are made and
    keeps freed blocks for reuse; :meth:`gc` gives them back to the device.

    Example:
        >>> from plugrad_cuda import CudaBackend
        >>> cuda = CudaBackend()
        >>> cuda.name, cuda.is_gpu
        ('cuda', True)
        >>> cuda.is_available() or cuda.unavailable_reason() is not None
        True

        On a machine with a GPU:

        >>> import numpy as np, plugrad_backends as B
        >>> cuda = B.get("cuda")  # doctest: +SKIP
        >>> x = cuda.from_host(np.arange(3, dtype=np.float32))  # doctest: +SKIP
        >>> cuda.to_host(x * 2)  # doctest: +SKIP
        array([0., 2., 4.], dtype=float32)
    """

    name = "cuda"
    is_gpu = True

    def __init__(self) -> None:
        super().__init__()
        self._generators = ThreadGenerators(_generator)

    # -- availability -------------------------------------------------------------
    def is_available(self) -> bool:
        """True when cupy imports and the CUDA runtime sees at least one device."""
        return _cupy.unavailable_reason() is None

    def unavailable_reason(self) -> str | None:
        """What is missing (cupy, a driver, a device), or None when the backend can run."""
        return _cupy.unavailable_reason()

    # -- namespaces -----------------------------------------------------------------
    @property
    def xp(self) -> ModuleType:  # type: ignore[override]
        """The array namespace: ``cupy``."""
        return _cupy.require_cupy("cuda backend xp")

    @property
    def special(self) -> ModuleType:  # type: ignore[override]
        """scipy.special-like functions on the GPU: ``cupyx.scipy.special``."""
        _cupy.require_cupy("cuda backend special")
        import cupyx.scipy.special

        return cupyx.scipy.special

    @property
    def array_types(self) -> tuple[type, ...]:  # type: ignore[override]
        """``(cupy.ndarray,)``; empty while cupy has not been imported or cannot be."""
        # No cupy array can exist before cupy is imported, so the registry's type lookups
        # (pg.array and pg.of on numpy data) never import cupy, nor trip on a broken one.
        if sys.modules.get("cupy") is None:
            return ()
        cupy, _ = _cupy.import_cupy()
        return () if cupy is None else (cupy.ndarray,)

    # -- arrays ---------------------------------------------------------------------
    def asarray(self, x: Any, dtype: Any = None) -> Any:
        """``x`` as a cupy array on the active device (no copy when it already is one)."""
        return _cupy.require_device("cuda backend asarray").asarray(x, dtype=dtype)

    def from_host(self, x: np.ndarray, dtype: Any = None) -> Any:
        """Copy a host numpy array to the active device."""
        return _cupy.require_device("cuda backend from_host").asarray(x, dtype=dtype)

    def to_host(self, x: Any) -> np.ndarray:
        """Copy a cupy array to a host numpy array (waits for the work producing it)."""
        cupy = _cupy.require_cupy("cuda backend to_host")
        return x.get() if isinstance(x, cupy.ndarray) else np.asarray(x)

    # -- random numbers ---------------------------------------------------------------
    def seed(self, n: int) -> None:
        """Reseed this thread: its generator on every device restarts from ``n``."""
        self._generators.seed(n)

    @property
    def rng(self) -> Any:
        """This thread's ``cupy.random.Generator`` for the active device (made on first use).

        Same seed on every device, as torch.manual_seed does: runs reproduce per device.
        Threads get streams of their own, as on the CPU (``plugrad_backends.seed``).
        """
        cupy = _cupy.require_device("cuda backend rng")
        return self._generators.get(cupy.cuda.runtime.getDevice())

    # -- devices ------------------------------------------------------------------------
    def synchronize(self) -> None:
        """Wait until all work queued on the active device has finished."""
        _cupy.require_device("cuda backend synchronize").cuda.Device().synchronize()

    def devices(self) -> list[str]:
        """``"<id>: <name>, <memory> GiB, compute <major>.<minor>"`` for every visible device."""
        runtime = _cupy.require_device("cuda backend devices").cuda.runtime
        found = []
        for i in range(runtime.getDeviceCount()):
            props = runtime.getDeviceProperties(i)
            name = props["name"]
            name = name.decode() if isinstance(name, bytes) else str(name)
            gib = props["totalGlobalMem"] / 2**30
            found.append(f"{i}: {name}, {gib:.1f} GiB, compute {props['major']}.{props['minor']}")
        return found

    def current_device(self) -> int:
        """The active device id of this thread."""
        return _cupy.require_device("cuda backend current_device").cuda.runtime.getDevice()

    def select_device(self, device: int) -> None:
        """Make ``device`` the active device of this thread.

        Raises:
            ValueError: no such device (the message says how many there are).
        """
        cupy = _cupy.require_device("cuda backend select_device")
        device = _cupy.check_device(cupy, device, "select_device")
        cupy.cuda.Device(device).use()

    # -- memory -------------------------------------------------------------------------
    def memory_info(self, device: int | None = None) -> MemoryInfo:
        """Memory of cupy's pool and of the device; see :func:`plugrad_cuda.memory_info`."""
        return memory_info(device)

    def gc(self, device: int | None = None) -> int:
        """Give cached GPU memory back; see :func:`plugrad_cuda.gc`."""
        return gc(device)


def _generator(seed: int | np.random.SeedSequence) -> Any:
    """A cupy generator from an int seed, or from a thread's SeedSequence child."""
    if isinstance(seed, np.random.SeedSequence):
        seed = int(seed.generate_state(1, np.uint64)[0])  # cupy's generators take an int
    return _cupy.require_cupy("cuda backend rng").random.default_rng(seed)
