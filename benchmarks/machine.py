"""What the numbers were measured on: CPU, cores, BLAS, threads, load, date."""

from __future__ import annotations

import datetime
import os
import platform
from typing import Any

import numpy as np


def cpu_model() -> str:
    """The model name, family/model numbers and widest vector extension, from /proc/cpuinfo."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break  # the first CPU is enough
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        return platform.processor() or platform.machine()
    flags = fields.get("flags", "").split()
    vector = next((v for v in ("avx512f", "avx2", "avx", "sse4_2") if v in flags), "none")
    return (
        f"{fields.get('model name', 'unknown')} (family {fields.get('cpu family', '?')}, "
        f"model {fields.get('model', '?')}, {vector.upper()})"
    )


def cores() -> str:
    logical = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else logical
    return f"{logical} logical CPUs, {usable} usable by this process"


def numpy_blas() -> str:
    """numpy's BLAS library, as ``numpy.show_config`` reports it."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except Exception:  # older numpy: no dict mode
        return "unknown"
    return f"{blas.get('name')} {blas.get('version')}"


def thread_pools() -> str:
    """Every BLAS and OpenMP library loaded in this process, with its thread count."""
    try:
        import threadpoolctl
    except ImportError:
        return "threadpoolctl not installed: thread counts unknown"
    parts = []
    for pool in threadpoolctl.threadpool_info():
        parts.append(
            f"{pool.get('internal_api')} {pool.get('version') or ''}".strip()
            + f" ({os.path.basename(pool.get('filepath', ''))}): {pool.get('num_threads')} threads"
        )
    return "; ".join(parts) or "none found"


def thread_env() -> str:
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS")
    return ", ".join(f"{n}={os.environ.get(n, 'unset')}" for n in names)


def allocator() -> str:
    """What the plugrad CPU backend did to the host allocator (it is process-wide: every
    framework in the run shares it)."""
    try:
        import plugrad_backends
    except ImportError:
        return "plugrad_backends not importable"
    return plugrad_backends.get("cpu").allocator or "not reported"


def load() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "load average unknown"


def describe() -> dict[str, Any]:
    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu_model(),
        "cores": cores(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numpy BLAS": numpy_blas(),
        "thread pools loaded": thread_pools(),
        "thread settings": thread_env(),
        "host allocator": allocator(),
    }
