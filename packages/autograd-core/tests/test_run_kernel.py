"""run_kernel: the one dispatch of ops to a backend's kernels, with the portable fallback."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B


@pytest.fixture
def kernels(monkeypatch):
    table = B.get("cpu").kernels
    monkeypatch.delitem(table, "test_double", raising=False)
    return lambda fn: monkeypatch.setitem(table, "test_double", fn)


def _portable(*args):
    return ("portable", args[-1] * 2)


def test_without_a_kernel_the_portable_function_runs(kernels):
    assert ag.run_kernel("test_double", _portable, np.ones(2))[0] == "portable"


def test_a_kernel_runs_in_place_of_the_portable_function(kernels):
    kernels(lambda x: ("kernel", x * 2))
    kind, y = ag.run_kernel("test_double", _portable, np.ones(2))
    assert kind == "kernel" and y.tolist() == [2.0, 2.0]


def test_a_kernel_returning_not_implemented_falls_back(kernels):
    seen = []
    kernels(lambda x: seen.append(x.dtype) or NotImplemented)
    kind, _ = ag.run_kernel("test_double", _portable, np.ones(2, np.float16))
    assert kind == "portable" and seen == [np.dtype(np.float16)]


def test_plain_values_before_the_arrays_still_reach_the_kernel(kernels):
    # the RNN's kernels take (cell, run, h, c): records first, then arrays; the backend is
    # the first array's
    kernels(lambda record, x: ("kernel", x * 2))
    kind, _ = ag.run_kernel("test_double", _portable, object(), np.ones(2))
    assert kind == "kernel"
