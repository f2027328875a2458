"""Knet's converge: stop an iterator once its values stop decreasing."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

import plugrad_backends as B
from plugrad_autograd import exhaust


def _scalar(x: Any) -> float:
    try:
        return float(x)
    except TypeError:
        return float(np.asarray(B.to_host(getattr(x, "value", x))).reshape(()))


class Converge:
    """The lazy iterator that :func:`converge` returns.

    Attributes:
        alpha: the weight of the newest value in the running averages.
        avgx: the running average of the values (``inf`` before the first).
        avgp: the running average of their changes.
        stopped: True when the rule ended the iteration (rather than ``itr`` running out).

    Example:
        >>> c = converge([1, 2, 3])
        >>> list(c), c.stopped
        ([1], True)
    """

    def __init__(self, itr: Iterable[Any], alpha: float = 0.1) -> None:
        if not 0 < alpha <= 1:
            raise ValueError(f"converge: alpha must be in (0, 1], got {alpha}")
        self.itr = itr
        self.alpha = float(alpha)
        self.avgx = math.inf
        self.avgp = 0.0
        self.stopped = False

    def __iter__(self) -> Iterator[Any]:
        a = self.alpha
        self.avgx, self.avgp, self.stopped = math.inf, 0.0, False
        for x in self.itr:
            v = _scalar(x)
            if self.avgx == math.inf:
                self.avgx = v
            p = v - self.avgx
            self.avgx = a * v + (1 - a) * self.avgx
            self.avgp = a * p + (1 - a) * self.avgp
            if self.avgp > 0.0:
                self.stopped = True
                return
            yield x

    def run(self) -> Any:
        """Iterate until convergence (Knet's ``converge!``); return the last value yielded.

        Example:
            >>> converge([3, 2, 1, 2, 3, 4, 5, 6]).run()
            4
        """
        return exhaust(self)


def converge(itr: Iterable[Any], alpha: float = 0.1) -> Converge:
    """Knet's ``converge``: pass the values of ``itr`` on until they stop decreasing.

    With ``avgx`` starting at the first value and ``avgp`` at 0, each value ``x`` updates
    ``p = x - avgx``, ``avgx = alpha*x + (1-alpha)*avgx``, ``avgp = alpha*p + (1-alpha)*avgp``;
    when ``avgp > 0`` the iteration ends without yielding ``x``. So ``[1, 2, 3]`` gives ``[1]``,
    ``[3, 2, 1, 2, 3, 4, 5, ...]`` gives ``[3, 2, 1, 2, 3, 4]``, and a constant stream never
    stops (nor does one that turns NaN: ``NaN > 0`` is false, as in Knet). Values may be Python
    numbers, 0-d arrays of any backend or Params (read with ``float``); they are yielded
    unchanged. Lazy: loop over it or call ``.run()`` (Knet's ``converge!``). Typical use:
    ``progress(converge(minimize(loss, itertools.cycle(data)))).run()``.

    Example:
        >>> list(converge([3, 2, 1, 2, 3, 4, 5, 6]))
        [3, 2, 1, 2, 3, 4]
    """
    return Converge(itr, alpha=alpha)
