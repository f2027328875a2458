"""``summary``: a table of a model's layers, output shapes, parameter counts and memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import FunctionType, MethodType
from typing import Any

import plugrad_autograd as ag
import plugrad_backends as B

from ._containers import Graph, Sequential
from ._layers_base import Layer, _observers, describe, objects, shape_of

Shape = tuple[int, ...]


@dataclass
class SummaryRow:
    """One line of a :class:`ModelSummary`: a layer or container and what it holds.

    Attributes:
        depth: how deep in the model (0 for the model itself).
        key: its position or attribute name in its parent ("" for the model).
        layer: its one-line description.
        output_shape: its last output's shape, None when unknown.
        params: the number of parameter elements it holds, nested ones included.
    """

    depth: int
    key: str
    layer: str
    output_shape: Any
    params: int


@dataclass
class ModelSummary:
    """What :func:`summary` found; ``str()`` and ``repr()`` give the table.

    Attributes:
        rows: one :class:`SummaryRow` per layer, the model first, nested ones below it.
        total_params: the number of parameter elements (each shared Param counted once).
        param_bytes: the memory the parameters take.
        output_shape: the model's output shape, None when no input shape was given.
        with_shapes: whether the table has the output shape column.

    Example:
        >>> import plugrad_nn as nn
        >>> s = nn.summary(nn.Dense(3, 2))
        >>> s.total_params, s.param_bytes
        (8, 32)
        >>> s
        Layer           Params
        ======================
        Dense(3 -> 2)        8
        ======================
        Total params: 8
        Params memory: 32 B
    """

    rows: list[SummaryRow] = field(default_factory=list)
    total_params: int = 0
    param_bytes: int = 0
    output_shape: Any = None
    with_shapes: bool = False

    def __str__(self) -> str:
        header = ["Layer", "Output shape", "Params"] if self.with_shapes else ["Layer", "Params"]
        lines = []
        for r in self.rows:
            label = "  " * r.depth + (f"{r.key}: " if r.key else "") + r.layer
            cells = [label, _shape_text(r.output_shape)] if self.with_shapes else [label]
            lines.append([*cells, f"{r.params:,}"])
        widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
        rule = "=" * (sum(widths) + 3 * (len(widths) - 1))

        def fmt(cells: list[str]) -> str:
            text = [c.ljust(w) for c, w in zip(cells[:-1], widths)]
            return "   ".join([*text, cells[-1].rjust(widths[-1])]).rstrip()

        out = [fmt(header), rule, *(fmt(cells) for cells in lines), rule]
        out.append(f"Total params: {self.total_params:,}")
        out.append(f"Params memory: {_human_bytes(self.param_bytes)}")
        return "\n".join(out)

    def __repr__(self) -> str:
        # The table: summary(...) typed at a prompt or last in a notebook cell shows it.
        return str(self)


def _human_bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _shape_text(shape: Any) -> str:
    if shape is None:
        return "-"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return str(tuple(shape))


def _count(obj: Any) -> int:
    return sum(int(p.value.size) for p in ag.params(obj))


def _is_part(value: Any) -> bool:
    if isinstance(value, Layer):
        return True
    if isinstance(value, (ag.Param, ag.Value, FunctionType, MethodType, *_CONTAINERS)):
        return False
    return hasattr(value, "__dict__") and not hasattr(value, "dtype") and bool(ag.params(value))


_CONTAINERS = (list, tuple, dict)


def _children(obj: Any) -> list[tuple[str, Any]]:
    """The parts of ``obj`` shown below it: its layers, and what holds Params."""
    if isinstance(obj, Sequential):
        return [(str(i), layer) for i, layer in enumerate(obj.layers)]
    if isinstance(obj, Graph):
        items = obj.layers.items() if isinstance(obj.layers, dict) else enumerate(obj.layers)
        return [(str(k), layer) for k, layer in items]
    inside = ag.walk(obj, into=lambda value: isinstance(value, _CONTAINERS))
    return [(path.lstrip("."), value) for path, value in inside if path and _is_part(value)]


def _rows(obj: Any, key: str, depth: int, shapes: dict[int, Any], path: set[int]) -> list:
    rows = [SummaryRow(depth, key, describe(obj), shapes.get(id(obj)), _count(obj))]
    if id(obj) in path:
        return rows
    for child_key, child in _children(obj):
        rows.extend(_rows(child, child_key, depth + 1, shapes, path | {id(obj)}))
    return rows


def _as_shapes(input_shape: Any) -> list[Shape]:
    if isinstance(input_shape, int):
        return [(input_shape,)]
    items = list(input_shape)
    if items and all(isinstance(n, int) for n in items):
        return [tuple(items)]
    return [tuple(s) for s in items]


def _trace_shapes(model: Any, input_shape: Any, dtype: Any) -> tuple[dict[int, Any], Any]:
    if not callable(model):
        raise TypeError(
            f"summary: input_shape needs a callable model, got a {type(model).__name__}"
        )
    ps = ag.params(model)
    backend = B.of(ps[0].value) if ps else B.current()
    if dtype is None:
        dtype = ps[0].value.dtype if ps else B.default_dtype()
    inputs = [backend.xp.zeros(s, dtype=dtype) for s in _as_shapes(input_shape)]
    shapes: dict[int, Any] = {}

    def observe(layer: Any, y: Any) -> None:
        shapes[id(layer)] = _shape_of_output(y)

    # The forward pass must leave no trace: test mode keeps BatchNorm's running moments,
    # and restoring every attribute undoes recurrent states replaced during the call.
    saved = [(obj, dict(obj.__dict__)) for obj in objects(model) if hasattr(obj, "__dict__")]
    for obj, _ in saved:
        if isinstance(obj, Layer) and "mode" in obj.__dict__:
            obj.mode = False
    _observers.append(observe)
    try:
        y = model(*inputs)
    finally:
        _observers.remove(observe)
        for obj, attrs in saved:
            obj.__dict__.clear()
            obj.__dict__.update(attrs)
    return shapes, _shape_of_output(y)


def _shape_of_output(y: Any) -> Any:
    if isinstance(y, (tuple, list)):
        return [_shape_of_output(v) for v in y]
    return shape_of(y) if hasattr(y, "shape") else None


def summary(
    model: Any, input_shape: Any = None, *, dtype: Any = None, show: bool = False
) -> ModelSummary:
    """Describe ``model``: its layers, their output shapes, parameter counts and memory.

    Works on containers, layers and any object holding Params (its attributes that hold
    Params are listed as its parts). With ``input_shape`` (one shape, or a list of shapes
    for a model of several inputs) a forward pass on zeros, outside ``diff`` and in test
    mode, gives every layer's output shape; the model's state is left as it was.

    Args:
        model: the model.
        input_shape: the shape of an input batch, e.g. ``(1, 1, 28, 28)``.
        dtype: the dtype of the zero input (the parameters' by default; an integer type
            for a model starting with Embedding).
        show: also print the table. By default ``summary`` only returns it, so that
            ``print(summary(model))`` shows it once; at a prompt or in a notebook the
            returned object displays as the table.

    Returns:
        A :class:`ModelSummary`; its ``str()`` and ``repr()`` are the table.

    Example:
        >>> import plugrad_nn as nn
        >>> s = nn.summary(nn.Sequential(nn.Dense(4, 8), nn.Dense(8, 2)), (1, 4))
        >>> s.total_params, s.output_shape
        (58, (1, 2))
    """
    shapes: dict[int, Any] = {}
    output_shape = None
    if input_shape is not None:
        shapes, output_shape = _trace_shapes(model, input_shape, dtype)
        shapes[id(model)] = output_shape
    ps = ag.params(model)
    result = ModelSummary(
        rows=_rows(model, "", 0, shapes, set()),
        total_params=sum(int(p.value.size) for p in ps),
        param_bytes=sum(int(p.value.nbytes) for p in ps),
        output_shape=output_shape,
        with_shapes=input_shape is not None,
    )
    if show:
        print(result)
    return result
