"""plugrad's compiled CPU kernels: fused, vectorized and threaded (C++17 with OpenMP).

Installed with ``pip install plugrad`` (a dependency of the meta-package) and found through
the ``plugrad`` entry-point group, exactly as a third party's kernel package would be: its
``plugrad_kernels`` hook fills the CPU backend's kernel table, and every op that finds a
kernel there uses it, falling back to its portable numpy code for anything the kernel does
not handle. ``PLUGRAD_CPU_KERNELS=0`` turns the plugin off for one run.

Example:
    >>> import plugrad_backends as B
    >>> import plugrad_cpu_kernels as K
    >>> ("sigm" in B.get("cpu").kernels) == K.enabled()
    True
    >>> K.num_threads() >= 1
    True
"""

from __future__ import annotations

from typing import Any

from plugrad_backends import blas_libraries, hookimpl

from . import _threads
from ._switch import ENV, enabled

_threads.prepare_environment()

from . import _conv, _core, _elementwise, _pool, _rows  # noqa: E402  (after the env is set)

__version__ = "0.1.0"

__all__ = ["ENV", "enabled", "kernel_table", "num_threads", "set_num_threads", "simd_level"]


def num_threads() -> int:
    """The number of threads the kernels use (``OMP_NUM_THREADS`` or the core count)."""
    return int(_core.num_threads())


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in the kernels (``pg.set_num_threads`` also sets BLAS's)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    _core.set_num_threads(n)


def simd_level() -> str:
    """The instruction set the kernels were compiled for, e.g. ``"AVX2+FMA"``."""
    return str(_core.simd_level())


def kernel_table(everything: bool = False) -> dict[str, Any]:
    """The kernels this plugin installs, by the name the ops look up.

    ``everything`` adds the compiled ``exp``, ``log`` and ``tanh``, which are not installed
    because numpy's own loops measured faster (see ``_elementwise.SLOWER_THAN_NUMPY``).
    """
    table: dict[str, Any] = _elementwise.kernels(everything)
    for module in (_rows, _pool, _conv):
        table.update(module.kernels())
    return table


@hookimpl
def plugrad_kernels(backend: Any) -> dict[str, Any] | None:
    """Fill the ``cpu`` backend's kernel table (nothing when switched off)."""
    if backend.name != "cpu" or not enabled():
        return None
    return kernel_table()


@hookimpl
def plugrad_set_num_threads(n: int) -> None:
    set_num_threads(n)


@hookimpl
def plugrad_report() -> list[str]:
    """Lines for ``python -m plugrad info``."""
    state = "on" if enabled() else f"off ({ENV}=0)"
    n = num_threads()
    blas = ", ".join(str(lib.threads) for lib in blas_libraries()) or "unknown"
    return [
        f"plugrad-cpu-kernels {__version__}: {state}, {n} thread{'s' if n != 1 else ''} "
        f"(OpenMP; BLAS: {blas}), SIMD {simd_level()}, {len(kernel_table())} kernels"
    ]
