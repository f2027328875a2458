"""Random search: every configuration evaluated once at the same resource."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any, Literal, overload

from ._common import make_runner
from ._schedule import Resource, halving_rungs
from ._trials import SearchResult
from ._validate import check_int, check_positive


@overload
def random_search(
    getconfig: Callable[..., Any],
    getloss: Callable[..., Any],
    n: int,
    resource: Resource = ...,
    *,
    executor: Any = ...,
    seed: int | str | None = ...,
    resume: bool = ...,
    full: Literal[False] = ...,
) -> tuple[float, Any]: ...


@overload
def random_search(
    getconfig: Callable[..., Any],
    getloss: Callable[..., Any],
    n: int,
    resource: Resource = ...,
    *,
    executor: Any = ...,
    seed: int | str | None = ...,
    resume: bool = ...,
    full: Literal[True],
) -> SearchResult: ...


def random_search(
    getconfig: Callable[..., Any],
    getloss: Callable[..., Any],
    n: int,
    resource: Resource = 1,
    *,
    executor: Any = None,
    seed: int | str | None = None,
    resume: bool = False,
    full: bool = False,
) -> tuple[float, Any] | SearchResult:
    """Hyperparameter search by drawing ``n`` configurations and evaluating each once.

    Args:
        getconfig: As in :func:`hyperband`: no arguments, or a seeded ``random.Random``.
        getloss: ``getloss(config, resource)`` returns a loss, as in :func:`hyperband`.
        n: Number of configurations, an integer >= 1.
        resource: The resource every configuration gets, a number > 0.
        executor: Evaluates the configurations concurrently, as in :func:`hyperband`.
        seed: Seeds the generators passed to ``getconfig``, as in :func:`hyperband`.
        resume: Call ``getloss(config, resource, None)`` and expect ``(loss, checkpoint)``,
            so one ``getloss`` serves both this and a resuming :func:`hyperband`.
        full: Return a :class:`SearchResult` instead of ``(loss, config)``.

    Returns:
        ``(loss, config)`` of the best evaluation, ``(inf, None)`` when all failed, or a
        :class:`SearchResult` when ``full=True``.

    Raises:
        TypeError: A callable argument is not callable or ``n`` is not an int.
        ValueError: ``n < 1`` or ``resource <= 0``.

    Example:
        >>> loss, x = random_search(lambda rng: rng.uniform(-1, 1), lambda x, r: x * x, 50, seed=0)
        >>> loss < 0.01
        True
    """
    func = "random_search"
    n = check_int(func, "n", n, 1)
    res = Fraction(check_positive(func, "resource", resource))
    runner = make_runner(func, getconfig, getloss, executor, seed, resume)
    runner.halving(n, halving_rungs(n, res, 2, 1), 2)
    result = runner.result()
    return result if full else (result.loss, result.config)
