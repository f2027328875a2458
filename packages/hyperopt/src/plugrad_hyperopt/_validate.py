"""Argument checks shared by the searches; every message names the function and argument."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any


def _type_name(value: object) -> str:
    return type(value).__name__


def check_callable(func: str, name: str, value: Any) -> Callable[..., Any]:
    if not callable(value):
        raise TypeError(f"{func}: {name} must be callable, got {_type_name(value)} {value!r}")
    return value  # type: ignore[no-any-return]


def check_int(func: str, name: str, value: Any, minimum: int) -> int:
    # bool is an int subclass, but hyperband(..., maxresource=True) is surely a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{func}: {name} must be an integer >= {minimum}, got {_type_name(value)} {value!r}"
        )
    if value < minimum:
        raise ValueError(f"{func}: {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_positive(func: str, name: str, value: Any, *, above: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{func}: {name} must be a real number > {above:g}, got {_type_name(value)} {value!r}"
        )
    number = float(value)
    if not (math.isfinite(number) and number > above):
        raise ValueError(f"{func}: {name} must be a finite number > {above:g}, got {value!r}")
    return number


def check_executor(func: str, value: Any) -> Any:
    if value is not None and not callable(getattr(value, "submit", None)):
        raise TypeError(
            f"{func}: executor must be a concurrent.futures.Executor or an object with a "
            f"submit(fn, *args) method returning futures (a dask.distributed Client works), "
            f"got {_type_name(value)} {value!r}"
        )
    return value


def check_seed(func: str, value: Any) -> int | str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{func}: seed must be an int, a str or None, got {_type_name(value)}")
    return int(value)
