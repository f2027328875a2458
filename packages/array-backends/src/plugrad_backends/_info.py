"""A plain-text report of the installed backends and plugins (``python -m plugrad_backends``)."""

from __future__ import annotations

from ._backend import Backend
from ._boundary import attempt
from ._registry import registry
from ._threads import plugin_results


def info() -> str:
    """Describe every plugin found (and why one failed), every backend and its devices.

    Example:
        >>> import plugrad_backends as B
        >>> "cpu" in B.info()
        True
    """
    reg = registry()
    lines = ["plugins (entry-point group 'plugrad'):"]
    for p in reg.plugins.values():
        status = f"FAILED: {p.error}" if p.error else "loaded"
        origin = f"{p.distribution} {p.version}" if p.distribution else "(registered by hand)"
        lines.append(f"  {p.name:<12} {origin}  {status}")
    lines.append("backends:")
    for name, backend in reg.backends.items():
        lines.extend(_backend_lines(name, backend, reg.backend_dist.get(name, "")))
    reports = [line for _, lines_ in plugin_results("plugrad_report") for line in lines_]
    if reports:
        lines.append("plugin reports:")
        lines.extend(f"  {line}" for line in reports)
    if reg.problems:  # after the reports: a report hook that raises is one of them
        lines.append("problems:")
        lines.extend(f"  {problem}" for problem in reg.problems)
    return "\n".join(lines)


def _backend_lines(name: str, backend: Backend, dist: str) -> list[str]:
    available, error = attempt(backend.is_available)
    if error is not None or not available:
        reason = error or attempt(backend.unavailable_reason)[0]
        return [f"  {name:<12} from {dist}: unavailable ({reason})"]
    devices, error = attempt(backend.devices)
    shown = error or "; ".join(devices or ()) or "-"
    lines = [
        f"  {name:<12} from {dist}: available, devices: {shown}",
        f"  {'':<12} kernels: {', '.join(sorted(backend.kernels)) or '-'}",
    ]
    if backend.allocator:
        lines.append(f"  {'':<12} allocator: {backend.allocator}")
    return lines
