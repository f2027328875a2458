"""Containers: ``Sequential`` runs layers in order, ``Graph`` runs a forward function."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, overload

import plugrad_autograd as ag

from ._layers_base import Layer, LayerInputError, _observers, describe


def _wrapped(err: ValueError, layer: Any) -> LayerInputError:
    """A ValueError from inside a member (an op's own check) as a LayerInputError."""
    return LayerInputError(describe(layer), str(err), layer)


@ag.serializable
class Sequential(Layer):
    """Layers run one after the other: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Takes layers as arguments or as one list. Indexing gives a layer, a slice gives a new
    Sequential sharing the same layers (and Params); a Sequential is iterable, has a
    ``len`` and may hold other containers. Any callable may be a member (a plugrad
    function such as ``relu`` too), but only registered layers can be saved. An input
    that does not fit a member raises :class:`LayerInputError` naming its position.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> model = nn.Sequential(nn.Dense(4, 8, activation="relu"), nn.Dense(8, 3))
        >>> model(np.zeros((2, 4), "float32")).shape, len(model), len(model[:1])
        ((2, 3), 2, 1)
    """

    def __init__(self, *layers: Any) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not callable(layer):
                raise TypeError(
                    f"Sequential: member {i} is a {type(layer).__name__}, not a layer; "
                    f"members must be callables such as nn.Dense(...) or nn.relu"
                )
        self.layers = list(layers)

    def forward(self, x: Any) -> Any:
        """Run ``x`` through every member in order."""
        for i, layer in enumerate(self.layers):
            try:
                x = layer(x)
            except LayerInputError as err:
                err.located(self, i)
                raise
            except ValueError as err:
                raise _wrapped(err, layer).located(self, i) from err
            if _observers and not isinstance(layer, Layer):
                for observe in _observers:
                    observe(layer, x)
        return x

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> Sequential: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(self.layers[index])
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.layers)

    def describe(self) -> str:
        return f"Sequential({len(self.layers)} layers)"

    def __repr__(self) -> str:
        if not self.layers:
            return "Sequential()"
        lines = []
        for i, layer in enumerate(self.layers):
            text = repr(layer) if isinstance(layer, Layer) else describe(layer)
            lines.append(f"  ({i}): " + text.replace("\n", "\n  "))
        return "Sequential(\n" + "\n".join(lines) + "\n)"


@ag.serializable
class Graph(Layer):
    """A model given by a forward function: ``Graph(f, layers)(*xs) == f(layers, *xs)``.

    For residual connections, several inputs or outputs: ``f`` receives the layers (a list
    or a dict, as given) and the inputs. Indexing a Graph indexes its layers. An input that
    does not fit one of its layers raises :class:`LayerInputError` naming the layer's key.

    To save a Graph with ``plugrad_data.save``, register its forward function with
    ``@plugrad_autograd.serializable``: the Graph then stores the function's name, and
    loading finds the function among the registered ones (a file never carries code).

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> def residual(layers, x):
        ...     return x + layers["body"](x)
        >>> block = nn.Graph(residual, {"body": nn.Dense(3, 3, activation="relu")})
        >>> block(np.ones((2, 3), "float32")).shape
        (2, 3)
    """

    def __init__(
        self, forward_fn: Callable[..., Any], layers: Iterable[Any] | dict[Any, Any] = ()
    ) -> None:
        if not callable(forward_fn):
            raise TypeError(
                f"Graph: forward_fn must be a function f(layers, *inputs), "
                f"got {type(forward_fn).__name__}"
            )
        name = ag.serializable_name(forward_fn) if hasattr(forward_fn, "__qualname__") else None
        registered = name is not None and ag.serializable_class(name) is forward_fn
        self.forward_fn: Any = name if registered else forward_fn
        self.layers: Any = dict(layers) if isinstance(layers, dict) else list(layers)

    def _function(self) -> Callable[..., Any]:
        if callable(self.forward_fn):
            return self.forward_fn
        fn = ag.serializable_class(self.forward_fn)
        if fn is None:
            raise RuntimeError(
                f"Graph: its forward function {self.forward_fn!r} is not registered in this "
                f"session; import the module that defines it (decorated with "
                f"@plugrad_autograd.serializable) before calling the loaded model"
            )
        return fn

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """Call the forward function with the layers and the inputs."""
        try:
            return self._function()(self.layers, *inputs, **kwargs)
        except LayerInputError as err:
            key = self._key_of(err.source)
            if key is not None:
                err.located(self, key)
            raise

    def _key_of(self, layer: Any) -> Any:
        items = self.layers.items() if isinstance(self.layers, dict) else enumerate(self.layers)
        for key, candidate in items:
            if candidate is layer:
                return key
        return None

    def __getitem__(self, key: Any) -> Any:
        return self.layers[key]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.layers.values() if isinstance(self.layers, dict) else self.layers)

    def describe(self) -> str:
        fn = self.forward_fn
        name = fn if isinstance(fn, str) else getattr(fn, "__name__", type(fn).__name__)
        return f"Graph({name.rsplit('.', 1)[-1]}, {len(self.layers)} layers)"

    def __repr__(self) -> str:
        return self.describe()
