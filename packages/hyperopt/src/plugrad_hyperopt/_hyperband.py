"""Hyperband (Li et al., 2018, Algorithm 1) on the shared trial machinery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, overload

from ._common import make_runner
from ._schedule import _schedule
from ._trials import SearchResult
from ._validate import check_int


@overload
def hyperband(
    getconfig: Callable[..., Any],
    getloss: Callable[..., Any],
    maxresource: int = ...,
    reduction: int = ...,
    *,
    executor: Any = ...,
    seed: int | str | None = ...,
    resume: bool = ...,
    full: Literal[False] = ...,
) -> tuple[float, Any]: ...


@overload
def hyperband(
    getconfig: Callable[..., Any],
    getloss: Callable[..., Any],
    maxresource: int = ...,
    reduction: int = ...,
    *,
    executor: Any = ...,
    seed: int | str | None = ...,
    resume: bool = ...,
    full: Literal[True],
) -> SearchResult: ...


def hyperband(
    getconfig: Callable[..., Any],
    getloss: Callable[..., Any],
    maxresource: int = 27,
    reduction: int = 3,
    *,
    executor: Any = None,
    seed: int | str | None = None,
    resume: bool = False,
    full: bool = False,
) -> tuple[float, Any] | SearchResult:
    """Hyperparameter search with hyperband (Li et al., 2018).

    Runs the brackets of :func:`hyperband_schedule` in order (``s = s_max, ..., 0``). Each
    bracket draws ``n`` configurations with ``getconfig`` and runs successive halving: rung
    ``i`` calls ``getloss(config, r_i)`` afresh for its ``n_i`` configurations and keeps the
    best ``floor(n_i / reduction)`` for the next rung (a stable sort: failures last, ties to
    the configuration drawn first). With ``maxresource=27`` that is 49 ``getconfig`` and 69
    ``getloss`` calls; with 81, 143 and 206; with 243, 415 and 611.

    Args:
        getconfig: Returns a random configuration of any type. Called either with no
            arguments, or, when it accepts a positional parameter (e.g. ``def getconfig(rng)``
            or ``def getconfig(rng=None)``), with a ``random.Random`` of its own for each
            trial, seeded from ``seed`` and the trial number. Always called in the calling
            thread, in trial order. Exceptions it raises propagate.
        getloss: ``getloss(config, resource)`` returns the loss (anything ``float`` accepts)
            of ``config`` trained with ``resource`` units (e.g. epochs). Resources are ints
            when whole, otherwise floats. An exception or a NaN makes the evaluation count as
            +inf; it is recorded with its error, a :class:`TrialFailedWarning` is issued and
            the search goes on.
        maxresource: The largest resource ``R`` a configuration gets, an integer >= 1.
        reduction: The reduction factor ``η``, an integer >= 2; 3 is a good value.
        executor: A ``concurrent.futures.Executor`` (threads, processes) or anything with a
            ``submit(fn, *args)`` returning futures with ``.result()``, such as a
            ``dask.distributed.Client`` or its ``get_executor()``. The configurations of a rung
            are then evaluated concurrently; results are gathered in rung order, so the search
            is the same as the serial one. For processes and Dask, ``getloss`` and the
            configurations must be picklable.
        seed: Makes the ``random.Random`` passed to ``getconfig`` reproducible: trial ``k``
            gets ``random.Random(f"plugrad-hyperopt/{seed}/{k}")``. A ``getconfig`` without
            parameters is only reproducible if it seeds itself (e.g. ``random.seed`` before the
            search). To make a noisy ``getloss`` reproducible, draw a training seed into the
            config, e.g. ``rng.randrange(2**32)``.
        resume: If True, trials continue instead of restarting at every rung:
            ``getloss(config, resource, checkpoint)`` must return ``(loss, checkpoint)``.
            ``checkpoint`` is None at a trial's first evaluation and afterwards whatever the
            trial's previous successful evaluation returned; ``resource`` stays the total
            resource of the rung, so the trial should train from the checkpoint's progress up
            to ``resource``. A failed evaluation leaves the checkpoint unchanged. Checkpoints
            are held only while their trial survives and are not kept in the history; with
            processes or Dask they cross process boundaries, so a file path is a good
            checkpoint for a large model.
        full: Return a :class:`SearchResult` (best loss, config, its resource, the whole
            history) instead of ``(loss, config)``.

    Returns:
        ``(loss, config)``: the best evaluation seen at any rung (the earliest of equal
        losses), or ``(inf, None)`` when every evaluation failed; a :class:`SearchResult`
        when ``full=True``.

    Raises:
        TypeError: ``getconfig`` or ``getloss`` is not callable, ``maxresource`` or
            ``reduction`` is not an integer, or ``executor`` has no ``submit``.
        ValueError: ``maxresource < 1`` or ``reduction < 2``.

    Example:
        >>> def getconfig(rng):
        ...     return {"x": rng.uniform(-3, 3)}
        >>> def getloss(config, epochs):
        ...     return (config["x"] - 1) ** 2 + 1 / epochs
        >>> loss, config = hyperband(getconfig, getloss, maxresource=27, seed=0)
        >>> abs(config["x"] - 1) < 0.3
        True
    """
    R = check_int("hyperband", "maxresource", maxresource, 1)
    eta = check_int("hyperband", "reduction", reduction, 2)
    runner = make_runner("hyperband", getconfig, getloss, executor, seed, resume)
    for bracket in _schedule(R, eta):
        runner.halving(bracket.n, bracket.rungs, eta, bracket=bracket.s)
    result = runner.result()
    return result if full else (result.loss, result.config)
