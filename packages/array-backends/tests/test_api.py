"""User functions: arrays on backends, defaults, dtypes, seeds, mixed-backend errors."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_backends as B


def test_array_uses_default_float_dtype(backend) -> None:
    x = B.array([1.0, 2.0], device=backend.name)
    assert x.dtype == np.float32
    assert B.of(x) is backend
    assert B.array([1, 2], device=backend.name).dtype.kind == "i"
    assert B.array([1, 2], device=backend.name, dtype="float64").dtype == np.float64


def test_array_keeps_array_dtype_and_converts_on_request(backend) -> None:
    host = np.arange(3, dtype=np.float64)
    x = B.array(host, device=backend.name)
    assert x.dtype == np.float64
    assert B.array(x, device=backend.name, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(B.to_host(x), host)
    assert type(B.to_host(x)) is np.ndarray


def test_default_dtype_round_trip() -> None:
    old = B.set_default_dtype(np.float64)
    try:
        assert B.array([1.5]).dtype == np.float64
        assert B.default_dtype() == np.float64
    finally:
        B.set_default_dtype(old)
    with pytest.raises(TypeError, match="float dtype"):
        B.set_default_dtype(np.int32)


def test_use_and_using_restore_default() -> None:
    assert B.current().name == "cpu"
    with B.using("cpu") as cpu:
        assert cpu is B.current()
    assert B.use("cpu").name == "cpu"


def test_seed_makes_draws_reproducible(backend) -> None:
    B.seed(123)
    a = B.to_host(backend.rng.standard_normal(5))
    B.seed(123)
    b = B.to_host(backend.rng.standard_normal(5))
    np.testing.assert_array_equal(a, b)
    B.seed(124)
    assert not np.array_equal(a, B.to_host(backend.rng.standard_normal(5)))


def test_of_ignores_python_values_and_defaults() -> None:
    assert B.of(1.0, None, [1, 2]).name == "cpu"
    assert B.of().name == "cpu"
    assert B.of(np.float32(1.0)).name == "cpu"


def test_mixed_backends_error_names_both() -> None:
    class Other(np.ndarray):
        pass

    class OtherBackend(B.Backend):
        name = "other"
        xp = np
        array_types = (Other,)

    class Plugin:
        @B.hookimpl
        def plugrad_backends(self):
            return [OtherBackend()]

    plugin = Plugin()
    B.register(plugin)
    try:
        y = np.zeros(2).view(Other)
        with pytest.raises(B.BackendError, match=r"different backends.*'cpu'.*'other'"):
            B.of(np.zeros(3), y)
        err = B.mixed_backends_error((np.zeros(3), y), "add")
        assert str(err).startswith("add: arrays from different backends")
    finally:
        B.unregister(plugin)


def test_synchronize_and_devices(backend) -> None:
    backend.synchronize()
    assert backend.devices()
