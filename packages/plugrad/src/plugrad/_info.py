"""``python -m plugrad info``: installed components, plugins, backends and devices."""

from __future__ import annotations

from importlib import metadata

from ._components import COMPONENTS


def info() -> str:
    """A report of the installed plugrad components and what the backends see.

    Example:
        >>> import plugrad as pg
        >>> "plugrad-autograd" in pg.info()
        True
    """
    import plugrad_backends

    lines = ["plugrad components:"]
    for dist, _, _ in COMPONENTS:
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            version = "not installed"
        lines.append(f"  {dist:<18} {version}")
    lines.append(plugrad_backends.info())
    return "\n".join(lines)
