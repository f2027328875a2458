"""Plugins that misbehave become warnings naming their distribution; the others stay."""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pluggy
import pytest

import plugrad_backends as B


class _FakeDist:
    def __init__(self, name: str) -> None:
        self.name = name
        self.version = "9.9"


class _FakeEntryPoint:
    """An entry point of the ``plugrad`` group whose ``load()`` runs ``loader``."""

    def __init__(self, name: str, dist: str, loader: Any) -> None:
        self.name = name
        self.dist = _FakeDist(dist)
        self._loader = loader

    def load(self) -> Any:
        return self._loader()


@pytest.fixture
def install(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``install(name, dist, loader)``: add a fake entry point, reload, return the warnings."""
    from plugrad_backends import _registry

    real = _registry._selected_entry_points
    fakes: list[_FakeEntryPoint] = []
    monkeypatch.setattr(_registry, "_selected_entry_points", lambda: [*real(), *fakes])

    def install(*entries: tuple[str, str, Any]) -> list[str]:
        fakes.extend(_FakeEntryPoint(*entry) for entry in entries)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            B.refresh()
        return [str(w.message) for w in caught if issubclass(w.category, B.PluginLoadWarning)]

    yield install
    monkeypatch.undo()
    B.refresh()


def _module(**hooks: Any) -> types.ModuleType:
    module = types.ModuleType("plugrad_fake_plugin")
    for name, fn in hooks.items():
        setattr(module, name, B.hookimpl(fn))
    return module


class _Thirdparty(B.Backend):
    name = "thirdparty"
    xp = np
    array_types = ()


def _raising(exc: BaseException) -> Any:
    def hook() -> Any:
        raise exc

    return hook


def _assert_cpu_works() -> None:
    assert "cpu" in B.available()
    assert B.of(B.array([1.0])).name == "cpu"


def test_a_backends_hook_that_raises_is_a_warning(install) -> None:
    messages = install(
        ("bad", "plugrad-bad", lambda: _module(plugrad_backends=_raising(RuntimeError("boom")))),
        ("good", "plugrad-good", lambda: _module(plugrad_backends=lambda: [_Thirdparty()])),
    )
    assert any("'plugrad-bad'" in m and "RuntimeError: boom" in m for m in messages), messages
    _assert_cpu_works()
    assert "thirdparty" in B.available()
    [info] = [p for p in B.plugins() if p.name == "bad"]
    assert info.distribution == "plugrad-bad" and "RuntimeError: boom" in info.error


@pytest.mark.parametrize(
    "returned",
    [["not a backend"], "cpu", B.Backend, None.__class__, [np]],
    ids=["list-of-str", "str", "class", "type", "module"],
)
def test_a_backends_hook_returning_something_else_is_a_warning(install, returned) -> None:
    messages = install(("odd", "plugrad-odd", lambda: _module(plugrad_backends=lambda: returned)))
    assert any("'plugrad-odd'" in m and "Backend" in m for m in messages), messages
    _assert_cpu_works()


def test_a_backend_without_a_name_is_a_warning(install) -> None:
    class Nameless(B.Backend):
        xp = np

    messages = install(
        ("nameless", "plugrad-nameless", lambda: _module(plugrad_backends=lambda: [Nameless()]))
    )
    assert any("'plugrad-nameless'" in m and "name" in m for m in messages), messages
    assert "" not in B.registered()
    _assert_cpu_works()


@pytest.mark.parametrize("entry_point", ["impostor", "cpu"])
def test_a_third_party_cpu_does_not_displace_the_built_in_one(install, entry_point) -> None:
    builtin = type(B.get("cpu"))

    class Impostor(B.Backend):
        name = "cpu"
        xp = np
        array_types = (np.ndarray,)

    messages = install(
        (entry_point, "plugrad-impostor", lambda: _module(plugrad_backends=lambda: [Impostor()]))
    )
    assert any(
        "'cpu'" in m and "'plugrad-impostor'" in m and "'plugrad-backends'" in m for m in messages
    ), messages
    assert type(B.get("cpu")) is builtin
    backends = B.info().split("\nbackends:")[1]
    [line] = [x for x in backends.splitlines() if x.strip().startswith("cpu ")]
    assert "from plugrad-backends" in line


def test_a_plugin_that_asks_first_takes_a_name_with_a_warning(install) -> None:
    class Preferred(B.Backend):
        name = "cpu"
        xp = np
        array_types = (np.ndarray, np.generic)

        def seed(self, n: int) -> None:
            pass

    @B.hookimpl(tryfirst=True)
    def plugrad_backends() -> list[B.Backend]:
        return [Preferred()]

    module = types.ModuleType("plugrad_preferred")
    module.plugrad_backends = plugrad_backends  # type: ignore[attr-defined]
    # The built-in CPU hook also asks to go first; among those, pluggy calls the plugin
    # registered last first, and a hand-registered plugin comes after every entry point.
    with pytest.warns(B.PluginLoadWarning, match=r"'plugrad_preferred'.*keeps the name"):
        B.register(module)
    try:
        assert type(B.get("cpu")) is Preferred
    finally:
        B.unregister(module)
    assert type(B.get("cpu")) is not Preferred


@pytest.mark.parametrize(
    "exc", [SystemExit(3), SystemExit("bye"), GeneratorExit(), BaseException("odd")], ids=repr
)
def test_base_exceptions_in_a_plugins_import_are_warnings(install, exc) -> None:
    messages = install(("exits", "plugrad-exits", _raising(exc)))
    assert any("'plugrad-exits'" in m and type(exc).__name__ in m for m in messages), messages
    _assert_cpu_works()


def test_system_exit_in_a_hook_is_a_warning(install) -> None:
    messages = install(
        ("exits", "plugrad-exits", lambda: _module(plugrad_backends=_raising(SystemExit(1))))
    )
    assert any("'plugrad-exits'" in m and "SystemExit" in m for m in messages), messages
    _assert_cpu_works()


def test_a_kernels_hook_that_raises_is_a_warning(install) -> None:
    messages = install(
        ("kbad", "plugrad-kbad", lambda: _module(plugrad_kernels=lambda backend: 1 / 0)),
        ("kodd", "plugrad-kodd", lambda: _module(plugrad_kernels=lambda backend: ["x"])),
    )
    assert any("'plugrad-kbad'" in m and "ZeroDivisionError" in m for m in messages), messages
    assert any("'plugrad-kodd'" in m and "dict" in m for m in messages), messages
    _assert_cpu_works()


def test_keyboard_interrupt_is_not_swallowed(install) -> None:
    with pytest.raises(KeyboardInterrupt):
        install(("ctrlc", "plugrad-ctrlc", _raising(KeyboardInterrupt())))


def test_info_reports_a_failed_plugin_with_its_distribution_and_reason(install) -> None:
    install(
        ("exits", "plugrad-exits", _raising(SystemExit(2))),
        ("bad", "plugrad-bad", lambda: _module(plugrad_backends=_raising(ValueError("no device")))),
    )
    text = B.info()
    [exits] = [line for line in text.splitlines() if line.strip().startswith("exits ")]
    assert "plugrad-exits" in exits and "FAILED" in exits and "SystemExit: 2" in exits
    [bad] = [line for line in text.splitlines() if line.strip().startswith("bad ")]
    assert "plugrad-bad" in bad and "FAILED" in bad and "ValueError: no device" in bad


def test_a_backend_that_cannot_be_seeded_does_not_stop_seed(install) -> None:
    class Unseedable(B.Backend):  # no seed(): the contract's default raises
        name = "unseedable"
        xp = np

    install(
        (
            "unseedable",
            "plugrad-unseedable",
            lambda: _module(plugrad_backends=lambda: [Unseedable()]),
        )
    )
    with pytest.warns(B.PluginLoadWarning, match=r"'unseedable'.*'plugrad-unseedable'.*seed"):
        B.seed(4)
    assert B.get("cpu").rng.random() == np.random.default_rng(4).random()


def test_registering_the_same_plugin_twice_registers_it_once() -> None:
    class Plugin:
        @B.hookimpl
        def plugrad_backends(self):
            return [_Thirdparty()]

    plugin = Plugin()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second copy would clash with the first
        B.register(plugin)
        B.register(plugin)
    try:
        assert "thirdparty" in B.available()
    finally:
        B.unregister(plugin)
    assert "thirdparty" not in B.registered()


def test_hookspecs_added_late_that_a_plugin_breaks_make_it_a_warning() -> None:
    from plugrad_backends import _registry

    class Plugin:
        @B.hookimpl
        def plugrad_late_hook(self, wrong_argument):
            return 1

    spec = types.ModuleType("late_specs")
    spec.plugrad_late_hook = pluggy.HookspecMarker("plugrad")(lambda value: None)  # type: ignore[attr-defined]
    plugin = Plugin()
    B.register(plugin)
    try:
        with pytest.warns(B.PluginLoadWarning, match="wrong_argument"):
            B.add_hookspecs(spec)
        _assert_cpu_works()
    finally:
        _registry._extra_hookspecs.remove(spec)
        B.unregister(plugin)
