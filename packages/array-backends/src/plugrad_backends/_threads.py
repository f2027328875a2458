"""``set_num_threads``: one thread count for BLAS and for every plugin's own pool.

numpy's BLAS (OpenBLAS in numpy's wheels) keeps its own pool of threads; kernel plugins
keep theirs (OpenMP in plugrad-cpu-kernels). ``set_num_threads(n)`` sets BLAS's through
its C API, found among the loaded libraries with ctypes, and every plugin's through the
``plugrad_set_num_threads`` hook. At start both honour ``OMP_NUM_THREADS``.
"""

from __future__ import annotations

import ctypes
import os
from functools import cache
from typing import Any

from ._boundary import attempt, warn
from ._collect import call_order
from ._registry import registry

# The setter and getter names of the BLAS libraries numpy and scipy ship or link.
_BLAS_API = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
    ("MKL_Set_Num_Threads", "MKL_Get_Max_Threads"),
)


def _loaded_libraries() -> list[str]:
    """Paths of the shared libraries loaded in this process that may be a BLAS."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if ".so" in line and "/" in line}
    except OSError:  # not Linux: no portable way to list them; BLAS keeps its setting
        return []
    return sorted(p for p in paths if any(k in os.path.basename(p) for k in ("blas", "mkl_rt")))


@cache
def _blas_functions() -> tuple[tuple[object, object], ...]:
    import numpy  # noqa: F401  (loads numpy's BLAS, so that it is among the libraries)

    found = []
    for path in _loaded_libraries():
        try:
            lib = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_GLOBAL)
        except OSError:
            continue
        for setter, getter in _BLAS_API:
            if hasattr(lib, setter) and hasattr(lib, getter):
                found.append((getattr(lib, setter), getattr(lib, getter)))
                break
    return tuple(found)


def blas_num_threads() -> list[int]:
    """The thread count of each BLAS library loaded in the process (empty if none found)."""
    return [int(getter()) for _, getter in _blas_functions()]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in BLAS and in every plugin's thread pool (compiled kernels).

    ``OMP_NUM_THREADS`` sets the same at start; this changes it while running, e.g. to
    leave a core to another process.

    Example:
        >>> import plugrad_backends as B
        >>> B.set_num_threads(1)  # leave the other cores to another process
        >>> B.set_num_threads(2)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    for setter, _ in _blas_functions():
        setter(ctypes.c_int(n))
    plugin_results("plugrad_set_num_threads", n=n)


def plugin_results(hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
    """Call ``hook`` of every plugin now (not cached, unlike ``call_hook``): the state it
    reports or sets changes while running. ``(plugin name, result)`` pairs, ``None`` left
    out; a plugin whose hook raises becomes a warning naming it, and the others still run.
    """
    reg = registry()
    results = []
    for impl in call_order(getattr(reg.manager.hook, hook)):
        args = [kwargs[name] for name in impl.argnames]
        result, error = attempt(lambda f=impl.function, a=args: f(*a))
        if error is None and result is not None:
            results.append((impl.plugin_name, result))
        elif error is not None and impl.plugin_name in reg.plugins:
            reg.failed(impl.plugin_name, f"its {hook} hook raised {error}")
        elif error is not None:
            warn(f"plugrad plugin {impl.plugin_name!r} failed: its {hook} hook raised {error}")
    return results
