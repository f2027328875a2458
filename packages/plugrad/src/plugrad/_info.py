"""``python -m plugrad info``: installed components, plugins, backends, ops and threads."""

from __future__ import annotations

import os
from importlib import metadata
from typing import Any

import plugrad_autograd  # noqa: F401  (declares the plugrad_ops hook)
import plugrad_backends

from ._components import COMPONENTS


def _op_names(result: Any) -> list[str]:
    """The op names of a ``plugrad_ops`` result (a dict by name, or a list of functions)."""
    if isinstance(result, dict):
        return sorted(str(name) for name in result)
    return sorted(getattr(fn, "__name__", repr(fn)) for fn in result)


def plugin_ops() -> list[str]:
    """One line per plugin that adds ops (``pg.ops.<name>``): its name, distribution, ops."""
    lines = []
    for plugin, result in plugrad_backends.call_hook("plugrad_ops", _op_names):
        source = plugin.distribution or "registered by hand"
        lines.append(f"  {plugin.name:<12} {source}: {', '.join(result) or '(none)'}")
    return lines


def blas_lines() -> list[str]:
    """The loaded BLAS libraries and their threads, and the variables that set them."""
    libraries = plugrad_backends.blas_libraries()
    if not libraries:
        return ["  BLAS: not found (its thread count is set by OPENBLAS_NUM_THREADS etc.)"]
    lines = [
        f"  BLAS {lib.family} {os.path.basename(lib.path)}: {lib.threads} threads"
        + (f" ({lib.config})" if lib.config else "")
        for lib in libraries
    ]
    names = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")
    env = ", ".join(f"{n}={os.environ[n]}" for n in names if n in os.environ)
    lines.append(f"  environment: {env or 'no thread variables set'}; cores: {os.cpu_count()}")
    return lines


def info() -> str:
    """A report of the installed plugrad components and what the backends see.

    Example:
        >>> import plugrad as pg
        >>> "plugrad-autograd" in pg.info()
        True
    """
    lines = ["plugrad components:"]
    for dist, _, _ in COMPONENTS:
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            version = "not installed"
        lines.append(f"  {dist:<18} {version}")
    lines.append(plugrad_backends.info())
    lines.append("ops added by plugins (pg.ops.<name>):")
    lines.extend(plugin_ops() or ["  (none)"])
    lines.append("threads:")
    lines.extend(blas_lines())
    return "\n".join(lines)
