"""The trial machinery shared by every search: drawing configurations, evaluating a rung
(serially or on an executor), recording the history, and successive halving itself."""

from __future__ import annotations

import inspect
import math
import random
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from ._schedule import Resource, Rung


class TrialFailedWarning(RuntimeWarning):
    """A trial raised an exception or returned NaN; it counts as +inf and the search goes on.

    Example:
        >>> import warnings
        >>> warnings.simplefilter("ignore", TrialFailedWarning)
    """


@dataclass(frozen=True)
class Evaluation:
    """One ``getloss`` call of a search.

    Attributes:
        trial: The trial's number: the index of the ``getconfig`` call that drew its config.
        config: The configuration.
        resource: The resource it was evaluated at.
        loss: The loss as a float; +inf when the call failed.
        error: ``"ExceptionType: message"`` when ``getloss`` raised, ``"loss is NaN"`` when it
            returned NaN, else None.
        bracket: The hyperband bracket ``s`` (0 for the other searches).
        rung: The rung within the bracket, from 0.

    Example:
        >>> Evaluation(trial=0, config={"lr": 0.1}, resource=3, loss=0.25).failed
        False
    """

    trial: int
    config: Any
    resource: Resource
    loss: float
    error: str | None = None
    bracket: int = 0
    rung: int = 0

    @property
    def failed(self) -> bool:
        """Whether ``getloss`` raised or returned NaN."""
        return self.error is not None


@dataclass(frozen=True)
class SearchResult:
    """Everything a search found, returned by the searches when called with ``full=True``.

    Attributes:
        loss: The best loss seen, +inf when every evaluation failed.
        config: The configuration of the best evaluation, None when every evaluation failed.
        resource: The resource of the best evaluation, None when every evaluation failed.
        trial: The trial number of the best evaluation, None when every evaluation failed.
        history: Every evaluation in the order the search made them (brackets, then rungs,
            then the order within a rung). Ties for the best loss go to the earliest.
        configs: The number of ``getconfig`` calls.

    Example:
        >>> from plugrad_hyperopt import random_search
        >>> r = random_search(lambda: 2.0, lambda c, r: c * r, 3, resource=1, full=True)
        >>> r.loss, r.config, len(r.history), r.configs
        (2.0, 2.0, 3, 3)
    """

    loss: float
    config: Any
    resource: Resource | None
    trial: int | None
    history: tuple[Evaluation, ...]
    configs: int

    @property
    def failures(self) -> tuple[Evaluation, ...]:
        """The evaluations that raised or returned NaN."""
        return tuple(e for e in self.history if e.failed)


@dataclass
class _Trial:
    id: int
    config: Any
    checkpoint: Any = None


def _evaluate(
    getloss: Callable[..., Any], config: Any, resource: Resource, checkpoint: Any, resume: bool
) -> tuple[float, str | None, Any]:
    """Run one evaluation; never raises an ``Exception``. Module level so it pickles."""
    try:
        if resume:
            out = getloss(config, resource, checkpoint)
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError(
                    "with resume=True getloss(config, resource, checkpoint) must return a "
                    f"(loss, checkpoint) pair, got {type(out).__name__}"
                )
            loss, checkpoint = out
        else:
            loss = getloss(config, resource)
        loss = float(loss)
    except Exception as exc:
        return math.inf, f"{type(exc).__name__}: {exc}", None
    if math.isnan(loss):
        return math.inf, "loss is NaN", None
    return loss, None, checkpoint


def _accepts_positional(func: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):  # some builtins have no signature
        return False
    kinds = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.VAR_POSITIONAL,
    )
    return any(p.kind in kinds for p in params)


def _is_dask(executor: Any) -> bool:
    cls = type(executor)
    return cls.__module__.split(".")[0] == "distributed" and cls.__name__ in (
        "Client",
        "ClientExecutor",
    )


class TrialRunner:
    """Draws trials, evaluates rungs and keeps the history of one search."""

    def __init__(
        self,
        func: str,
        getconfig: Callable[..., Any],
        getloss: Callable[..., Any],
        *,
        executor: Any = None,
        seed: int | str | None = None,
        resume: bool = False,
    ) -> None:
        self.func = func
        self.getconfig = getconfig
        self.getloss = getloss
        self.executor = executor
        self.seed = seed
        self.resume = bool(resume)
        self.pass_rng = _accepts_positional(getconfig)
        self.history: list[Evaluation] = []
        self.configs = 0
        # A dask Client hashes the arguments into a task key by default (pure=True) and would
        # merge repeated evaluations of one config, which is wrong for noisy objectives.
        self._submit_kwargs = {"pure": False} if _is_dask(executor) else {}

    def rng(self, trial: int) -> random.Random:
        """The generator passed to ``getconfig`` for trial number ``trial``."""
        if self.seed is None:
            return random.Random()
        # A str seed goes through SHA-512, so this stream is the same in every process.
        return random.Random(f"plugrad-hyperopt/{self.seed}/{trial}")

    def new_trials(self, n: int) -> list[_Trial]:
        trials = []
        for _ in range(n):
            trial = self.configs
            config = self.getconfig(self.rng(trial)) if self.pass_rng else self.getconfig()
            self.configs += 1
            trials.append(_Trial(trial, config))
        return trials

    def evaluate(
        self, trials: Sequence[_Trial], resource: Resource, bracket: int, rung: int
    ) -> list[float]:
        args = [(self.getloss, t.config, resource, t.checkpoint, self.resume) for t in trials]
        if self.executor is None:
            outcomes = [_evaluate(*a) for a in args]
        else:
            futures: list[Future[Any]] = []
            try:
                for a in args:
                    futures.append(self.executor.submit(_evaluate, *a, **self._submit_kwargs))
                outcomes = [f.result() for f in futures]
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
        losses = []
        for t, (loss, error, checkpoint) in zip(trials, outcomes):
            if error is None:
                t.checkpoint = checkpoint
            else:
                warnings.warn(
                    f"{self.func}: trial {t.id} failed at resource {resource} ({error}); it "
                    "counts as +inf and the search goes on",
                    TrialFailedWarning,
                    stacklevel=4,
                )
            self.history.append(Evaluation(t.id, t.config, resource, loss, error, bracket, rung))
            losses.append(loss)
        return losses

    def halving(self, n: int, rungs: Sequence[Rung], reduction: int, bracket: int = 0) -> None:
        """Successive halving: draw ``n`` configs, evaluate each rung afresh and keep the best
        ``floor(n_i / reduction)`` of rung ``i`` (ties to the earlier trial) for the next."""
        trials = self.new_trials(n)
        for i, rung in enumerate(rungs):
            losses = self.evaluate(trials, rung.resource, bracket, i)
            if i + 1 < len(rungs):
                order = sorted(range(len(trials)), key=lambda j: (losses[j], trials[j].id))
                trials = [trials[j] for j in order[: rung.n // reduction]]

    def result(self) -> SearchResult:
        best: Evaluation | None = None
        for e in self.history:
            if e.loss < (math.inf if best is None else best.loss):
                best = e
        if best is None:
            return SearchResult(math.inf, None, None, None, tuple(self.history), self.configs)
        return SearchResult(
            best.loss, best.config, best.resource, best.trial, tuple(self.history), self.configs
        )
