"""A plain-text report of the installed backends and plugins (``python -m plugrad_backends``)."""

from __future__ import annotations

from ._registry import registry


def info() -> str:
    """Describe every plugin found, every registered backend and the devices it sees.

    Example:
        >>> import plugrad_backends as B
        >>> "cpu" in B.info()
        True
    """
    reg = registry()
    lines = ["plugins (entry-point group 'plugrad'):"]
    for p in reg.plugins:
        status = f"FAILED: {p.error}" if p.error else "loaded"
        lines.append(f"  {p.name:<12} {p.distribution} {p.version}  {status}")
    lines.append("backends:")
    for name, backend in reg.backends.items():
        dist = reg.backend_dist.get(name, "")
        if backend.is_available():
            devices = "; ".join(backend.devices()) or "-"
            kernels = ", ".join(sorted(backend.kernels)) or "-"
            lines.append(f"  {name:<12} from {dist}: available, devices: {devices}")
            lines.append(f"  {'':<12} kernels: {kernels}")
            if backend.allocator:
                lines.append(f"  {'':<12} allocator: {backend.allocator}")
        else:
            lines.append(f"  {name:<12} from {dist}: unavailable ({backend.unavailable_reason()})")
    reports = [line for lines_ in reg.manager.hook.plugrad_report() for line in lines_ or ()]
    if reports:
        lines.append("plugin reports:")
        lines.extend(f"  {line}" for line in reports)
    return "\n".join(lines)
