"""Discovery of plugins through pluggy and the ``plugrad`` entry points, and the one owner of
every cache derived from them.

Loading is kind, as xarray's backend loader is: a plugin whose import or hook fails becomes
a :class:`~plugrad_backends.PluginLoadWarning` naming its distribution, and the others still
load. Everything computed from the plugins (the loaded registry, the backend and array
namespace of each array type, the results of other packages' hooks) is cached here, and
:func:`refresh` clears all of it at once.

``PLUGRAD_NO_AUTOLOAD=1`` turns entry-point discovery off; then only the entry points named
in ``PLUGRAD_PLUGINS`` (comma separated, default ``cpu``) are loaded, and anything else must
be registered by hand with :func:`register`.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy

from . import hookspecs
from ._backend import Backend
from ._boundary import PluginInfo, attempt, warn
from ._collect import Failures, call_order, collect_backends, install_kernels
from ._errors import BackendError

ENTRY_POINT_GROUP = "plugrad"
AUTOLOAD_ENV = "PLUGRAD_NO_AUTOLOAD"
PLUGINS_ENV = "PLUGRAD_PLUGINS"

_extra_hookspecs: list[ModuleType] = []
_manual: list[Any] = []


@dataclass
class Registry:
    """What loading the plugins found: pluggy's manager, the plugins and their backends."""

    manager: pluggy.PluginManager
    plugins: dict[str, PluginInfo] = field(default_factory=dict)  # pluggy name -> info
    backends: dict[str, Backend] = field(default_factory=dict)
    backend_dist: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def failed(self, plugin_name: str, message: str, error: str | None = None) -> None:
        """Record (``error``, or else ``message``) and warn that a plugin failed."""
        info = self.plugins[plugin_name]
        error = error or message
        error = error if info.error is None else f"{info.error}; {error}"
        self.plugins[plugin_name] = PluginInfo(info.name, info.distribution, info.version, error)
        self.overruled(f"plugrad {info.describe()} failed: {message}; the other plugins were kept")

    def overruled(self, message: str) -> None:
        """Record and warn about a plugin problem that is not its own failure."""
        self.problems.append(message)
        warn(message)


# -- loading ---------------------------------------------------------------------------------


def _selected_entry_points() -> list[Any]:
    eps = list(entry_points(group=ENTRY_POINT_GROUP))
    if os.environ.get(AUTOLOAD_ENV, "").strip() not in ("", "0"):
        wanted = {n.strip() for n in os.environ.get(PLUGINS_ENV, "cpu").split(",") if n.strip()}
        eps = [ep for ep in eps if ep.name in wanted]
    return eps


def _distribution(ep: Any) -> tuple[str, str]:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "<unknown distribution>", "?"
    return dist.name, dist.version


def _register_entry_points(reg: Registry) -> None:
    # Sorted, so that pluggy's call order (the plugin registered last is called first,
    # within tryfirst / plain / trylast) does not depend on the order of sys.path.
    for ep in sorted(_selected_entry_points(), key=lambda ep: (*_distribution(ep), ep.name)):
        dist, version = _distribution(ep)
        name = f"{ep.name}@{dist}"  # two distributions may both name an entry point "cpu"
        reg.plugins[name] = PluginInfo(ep.name, dist, version)
        plugin, error = attempt(ep.load)
        if error is None:
            _, error = attempt(lambda p=plugin, n=name: reg.manager.register(p, name=n))
        if error is not None:
            reg.failed(name, f"its import raised {error}", error)


def _register_manual(reg: Registry) -> None:
    for i, plugin in enumerate(_manual):
        name = f"manual-{i}"
        label = getattr(plugin, "__name__", type(plugin).__name__)
        reg.plugins[name] = PluginInfo(label, "", "")
        _, error = attempt(lambda p=plugin, n=name: reg.manager.register(p, name=n))
        if error is not None:
            reg.failed(name, f"registering it raised {error}")


def _add_new_hookspecs(reg: Registry, added: list[ModuleType]) -> None:
    # A plugin's import or hook may add specs while the plugins load (plugrad-distributed's
    # entry point imports plugrad_autograd, which adds plugrad_ops): add them as they come.
    for spec in _extra_hookspecs[len(added) :]:
        added.append(spec)
        _, error = attempt(lambda s=spec: reg.manager.add_hookspecs(s))
        if error is not None:
            reg.overruled(f"plugrad: the hook specifications of {spec.__name__} failed: {error}")


def _load() -> Registry:
    manager = pluggy.PluginManager("plugrad")
    manager.add_hookspecs(hookspecs)
    reg = Registry(manager)
    added: list[ModuleType] = []
    _add_new_hookspecs(reg, added)
    _register_entry_points(reg)
    _register_manual(reg)
    _add_new_hookspecs(reg, added)
    failures = Failures(reg.failed, reg.overruled, reg.plugins)
    reg.backends, reg.backend_dist = collect_backends(manager, failures)
    install_kernels(manager, reg.backends, failures)
    _add_new_hookspecs(reg, added)
    return reg


# -- the caches --------------------------------------------------------------------------------

_load_lock = threading.RLock()
_loading = threading.local()
_loaded: list[Registry] = []  # what registry() caches; racing first calls share one load
_caches: list[Any] = []  # every cache refresh() clears


