"""The registry: discovery through the entry point, kind loading, manual registration."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

import plugrad_backends as B


def test_cpu_backend_comes_from_its_own_entry_point() -> None:
    infos = {p.name: p for p in B.plugins()}
    assert infos["cpu"].distribution == "plugrad-backends"
    assert infos["cpu"].error is None
    assert "cpu" in B.available()
    assert B.get("cpu").xp is np


def test_info_lists_cpu_with_its_distribution_and_device() -> None:
    text = B.info()
    assert "cpu" in text and "plugrad-backends" in text and "cores" in text


def test_module_entry_point_prints_info() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "plugrad_backends", "info"], capture_output=True, text=True
    )
    assert out.returncode == 0 and "cpu" in out.stdout


class _BrokenBackend(B.Backend):
    name = "nodevice"
    is_gpu = True

    def is_available(self) -> bool:
        return False

    def unavailable_reason(self) -> str:
        return "no GPU found (install the NVIDIA driver)"


class _Plugin:
    @B.hookimpl
    def plugrad_backends(self):
        return [_BrokenBackend()]

    @B.hookimpl
    def plugrad_kernels(self, backend):
        return {"double": lambda x: 2 * x} if backend.name == "cpu" else None


@pytest.fixture
def manual_plugin():
    from plugrad_backends import _registry

    plugin = _Plugin()
    B.register(plugin)
    yield plugin
    _registry._manual.remove(plugin)
    B.refresh()


def test_unavailable_backend_is_registered_but_says_why(manual_plugin) -> None:
    assert "nodevice" in B.registered()
    assert "nodevice" not in B.available()
    with pytest.raises(B.BackendError, match="installed but cannot run: no GPU found"):
        B.get("nodevice")
    assert "unavailable (no GPU found" in B.info()


def test_plugins_can_add_kernels_to_other_backends(manual_plugin) -> None:
    assert B.get("cpu").kernels["double"](np.ones(2)).tolist() == [2.0, 2.0]


def test_gpu_is_minus_one_without_an_available_gpu(manual_plugin) -> None:
    assert B.gpu() == -1
    assert B.gpu(True) == -1
    assert B.current().name == "cpu"


def test_unknown_backend_lists_installed_ones() -> None:
    with pytest.raises(B.BackendError, match=r"unknown plugrad backend 'tpu'.*installed.*cpu"):
        B.get("tpu")
    if "cuda" not in B.registered():
        with pytest.raises(B.BackendError, match=r"install plugrad-cuda"):
            B.use("cuda")


def test_broken_plugin_only_warns(monkeypatch) -> None:
    from plugrad_backends import _registry

    class FakeDist:
        name = "plugrad-broken"
        version = "9.9"

    class FakeEntryPoint:
        name = "broken"
        dist = FakeDist()

        def load(self):
            raise ImportError("missing dependency 'libfoo'")

    real = _registry._selected_entry_points
    monkeypatch.setattr(_registry, "_selected_entry_points", lambda: [*real(), FakeEntryPoint()])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        B.refresh()
    monkeypatch.undo()
    messages = [str(w.message) for w in caught if issubclass(w.category, B.PluginLoadWarning)]
    assert any("'plugrad-broken'" in m and "libfoo" in m for m in messages)
    assert "cpu" in B.available()
    B.refresh()


def test_autoload_off_loads_only_named_entry_points(monkeypatch) -> None:
    from plugrad_backends import _registry

    monkeypatch.setenv("PLUGRAD_NO_AUTOLOAD", "1")
    monkeypatch.setenv("PLUGRAD_PLUGINS", "none-of-them")
    assert _registry._selected_entry_points() == []
    monkeypatch.setenv("PLUGRAD_PLUGINS", "cpu")
    assert [ep.name for ep in _registry._selected_entry_points()] == ["cpu"]
