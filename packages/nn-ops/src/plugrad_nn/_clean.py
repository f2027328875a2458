"""``clean``: recorded values left on a model after ``diff`` turned into plain arrays."""

from __future__ import annotations

from functools import partial
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any, TypeVar

import plugrad_autograd as ag

M = TypeVar("M")

# Reached by the walk but not the model's own state: never rewritten.
_NOT_STATE = (
    ag.Param, ag.Value, type, ModuleType, FunctionType, BuiltinFunctionType, MethodType, partial,
)  # fmt: skip


def _cleaned(v: Any) -> Any:
    """``v`` with recorded values replaced by their arrays (tuples rebuilt), else ``v``."""
    if isinstance(v, ag.Value) and not isinstance(v, ag.Param):
        return ag.value(v)
    if type(v) is tuple:
        items = tuple(_cleaned(item) for item in v)
        return items if any(a is not b for a, b in zip(items, v)) else v
    return v


def _clean_holder(obj: Any) -> int:
    """Clean the direct contents of one list, dict or object; returns how many changed."""
    changed = 0
    if isinstance(obj, list):
        entries = list(enumerate(obj))
    elif isinstance(obj, dict):
        entries = list(obj.items())
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        entries = list(vars(obj).items())
    else:
        return 0
    for key, v in entries:
        new = _cleaned(v)
        if new is v:
            continue
        changed += 1
        if isinstance(obj, (list, dict)):
            obj[key] = new
        else:
            setattr(obj, key, new)
    return changed


def clean(model: M) -> M:
    """Turn every recorded value held by ``model`` into its plain array; returns ``model``.

    GradValley's ``clean_model_from_backward_information!``. After ``diff`` a model may
    keep values recorded on the tape, e.g. an RNN's final states ``h``/``c`` (Knet users
    wrote ``rnn.h = value(rnn.h)``). They tie the model to a finished computation and
    ``save`` refuses them; ``clean`` replaces each, wherever it is held (attributes, lists,
    dicts, tuples, nested objects), by its array. Params are left as they are.

    Example:
        >>> import numpy as np, plugrad as pg
        >>> lstm = pg.LSTM(3, 4, h=0, c=0)
        >>> x = np.ones((5, 2, 3), dtype=np.float32)
        >>> _ = pg.diff(lambda: pg.sum(lstm(x)))
        >>> type(lstm.h).__name__
        'Value'
        >>> type(pg.clean(lstm).h).__name__
        'ndarray'
    """
    root = _cleaned(model)
    if root is not model:
        return root
    for _, obj in ag.walk(model):
        if not isinstance(obj, _NOT_STATE) and not hasattr(obj, "dtype"):
            _clean_holder(obj)
    return model
