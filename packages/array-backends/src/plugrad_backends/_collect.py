"""Backends and kernels from the plugins' hooks, with pluggy's call order as precedence.

pluggy calls hook implementations marked ``tryfirst`` first, then the plain ones, then
those marked ``trylast``; within each group, the plugin registered last is called first.
Where two plugins give a backend the same name, or the same kernel to one backend, the one
called first keeps it, and a :class:`~plugrad_backends.PluginLoadWarning` names both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pluggy

from ._backend import Backend
from ._boundary import PluginInfo, attempt


@dataclass
class Failures:
    """Where a collector reports: ``failed(plugin_name, message)`` and ``overruled(message)``."""

    failed: Callable[[str, str], None]
    overruled: Callable[[str], None]
    plugins: dict[str, PluginInfo]

    def who(self, impl: pluggy.HookImpl) -> str:
        return self.plugins[impl.plugin_name].describe()

    def dist(self, impl: pluggy.HookImpl) -> str:
        return self.plugins[impl.plugin_name].distribution


def call_order(hook: Any) -> list[pluggy.HookImpl]:
    """The implementations of ``hook`` in the order pluggy calls them (wrappers left out)."""
    return [i for i in reversed(hook.get_hookimpls()) if not (i.hookwrapper or i.wrapper)]


def _call(impl: pluggy.HookImpl, **kwargs: Any) -> tuple[Any, str | None]:
    return attempt(lambda: impl.function(*(kwargs[name] for name in impl.argnames)))


def _what(value: Any) -> str:
    text = repr(value)
    return f"{text[:60]}... (a {type(value).__name__})" if len(text) > 60 else text


def _backends_from(impl: pluggy.HookImpl, failures: Failures) -> list[Backend]:
    result, error = _call(impl)
    if error is not None:
        failures.failed(impl.plugin_name, f"its plugrad_backends hook raised {error}")
        return []
    if result is None:
        return []
    if not isinstance(result, (list, tuple)):
        failures.failed(
            impl.plugin_name,
            f"its plugrad_backends hook returned {_what(result)}; it must return a list of "
            "plugrad_backends.Backend instances",
        )
        return []
    good = []
    for item in result:
        if not isinstance(item, Backend):
            problem = f"{_what(item)}, not a plugrad_backends.Backend instance"
        elif not isinstance(item.name, str) or not item.name:
            problem = f"a {type(item).__name__} without a name (set its class attribute name)"
        else:
            good.append(item)
            continue
        failures.failed(impl.plugin_name, f"its plugrad_backends hook returned {problem}")
    return good


def collect_backends(
    manager: pluggy.PluginManager, failures: Failures
) -> tuple[dict[str, Backend], dict[str, str]]:
    """Every plugin's backends by name, and the distribution each came from."""
    backends: dict[str, Backend] = {}
    owner: dict[str, pluggy.HookImpl] = {}
    for impl in call_order(manager.hook.plugrad_backends):
        for backend in _backends_from(impl, failures):
            if backend.name in owner:
                failures.overruled(
                    f"two plugrad backends are named {backend.name!r}: "
                    f"{failures.who(owner[backend.name])} keeps the name, "
                    f"{failures.who(impl)} is ignored (pluggy calls the first one first; "
                    "mark a hook @hookimpl(tryfirst=True) to take precedence)"
                )
                continue
            backends[backend.name], owner[backend.name] = backend, impl
    return backends, {name: failures.dist(impl) for name, impl in owner.items()}


def _declared_first(first: pluggy.HookImpl, second: pluggy.HookImpl) -> bool:
    """Whether ``first`` precedes ``second`` by its marks, not by registration order."""
    return (first.tryfirst and not second.tryfirst) or (second.trylast and not first.trylast)


def _kernels_from(impl: pluggy.HookImpl, backend: Backend, failures: Failures) -> dict[str, Any]:
    result, error = _call(impl, backend=backend)
    where = f"its plugrad_kernels hook (backend {backend.name!r})"
    if error is not None:
        failures.failed(impl.plugin_name, f"{where} raised {error}")
        return {}
    if result is None:
        return {}
    if not isinstance(result, Mapping):
        failures.failed(
            impl.plugin_name, f"{where} returned {_what(result)}; it must return a dict"
        )
        return {}
    bad = [name for name, fn in result.items() if not isinstance(name, str) or not callable(fn)]
    if bad:
        failures.failed(impl.plugin_name, f"{where} returned non-callable kernels {bad}")
    return {name: fn for name, fn in result.items() if name not in bad}


def install_kernels(
    manager: pluggy.PluginManager, backends: Mapping[str, Backend], failures: Failures
) -> None:
    """Fill every backend's kernel table from the ``plugrad_kernels`` hooks."""
    for backend in backends.values():
        chosen: dict[str, tuple[Any, pluggy.HookImpl]] = {}
        for impl in call_order(manager.hook.plugrad_kernels):
            for name, kernel in _kernels_from(impl, backend, failures).items():
                if name not in chosen:
                    chosen[name] = (kernel, impl)
                elif not _declared_first(chosen[name][1], impl):
                    failures.overruled(
                        f"two plugins give backend {backend.name!r} a kernel {name!r}: "
                        f"{failures.who(chosen[name][1])} keeps it, {failures.who(impl)}'s "
                        "is ignored (mark a hook @hookimpl(tryfirst=True) to take precedence)"
                    )
        backend.kernels.update({name: kernel for name, (kernel, _) in chosen.items()})
