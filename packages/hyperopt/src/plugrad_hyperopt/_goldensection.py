"""Concurrent golden-section / hill-climbing search in n dimensions (Knet's ``goldensection``)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

from ._validate import check_callable, check_int, check_positive

GOLDEN_RATIO = (1 + math.sqrt(5)) / 2
"""The default acceleration rate of :func:`goldensection`, φ = 1.618..."""

# Two points closer than this (relative to their norms) share one cache entry, as with Julia's
# isapprox: steps like (x*φ)/φ do not always round back to x exactly.
_RTOL = math.sqrt(2.0**-52)


def _lookup(cache: MutableMapping[tuple[float, ...], float], x: tuple[float, ...]) -> float | None:
    if x in cache:
        return cache[x]
    scale = math.hypot(*x)
    for key, value in cache.items():
        if (
            isinstance(key, tuple)
            and len(key) == len(x)
            and math.dist(key, x) <= _RTOL * max(scale, math.hypot(*key))
        ):
            return value
    return None


def _argmax(values: Sequence[float]) -> int:
    # First maximum, NaN counting as the largest value (Julia's argmax).
    return max(range(len(values)), key=lambda j: (math.isnan(values[j]), values[j]))


def goldensection(
    f: Callable[[tuple[float, ...]], Any],
    n: int,
    dxmin: float = 0.1,
    accel: float = GOLDEN_RATIO,
    verbose: bool = False,
    history: MutableMapping[tuple[float, ...], float] | None = None,
) -> tuple[float, tuple[float, ...]]:
    """Minimize ``f`` over ``n`` real inputs with a concurrent golden-section search.

    The search combines golden-section search and hill climbing: it runs a golden-section
    search in every dimension at once and each step moves the dimension with the largest
    estimated gain. It starts at the zero vector with a step of 1 in every dimension, so ``f``
    should shift and scale its input into the meaningful range, e.g. ``lr = 0.01 * exp(x[0])``
    to start at 0.01 and move by multiplicative steps.

    Each step tries dimension ``i = argmax(df)`` at ``x[i] + dx[i]``. If that improves on the
    current value ``f0`` the search moves there, ``dx[i] *= accel``, ``df[i] = accel*(f0-f1)``,
    and every step with ``|dx[j]| < dxmin*accel`` is reset to ``sign(dx[j])*dxmin*accel`` with
    ``df[j] = max(df[j], 0)``. Otherwise ``dx[i] = -dx[i]/accel``, ``df[i] = (f1-f0)/accel``
    and, once ``|dx[i]| < dxmin``, ``df[i] = -1``. The search stops when every ``|dx|`` is at
    most ``dxmin``; for a smooth function the result is then within about ``dxmin * accel``
    of a local minimum. ``f`` must be bounded below for the search to stop.

    Args:
        f: Function of a tuple of ``n`` floats returning a number. It may return NaN for out
            of range inputs; a NaN counts as ``f0 + df[i]`` (worse than the current point by
            the expected gain). Exceptions raised by ``f`` propagate. A NaN result (``f``
            NaN at the start, where the search cannot compare) comes with a
            ``RuntimeWarning``.
        n: Number of dimensions, at least 1.
        dxmin: Smallest step size, > 0.
        accel: Acceleration rate, > 1; the golden ratio is best.
        verbose: Print every step.
        history: A dict caching evaluations, ``{x: f(x)}`` keyed by the tuple ``x``. Pass one
            to inspect every evaluation afterwards or to reuse evaluations across calls.
            Points within a relative distance of about 1.5e-8 of a key count as that key.

    Returns:
        ``(fmin, xmin)``: the smallest value found and its input as a tuple of floats.

    Raises:
        TypeError: ``f`` is not callable, ``n`` is not an integer, or ``history`` is not a
            mutable mapping.
        ValueError: ``n < 1``, ``dxmin <= 0`` or ``accel <= 1``.

    Example:
        >>> fmin, xmin = goldensection(lambda x: (x[0] - 2) ** 2 + (x[1] + 1) ** 2, 2)
        >>> [round(v) for v in xmin]
        [2, -1]
    """
    check_callable("goldensection", "f", f)
    n = check_int("goldensection", "n", n, 1)
    dxmin = check_positive("goldensection", "dxmin", dxmin)
    accel = check_positive("goldensection", "accel", accel, above=1.0)
    if history is None:
        history = {}
    elif not isinstance(history, MutableMapping):
        raise TypeError(
            "goldensection: history must be a dict (or another mutable mapping) or None, "
            f"got {type(history).__name__}"
        )

    tried: dict[tuple[float, ...], float] = {}  # the points this search asked for

    def feval(x: tuple[float, ...]) -> float:
        cached = _lookup(history, x)
        if cached is None:
            cached = history[x] = float(f(x))
        tried[x] = cached
        return cached

    f0, x0 = _search(feval, n, dxmin, accel, verbose)
    if math.isnan(f0):
        _warn_nan(f0, x0, len(tried), sum(math.isnan(v) for v in tried.values()))
    return f0, x0


def _search(
    feval: Callable[[tuple[float, ...]], float], n: int, dxmin: float, accel: float, verbose: bool
) -> tuple[float, tuple[float, ...]]:
    """The search loop of :func:`goldensection` (Knet's, step for step)."""
    x0 = (0.0,) * n
    f0 = feval(x0)
    dx = [1.0] * n
    df = [math.inf] * n
    step = 0
    while max(abs(d) for d in dx) > dxmin:
        step += 1
        i = _argmax(df)
        x1 = x0[:i] + (x0[i] + dx[i],) + x0[i + 1 :]
        f1 = feval(x1)
        if verbose:
            print(
                f"goldensection step {step}: f0={f0:.6g} x0={_fmt(x0)} f1={f1:.6g} "
                f"x1={_fmt(x1)} dx={_fmt(dx)} df={_fmt(df)}"
            )
        if math.isnan(f1):
            f1 = f0 + df[i]
        if f1 < f0:
            dx[i] *= accel
            df[i] = accel * (f0 - f1)
            x0, f0 = x1, f1
            for j in range(n):
                if abs(dx[j]) < dxmin * accel:
                    dx[j] = math.copysign(dxmin * accel, dx[j])
                    df[j] = max(df[j], 0.0)
        else:
            dx[i] = -dx[i] / accel
            df[i] = (f1 - f0) / accel
            if abs(dx[i]) < dxmin:
                df[i] = -1.0
    return f0, x0


def _warn_nan(f0: float, x0: tuple[float, ...], evaluations: int, nans: int) -> None:
    """A NaN result is no minimum: say why the search ended there."""
    if nans == evaluations:
        why = f"f returned NaN at all {evaluations} points tried"
    else:
        why = (
            f"f is NaN at the start, the zero vector, so no other point compared better "
            f"({nans} of {evaluations} points tried were NaN)"
        )
    warnings.warn(
        f"goldensection: {why}; the result ({f0}, {_fmt(x0)}) is not a minimum. The search "
        f"starts at x = 0: shift and scale f's input so that x = 0 is a valid setting where "
        f"f returns a number",
        RuntimeWarning,
        stacklevel=3,
    )


def _fmt(values: Sequence[float]) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"
