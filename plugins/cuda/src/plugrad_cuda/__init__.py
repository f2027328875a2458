"""plugrad's CUDA backend: cupy arrays on NVIDIA GPUs, registered as ``"cuda"``.

Installed with ``pip install 'plugrad[cuda]'``, the plugin is found through the ``plugrad``
entry-point group; use it through ``plugrad_backends`` (``B.get("cuda")``, ``B.use("cuda")``,
``B.gpu(True)``). Importing this module does not import cupy: that happens on the first
question asked of the backend. Without cupy or without a visible GPU the backend is still
registered and says what is missing.

Example:
    >>> import plugrad_backends as B
    >>> "cuda" in B.registered()
    True

    On a machine with a GPU:

    >>> import plugrad_cuda
    >>> x = B.array([1.0, 2.0], device="cuda")  # doctest: +SKIP
    >>> plugrad_cuda.memory_info().pool_used > 0  # doctest: +SKIP
    True
    >>> del x; plugrad_cuda.gc() > 0  # doctest: +SKIP
    True
"""

from plugrad_backends import Backend, hookimpl

from ._backend import CudaBackend
from ._memory import MemoryInfo, gc, memory_info
from ._precision import matmul_precision, set_matmul_precision

__version__ = "0.1.0"

__all__ = [
    "CudaBackend",
    "MemoryInfo",
    "gc",
    "matmul_precision",
    "memory_info",
    "set_matmul_precision",
]


@hookimpl
def plugrad_backends() -> list[Backend]:
    """The ``cuda`` backend, returned even where it cannot run (it says why)."""
    return [CudaBackend()]
