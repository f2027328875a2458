"""Keep freed host memory for reuse, so training steps do not pay page faults every time.

A training step allocates and frees the same large temporaries every time (im2col
matrices, activations, gradients). glibc's malloc serves blocks above its mmap threshold
with fresh ``mmap`` pages and gives freed heap space back to the system once the free top
of the heap passes its trim threshold, so every step faults all of that memory in again:
on a LeNet step that was 7,500 page faults and as much system time as the whole PyTorch
step. With the thresholds raised, the freed blocks stay in the heap and the next step
reuses them.

The CPU backend calls :func:`tune` when it is created. It changes nothing when:

- the C library is not glibc (macOS, Windows, musl),
- the user chose malloc settings already (``MALLOC_MMAP_THRESHOLD_``,
  ``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_TOP_PAD_`` or ``GLIBC_TUNABLES``),
- ``PLUGRAD_MALLOC=system`` asks for glibc's own defaults.

The cost is memory held after it is freed: up to ``TRIM_THRESHOLD`` bytes of free heap
stay with the process instead of going back to the system.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

ENV = "PLUGRAD_MALLOC"
# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Blocks up to this size come from the heap (glibc accepts at most 32 MiB on 64-bit).
MMAP_THRESHOLD = 32 << 20
# Free heap the process keeps before handing memory back to the system.
TRIM_THRESHOLD = 512 << 20
_USER_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")

_state: str | None = None


def tune() -> str:
    """Raise glibc's mmap and trim thresholds once per process; say what was done.

    Returns a one-line description of what was done (the CPU backend's ``allocator``).

    Example:
        >>> from plugrad_backends import _malloc
        >>> isinstance(_malloc.tune(), str)
        True
    """
    global _state
    if _state is None:
        _state = _tune()
    return _state


def _tune() -> str:
    if os.environ.get(ENV, "").strip().lower() == "system":
        return f"glibc defaults ({ENV}=system)"
    if any(name in os.environ for name in _USER_SETTINGS) or "GLIBC_TUNABLES" in os.environ:
        return "left as set in the environment (MALLOC_* / GLIBC_TUNABLES)"
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return "system allocator (not glibc: left alone)"
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError) as exc:
        return f"glibc defaults (mallopt unavailable: {exc})"
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    if not ok:
        return "glibc defaults (mallopt refused the thresholds)"
    return (
        f"glibc malloc keeps freed memory: mmap threshold {MMAP_THRESHOLD >> 20} MiB, "
        f"trim threshold {TRIM_THRESHOLD >> 20} MiB ({ENV}=system to turn off)"
    )
