"""Knet's progress bar, drawn by tqdm."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from tqdm import tqdm

from plugrad_autograd import exhaust


class _Stop:
    __slots__ = ()

    def __repr__(self) -> str:
        return "plugrad_data.STOP"

    def __reduce__(self) -> str:
        return "STOP"


STOP = _Stop()
"""Returned by a progress message function, ends the iteration (Knet's stop value)."""

_WITH_TOTAL = (
    "┣{bar:20u}┫ [{percentage:.2f}%, {n}/{total}, {elapsed}/{estimated}, {speed}]{message}"
)
_WITHOUT_TOTAL = "[{n}, {elapsed}, {speed}]{message}"


def _speed(n: int, elapsed: float) -> str:
    if n <= 0 or elapsed <= 0:
        return "?it/s"
    rate = n / elapsed
    return f"{rate:.2f}it/s" if rate >= 1 else f"{1 / rate:.2f}s/it"


class _KnetBar(tqdm):  # type: ignore[type-arg]
    """tqdm with Knet's line: bar, percent, count/total, elapsed/estimated, speed, message."""

    monitor_interval = 0  # we decide when to draw; no tqdm monitor thread

    message: str = ""
    _shown: tuple[int, str] | None = None

    def display(self, msg: str | None = None, pos: int | None = None) -> bool:
        # close() redraws the final line; skip it when the loop just drew the same state
        if msg is None:
            if self._shown == (self.n, self.message):
                return True
            self._shown = (self.n, self.message)
        return bool(super().display(msg=msg, pos=pos))

    @property
    def format_dict(self) -> dict[str, Any]:
        d = super().format_dict
        n, total, elapsed = d["n"], d["total"], d["elapsed"]
        d["speed"] = _speed(n, elapsed)
        d["message"] = f" {self.message}" if self.message else ""
        if total and n <= total:
            d["bar_format"] = _WITH_TOTAL
            d["estimated"] = tqdm.format_interval(elapsed * total / n) if n else "?"
        else:
            d["bar_format"] = _WITHOUT_TOTAL
            d["total"] = None
        return d


def _length(itr: Iterable[Any]) -> int | None:
    try:
        return len(itr)  # type: ignore[arg-type]
    except TypeError:
        return None


class Progress:
    """The lazy iterator that :func:`progress` returns (Knet's ``Progress``).

    Attributes:
        currval: the last value the wrapped iterator produced (None before the first).
        curriter: how many values it has produced so far.
        total: the wrapped iterable's ``len``, or None when it has none.
        elapsed: seconds since the current pass began.
        stopped: True when the message function returned :data:`STOP`.

    Example:
        >>> import io
        >>> p = progress(range(10), msg=lambda p: STOP if p.curriter == 3 else None, steps=1,
        ...              file=io.StringIO())
        >>> list(p), p.curriter, p.stopped
        ([0, 1], 3, True)
    """

    def __init__(
        self,
        itr: Iterable[Any],
        msg: Callable[[Progress], Any] | str | None = None,
        steps: int | None = None,
        seconds: float | None = None,
        file: TextIO | None = None,
    ) -> None:
        if steps is not None and steps < 1:
            raise ValueError(f"progress: steps must be at least 1, got {steps}")
        if seconds is not None and seconds < 0:
            raise ValueError(f"progress: seconds must be non-negative, got {seconds}")
        self.itr = itr
        self.msg = msg
        self.steps = steps
        self.seconds = 1.0 if steps is None and seconds is None else seconds
        self.file = file
        self.total = _length(itr)
        self.currval: Any = None
        self.curriter = 0
        self.stopped = False
        self._t0 = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    def __len__(self) -> int:
        if self.total is None:
            raise TypeError("progress: the wrapped iterator has no length")
        return self.total

    def _message(self) -> Any:
        if self.msg is None:
            return None
        if callable(self.msg):
            return self.msg(self)
        return self.msg

    def _draw(self, bar: _KnetBar) -> bool:
        text = self._message()
        stop = text is STOP
        bar.message = "" if text is None or stop else str(text)
        bar.n = self.curriter
        bar.refresh()
        return stop

    def __iter__(self) -> Iterator[Any]:
        self.currval, self.curriter, self.stopped = None, 0, False
        self._t0 = time.monotonic()
        bar = _KnetBar(
            total=self.total,
            file=self.file if self.file is not None else sys.stderr,
            delay=float("inf"),  # nothing drawn before the first value, as in Knet
            leave=True,
            dynamic_ncols=False,
        )
        bar.delay = 0
        bar.start_t = bar._time()
        drawn_at, drawn_t = -1, time.monotonic()
        try:
            for x in self.itr:
                self.curriter += 1
                self.currval = x
                now = time.monotonic()
                due = (
                    self.curriter == 1
                    or (self.steps is not None and self.curriter % self.steps == 0)
                    or (self.seconds is not None and now - drawn_t >= self.seconds)
                )
                if due:
                    drawn_at, drawn_t = self.curriter, now
                    bar.last_print_n, bar.last_print_t = self.curriter, bar._time()
                    if self._draw(bar):
                        self.stopped = True
                        return
                yield x
            if drawn_at != self.curriter:
                text = self._message()
                bar.message = "" if text is None or text is STOP else str(text)
        finally:
            bar.n = self.curriter
            bar.last_print_t = bar._time()
            bar.close()

    def run(self) -> Any:
        """Iterate to the end (Knet's ``progress!``); return the last value, None if none.

        Example:
            >>> import io
            >>> progress(range(3), file=io.StringIO()).run()
            2
        """
        return exhaust(self)

    def __repr__(self) -> str:
        return f"<progress over {self.itr!r}: {self.curriter}/{self.total}>"


def progress(
    itr: Iterable[Any],
    msg: Callable[[Progress], Any] | str | None = None,
    steps: int | None = None,
    seconds: float | None = None,
    file: TextIO | None = None,
) -> Progress:
    """Knet's ``progress``: iterate ``itr`` unchanged while drawing a progress line.

    The line, rewritten in place (``\\r``) and ended by a newline when the loop ends::

        ┣█████████████████▎  ┫ [86.83%, 903/1040, 01:36/01:50, 9.42it/s] 3.87835

    is the bar (20 cells), the percentage, the count and total, the elapsed and the estimated
    total time, the speed (``it/s``, or ``s/it`` below one iteration a second) and the
    message ``msg(p)``: ``p.currval`` is the last value, ``p.curriter`` the count. For an
    iterable without ``len`` the line is ``[903, 01:36, 9.42it/s] message``. It is drawn
    on the first value, on every ``steps``-th value (``steps``, ``2*steps``, ...), after every
    ``seconds`` seconds (1 s when neither is given), and at the end.

    ``msg`` returning :data:`STOP` ends the loop at once (checked whenever the line is drawn,
    so use ``steps=1`` to check every value); that value is not yielded, as with
    :func:`converge`. ``progress`` is lazy: loop over it, or call ``.run()`` (Knet's
    ``progress!``) to run it to the end. Knet's order ``progress(msg, itr)``, the message
    function first, is accepted too.

    Args:
        itr: any iterable (a minibatch, a training loop, a generator).
        msg: a function of the :class:`Progress` object giving the message, or a fixed str.
        steps: draw every this many values.
        seconds: draw every this many seconds.
        file: where to draw; ``sys.stderr`` when None.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> for x in progress(range(4), msg=lambda p: p.currval * 10, steps=1, file=out):
        ...     pass
        >>> out.getvalue().splitlines()[-1].split("\\r")[-1][:40]
        '┣████████████████████┫ [100.00%, 4/4, 00'
    """
    if _knet_order(itr, msg):  # Knet's progress(msg, itr)
        itr, msg = msg, itr
    return Progress(itr, msg=msg, steps=steps, seconds=seconds, file=file)


def _knet_order(first: Any, second: Any) -> bool:
    """True for Knet's argument order ``progress(msg_fn, itr)``: a function, then an iterable."""
    return (
        callable(first)
        and not hasattr(first, "__iter__")
        and second is not None
        and not callable(second)
        and hasattr(second, "__iter__")
    )
