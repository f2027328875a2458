"""numpy's BLAS threads: which BLAS libraries are loaded, their thread counts, a setter.

The libraries are found among the process's loaded shared objects (``/proc/self/maps``
on Linux) and asked through their own C functions with ctypes, as threadpoolctl does,
without that dependency: OpenBLAS (numpy's wheels bundle ``libscipy_openblas64_``), MKL
and BLIS. Elsewhere (macOS, Windows) nothing is found and the lists are empty.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from dataclasses import dataclass
from typing import Any

__all__ = ["BlasLibrary", "blas_libraries", "set_blas_threads"]

# library family -> (substring of the file name, getter, setter, version/config getter)
_FAMILIES = {
    "openblas": (
        "openblas",
        "openblas_get_num_threads",
        "openblas_set_num_threads",
        "openblas_get_config",
    ),
    "mkl": ("mkl_rt", "MKL_Get_Max_Threads", "MKL_Set_Num_Threads", None),
    "blis": ("blis", "bli_thread_get_num_threads", "bli_thread_set_num_threads", None),
}
# OpenBLAS builds prefix and suffix their symbols (numpy's: scipy_...64_)
_DECORATIONS = [("", ""), ("scipy_", "64_"), ("", "64_"), ("scipy_", "")]


@dataclass(frozen=True)
class BlasLibrary:
    """One loaded BLAS: its family, file, configuration text and current thread count."""

    family: str
    path: str
    config: str
    threads: int


def _loaded_paths() -> list[str]:
    with contextlib.suppress(OSError), open("/proc/self/maps") as f:
        return sorted({line.split()[-1] for line in f if "/" in line and ".so" in line})
    return []


def _symbol(lib: Any, name: str | None) -> Any:
    if name is None:
        return None
    for prefix, suffix in _DECORATIONS:
        fn = getattr(lib, f"{prefix}{name}{suffix}", None)
        if fn is not None:
            return fn
    return None


def _handles() -> list[tuple[str, str, Any]]:
    import numpy  # noqa: F401  (loads numpy's BLAS, so that it is found)

    found = []
    for path in _loaded_paths():
        base = os.path.basename(path).lower()
        for family, (part, *_rest) in _FAMILIES.items():
            if part in base:
                with contextlib.suppress(OSError):
                    found.append((family, path, ctypes.CDLL(path)))
    return found


def blas_libraries() -> list[BlasLibrary]:
    """The BLAS libraries loaded in this process, with their current thread counts.

    Example:
        >>> import plugrad_backends as B
        >>> all(lib.threads >= 1 for lib in B.blas_libraries())
        True
    """
    out = []
    for family, path, lib in _handles():
        _, getter, _, config = _FAMILIES[family]
        get = _symbol(lib, getter)
        if get is None:
            continue
        get.restype = ctypes.c_int
        describe = _symbol(lib, config)
        text = ""
        if describe is not None:
            describe.restype = ctypes.c_char_p
            text = (describe() or b"").decode(errors="replace").strip()
        out.append(BlasLibrary(family, path, text, int(get())))
    return out


def set_blas_threads(n: int) -> list[BlasLibrary]:
    """Set the thread count of every loaded BLAS library (numpy's matrix products) to ``n``.

    The same as starting the process with ``OPENBLAS_NUM_THREADS=n`` (or ``MKL_NUM_THREADS``),
    but at run time: call it at the start of each worker of a parallel search, where several
    BLAS pools on the same cores would otherwise wait on each other. The setting is
    process-wide. Returns the libraries as they were before (``lib.threads``), so a caller
    can restore them.

    Raises:
        ValueError: ``n`` is not a positive integer.

    Example:
        >>> import plugrad_backends as B
        >>> before = B.set_blas_threads(1)
        >>> all(lib.threads == 1 for lib in B.blas_libraries())
        True
        >>> _ = B.set_blas_threads(max([lib.threads for lib in before] or [1]))
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_blas_threads: n must be an integer >= 1, got {n!r}")
    before = blas_libraries()
    for family, _, lib in _handles():
        setter = _symbol(lib, _FAMILIES[family][2])
        if setter is not None:
            setter.argtypes = [ctypes.c_int]
            setter(n)
    return before
