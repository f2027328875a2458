"""The CPU backend's allocator tuning: freed memory is reused, not faulted in again."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import pytest

glibc_only = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
    reason="the tuning applies to glibc's malloc only",
)

# A training-step-like loop: 64 MiB of 16 MiB temporaries made, written and freed 8 times.
_PROBE = """
import json, resource
import numpy as np
import plugrad_backends as B

cpu = B.get("cpu")
def step():
    blocks = [np.ones(4 << 20, dtype=np.float32) for _ in range(4)]
    del blocks
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(8):
    step()
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"faults": faults, "allocator": cpu.allocator}))
"""


def _probe(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_"))}
    clean.pop("PLUGRAD_MALLOC", None)
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@glibc_only
def test_repeated_large_temporaries_reuse_memory() -> None:
    tuned = _probe()
    system = _probe(PLUGRAD_MALLOC="system")
    assert "keeps freed memory" in tuned["allocator"]
    assert "PLUGRAD_MALLOC=system" in system["allocator"]
    # 8 steps of 64 MiB: glibc's defaults hand the memory back and fault it in again
    # every step (how many faults depends on the kernel's page sizes); tuned, it stays
    assert system["faults"] > 4_000, system
    assert tuned["faults"] * 10 < system["faults"], (tuned, system)


@glibc_only
def test_user_malloc_settings_win() -> None:
    result = _probe(MALLOC_TRIM_THRESHOLD_="0")
    assert result["allocator"].startswith("left as set in the environment")


def test_info_reports_the_allocator() -> None:
    import plugrad_backends as B

    assert "allocator:" in B.info()
    assert B.get("cpu").allocator
