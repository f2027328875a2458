"""Read-only locks on the arrays a tape's backward pass will read.

While ``diff`` records, a write into a Param's array, into a constant argument of a
recorded op, or into the value of a recorded intermediate (taken with ``value``) would
change the gradient without a word. So those arrays, and the arrays whose memory they view,
are made read-only until the tape is done, and numpy refuses the write.

Locks are counted: several tapes (nested, or in other threads) may hold the same array, and
it becomes writable again only when the last one releases it. Arrays that were read-only
before stay read-only. Backends whose arrays have no writeable flag (cupy) are not locked.

Example:
    >>> import numpy as np
    >>> from plugrad_autograd import _locks
    >>> a, held = np.zeros(2), {}
    >>> _locks.lock(a, held)
    >>> a.flags.writeable
    False
    >>> _locks.release(held)
    >>> a.flags.writeable
    True
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

_guard = threading.Lock()
_counts: dict[int, list[Any]] = {}  # id(array) -> [array, number of holders]
_waiting: dict[int, list[Any]] = {}  # id(base) -> views to make writable once it is


def _chain(array: Any) -> list[Any]:
    """``array`` and the arrays whose memory it views (numpy arrays only)."""
    chain = []
    while isinstance(array, np.ndarray):
        chain.append(array)
        array = array.base
    return chain


def lock(array: Any, held: dict[int, Any]) -> None:
    """Make ``array`` and its bases read-only for one holder, who keeps them in ``held``."""
    if id(array) in held or not isinstance(array, np.ndarray):
        return
    with _guard:
        while isinstance(array, np.ndarray):
            key = id(array)
            if key not in held:
                entry = _counts.get(key)
                if entry is not None:
                    entry[1] += 1
                    held[key] = array
                else:
                    flags = array.flags
                    if flags.writeable:  # else read-only already, not by us: leave it so
                        flags.writeable = False
                        _counts[key] = [array, 1]
                        held[key] = array
            array = array.base


def lock_arguments(args: Any, held: dict[int, Any]) -> None:
    """Lock every numpy array among ``args`` (or in a tuple among them) for ``held``'s holder."""
    for a in args:
        if isinstance(a, np.ndarray):
            if id(a) not in held:
                lock(a, held)
        elif isinstance(a, tuple):
            lock_arguments([e for e in a if isinstance(e, np.ndarray)], held)


def locked(array: Any) -> bool:
    """True when a tape holds ``array`` (or an array it views) read-only."""
    return any(id(a) in _counts for a in _chain(array))


def release(held: dict[int, Any]) -> None:
    """Give back the locks in ``held``; arrays nobody holds any more become writable."""
    if not held:
        return
    with _guard:
        views = []
        for key, a in held.items():
            entry = _counts[key]
            if entry[1] > 1:
                entry[1] -= 1
            elif isinstance(a.base, np.ndarray):
                del _counts[key]
                views.append(a)  # after the owners: numpy makes a view writable only then
            else:
                del _counts[key]
                a.flags.writeable = True
                if _waiting:
                    _release_waiting(a)
        for a in views:
            _make_writable(a)
    held.clear()


def _make_writable(a: Any) -> None:
    try:
        a.flags.writeable = True
    except ValueError:  # its base is still held by another tape: wait for it
        _waiting.setdefault(id(a.base), []).append(a)
        return
    if _waiting:
        _release_waiting(a)


def _release_waiting(base: Any) -> None:
    for view in _waiting.pop(id(base), ()):
        if id(view) not in _counts:
            _make_writable(view)
