"""Argument handling shared by hyperband, successive_halving and random_search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._trials import TrialRunner
from ._validate import check_callable, check_executor, check_seed


def make_runner(
    func: str,
    getconfig: Callable[..., Any],
    getloss: Callable[..., Any],
    executor: Any,
    seed: Any,
    resume: Any,
) -> TrialRunner:
    check_callable(func, "getconfig", getconfig)
    check_callable(func, "getloss", getloss)
    check_executor(func, executor)
    if not isinstance(resume, bool):
        raise TypeError(f"{func}: resume must be True or False, got {type(resume).__name__}")
    return TrialRunner(
        func,
        getconfig,
        getloss,
        executor=executor,
        seed=check_seed(func, seed),
        resume=resume,
    )
