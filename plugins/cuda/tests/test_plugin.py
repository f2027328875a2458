"""The plugin on any machine: cheap import, discovery, and precise reasons when it cannot run.

"cupy not installed" is simulated with ``sys.modules["cupy"] = None`` in a subprocess, "cupy
but no device" with a stand-in cupy module, so these tests mean the same whether or not
cupy, a driver or a GPU is present.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator

import pytest

import plugrad_backends as B
import plugrad_cuda
from plugrad_cuda import _cupy

NOT_INSTALLED = "cupy is not installed: pip install cupy-cuda12x"
NO_DEVICE = "cupy imported but no CUDA device is visible: "


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PLUGRAD_NO_AUTOLOAD", "CUPY_TF32")}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_importing_the_plugin_does_not_import_cupy() -> None:
    out = run_python(
        """
        import sys
        import plugrad_cuda
        assert "cupy" not in sys.modules, "import plugrad_cuda imported cupy"
        import plugrad_backends as B
        assert "cuda" in B.registered()
        x = B.array([1.0, 2.0])
        assert B.of(x).name == "cpu" and B.to_host(x).tolist() == [1.0, 2.0]
        assert "cupy" not in sys.modules, "CPU work imported cupy"
        print("ok")
        """
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_without_cupy_the_backend_is_registered_and_says_what_to_install() -> None:
    out = run_python(
        """
        import sys
        sys.modules["cupy"] = None  # as if cupy were not installed
        import numpy as np
        import plugrad_backends as B
        import plugrad_cuda

        assert "cuda" in B.registered(), B.registered()
        assert "cuda" not in B.available(), B.available()
        try:
            B.get("cuda")
        except B.BackendError as exc:
            print("get:", exc)
        cuda = plugrad_cuda.CudaBackend()
        print("reason:", cuda.unavailable_reason())
        assert cuda.array_types == ()
        for call in (lambda: cuda.xp, plugrad_cuda.gc, plugrad_cuda.memory_info,
                     lambda: cuda.from_host(np.ones(2))):
            try:
                call()
            except B.BackendError as exc:
                print("call:", exc)
        assert B.to_host(B.array([3.0])).tolist() == [3.0]
        print(B.info())
        """
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert f"get: plugrad backend 'cuda' is installed but cannot run: {NOT_INSTALLED}" in lines
    assert f"reason: {NOT_INSTALLED}" in lines
    calls = [line for line in lines if line.startswith("call:")]
    assert len(calls) == 4 and all(line.endswith(NOT_INSTALLED) for line in calls)
    assert f"from plugrad-cuda: unavailable ({NOT_INSTALLED})" in out.stdout


def test_module_info_without_cupy_shows_cuda_unavailable_with_the_reason() -> None:
    out = run_python(
        """
        import runpy, sys
        sys.modules["cupy"] = None
        runpy.run_module("plugrad_backends", run_name="__main__")
        """,
        "info",
    )
    assert out.returncode == 0, out.stderr
    backends = out.stdout.split("backends:", 1)[1]
    [line] = [line for line in backends.splitlines() if line.strip().startswith("cuda ")]
    assert "from plugrad-cuda" in line and f"unavailable ({NOT_INSTALLED})" in line


def test_module_info_reports_cuda_as_this_machine_sees_it() -> None:
    out = run_python("import runpy; runpy.run_module('plugrad_backends', run_name='__main__')")
    assert out.returncode == 0, out.stderr
    backends = out.stdout.split("backends:", 1)[1]
    [line] = [line for line in backends.splitlines() if line.strip().startswith("cuda ")]
    reason = _cupy.unavailable_reason()
    if reason is None:
        assert "available, devices: 0: " in line
    else:
        assert f"unavailable ({reason})" in line


def test_the_plugin_comes_from_its_entry_point() -> None:
    infos = {p.name: p for p in B.plugins()}
    assert infos["cuda"].distribution == "plugrad-cuda"
    assert infos["cuda"].error is None
    [backend] = plugrad_cuda.plugrad_backends()
    assert isinstance(backend, plugrad_cuda.CudaBackend)
    assert (backend.name, backend.is_gpu) == ("cuda", True)


# -- a stand-in cupy: imports, but the CUDA runtime sees no device ------------------------


def _fake_cupy(get_device_count) -> types.ModuleType:
    cupy = types.ModuleType("cupy")
    cupy.ndarray = type("ndarray", (), {})  # type: ignore[attr-defined]
    runtime = types.SimpleNamespace(getDeviceCount=get_device_count)
    cupy.cuda = types.SimpleNamespace(runtime=runtime)  # type: ignore[attr-defined]
    return cupy


def _no_driver() -> int:
    raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")


@pytest.fixture
def use_cupy(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Install a stand-in cupy for one test; the probe is re-run before and after."""

    def install(cupy: types.ModuleType) -> None:
        monkeypatch.setitem(sys.modules, "cupy", cupy)
        _cupy.import_cupy.cache_clear()
        _cupy.unavailable_reason.cache_clear()

    yield install
    monkeypatch.undo()
    _cupy.import_cupy.cache_clear()
    _cupy.unavailable_reason.cache_clear()


