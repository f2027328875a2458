"""``walk``: every object reachable from a model, each once, with its path.

The one definition of "what a model holds", shared by ``params``, nn's ``objects``,
``summary``, ``to``, ``trainmode`` and ``testmode``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any

from ._param import Param
from ._tape import Box

# Never yielded: plain values hold nothing.
_LEAVES = (str, bytes, int, float, complex, bool, type(None))
# Yielded but never entered: what they refer to is code or data, not parts of the model.
_OPAQUE = (Box, type, ModuleType, FunctionType, BuiltinFunctionType, MethodType, partial)
_SEQUENCES = (list, tuple, set, frozenset)


def walk(root: Any, into: Callable[[Any], bool] | None = None) -> Iterator[tuple[str, Any]]:
    """Every object reachable from ``root`` as ``(path, object)``, depth first, each once.

    The walk follows dict values, the items of lists, tuples and sets, and attributes
    (``__dict__`` and ``__slots__``); cycles are safe and an object reached twice is given
    once, at its first path. Params (``Param``), recorded values, arrays, classes, modules
    and functions are given but not entered; ints, floats, strings and None are skipped.
    ``into(obj)`` (default: always) decides whether to enter an object other than ``root``.

    The path is written as Python would reach the object from ``root``: ``""`` for the
    root, then ``.name`` for an attribute and ``[key]`` for an item.

    Example:
        >>> import plugrad_autograd as ag
        >>> class Model:
        ...     def __init__(self):
        ...         self.layers = [ag.Param([1.0]), {"b": ag.Param([0.0])}]
        >>> [path for path, obj in ag.walk(Model()) if isinstance(obj, ag.Param)]
        ['.layers[0]', ".layers[1]['b']"]
    """
    seen: set[int] = set()
    stack: list[tuple[str, Any]] = [("", root)]
    while stack:
        path, obj = stack.pop()
        if isinstance(obj, _LEAVES) or id(obj) in seen:
            continue
        seen.add(id(obj))
        yield path, obj
        if obj is not root and into is not None and not into(obj):
            continue
        stack.extend(reversed(_contents(path, obj)))


def _contents(path: str, obj: Any) -> list[tuple[str, Any]]:
    """What ``obj`` holds, with the paths of its parts; nothing for opaque objects."""
    if isinstance(obj, (Param, *_OPAQUE)) or _is_array(obj):
        return []
    if isinstance(obj, dict):
        return [(f"{path}[{key!r}]", value) for key, value in obj.items()]
    if isinstance(obj, _SEQUENCES):
        return [(f"{path}[{i}]", value) for i, value in enumerate(obj)]
    found = [(f"{path}.{name}", value) for name, value in getattr(obj, "__dict__", {}).items()]
    for cls in type(obj).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if slot not in ("__dict__", "__weakref__") and hasattr(obj, slot):
                found.append((f"{path}.{slot}", getattr(obj, slot)))
    return found


def _is_array(obj: Any) -> bool:
    return (
        hasattr(obj, "__array_interface__")
        or hasattr(obj, "__cuda_array_interface__")
        or hasattr(obj, "__array_namespace__")
    )
