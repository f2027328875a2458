"""What every layer shares: ``Layer`` (call runs ``forward``), its mode, its input errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any

import plugrad_autograd as ag

from ._common import (
    int_arg,
    shape_of,  # noqa: F401  (the layers' shape helper)
)

# Functions called as observe(layer, output) after every Layer call; summary() uses this
# to learn each layer's output shape without knowing how a container wires its layers.
_observers: list[Callable[[Any, Any], None]] = []


class LayerInputError(ValueError):
    """An input that does not fit a layer, located by the containers it passed through.

    The message reads ``"Sequential[3] Dense(800 -> 500): expected input with 800
    features, got shape (128, 720)"``: the outermost container, the key of each container
    on the way down, the layer, then what it expected and what it got.

    Attributes:
        layer: the one-line description of the layer that refused the input.
        detail: what was expected and what was received.
        path: the keys (positions or names) from the outermost container to the layer.
        root: the class name of the outermost container, None when called directly.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> model = nn.Sequential(nn.Dense(4, 3), nn.Dense(5, 2))
        >>> try:
        ...     model(np.zeros((2, 4), "float32"))
        ... except nn.LayerInputError as err:
        ...     print(err)
        Sequential[1] Dense(5 -> 2): expected input with 5 features, got shape (2, 3)
    """

    def __init__(self, layer: str, detail: str, source: Any = None) -> None:
        super().__init__(layer, detail)
        self.layer = layer
        self.detail = detail
        self.path: list[Any] = []
        self.root: str | None = None
        self.source = source  # the object the outermost key so far points at

    def located(self, container: Any, key: Any) -> LayerInputError:
        """Record that the error passed through ``container[key]``; returns ``self``."""
        self.path.insert(0, key)
        self.root = type(container).__name__
        self.source = container
        return self

    def __str__(self) -> str:
        where = ""
        if self.root is not None:
            where = self.root + "".join(f"[{key!r}]" for key in self.path) + " "
        return f"{where}{self.layer}: {self.detail}"


class Layer:
    """Base class of plugrad's layers: calling a layer runs its ``forward``.

    A layer is a plain Python object holding Params; ``plugrad_autograd.params(layer)``
    finds them. A layer computes in its Params' dtype: a float32 layer given float64 or
    integer input casts it to float32 first, so that a model keeps the precision, speed
    and memory it was built with; the input's gradient keeps the input's dtype.

    Subclasses implement ``forward`` and may check their input with :meth:`bad_input`.
    Layers whose behaviour differs between training and testing (BatchNorm, Dropout) have
    a ``mode`` attribute: None follows
    ``plugrad_autograd.training()``, True or False fixes it (see ``trainmode``/``testmode``).

    Example:
        >>> import numpy as np, plugrad_autograd as ag, plugrad_nn as nn
        >>> @ag.serializable
        ... class Scale(nn.Layer):
        ...     def __init__(self, n):
        ...         self.s = ag.Param(np.ones(n, "float32"))
        ...     def forward(self, x):
        ...         return x * self.s
        >>> Scale(3)(np.full((2, 3), 2.0, "float32")).tolist()
        [[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        y = self.forward(*args, **kwargs)
        for observe in _observers:
            observe(self, y)
        return y

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Compute the layer's output; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(self, x)")

    def describe(self) -> str:
        """A one-line description for error messages and summaries."""
        return repr(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def training(self) -> bool:
        """Whether the layer behaves as in training now: its ``mode``, else ``ag.training()``."""
        mode = getattr(self, "mode", None)
        return ag.training() if mode is None else bool(mode)

    def bad_input(self, detail: str) -> LayerInputError:
        """The error to raise for an input that does not fit (the caller raises it)."""
        return LayerInputError(self.describe(), detail, self)


def describe(obj: Any) -> str:
    """A one-line description of anything held in a container (layer, object or function)."""
    if isinstance(obj, Layer):
        return obj.describe()
    name = getattr(obj, "__name__", None)
    if isinstance(name, str):
        return name
    if type(obj).__repr__ is object.__repr__:
        return type(obj).__name__
    text = repr(obj)
    return text if "\n" not in text and len(text) <= 80 else type(obj).__name__


def positive_int(name: str, value: Any, where: str) -> int:
    """``value`` checked to be a positive int (a layer size): else a TypeError (not an
    integer) or a ValueError (below 1) naming it."""
    return int_arg(where, name, value, 1)


# What objects() passes over: containers (their items are given), values and code.
_NOT_HOLDERS = (
    dict, list, tuple, set, frozenset, ag.Param, ag.Value, type, ModuleType,
    FunctionType, BuiltinFunctionType, MethodType, partial,
)  # fmt: skip


def objects(model: Any) -> Iterator[Any]:
    """Every object reachable from ``model`` (itself included) that holds attributes.

    Follows the paths ``plugrad_autograd.walk`` follows (attributes, lists, tuples, sets,
    dict values), each object once, but yields only the holders: not the containers, the
    Params, the arrays, modules or functions.

    Example:
        >>> import plugrad_nn as nn
        >>> from plugrad_nn._layers_base import objects
        >>> model = nn.Sequential(nn.Dense(2, 2), nn.Dropout(0.5))
        >>> [type(obj).__name__ for obj in objects(model)]
        ['Sequential', 'Dense', 'Dropout']
    """
    for _, obj in ag.walk(model):
        if not isinstance(obj, _NOT_HOLDERS) and not hasattr(obj, "dtype"):
            yield obj
