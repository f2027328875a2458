"""``state``/``load_state``: a model's arrays as a flat dict by path (PyTorch's state_dict).

The paths are those of :func:`plugrad_autograd.walk` without the leading dot
(``"layers[0].weight"``), so they are stable for a given model structure and readable in
a safetensors file written with ``safetensors.numpy.save_file(pg.state(model, host=True))``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

import plugrad_autograd as ag
import plugrad_backends as B

from ._encode import array_types

__all__ = ["load_state", "state"]

_NAME = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)")


def _entries(model: Any) -> dict[str, Any]:
    """Path -> Param or array, for every Param and array reachable from ``model``."""
    types = array_types()
    out = {}
    for path, obj in ag.walk(model):
        if isinstance(obj, ag.Param) or (isinstance(obj, types) and obj.dtype.kind in "biufc"):
            out[path[1:] if path.startswith(".") else path] = obj
    return out


def state(model: Any, *, host: bool = False) -> dict[str, Any]:
    """The arrays of ``model`` by path: Params' values and buffers (e.g. batchnorm moments).

    Every Param and every numeric array reachable from ``model`` (through attributes,
    lists, tuples and dicts, as :func:`plugrad_autograd.walk` goes) is given once, at its
    first path. The arrays are the model's own (changing them changes the model) unless
    ``host=True``, which gives numpy copies, ready for ``safetensors.numpy.save_file``.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> class Affine:
        ...     def __init__(self):
        ...         self.w = ag.Param(np.ones((2, 2)))
        ...         self.b = ag.Param(np.zeros(2))
        >>> {k: v.shape for k, v in state(Affine()).items()}
        {'w': (2, 2), 'b': (2,)}
    """
    out = {}
    for path, obj in _entries(model).items():
        value = obj.value if isinstance(obj, ag.Param) else obj
        out[path] = np.array(B.to_host(value)) if host else value
    return out


def _steps(path: str) -> list[tuple[str, Any]]:
    """``"a[0].b"`` -> ``[("attr", "a"), ("item", 0), ("attr", "b")]``; ValueError if bad."""
    steps: list[tuple[str, Any]] = []
    i = 0
    text = path if path.startswith(("[", ".")) else "." + path
    while i < len(text):
        m = _NAME.match(text, i)
        if m:
            steps.append(("attr", m.group(1)))
            i = m.end()
            continue
        if text[i] != "[":
            raise ValueError(path)
        for end in range(i + 1, len(text)):
            if text[end] == "]":
                try:
                    steps.append(("item", ast.literal_eval(text[i + 1 : end])))
                except (ValueError, SyntaxError):
                    continue
                i = end + 1
                break
        else:
            raise ValueError(path)
    return steps


def _empty_slot(model: Any, path: str) -> tuple[Any, tuple[str, Any]] | None:
    """The parent and last step of ``path`` when it ends at a None value, else None."""
    try:
        *head, last = _steps(path)
        parent = model
        for kind, key in head:
            parent = getattr(parent, key) if kind == "attr" else parent[key]
        current = getattr(parent, last[1]) if last[0] == "attr" else parent[last[1]]
    except (ValueError, LookupError, AttributeError, TypeError):
        return None
    if current is not None or (last[0] == "item" and isinstance(parent, tuple)):
        return None
    return parent, last


def _problem(path: str, target: Any, new: Any) -> str | None:
    if tuple(new.shape) != tuple(target.shape):
        return (
            f"{path}: shape {tuple(new.shape)} in the state, {tuple(target.shape)} in the "
            "model (a weight from a framework with another layout may need a transpose, "
            "e.g. PyTorch's Linear weight is (out, in), plugrad's Dense weight (in, out))"
        )
    if np.dtype(new.dtype) != np.dtype(target.dtype):
        return (
            f"{path}: dtype {np.dtype(new.dtype)} in the state, {np.dtype(target.dtype)} in "
            f"the model; convert it first (value.astype(np.{np.dtype(target.dtype)}))"
        )
    return None


def _check_state(state: Any, types: tuple[type, ...]) -> None:
    if not isinstance(state, Mapping):
        raise TypeError(
            f"load_state: state must be a dict of arrays by path (from state(model) or "
            f"safetensors.numpy.load_file), got {type(state).__name__}"
        )
    for key, value in state.items():
        if not isinstance(key, str):
            raise TypeError(f"load_state: keys must be paths (str), got {key!r}")
        if not isinstance(value, (np.ndarray, *types)):
            raise TypeError(
                f"load_state: {key!r} is {type(value).__name__}, not an array of any backend"
            )


def load_state(model: Any, state: Mapping[str, Any], *, strict: bool = True) -> None:
    """Copy the arrays of ``state`` into ``model``, by path (the inverse of :func:`state`).

    Params keep their identity (and their optimizers): their values are overwritten in
    place, converted to the backend the model's array lives on. A path ending at a value
    that is still None (batchnorm moments before the first training call) gets a copy.
    Shapes and dtypes must match exactly. Nothing is changed unless every check passes.

    Args:
        model: the model to fill.
        state: path -> array (numpy or any backend's), e.g. ``state(other_model)`` or
            ``safetensors.numpy.load_file(path)``.
        strict: when True (default), a path of the model missing from ``state``, or a
            path of ``state`` the model lacks, is an error; when False those are skipped.

    Raises:
        KeyError: with ``strict``, the missing and unexpected paths.
        ValueError: shapes or dtypes that differ, each named with the fix.
        TypeError: ``state`` is not a dict of arrays.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> class Affine:
        ...     def __init__(self, w):
        ...         self.w = ag.Param(np.full((2, 2), w))
        >>> a, b = Affine(1.0), Affine(2.0)
        >>> load_state(a, state(b))
        >>> a.w.value.tolist()
        [[2.0, 2.0], [2.0, 2.0]]
    """
    types = array_types()
    _check_state(state, types)
    own = _entries(model)
    slots = {k: s for k in state.keys() - own.keys() if (s := _empty_slot(model, k))}
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own and k not in slots]
    if strict and (missing or unexpected):
        raise KeyError(
            f"load_state: the state does not match the model: missing {missing[:20]} "
            f"({len(missing)} in all), unexpected {unexpected[:20]} ({len(unexpected)} in "
            "all); pass strict=False to load the paths both have"
        )
    targets = {k: (o.value if isinstance(o, ag.Param) else o) for k, o in own.items()}
    problems = [
        p for k, t in targets.items() if k in state and (p := _problem(k, t, state[k])) is not None
    ]
    if problems:
        raise ValueError("load_state: " + "; ".join(problems[:20]))
    for key, target in targets.items():
        if key in state:
            target[...] = B.of(target).from_host(B.to_host(state[key]))
    device = next((B.of(t) for t in targets.values()), B.current())
    for key, (parent, (kind, name)) in slots.items():
        copy = device.from_host(np.array(B.to_host(state[key])))
        if kind == "attr":
            setattr(parent, name, copy)
        else:
            parent[name] = copy
