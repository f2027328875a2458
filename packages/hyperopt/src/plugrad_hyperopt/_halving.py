"""Successive halving (Jamieson & Talwalkar, 2016), the inner loop of hyperband."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any, Literal, overload

from ._common import make_runner
from ._schedule import Resource, floor_log, halving_rungs
from ._trials import SearchResult
from ._validate import check_int, check_positive


@overload
def successive_halving(
    getconfig: Callable[..., Any],
    getloss: Callable[..., Any],
    n: int,
    resource: Resource = ...,
    reduction: int = ...,
    rungs: int | None = ...,
    *,
    executor: Any = ...,
    seed: int | str | None = ...,
    resume: bool = ...,
    full: Literal[False] = ...,
) -> tuple[float, Any]: ...


@overload
def successive_halving(
    getconfig: Callable[..., Any],
    getloss: Callable[..., Any],
    n: int,
    resource: Resource = ...,
    reduction: int = ...,
    rungs: int | None = ...,
    *,
    executor: Any = ...,
    seed: int | str | None = ...,
    resume: bool = ...,
    full: Literal[True],
) -> SearchResult: ...


def successive_halving(
    getconfig: Callable[..., Any],
    getloss: Callable[..., Any],
    n: int,
    resource: Resource = 1,
    reduction: int = 3,
    rungs: int | None = None,
    *,
    executor: Any = None,
    seed: int | str | None = None,
    resume: bool = False,
    full: bool = False,
) -> tuple[float, Any] | SearchResult:
    """Hyperparameter search with successive halving, one bracket of :func:`hyperband`.

    Draws ``n`` configurations; rung ``i`` evaluates ``floor(n / reduction**i)`` of them with
    ``getloss(config, resource * reduction**i)`` and keeps the best ``floor(n_i / reduction)``
    for the next rung (a stable sort: failures last, ties to the configuration drawn first).

    Args:
        getconfig: As in :func:`hyperband`: no arguments, or a seeded ``random.Random``.
        getloss: ``getloss(config, resource)`` returns a loss, as in :func:`hyperband`.
        n: Number of configurations, an integer >= 1.
        resource: The resource of the first rung, a number > 0.
        reduction: The reduction factor, an integer >= 2.
        rungs: Number of rungs, at least 1 and at most ``s + 1`` where ``s`` is the largest
            integer with ``reduction**s <= n`` (so that the last rung is not empty); that is
            the default.
        executor: Evaluates a rung's configurations concurrently, as in :func:`hyperband`.
        seed: Seeds the generators passed to ``getconfig``, as in :func:`hyperband`.
        resume: Continue trials from checkpoints instead of restarting them, as in
            :func:`hyperband`.
        full: Return a :class:`SearchResult` instead of ``(loss, config)``.

    Returns:
        ``(loss, config)`` of the best evaluation seen, ``(inf, None)`` when all failed, or a
        :class:`SearchResult` when ``full=True``.

    Raises:
        TypeError: A callable argument is not callable or an integer argument is not an int.
        ValueError: ``n < 1``, ``resource <= 0``, ``reduction < 2`` or ``rungs`` out of range.

    Example:
        >>> r = successive_halving(
        ...     lambda rng: rng.uniform(0, 4), lambda x, e: (x - 2) ** 2, 9, seed=1, full=True
        ... )
        >>> [e.resource for e in r.history]
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 9]
    """
    func = "successive_halving"
    n = check_int(func, "n", n, 1)
    first = Fraction(check_positive(func, "resource", resource))
    eta = check_int(func, "reduction", reduction, 2)
    most = floor_log(n, eta) + 1
    if rungs is None:
        rungs = most
    else:
        rungs = check_int(func, "rungs", rungs, 1)
        if rungs > most:
            raise ValueError(
                f"{func}: rungs={rungs} needs n >= reduction**{rungs - 1} = {eta ** (rungs - 1)}"
                f" configurations so that the last rung is not empty, got n={n}; pass "
                f"rungs <= {most} or a larger n"
            )
    runner = make_runner(func, getconfig, getloss, executor, seed, resume)
    runner.halving(n, halving_rungs(n, first, eta, rungs), eta)
    result = runner.result()
    return result if full else (result.loss, result.config)
