"""Fixtures: the kernel table, thread counts, and the comparison every test makes."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_cpu_kernels as K

# Every kernel equals the portable path within these relative tolerances.
RTOL = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-12}


def assert_matches(got, want, dtype, atol: float | None = None) -> None:
    """``got`` equals ``want`` to the dtype's tolerance (relative, tiny absolute floor).

    ``atol`` widens the floor where the formula cancels (gelu's ``1 + erf`` for very
    negative inputs): there one ulp of difference in erf or tanh, between two libraries
    that are each within their documented error, is a large relative difference.
    """
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    tiny = np.finfo(dtype).tiny * 1e3 if atol is None else atol
    np.testing.assert_allclose(got, want, rtol=RTOL[np.dtype(dtype)], atol=tiny)


@pytest.fixture
def matches():
    """The comparison: ``matches(got, want, dtype)``."""
    return assert_matches


@pytest.fixture(params=[1, 2], ids=["1thread", "2threads"])
def threads(request):
    """Run the test with the kernels on 1 and on 2 threads."""
    before = K.num_threads()
    K.set_num_threads(request.param)
    yield request.param
    K.set_num_threads(before)


@pytest.fixture(scope="session")
def table():
    """Every kernel of the plugin (installed or not), whatever PLUGRAD_CPU_KERNELS says."""
    return K.kernel_table(everything=True)
