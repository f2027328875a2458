"""The registry of classes that ``plugrad_data.save``/``load`` may rebuild.

Loading a file never runs code from it: it can only name classes registered here, which
are rebuilt from their saved attributes without calling ``__init__``.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T", bound=type)

_classes: dict[str, type] = {}


def serializable_name(cls: type) -> str:
    """The name a registered class is saved under: ``"module.QualName"``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def serializable(cls: T) -> T:
    """Class decorator: allow ``save``/``load`` to store and rebuild instances of ``cls``.

    Instances are saved as their ``__dict__`` (arrays, Params, numbers, strings, None,
    lists, tuples, dicts and other registered objects) and rebuilt with ``cls.__new__`` and
    the saved attributes.

    Example:
        >>> import plugrad_autograd as ag
        >>> @ag.serializable
        ... class Linear:
        ...     def __init__(self, n):
        ...         self.w = ag.Param([0.0] * n)
        >>> ag.serializable_class(ag.serializable_name(Linear)) is Linear
        True
    """
    _classes[serializable_name(cls)] = cls
    return cls


def serializable_class(name: str) -> type | None:
    """The registered class saved under ``name``, or None."""
    return _classes.get(name)
