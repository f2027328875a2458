"""Knet's ``RNN`` layer (relu, tanh, LSTM, GRU) and its accessors ``rnnparam``, ``rnnparams``.

The layer holds the Params and the states and packs the input; the cells (one step forward
and back per kind) are in ``_rnn_cells`` and the time loop with the primitive that runs the
whole network in ``_rnn_loop``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import plugrad_autograd as ag

from ._common import (
    ArgumentTypeError,
    Saved,
    backend_for,
    bool_arg,
    in_dtype_of,
    int_arg,
    is_box,
    is_int,
    op_error,
    real_arg,
    resolve_atype,
    shape_of,
)
from ._init import initial, xavier_uniform
from ._rnn_cells import CELLS
from ._rnn_loop import RnnConfig, _rnn, layout


def _state_ok(value: Any) -> bool:
    return value is None or (isinstance(value, int) and value == 0)


def _check_arguments(
    where: str,
    input_size: Any,
    hidden_size: Any,
    rnn_type: Any,
    num_layers: Any,
    dropout: Any,
    skip_input: Any,
) -> None:
    if rnn_type not in CELLS:
        raise op_error(
            where,
            f"unknown rnn_type {rnn_type!r}; expected one of {', '.join(map(repr, CELLS))}",
        )
    for name, value in (
        ("input_size", input_size),
        ("hidden_size", hidden_size),
        ("num_layers", num_layers),
    ):
        int_arg(where, name, value)
    real_arg(where, "dropout", dropout, "a probability in [0, 1)", lambda p: 0 <= p < 1)
    if skip_input and input_size != hidden_size:
        raise op_error(
            where,
            f"skip_input=True adds the input to the gates, so input_size ({input_size}) "
            f"must equal hidden_size ({hidden_size})",
        )


def _sizes(where: str, batch_sizes: Any) -> tuple[int, ...]:
    """``batch_sizes`` as a tuple of ints; states passed in its place get the way to pass
    them."""
    raw = ag.value(batch_sizes)
    ndim = getattr(raw, "ndim", None)
    items = list(raw) if isinstance(raw, (list, tuple)) or ndim == 1 else None
    if items is not None and all(is_int(b) for b in items):
        return tuple(int(b) for b in items)
    var = where.lower()
    if (ndim or 0) > 1 or any(getattr(ag.value(b), "ndim", 0) >= 1 for b in items or ()):
        raise op_error(
            where,
            f"the second argument is batch_sizes (a list of ints), got a "
            f"{type(batch_sizes).__name__} of arrays. To start from given states, pass "
            f"state=(h0, c0) for an LSTM or state=h0 otherwise, or set {var}.h = h0 (and "
            f"{var}.c = c0) before the call. The call returns y only: the final states are "
            f"in {var}.h and {var}.c",
            ArgumentTypeError,
        )
    raise op_error(
        where, f"batch_sizes must be a list of ints, got {batch_sizes!r}", ArgumentTypeError
    )


def _pack_sizes(where: str, shape: tuple[int, ...], batch_sizes: Any, X: int) -> tuple[int, ...]:
    """``batch_sizes`` checked against a packed input of ``shape``."""
    bs = _sizes(where, batch_sizes)
    if len(shape) != 2:
        raise op_error(
            "RNN",
            f"with batch_sizes the input must be packed 2-D (sum(batch_sizes), "
            f"{X}), got shape {shape}",
        )
    if (
        not bs
        or min(bs) < 1
        or any(a < b for a, b in itertools.pairwise(bs))
        or sum(bs) != shape[0]
    ):
        raise op_error(
            "RNN",
            f"batch_sizes must be positive and non-increasing and sum to the "
            f"{shape[0]} rows of x; got {list(bs)} (sum {sum(bs)})",
        )
    return bs


@ag.serializable
class RNN:
    """Knet's ``RNN``: a multi-layer, optionally bidirectional relu/tanh/LSTM/GRU network.

    Call it on ``x`` to get the last layer's hidden state at every time step:

    - 3-D ``x`` is (T, B, X), time-major (Knet's (X, B, T) read row-major), and ``y`` is
      (T, B, H) or (T, B, 2H) bidirectional; with ``batch_first=True`` both are (B, T, ...).
    - 2-D ``x`` (B, X) is one time step of a batch, 1-D ``x`` (X,) one instance.
    - ``batch_sizes`` (a non-increasing list, Knet's ``batchSizes``) packs sequences of
      different lengths: ``x`` is (sum(batch_sizes), X) with the rows of step t after those
      of step t-1, the longest sequences first, and ``y`` is (sum(batch_sizes), H).

    Formulas (Knet's, with ``x @ W`` for our layout): relu/tanh ``h = f(x W + h R + bW +
    bR)``; LSTM gates i, f, o = sigm(...), n = tanh(...), ``c = f*c + i*n``,
    ``h = o*tanh(c)``; GRU r, z = sigm(...), ``n = tanh(x Wn + bWn + r*(h Rn + bRn))``,
    ``h = (1-z)*n + z*h``.

    States: ``h`` and ``c`` (the cell state, LSTM only) are (layers*directions, B, H),
    forward and backward layers alternating. None: start from zeros and keep None (the
    final state is discarded). 0: start from zeros and store the final state. An array or
    Param: start from it and store the final state, so the next call continues the
    sequence. Inside ``diff`` the stored state is a recorded value, so a second call in the
    same ``diff`` backpropagates into the first; a state left over from a finished ``diff``
    is unwrapped to its array at the next call (Knet users wrote ``rnn.h = value(rnn.h)``).
    Assign 0 to restart from zeros (e.g. for a batch of a different size).

    PyTorch users: the call returns ``y`` alone, not ``(y, (h, c))``; the final states are
    in ``rnn.h`` and ``rnn.c``. ``rnn(x, state=(h0, c0))`` (``state=h0`` without a cell
    state) is ``rnn.h, rnn.c = h0, c0`` followed by ``rnn(x)``; the second positional
    argument is ``batch_sizes``, and a tuple of arrays there is refused with this advice.

    Weights: per layer and direction ``w_ih[k]`` (X, G*H), ``w_hh[k]`` (H, G*H), ``b_ih[k]``
    and ``b_hh[k]`` (G*H,), Params in lists indexed ``k = layer * directions + direction``,
    gates in Knet's order (LSTM i, f, n, o; GRU r, z, n; G = 4, 3, 1). Matrices start as
    ``winit`` per gate (xavier_uniform), biases as zeros except the LSTM forget gate's input
    bias, ``finit`` (ones). ``skip_input=True`` adds the input to every gate instead of
    multiplying it by ``w_ih`` of the first layer (then None; needs X == H).

    ``dropout`` applies to the input of every layer while training (Knet: "applied to
    input and between layers"). ``seed`` (Knet's) makes the masks reproducible: with a
    seed > 0 the k-th training call of this RNN draws its masks from a generator seeded
    with ``(seed, k)`` (the count is saved with the RNN); 0, the default, draws them from
    the backend's generator, which ``pg.seed`` sets (Knet's 0 meant the clock).

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> rnn = nn.RNN(3, 5, rnn_type="gru", h=0)
        >>> y = rnn(np.ones((7, 2, 3), dtype=np.float32))
        >>> y.shape, rnn.h.shape
        ((7, 2, 5), (1, 2, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        rnn_type: str = "lstm",
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        skip_input: bool = False,
        batch_first: bool = False,
        h: Any = None,
        c: Any = None,
        dtype: Any = None,
        atype: Any = None,
        winit: Callable[..., Any] = xavier_uniform,
        binit: Callable[..., Any] | None = None,
        finit: Callable[..., Any] | None = None,
        seed: int = 0,
    ) -> None:
        where = type(self).__name__
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ArgumentTypeError(
                f"{where}: seed must be an int >= 0 (0: draw dropout masks from the "
                f"backend's generator, set by pg.seed), got {type(seed).__name__} {seed!r}"
            )
        self.seed = int(seed)
        self.dropout_calls = 0
        _check_arguments(where, input_size, hidden_size, rnn_type, num_layers, dropout, skip_input)
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.rnn_type = rnn_type
        self.num_layers = int(num_layers)
        self.bidirectional = bool_arg(where, "bidirectional", bidirectional)
        self.dropout = float(dropout)
        self.skip_input = bool_arg(where, "skip_input", skip_input)
        self.batch_first = bool_arg(where, "batch_first", batch_first)
        self.h = h
        self.c = c
        backend, dt = resolve_atype(atype, "RNN")
        if dtype is not None:
            dt = np.dtype(dtype)
        self._init_weights(backend, dt, winit, binit, finit)

    def _init_weights(
        self, backend: Any, dt: Any, winit: Callable[..., Any], binit: Any, finit: Any
    ) -> None:
        gates, H, xp = CELLS[self.rnn_type].gates, self.hidden_size, backend.xp

        def matrix(rows: int) -> ag.Param:
            blocks = [initial(winit, (rows, H), backend, dt) for _ in range(gates)]
            return ag.Param(backend.asarray(xp.concatenate(blocks, axis=1)))

        def bias(forget: bool) -> ag.Param:
            blocks = [
                initial(binit, (H,), backend, dt) if binit is not None else xp.zeros(H, dt)
                for _ in range(gates)
            ]
            if forget and self.rnn_type == "lstm":
                blocks[1] = (
                    initial(finit, (H,), backend, dt) if finit is not None else xp.ones(H, dt)
                )
            return ag.Param(backend.asarray(xp.concatenate(blocks)))

        self.w_ih: list[ag.Param | None] = []
        self.w_hh: list[ag.Param] = []
        self.b_ih: list[ag.Param] = []
        self.b_hh: list[ag.Param] = []
        for layer in range(self.num_layers):
            rows = self.input_size if layer == 0 else self.directions * H
            for _ in range(self.directions):
                skip = self.skip_input and layer == 0
                self.w_ih.append(None if skip else matrix(rows))
                self.w_hh.append(matrix(H))
                self.b_ih.append(bias(forget=True))
                self.b_hh.append(bias(forget=False))

    def __repr__(self) -> str:
        extra = ", bidirectional=True" if self.bidirectional else ""
        return (
            f"RNN({self.input_size}, {self.hidden_size}, rnn_type={self.rnn_type!r}, "
            f"num_layers={self.num_layers}{extra})"
        )

    @property
    def directions(self) -> int:
        """2 for a bidirectional network, else 1."""
        return 2 if self.bidirectional else 1

    def weights(self) -> list[Any]:
        """Every weight in the primitive's order: per (layer, direction) w_ih, w_hh, b_ih, b_hh."""
        out: list[Any] = []
        for k in range(len(self.w_hh)):
            out += [self.w_ih[k], self.w_hh[k], self.b_ih[k], self.b_hh[k]]
        return out

    def _initial(self, name: str, batch: int) -> Any:
        value = getattr(self, name)
        if isinstance(value, ag.Value) and not value.tape.active:
            value = ag.value(value)  # a state from a finished diff is a constant now
            setattr(self, name, value)
        if _state_ok(value):
            return None
        expected = (self.num_layers * self.directions, batch, self.hidden_size)
        if shape_of(value) != expected:
            raise op_error(
                "RNN",
                f"the {name} state has shape {shape_of(value)} but this input needs "
                f"(layers*directions, batch, hidden) = {expected}; set rnn.{name} = 0 to "
                "start from zeros",
            )
        return value

    def _pack(self, x: Any, batch_sizes: Any) -> tuple[Any, tuple[int, ...], tuple[int, ...]]:
        """``x`` as packed rows: (packed input, batch sizes, shape of the output)."""
        shape = shape_of(x)
        X, DH = self.input_size, self.directions * self.hidden_size
        if not shape or shape[-1] != X:
            raise op_error(
                "RNN",
                f"input of shape {shape} has feature size {shape[-1] if shape else None}, "
                f"expected the last axis to be input_size={X}",
            )
        if batch_sizes is not None:
            return x, _pack_sizes(type(self).__name__, shape, batch_sizes, X), (shape[0], DH)
        if len(shape) == 3:
            if self.batch_first:
                x = ag.swapaxes(x, 0, 1)
                shape = (shape[1], shape[0], X)
            T, B = shape[0], shape[1]
            if T < 1 or B < 1:
                raise op_error("RNN", f"input of shape {shape} has no time steps or instances")
            return x.reshape(T * B, X), (B,) * T, (T, B, DH)
        if len(shape) == 2:
            return x, (shape[0],), (shape[0], DH)
        if len(shape) == 1:
            return x.reshape(1, X), (1,), (DH,)
        raise op_error(
            "RNN",
            f"expected an input of 1, 2 or 3 dimensions ((X,), (B, X) or (T, B, X)), "
            f"got shape {shape}",
        )

    def _set_state(self, state: Any) -> None:
        """Knet's ``rnn.h = h0`` (and ``rnn.c = c0``) from a PyTorch-style ``state=``."""
        where = type(self).__name__
        lstm = CELLS[self.rnn_type].carries_cell
        pair = isinstance(state, (tuple, list))
        if lstm and not (pair and len(state) == 2):
            raise op_error(
                where,
                f"state must be a pair (h, c) for an LSTM, got {type(state).__name__}",
                ArgumentTypeError,
            )
        if not lstm and pair:
            raise op_error(
                where,
                f"state must be h alone (a {self.rnn_type} RNN has no cell state c), got a "
                f"{type(state).__name__}",
                ArgumentTypeError,
            )
        self.h, self.c = (state[0], state[1]) if lstm else (state, self.c)

    def _dropout_seed(self) -> int | None:
        """This call's mask seed from ``(seed, count)``, or None for the backend's generator."""
        seed = getattr(self, "seed", 0)  # RNNs saved before seed= existed have none
        if not seed:
            return None
        calls = getattr(self, "dropout_calls", 0)
        self.dropout_calls = calls + 1
        return int(np.random.SeedSequence([seed, calls]).generate_state(1)[0])

    def __call__(
        self, x: Any, batch_sizes: Sequence[int] | None = None, *, state: Any = None
    ) -> Any:
        if state is not None:
            self._set_state(state)
        backend_for("RNN", x, *(w for w in self.weights() if w is not None))
        packed, bs, out_shape = self._pack(in_dtype_of(x, self.w_hh[0]), batch_sizes)
        H, D, batch = self.hidden_size, self.directions, bs[0]
        lstm = CELLS[self.rnn_type].carries_cell
        h0 = self._initial("h", batch)
        c0 = self._initial("c", batch) if lstm else None
        mode = getattr(self, "mode", None)  # set by trainmode/testmode on the layers
        training = ag.training() if mode is None else mode
        dropout = self.dropout if training else 0.0
        cfg = RnnConfig(
            self.rnn_type, H, self.num_layers, D, bs, dropout, self.skip_input,
            self._dropout_seed() if dropout > 0 else None,
        )  # fmt: skip
        weights = self.weights()
        saved = Saved()
        saved.cfg = cfg
        saved.need_x = is_box(packed)
        saved.pending = sum(is_box(a) for a in (packed, h0, c0, *weights))
        out = _rnn(packed, h0, c0, *weights, cfg=cfg, saved=saved)
        ny, ns = layout(cfg, sum(bs), batch)
        y = out[:ny].reshape(out_shape)
        if len(out_shape) == 3 and self.batch_first:
            y = ag.swapaxes(y, 0, 1)
        state_shape = (self.num_layers * D, batch, H)
        if self.h is not None:
            self.h = out[ny : ny + ns].reshape(state_shape)
        if lstm and self.c is not None:
            self.c = out[ny + ns :].reshape(state_shape)
        return y


# -- Knet's accessors ------------------------------------------------------------------------


def rnnparam(r: RNN, layer: int, id: int, param: int = 0) -> Any:
    """Knet's ``rnnparam``: one weight matrix or bias vector of ``r`` (a view), 0-based.

    ``layer`` is 0..num_layers-1, or 0..2*num_layers-1 for a bidirectional network (forward
    and backward layers alternate). ``id`` is Knet's gate id minus one: 0..G-1 multiply the
    input, G..2G-1 the hidden state, with relu/tanh 0 input, 1 hidden; GRU 0 reset, 1 update,
    2 new memory (+3 for hidden); LSTM 0 input, 1 forget, 2 new memory, 3 output (+4 for
    hidden). ``param`` 0 gives the matrix, (input_size or hidden_size, hidden_size) as used
    in ``x @ W``; 1 gives the bias (length hidden_size). With ``skip_input`` the first
    layer's input matrices are None.

    Example:
        >>> import plugrad_nn as nn
        >>> r = nn.RNN(3, 4)
        >>> nn.rnnparam(r, 0, 1, 0).shape, nn.rnnparam(r, 0, 5, 1).shape
        ((3, 4), (4,))
    """
    gates = CELLS[r.rnn_type].gates
    for name, value in (("layer", layer), ("id", id), ("param", param)):
        if not is_int(value):
            got = f"got {type(value).__name__} {value!r}"
            raise op_error("rnnparam", f"{name} must be an int, {got}", ArgumentTypeError)
    if not 0 <= layer < len(r.w_hh):
        raise op_error("rnnparam", f"layer must be in [0, {len(r.w_hh)}), got {layer}")
    if not 0 <= id < 2 * gates:
        raise op_error(
            "rnnparam", f"id must be in [0, {2 * gates}) for a {r.rnn_type} RNN, got {id}"
        )
    if param not in (0, 1):
        raise op_error("rnnparam", f"param must be 0 (matrix) or 1 (bias), got {param}")
    H = r.hidden_size
    hidden, g = divmod(id, gates)
    cols = slice(g * H, (g + 1) * H)
    if param == 1:
        return ag.value((r.b_hh if hidden else r.b_ih)[layer])[cols]
    w = (r.w_hh if hidden else r.w_ih)[layer]
    return None if w is None else ag.value(w)[:, cols]


def rnnparams(r: RNN) -> list[Any]:
    """Knet's ``rnnparams``: every matrix (by layer, then id), then every bias, as views.

    Example:
        >>> import plugrad_nn as nn
        >>> len(nn.rnnparams(nn.RNN(3, 4, rnn_type="gru")))
        12
    """
    gates = CELLS[r.rnn_type].gates
    ids = [(layer, i) for layer in range(len(r.w_hh)) for i in range(2 * gates)]
    return [rnnparam(r, layer, i, 0) for layer, i in ids] + [
        rnnparam(r, layer, i, 1) for layer, i in ids
    ]
