"""plugrad's array backends: a pluggy registry of backends, with numpy on the CPU.

Example:
    >>> import plugrad_backends as B
    >>> x = B.array([1.0, 2.0, 3.0])
    >>> B.of(x).name, x.dtype
    ('cpu', dtype('float32'))
"""

from ._api import (
    array,
    array_namespace,
    available,
    current,
    default_dtype,
    get,
    gpu,
    mixed_backends_error,
    of,
    registered,
    rng_state,
    seed,
    set_default_dtype,
    set_rng_state,
    to_host,
    use,
    using,
)
from ._backend import Backend
from ._blas import BlasLibrary, blas_libraries, set_blas_threads
from ._boundary import PluginInfo, PluginLoadWarning
from ._errors import BackendError
from ._info import info
from ._markers import hookimpl
from ._random import ThreadGenerators
from ._registry import (
    add_hookspecs,
    call_hook,
    plugin_manager,
    plugins,
    refresh,
    register,
    unregister,
)
from ._threads import set_num_threads

__version__ = "0.1.0"

__all__ = [
    "Backend",
    "BackendError",
    "BlasLibrary",
    "PluginInfo",
    "PluginLoadWarning",
    "ThreadGenerators",
    "add_hookspecs",
    "array",
    "array_namespace",
    "available",
    "blas_libraries",
    "call_hook",
    "current",
    "default_dtype",
    "get",
    "gpu",
    "hookimpl",
    "info",
    "mixed_backends_error",
    "of",
    "plugin_manager",
    "plugins",
    "refresh",
    "register",
    "registered",
    "rng_state",
    "seed",
    "set_blas_threads",
    "set_default_dtype",
    "set_num_threads",
    "set_rng_state",
    "to_host",
    "unregister",
    "use",
    "using",
]
