"""``PLUGRAD_CPU_KERNELS=0`` turns the plugin off for one run (the portable path runs)."""

from __future__ import annotations

import os

ENV = "PLUGRAD_CPU_KERNELS"


def enabled() -> bool:
    """False when ``PLUGRAD_CPU_KERNELS`` is ``0``, ``off``, ``false`` or ``no``."""
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "off", "false", "no")