def test_cupy_without_a_device_is_registered_and_says_why(use_cupy, monkeypatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    use_cupy(_fake_cupy(_no_driver))
    reason = NO_DEVICE + "cudaErrorNoDevice: no CUDA-capable device is detected"
    assert "cuda" in B.registered()
    assert "cuda" not in B.available()
    with pytest.raises(B.BackendError) as caught:
        B.get("cuda")
    assert str(caught.value).endswith(f"cannot run: {reason}")
    assert f"unavailable ({reason})" in B.info()
    assert B.gpu(True) == -1 and B.current().name == "cpu"


def test_a_device_count_of_zero_names_cuda_visible_devices(use_cupy, monkeypatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    use_cupy(_fake_cupy(lambda: 0))
    assert plugrad_cuda.CudaBackend().unavailable_reason() == (
        NO_DEVICE + "getDeviceCount() returned 0 (CUDA_VISIBLE_DEVICES='')"
    )


def test_gpu_calls_without_a_device_raise_backend_error_with_the_reason(use_cupy) -> None:
    use_cupy(_fake_cupy(_no_driver))
    cuda = plugrad_cuda.CudaBackend()
    calls = {
        "plugrad_cuda.gc": plugrad_cuda.gc,
        "plugrad_cuda.memory_info": plugrad_cuda.memory_info,
        "set_matmul_precision": lambda: plugrad_cuda.set_matmul_precision("tf32"),
        "matmul_precision": plugrad_cuda.matmul_precision,
        "cuda backend from_host": lambda: cuda.from_host([1.0]),
        "cuda backend rng": lambda: cuda.rng,
        "cuda backend synchronize": cuda.synchronize,
        "cuda backend select_device": lambda: cuda.select_device(0),
    }
    for op, call in calls.items():
        expected = re.escape(f"{op}: the CUDA backend cannot run: {NO_DEVICE}")
        with pytest.raises(B.BackendError, match=f"^{expected}"):
            call()


def test_a_broken_cupy_is_reported_as_broken_not_missing(use_cupy, monkeypatch) -> None:
    class BrokenCupyFinder:
        def find_spec(self, name, path=None, target=None):
            if name == "cupy":
                raise ImportError("libcudart.so.12: cannot open shared object file")
            return None

    monkeypatch.delitem(sys.modules, "cupy", raising=False)
    monkeypatch.setattr(sys, "meta_path", [BrokenCupyFinder(), *sys.meta_path])
    _cupy.import_cupy.cache_clear()
    _cupy.unavailable_reason.cache_clear()
    reason = plugrad_cuda.CudaBackend().unavailable_reason()
    assert reason is not None
    assert reason.startswith("cupy is installed but failed to import (ImportError: libcudart")
    assert reason.endswith("pip install cupy-cuda12x")
    assert plugrad_cuda.CudaBackend().array_types == ()


def test_select_device_out_of_range_says_how_many_devices_exist(use_cupy, monkeypatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    use_cupy(_fake_cupy(lambda: 2))
    cuda = plugrad_cuda.CudaBackend()
    with pytest.raises(ValueError, match=r"no CUDA device 2; 2 device\(s\) visible, ids 0 to 1$"):
        cuda.select_device(2)
    with pytest.raises(ValueError, match="no CUDA device -1"):
        cuda.select_device(-1)
    with pytest.raises(TypeError, match=r"a CUDA device id is an int, got 0\.5"):
        cuda.select_device(0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no CUDA device 3"):
        plugrad_cuda.gc(3)


def test_set_matmul_precision_rejects_unknown_precisions() -> None:
    with pytest.raises(ValueError, match="expected 'highest' or 'tf32', got 'fp16'"):
        plugrad_cuda.set_matmul_precision("fp16")


# -- the real cupy where it is installed ----------------------------------------------------

needs_cupy = pytest.mark.skipif(
    importlib.util.find_spec("cupy") is None or _cupy.import_cupy()[0] is None,
    reason="cupy is not installed (or does not import) here",
)


@needs_cupy
@pytest.mark.skipif(_cupy.unavailable_reason() is None, reason="a CUDA device is visible")
def test_real_cupy_without_a_device_reports_the_runtime_error() -> None:
    cupy = _cupy.import_cupy()[0]
    with pytest.raises(Exception) as caught:
        cupy.cuda.runtime.getDeviceCount()
    reason = plugrad_cuda.CudaBackend().unavailable_reason()
    assert reason is not None and reason.startswith(NO_DEVICE + str(caught.value))


@needs_cupy
def test_real_cupy_namespaces_import_without_a_device() -> None:
    cuda = plugrad_cuda.CudaBackend()
    cupy = _cupy.import_cupy()[0]
    assert cuda.xp is cupy
    assert callable(cuda.special.erf) and callable(cuda.special.gammaln)
    assert cuda.array_types == (cupy.ndarray,)


@needs_cupy
def test_matmul_precision_drives_cupys_compute_type_switch(monkeypatch) -> None:
    # "highest" needs no device query inside cupy, so the real switch can be exercised
    # without a GPU; "tf32" asks for the compute capability and is tested in test_gpu.py.
    monkeypatch.setattr(_cupy, "unavailable_reason", lambda: None)
    monkeypatch.delenv("CUPY_TF32", raising=False)
    assert plugrad_cuda.set_matmul_precision("highest") == "highest"
    assert plugrad_cuda.matmul_precision() == "highest"
