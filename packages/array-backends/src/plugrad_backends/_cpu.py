"""The CPU backend: numpy arrays, scipy.special functions.

Registered through ``plugrad-backends``' own ``plugrad`` entry point, exactly as a third
party's backend would be.
"""

from __future__ import annotations

import os
import platform
from typing import Any

import numpy as np
import scipy.special

from . import _malloc
from ._backend import Backend
from ._markers import hookimpl
from ._random import ThreadGenerators


class CpuBackend(Backend):
    """numpy on the host.

    Its random generator is per thread (see ``_random``): ``pg.seed(n)`` gives the calling
    thread ``numpy.random.default_rng(n)``, and other threads streams spawned from ``n``.

    Creating it tunes glibc's malloc to keep freed memory for reuse (see ``_malloc``;
    ``PLUGRAD_MALLOC=system`` leaves the allocator alone).

    Example:
        >>> import plugrad_backends as B
        >>> B.get("cpu").asarray([1.0, 2.0]).sum()
        np.float64(3.0)
    """

    name = "cpu"
    xp = np
    special = scipy.special
    array_types = (np.ndarray, np.generic)

    def __init__(self) -> None:
        super().__init__()
        self._generators = ThreadGenerators(np.random.default_rng)
        self.allocator = _malloc.tune()

    def to_host(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def seed(self, n: int) -> None:
        self._generators.seed(n)

    @property
    def rng(self) -> np.random.Generator:
        return self._generators.get()

    def devices(self) -> list[str]:
        return [f"{platform.processor() or platform.machine()} ({os.cpu_count()} cores)"]


# tryfirst: a third party's backend named "cpu" does not displace this one (it is warned
# about instead); see _collect for the order.
@hookimpl(tryfirst=True)
def plugrad_backends() -> list[Backend]:
    return [CpuBackend()]