@functools.cache
def registry() -> Registry:
    """The loaded registry (loads the plugins on first use, once even under threads)."""
    with _load_lock:
        if getattr(_loading, "active", False):
            raise BackendError(
                "a plugin asked plugrad for its backends while the plugins were loading; "
                "ask inside a hook or later, not at import"
            )
        if not _loaded:
            _loading.active = True
            try:
                _loaded.append(_load())
            finally:
                _loading.active = False
        return _loaded[0]


def cached(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``functools.cache`` for a function of the loaded plugins; :func:`refresh` clears it."""
    wrapped = functools.cache(fn)
    _caches.append(wrapped)
    return wrapped


class TypeCache(dict):  # type: ignore[type-arg]
    """``type -> value`` computed on first lookup; a plain dict subscript afterwards.

    The hot path of every op (``array_namespace(x)``) is one lookup here, which is why this
    is a dict and not a ``functools.cache`` (whose key building costs a third more).
    """

    def __init__(self, compute: Callable[[type], Any]) -> None:
        super().__init__()
        self.compute = compute
        _caches.append(self)

    def __missing__(self, cls: type) -> Any:
        value = self[cls] = self.compute(cls)
        return value

    def cache_clear(self) -> None:
        self.clear()


def _array_types(backend: Backend) -> tuple[type, ...]:
    types, error = attempt(lambda: tuple(backend.array_types))
    if error is not None or not all(isinstance(t, type) for t in types or ()):
        return ()  # a backend whose array_types is broken owns no arrays
    return types or ()


def _backend_of_type(cls: type) -> Backend | None:
    # The most specific match wins: a plugin's ndarray subclass is not the CPU's.
    best, found = len(cls.__mro__), None
    for backend in registry().backends.values():
        for t in _array_types(backend):
            if t in cls.__mro__ and cls.__mro__.index(t) < best:
                best, found = cls.__mro__.index(t), backend
    return found


def _namespace_of_type(cls: type) -> ModuleType | None:
    backend = backend_of_type[cls]
    return None if backend is None else backend.xp


backend_of_type = TypeCache(_backend_of_type)
namespace_of_type = TypeCache(_namespace_of_type)


def refresh() -> None:
    """Forget the loaded plugins and everything derived from them, and load them again.

    Call it after installing a plugin into a running interpreter. Refresh is not meant to
    race with work in other threads.
    """
    with _load_lock:
        _loaded.clear()
        registry.cache_clear()
        for cache in _caches:
            cache.cache_clear()
    registry()


# -- what other packages and users call ------------------------------------------------------


def add_hookspecs(module: ModuleType) -> None:
    """Add a module of hook specifications (used by plugrad packages that define hooks)."""
    if module in _extra_hookspecs:
        return
    _extra_hookspecs.append(module)
    if _loaded:
        # Checking the loaded plugins against the new specs may fail for one of them:
        # reload, so that the failure is that plugin's warning, not this import's error.
        _, error = attempt(lambda: _loaded[0].manager.add_hookspecs(module))
        if error is not None:
            refresh()


def register(plugin: Any) -> None:
    """Register a plugin object or module by hand (it survives :func:`refresh`).

    Plugins registered by hand come after every entry point in pluggy's call order among
    hooks of the same kind, so they are called first. Registering the same object twice
    registers it once.

    Example:
        >>> import plugrad_backends as B
        >>> class Plugin:
        ...     @B.hookimpl
        ...     def plugrad_backends(self):
        ...         return []
        >>> plugin = Plugin()
        >>> B.register(plugin)
        >>> B.unregister(plugin)
    """
    if not any(p is plugin for p in _manual):
        _manual.append(plugin)
    refresh()


def unregister(plugin: Any) -> None:
    """Remove a plugin given to :func:`register` (a no-op for one that was not)."""
    _manual[:] = [p for p in _manual if p is not plugin]
    refresh()


def plugin_manager() -> pluggy.PluginManager:
    """pluggy's plugin manager for project ``"plugrad"`` with every plugin loaded."""
    return registry().manager


def plugins() -> list[PluginInfo]:
    """Every plugin found, with its distribution and what failed, if anything."""
    return list(registry().plugins.values())


@cached
def call_hook(
    hook: str, convert: Callable[[Any], Any] | None = None
) -> tuple[tuple[PluginInfo, Any], ...]:
    """Call hook ``hook`` of every plugin, in pluggy's order; cached until :func:`refresh`.

    A plugin whose hook raises, or whose result ``convert`` refuses (by raising), becomes a
    :class:`~plugrad_backends.PluginLoadWarning` naming its distribution; the others'
    results are returned as ``(plugin, result)`` pairs. ``None`` results are left out.

    Example:
        >>> import plugrad_backends as B
        >>> info, backends = B.call_hook("plugrad_backends")[0]
        >>> info.distribution, backends[0].name
        ('plugrad-backends', 'cpu')
    """
    reg = registry()
    results = []
    for impl in call_order(getattr(reg.manager.hook, hook)):
        result, error = attempt(impl.function)
        if error is None and result is not None and convert is not None:
            result, error = attempt(lambda r=result: convert(r))
        if error is not None:
            reg.failed(impl.plugin_name, f"its {hook} hook: {error}")
        elif result is not None:
            results.append((reg.plugins[impl.plugin_name], result))
    return tuple(results)
