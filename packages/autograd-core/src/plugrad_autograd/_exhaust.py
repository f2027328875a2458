"""``exhaust``: run an iterator to its end (Knet's bang forms: ``sgd!``, ``progress!``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def exhaust(iterator: Iterable[Any]) -> Any:
    """Consume an iterator; return its last value or None (Knet's bang forms, ``sgd!``).

    Example:
        >>> from plugrad_autograd import exhaust
        >>> exhaust(x * x for x in range(4))
        9
    """
    last = None
    for last in iterator:  # noqa: B007
        pass
    return last
