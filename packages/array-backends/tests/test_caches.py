"""The registry owns every cache derived from the plugins; refresh clears them all."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pluggy
import pytest

import plugrad_backends as B
from plugrad_backends import _registry

SRC = Path(B.__file__).parent


class _Sub(np.ndarray):
    """Arrays a later plugin claims as its own."""


class _SubBackend(B.Backend):
    name = "sub"
    xp = np
    array_types = (_Sub,)


class _SubPlugin:
    @B.hookimpl
    def plugrad_backends(self):
        return [_SubBackend()]


def test_a_type_seen_before_a_plugin_registers_is_looked_up_again() -> None:
    x = np.zeros(2).view(_Sub)
    assert B.of(x).name == "cpu"  # a numpy subclass: the CPU's until a plugin claims it
    plugin = _SubPlugin()
    B.register(plugin)
    try:
        assert B.of(x).name == "sub"
    finally:
        B.unregister(plugin)
    assert B.of(x).name == "cpu"


class _Devices(B.Backend):
    """Three devices; the active one is plain state, as cupy's is per thread."""

    name = "multi"
    xp = np
    array_types = ()

    def __init__(self) -> None:
        super().__init__()
        self.device = 0
        self.switches: list[int] = []

    def devices(self) -> list[str]:
        return ["d0", "d1", "d2"]

    def current_device(self) -> int:
        return self.device

    def select_device(self, device: int) -> None:
        if not 0 <= device < 3:
            raise ValueError(f"no device {device}")
        self.switches.append(device)
        self.device = device


@pytest.fixture
def multi():
    backend = _Devices()

    class Plugin:
        @B.hookimpl
        def plugrad_backends(self):
            return [backend]

    plugin = Plugin()
    B.register(plugin)
    yield backend
    B.unregister(plugin)


def test_get_with_a_device_does_not_switch_the_device(multi) -> None:
    assert B.get("multi:2") is multi
    assert multi.device == 0 and multi.switches == []
    with pytest.raises(B.BackendError, match=r"'multi' has no device 5.*3 devices"):
        B.get("multi:5")
    with pytest.raises(B.BackendError, match=r"'multi:x'.*device number"):
        B.get("multi:x")


def test_array_on_a_device_leaves_the_active_device_alone(multi) -> None:
    seen = []
    multi.from_host = lambda x, dtype=None: seen.append(multi.device) or np.asarray(x, dtype)
    B.array([1.0], device="multi:1")
    assert seen == [1] and multi.device == 0


def test_using_restores_the_device_and_the_default(multi) -> None:
    with B.using("multi:2") as backend:
        assert backend is multi and multi.device == 2 and B.current() is multi
    assert multi.device == 0 and B.current().name == "cpu"
    B.use("multi:1")
    try:
        with B.using("multi:2"):
            assert multi.device == 2
        assert multi.device == 1 and B.current() is multi
    finally:
        B.use("cpu")
        multi.select_device(0)


def _imports(module: Path) -> set[str]:
    """Sibling modules a module of plugrad_backends imports, at any level of the file."""
    found = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_the_modules_import_each_other_without_cycles() -> None:
    graph = {p.stem: _imports(p) for p in SRC.glob("*.py")}

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        for nxt in graph.get(name, ()):
            visit(nxt, (*path, name))

    for name in graph:
        visit(name, ())


def test_using_in_one_thread_leaves_the_other_threads_default_alone(multi) -> None:
    import threading

    inside, outside = threading.Barrier(2), threading.Barrier(2)
    seen: dict[str, str] = {}

    def in_block() -> None:
        with B.using("multi"):
            inside.wait()  # the other thread looks while this block is open
            seen["in block"] = B.current().name
            outside.wait()

    def beside() -> None:
        inside.wait()
        seen["beside"] = B.current().name
        seen["get"] = B.get().name
        outside.wait()

    threads = [threading.Thread(target=in_block), threading.Thread(target=beside)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"in block": "multi", "beside": "cpu", "get": "cpu"}
    assert B.current().name == "cpu"


def test_use_sets_the_default_of_every_thread(multi) -> None:
    from concurrent.futures import ThreadPoolExecutor

    B.use("multi")
    try:
        with ThreadPoolExecutor(1) as pool:
            assert pool.submit(lambda: B.current().name).result() == "multi"
    finally:
        B.use("cpu")


def test_use_inside_a_using_block_takes_effect_there_and_stays(multi) -> None:
    try:
        with B.using("multi"):
            B.use("cpu")
            assert B.current().name == "cpu"
            B.use("multi")
        assert B.current() is multi
    finally:
        B.use("cpu")


def test_threads_asking_first_share_one_load() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from plugrad_backends import _registry

    with _registry._load_lock:  # forget the plugins without loading them again
        _registry._loaded.clear()
        _registry.registry.cache_clear()
        for cache in _registry._caches:
            cache.cache_clear()
    import threading

    start = threading.Barrier(8)

    def first_call(_: int) -> int:
        start.wait()
        return id(B.get("cpu"))

    with ThreadPoolExecutor(8) as pool:
        assert len(set(pool.map(first_call, range(8)))) == 1


_late_hookspec = pluggy.HookspecMarker("plugrad")


class _LateSpecs:
    """Hook specifications that a package adds when a plugin's import pulls it in."""

    @_late_hookspec
    def plugrad_late_hook(self) -> list:
        """A hook defined by a package imported while the plugins load."""


class _AddsSpecsWhileLoading:
    # plugrad-distributed's entry point imports plugrad_autograd, which adds its hookspecs:
    # that happens inside the registry's load, as this hook does.
    @B.hookimpl
    def plugrad_backends(self):
        B.add_hookspecs(_LateSpecs)
        return []


def test_hookspecs_added_while_the_plugins_load_reach_the_manager() -> None:
    plugin = _AddsSpecsWhileLoading()
    B.register(plugin)
    try:
        assert B.call_hook("plugrad_late_hook") == ()
    finally:
        B.unregister(plugin)
        _registry._extra_hookspecs.remove(_LateSpecs)
        B.refresh()
