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
    if not isinstance(array, np.ndarray) or id(array) in held:
        return
    with _guard:
        while isinstance(array, np.ndarray):
            if id(array) not in held:
                _hold(array, held)
            array = array.base


def _hold(a: Any, held: dict[int, Any]) -> None:
    entry = _counts.get(id(a))
    if entry is not None:
        entry[1] += 1
    elif a.flags.writeable:
        a.flags.writeable = False
        _counts[id(a)] = [a, 1]
    else:  # read-only already, and not by us: leave it as it is
        return
    held[id(a)] = a


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
        for a in held.values():
            entry = _counts[id(a)]
            if entry[1] > 1:
                entry[1] -= 1
                continue
            del _counts[id(a)]
            if isinstance(a.base, np.ndarray):
                views.append(a)  # after the owners: numpy makes a view writable only then
            else:
                _make_writable(a)
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
        for view in _waiting.pop(id(a), ()):
            if id(view) not in _counts:
                _make_writable(view)
