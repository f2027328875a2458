"""The plugin's OpenMP threads: started asleep-when-idle, sized with BLAS's pool.

OpenMP's worker threads spin for a while after each parallel region by default, and so do
OpenBLAS's after each product: on a machine with few cores the two pools then steal each
other's time. Unless the user set them, ``OMP_WAIT_POLICY=PASSIVE`` and ``GOMP_SPINCOUNT=0``
are put in the environment before the compiled module (and with it libgomp) loads, so idle
threads block instead of spinning.
"""

from __future__ import annotations

import os

PASSIVE_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "0"}


def prepare_environment() -> dict[str, str]:
    """Set the passive wait policy where the user has not chosen one; return what was set."""
    chosen = {}
    for key, value in PASSIVE_DEFAULTS.items():
        if key not in os.environ:
            os.environ[key] = value
            chosen[key] = value
    return chosen


def env_threads() -> int | None:
    """``OMP_NUM_THREADS`` as a positive int, or None when unset or not a number."""
    raw = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else None
