"""The backend on a GPU: marked ``cuda`` and skipped where no device is visible."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import plugrad_backends as B
import plugrad_cuda
from plugrad_cuda import _cupy

_REASON = _cupy.unavailable_reason()
pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(_REASON is not None, reason=f"CUDA backend unavailable: {_REASON}"),
]

MIB = 2**20


@pytest.fixture
def cuda():
    previous = B.current().name
    backend = B.get("cuda")
    device = backend.current_device()
    yield backend
    backend.select_device(device)
    B.use(previous)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "bool"])
def test_host_device_round_trip_keeps_values_and_dtype(cuda, dtype) -> None:
    host = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    device = cuda.from_host(host)
    assert isinstance(device, cuda.xp.ndarray) and isinstance(device, cuda.array_types)
    assert device.dtype == host.dtype and device.shape == host.shape
    back = cuda.to_host(device)
    assert type(back) is np.ndarray and back.dtype == host.dtype
    np.testing.assert_array_equal(back, host)


def test_conversions_and_the_registry_api(cuda) -> None:
    x = cuda.from_host(np.ones(3), dtype=np.float32)
    assert x.dtype == np.float32
    assert cuda.asarray(x) is x
    assert B.of(x) is cuda
    y = B.array([1.0, 2.0], device="cuda")
    assert isinstance(y, cuda.xp.ndarray) and y.dtype == np.float32
    assert B.to_host(y * 2).tolist() == [2.0, 4.0]
    assert B.to_host(B.array(y, device="cpu")).tolist() == [1.0, 2.0]
    with pytest.raises(B.BackendError, match="different backends"):
        B.of(y, np.ones(2))
    assert float(cuda.to_host(cuda.special.erf(cuda.xp.zeros(1)))[0]) == 0.0


def test_seed_makes_the_generator_reproducible(cuda) -> None:
    B.seed(7)
    a = cuda.to_host(cuda.rng.standard_normal(5, dtype=np.float32))
    b = cuda.to_host(cuda.rng.standard_normal(5, dtype=np.float32))
    B.seed(7)
    np.testing.assert_array_equal(cuda.to_host(cuda.rng.standard_normal(5, dtype=np.float32)), a)
    assert not np.array_equal(a, b)
    B.seed(8)
    assert not np.array_equal(cuda.to_host(cuda.rng.standard_normal(5, dtype=np.float32)), a)


def test_synchronize_waits_for_queued_work(cuda) -> None:
    x = cuda.xp.ones((512, 512), dtype=np.float32)
    y = x @ x
    assert cuda.synchronize() is None
    assert float(cuda.to_host(y[0, 0])) == 512.0


def test_devices_and_selection(cuda) -> None:
    count = cuda.xp.cuda.runtime.getDeviceCount()
    found = cuda.devices()
    assert len(found) == count and found[0].startswith("0: ") and "GiB" in found[0]
    cuda.select_device(count - 1)
    assert cuda.current_device() == count - 1
    assert B.get(f"cuda:{count - 1}") is cuda
    with pytest.raises(ValueError, match=rf"no CUDA device {count}; {count} device\(s\) visible"):
        cuda.select_device(count)
    B.use("cuda")
    assert B.gpu() == count - 1
    assert B.gpu(0) == 0 and cuda.current_device() == 0


def test_gc_gives_pool_blocks_back_to_the_device(cuda) -> None:
    plugrad_cuda.gc()  # so that x gets a block of its own, not part of a cached one
    x = cuda.xp.zeros(64 * MIB, dtype=np.uint8)
    held = plugrad_cuda.memory_info()
    assert held.pool_used >= 64 * MIB
    del x
    cached = plugrad_cuda.memory_info()
    assert cached.pool_total - cached.pool_used >= 64 * MIB
    assert plugrad_cuda.gc() >= 64 * MIB
    after = plugrad_cuda.memory_info()
    assert after.pool_total <= cached.pool_total - 64 * MIB
    assert after.pool_used <= after.pool_total <= after.device_total
    assert 0 < after.device_used <= after.device_total
    assert str(after).startswith(f"cuda:{after.device}: pool ")
    assert cuda.gc() >= 0 and cuda.memory_info().device == after.device


def test_nothing_is_allocated_upfront() -> None:
    code = """
        import cupy, plugrad_backends as B
        B.seed(0)
        cuda = B.get("cuda")
        cuda.devices(), cuda.current_device()
        pool = cupy.get_default_memory_pool()
        print(pool.total_bytes(), pool.get_limit())
    """
    env = {k: v for k, v in os.environ.items() if k != "CUPY_GPU_MEMORY_LIMIT"}
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "0"]


def test_matmul_precision_switches_between_float32_and_tf32(cuda) -> None:
    has_tf32 = int(cuda.xp.cuda.Device().compute_capability) >= 80  # "80" for sm_80
    a = cuda.from_host(np.random.default_rng(0).standard_normal((256, 256), dtype=np.float32))
    exact = cuda.to_host(a).astype(np.float64) @ cuda.to_host(a).astype(np.float64)
    previous = plugrad_cuda.set_matmul_precision("highest")
    try:
        assert plugrad_cuda.matmul_precision() == "highest"
        full = np.abs(cuda.to_host(a @ a) - exact).max()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # cupy warns on GPUs without TF32
            assert plugrad_cuda.set_matmul_precision("tf32") == "highest"
        assert plugrad_cuda.matmul_precision() == ("tf32" if has_tf32 else "highest")
        fast = np.abs(cuda.to_host(a @ a) - exact).max()
        if has_tf32:
            assert fast > full  # TF32 rounds the inputs to a 10-bit mantissa
    finally:
        plugrad_cuda.set_matmul_precision(previous)
