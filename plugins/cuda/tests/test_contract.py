"""One test body on every registered backend (the CUDA one where a GPU is visible)."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_backends as B


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_round_trip_and_namespace(backend, dtype) -> None:
    host = np.arange(6, dtype=dtype).reshape(2, 3)
    x = backend.from_host(host)
    assert isinstance(x, backend.array_types) and x.dtype == host.dtype
    assert B.of(x) is backend
    y = backend.xp.sum(x * 2, axis=1)
    backend.synchronize()
    np.testing.assert_array_equal(backend.to_host(y), (host * 2).sum(axis=1))


def test_seeded_generator_repeats(backend) -> None:
    B.seed(123)
    first = backend.to_host(backend.rng.random(4))
    B.seed(123)
    np.testing.assert_array_equal(backend.to_host(backend.rng.random(4)), first)
