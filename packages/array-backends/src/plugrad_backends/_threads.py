"""``set_num_threads``: one thread count for BLAS and for every plugin's own pool.

numpy's BLAS (OpenBLAS in numpy's wheels) keeps its own pool of threads; kernel plugins
keep theirs (OpenMP in plugrad-cpu-kernels). ``set_num_threads(n)`` sets BLAS's through
:func:`~plugrad_backends.set_blas_threads` and every plugin's through the
``plugrad_set_num_threads`` hook. At start both honour ``OMP_NUM_THREADS``.
"""

from __future__ import annotations

from typing import Any

from ._blas import set_blas_threads
from ._boundary import attempt, warn
from ._collect import call_order
from ._registry import registry


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in BLAS and in every plugin's thread pool (compiled kernels).

    ``OMP_NUM_THREADS`` sets the same at start; this changes it while running, e.g. to
    leave a core to another process. :func:`~plugrad_backends.set_blas_threads` sets BLAS's
    alone.

    Example:
        >>> import plugrad_backends as B
        >>> B.set_num_threads(1)  # leave the other cores to another process
        >>> B.set_num_threads(2)
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    set_blas_threads(n)
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
