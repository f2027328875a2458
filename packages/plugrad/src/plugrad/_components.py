"""The plugrad components: the one list that ``tools/write_init.py``, ``python -m plugrad
info`` and the tests read (the tests also check ruff's known-first-party against it).

One line per distribution: ``(distribution, import name, attribute on the meta-package)``.
The attribute is None for what the meta-package does not re-export (itself, and plugins,
which arrive through entry points). Order matters for re-exports: on a name clash the
earlier component wins (``tools/write_init.py`` says where else).

Example:
    >>> from plugrad._components import COMPONENTS
    >>> ("plugrad-nn", "plugrad_nn", "nn") in COMPONENTS
    True
"""

from __future__ import annotations

COMPONENTS: list[tuple[str, str, str | None]] = [
    ("plugrad", "plugrad", None),
    ("plugrad-backends", "plugrad_backends", "backends"),
    ("plugrad-autograd", "plugrad_autograd", "autograd"),
    ("plugrad-nn", "plugrad_nn", "nn"),
    ("plugrad-optim", "plugrad_optim", "optim"),
    ("plugrad-data", "plugrad_data", "data"),
    ("plugrad-hyperopt", "plugrad_hyperopt", "hyperopt"),
    ("plugrad-distributed", "plugrad_distributed", "distributed"),
    ("plugrad-cuda", "plugrad_cuda", None),
    ("plugrad-cpu-kernels", "plugrad_cpu_kernels", None),
]

#: Components reached only through their attribute (``pg.distributed.rank()``), not flat:
#: names such as rank, init, barrier or save would read as something else there.
NAMESPACE_ONLY = {"plugrad_distributed"}
