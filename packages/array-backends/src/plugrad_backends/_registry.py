"""Discovery of plugins and backends through pluggy and the ``plugrad`` entry points.

Loading is kind: a plugin that fails to import becomes a warning naming its distribution and
the error, and the others still load. ``PLUGRAD_NO_AUTOLOAD=1`` turns entry-point discovery
off; then only the entry points named in ``PLUGRAD_PLUGINS`` (comma separated, default
``cpu``) are loaded, and anything else must be registered by hand with :func:`register`.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy

from . import hookspecs
from ._backend import Backend

ENTRY_POINT_GROUP = "plugrad"
AUTOLOAD_ENV = "PLUGRAD_NO_AUTOLOAD"
PLUGINS_ENV = "PLUGRAD_PLUGINS"


class PluginLoadWarning(UserWarning):
    """A plugin could not be loaded; the others were."""


@dataclass(frozen=True)
class PluginInfo:
    """One entry point of the ``plugrad`` group and what became of it."""

    name: str
    distribution: str
    version: str
    error: str | None = None


_extra_hookspecs: list[ModuleType] = []
_manual: list[Any] = []


class _Registry:
    def __init__(self) -> None:
        self.manager: pluggy.PluginManager | None = None
        self.plugins: list[PluginInfo] = []
        self.backends: dict[str, Backend] = {}
        self.backend_dist: dict[str, str] = {}

    def load(self) -> None:
        pm = pluggy.PluginManager("plugrad")
        pm.add_hookspecs(hookspecs)
        for spec in _extra_hookspecs:
            pm.add_hookspecs(spec)
        self.plugins = []
        for ep in _selected_entry_points():
            dist = ep.dist.name if ep.dist is not None else "<unknown distribution>"
            version = ep.dist.version if ep.dist is not None else "?"
            try:
                pm.register(ep.load(), name=ep.name)
            except Exception as exc:  # a broken plugin must not take the host down
                error = f"{type(exc).__name__}: {exc}"
                self.plugins.append(PluginInfo(ep.name, dist, version, error))
                warnings.warn(
                    f"plugrad plugin {ep.name!r} from distribution {dist!r} failed to load "
                    f"({error}); the other plugins were loaded",
                    PluginLoadWarning,
                    stacklevel=3,
                )
                continue
            self.plugins.append(PluginInfo(ep.name, dist, version))
        for i, plugin in enumerate(_manual):
            pm.register(plugin, name=f"manual-{i}-{id(plugin)}")
            self.plugins.append(PluginInfo(getattr(plugin, "__name__", repr(plugin)), "", ""))
        self.manager = pm
        self.backends = {}
        self.backend_dist = {}
        for impl in pm.hook.plugrad_backends.get_hookimpls():
            for backend in impl.function() or ():
                self.backends.setdefault(backend.name, backend)
                self.backend_dist.setdefault(backend.name, _plugin_dist(self, impl.plugin_name))
        for backend in self.backends.values():
            for kernels in pm.hook.plugrad_kernels(backend=backend):
                backend.kernels.update(kernels or {})


def _plugin_dist(registry: _Registry, plugin_name: str) -> str:
    for info in registry.plugins:
        if info.name == plugin_name:
            return info.distribution
    return ""


def _selected_entry_points() -> list[Any]:
    eps = list(entry_points(group=ENTRY_POINT_GROUP))
    if os.environ.get(AUTOLOAD_ENV, "").strip() not in ("", "0"):
        wanted = {n.strip() for n in os.environ.get(PLUGINS_ENV, "cpu").split(",") if n.strip()}
        eps = [ep for ep in eps if ep.name in wanted]
    return eps


_registry = _Registry()


def registry() -> _Registry:
    """The loaded registry (loads the plugins on first use)."""
    if _registry.manager is None:
        _registry.load()
    return _registry


def refresh() -> None:
    """Forget the loaded plugins and discover them again (after installing one)."""
    from . import _api

    _registry.manager = None
    _api._forget_types()
    registry()


def add_hookspecs(module: ModuleType) -> None:
    """Add a module of hook specifications (used by plugrad packages that define hooks)."""
    if module not in _extra_hookspecs:
        _extra_hookspecs.append(module)
        if _registry.manager is not None:
            _registry.manager.add_hookspecs(module)


def register(plugin: Any) -> None:
    """Register a plugin object or module by hand (it survives :func:`refresh`).

    Example:
        >>> import plugrad_backends as B
        >>> class Plugin:
        ...     @B.hookimpl
        ...     def plugrad_backends(self):
        ...         return []
        >>> B.register(Plugin())
    """
    _manual.append(plugin)
    refresh()


def plugin_manager() -> pluggy.PluginManager:
    """pluggy's plugin manager for project ``"plugrad"`` with every plugin loaded."""
    manager = registry().manager
    assert manager is not None
    return manager


def plugins() -> list[PluginInfo]:
    """Every ``plugrad`` entry point found, with its distribution and any load error."""
    return list(registry().plugins)
