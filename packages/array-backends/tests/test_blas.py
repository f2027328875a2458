"""blas_libraries / set_blas_threads: numpy's BLAS found and its threads set at run time."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import plugrad_backends as B

linux_openblas = pytest.mark.skipif(
    not sys.platform.startswith("linux") or "openblas" not in str(np.show_config(mode="dicts")),
    reason="numpy's bundled OpenBLAS on Linux",
)


@linux_openblas
def test_numpys_openblas_is_found_with_its_thread_count() -> None:
    [lib] = [lib for lib in B.blas_libraries() if "numpy" in lib.path]
    assert "OpenBLAS" in lib.config
    assert lib.threads >= 1


@linux_openblas
def test_set_blas_threads_changes_the_count_and_returns_the_old_one() -> None:
    before = B.set_blas_threads(1)
    try:
        assert [lib.threads for lib in B.blas_libraries()] == [1] * len(before)
    finally:
        B.set_blas_threads(before[0].threads)
    assert B.blas_libraries()[0].threads == before[0].threads
    assert len(before) >= 1


@linux_openblas
def test_the_environment_variable_is_what_it_reports() -> None:
    code = "import plugrad_backends as B; print(B.blas_libraries()[0].threads)"
    env = {"OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "1", out.stderr


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_a_bad_count_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="set_blas_threads"):
        B.set_blas_threads(bad)  # type: ignore[arg-type]
