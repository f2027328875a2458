"""Recurrent layers ``LSTM`` and ``GRU``: the functional :class:`RNN` as a layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plugrad_autograd as ag

from ._layers_base import Layer, shape_of
from ._rnn import RNN


class _Recurrent(Layer, RNN):
    """An :class:`RNN` of a fixed type that behaves as a layer (input check, summaries)."""

    rnn_type_fixed = "lstm"

    def __init__(self, input_size: int, hidden_size: int, **kwargs: Any) -> None:
        name = type(self).__name__
        if "rnn_type" in kwargs:
            raise TypeError(f"{name}: rnn_type is fixed to {self.rnn_type_fixed!r}; use nn.RNN")
        RNN.__init__(self, input_size, hidden_size, rnn_type=self.rnn_type_fixed, **kwargs)
        self.mode: bool | None = None  # dropout between layers: None follows training()

    def forward(
        self, x: Any, batch_sizes: Sequence[int] | None = None, *, state: Any = None
    ) -> Any:
        """The last layer's hidden state at every step (see :class:`RNN` for the layouts)."""
        shape = shape_of(x)
        if not shape or len(shape) > 3 or shape[-1] != self.input_size:
            n = self.input_size
            steps = f"(B, T, {n})" if self.batch_first else f"(T, B, {n})"
            raise self.bad_input(
                f"expected input of shape {steps}, (B, {n}) or ({n},) with the {n} input "
                f"features last, got shape {shape}"
            )
        return RNN.__call__(self, x, batch_sizes, state=state)

    def __repr__(self) -> str:
        options = []
        if self.num_layers != 1:
            options.append(f"num_layers={self.num_layers}")
        if self.bidirectional:
            options.append("bidirectional=True")
        if self.dropout:
            options.append(f"dropout={self.dropout}")
        extra = "".join(", " + o for o in options)
        return f"{type(self).__name__}({self.input_size} -> {self.hidden_size}{extra})"


@ag.serializable
class LSTM(_Recurrent):
    """A long short-term memory layer: ``RNN(input_size, hidden_size, rnn_type="lstm")``.

    Every keyword of :class:`RNN` applies (``num_layers``, ``bidirectional``, ``dropout``,
    ``batch_first``, ``h``/``c`` states...). Input (T, B, X) gives (T, B, H), or
    (T, B, 2H) bidirectional; ``batch_first=True`` makes both (B, T, ...).

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> lstm = nn.LSTM(3, 5, batch_first=True)
        >>> lstm(np.zeros((2, 7, 3), "float32")).shape
        (2, 7, 5)
    """

    rnn_type_fixed = "lstm"


@ag.serializable
class GRU(_Recurrent):
    """A gated recurrent unit layer: ``RNN(input_size, hidden_size, rnn_type="gru")``.

    Every keyword of :class:`RNN` applies, as for :class:`LSTM`.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> gru = nn.GRU(3, 5, num_layers=2, bidirectional=True)
        >>> gru(np.zeros((7, 2, 3), "float32")).shape
        (7, 2, 10)
    """

    rnn_type_fixed = "gru"
