"""set_num_threads: BLAS's pool and every plugin's pool get the same count."""

from __future__ import annotations

import os

import pytest

import plugrad_backends as B


class _Pool:
    def __init__(self) -> None:
        self.calls: list[int] = []

    @B.hookimpl
    def plugrad_set_num_threads(self, n: int) -> None:
        self.calls.append(n)


@pytest.fixture
def pool():
    pool = _Pool()
    manager = B.plugin_manager()
    manager.register(pool, name="test-pool")
    yield pool
    manager.unregister(pool)
    B.set_num_threads(os.cpu_count() or 1)


def test_set_num_threads_reaches_blas_and_plugins(pool):
    B.set_num_threads(1)
    assert pool.calls == [1]
    assert all(lib.threads == 1 for lib in B.blas_libraries())
    B.set_num_threads(2)
    assert pool.calls == [1, 2]
    assert all(lib.threads == 2 for lib in B.blas_libraries())


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="set_num_threads: n must be a positive int"):
        B.set_num_threads(bad)


class _Broken:
    @B.hookimpl
    def plugrad_set_num_threads(self, n: int) -> None:
        raise RuntimeError("pool gone")

    @B.hookimpl
    def plugrad_report(self) -> list[str]:
        raise RuntimeError("no report")


class _Reporting:
    @B.hookimpl
    def plugrad_report(self) -> list[str]:
        return ["threads: 3"]


def test_a_plugin_whose_thread_or_report_hook_raises_is_a_warning_not_an_error():
    broken, reporting = _Broken(), _Reporting()
    B.register(broken)
    B.register(reporting)
    try:
        with pytest.warns(B.PluginLoadWarning, match="plugrad_set_num_threads hook raised"):
            B.set_num_threads(1)
        with pytest.warns(B.PluginLoadWarning, match="plugrad_report hook raised"):
            text = B.info()
        assert "plugin reports:\n  threads: 3" in text
        assert "RuntimeError: no report" in text  # listed among the problems
    finally:
        B.unregister(broken)
        B.unregister(reporting)
        B.set_num_threads(os.cpu_count() or 1)
