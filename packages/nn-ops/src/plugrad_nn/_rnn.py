"""Recurrent networks: Knet's ``RNN`` (relu, tanh, LSTM, GRU), ``rnnparam``, ``rnnparams``.

The whole network (every layer, both directions, every time step) is one primitive whose
backward pass is a hand-written backpropagation through time: the tape holds one node per
call, the input projections of all time steps are one matrix product before the loop,
each step does one product ``h @ W_hh`` for all gates, and the weight gradients are one
product each after the loop. Buffers are allocated once per call, not per step.

Sequences are packed internally as Knet's variable batch sizes: a (T, B, X) input is T
steps of B rows, rows ``offsets[t] : offsets[t] + batch_sizes[t]`` of a (sum, X) matrix.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import plugrad_autograd as ag

from ._common import (
    Saved,
    backend_for,
    is_box,
    no_second_order,
    op_error,
    quiet,
    resolve_atype,
    shape_of,
)
from ._dropout import dropout_mask
from ._init import initial, xavier_uniform

_GATES = {"relu": 1, "tanh": 1, "lstm": 4, "gru": 3}


class RnnConfig(NamedTuple):
    mode: str
    hidden: int
    layers: int
    dirs: int
    batch_sizes: tuple[int, ...]
    dropout: float  # the probability in force for this call: 0 outside training
    skip_input: bool


# -- per-direction kernels -----------------------------------------------------------------


def _sigm_(xp: Any, v: Any) -> None:
    xp.negative(v, out=v)
    xp.exp(v, out=v)
    v += 1
    xp.reciprocal(v, out=v)


def _project(xp: Any, x: Any, w_ih: Any, gates: int) -> Any:
    """The input projection of every time step at once (a tiling with skip_input)."""
    if w_ih is None:
        return xp.tile(x, (1, gates))
    return x @ w_ih


def _steps(cfg: RnnConfig, reverse: bool) -> range:
    n = len(cfg.batch_sizes)
    return range(n - 1, -1, -1) if reverse else range(n)


class _Run:
    """One direction of one layer: its inputs, weights, and what its backward pass needs.

    The state entering step t is read where it already is: the output rows of the previous
    step (and the initial state for the first), so the loop copies nothing; only a
    backward direction over sequences of different lengths, where rows joining late start
    from the initial state, keeps a working copy.
    """

    def __init__(self, xp: Any, cfg: RnnConfig, x: Any, weights: Sequence[Any], reverse: bool):
        self.xp, self.cfg, self.x, self.reverse = xp, cfg, x, reverse
        self.w_ih, self.w_hh, self.b_ih, self.b_hh = weights

    def _gates(self) -> tuple[Any, Any]:
        """The input projections of all steps plus biases, and the recurrent matrix to use.

        Sigmoid gates get their negated pre-activation, so ``sigm(a) = 1 / (1 + exp(g))``
        is three passes over the whole gate block; the LSTM's new-memory gate gets -2a, so
        its ``tanh(a) = 2 * sigm(2a) - 1`` comes out of the same passes. The scaling is
        folded into the (small) weights rather than applied to the projections.
        """
        xp, H, mode = self.xp, self.cfg.hidden, self.cfg.mode
        w_ih, w_hh = self.w_ih, self.w_hh
        bias = self.b_ih + self.b_hh
        if mode == "gru":
            bias[2 * H :] = self.b_ih[2 * H :]  # b_hn sits inside r * (h R_n + b_hn)
        if mode in ("relu", "tanh"):
            gates = _project(xp, self.x, w_ih, 1)
            gates += bias
            return gates, w_hh
        scale = xp.full(bias.shape[0], -1.0, dtype=bias.dtype)
        scale[2 * H : 3 * H] = -2.0 if mode == "lstm" else 1.0
        if w_ih is None:
            gates = _project(xp, self.x, None, _GATES[mode])
            gates *= scale
        else:
            gates = self.x @ (w_ih * scale)
        gates += bias * scale
        return gates, w_hh * scale

    # forward ---------------------------------------------------------------------------
    def forward(self, h0: Any, c0: Any, offsets: Sequence[int], y: Any) -> tuple[Any, Any]:
        """Run the sequence from the initial states (B, H), writing ``y``; the final states."""
        xp, cfg = self.xp, self.cfg
        H, mode, bs = cfg.hidden, cfg.mode, cfg.batch_sizes
        gates, w_hh = self._gates()
        rows_total, dtype = gates.shape[0], gates.dtype
        steps = _steps(cfg, self.reverse)
        direct = not self.reverse or min(bs) == bs[0]
        self.gates, self.y, self.offsets = gates, y, offsets
        self.h_prev: list[Any] = [None] * len(bs)
        lstm = mode == "lstm"
        if lstm:
            self.c_prev: list[Any] = [None] * len(bs)
            cells = self.cells = xp.empty((rows_total, H), dtype=dtype)
            tanh_c = self.tanh_c = xp.empty((rows_total, H), dtype=dtype)
        elif mode == "gru":
            hidden_proj = self.hidden_proj = xp.empty_like(gates)
            b_hn = self.b_hh[2 * H :]
        if not direct:
            h = h0.copy()
            c = c0.copy() if lstm else None
        tmp = xp.empty((bs[0], gates.shape[1]), dtype=dtype)
        matmul, multiply, exp, reciprocal, tanh = (
            xp.matmul,
            xp.multiply,
            xp.exp,
            xp.reciprocal,
            xp.tanh,
        )
        prev = None
        with quiet(xp):
            for t in steps:
                n = bs[t]
                rows = slice(offsets[t], offsets[t] + n)
                if prev is None:
                    hp = h0[:n]
                    cp = c0[:n] if lstm else None
                elif direct:
                    before = slice(offsets[prev], offsets[prev] + n)
                    hp = y[before]
                    cp = cells[before] if lstm else None
                else:  # the working copy: later steps overwrite it
                    hp = h[:n].copy()
                    cp = c[:n].copy() if lstm else None
                self.h_prev[t] = hp
                g = gates[rows]
                yt = y[rows]
                if lstm:
                    self.c_prev[t] = cp
                    acc = tmp[:n]
                    matmul(hp, w_hh, out=acc)
                    g += acc
                    exp(g, out=g)
                    g += 1
                    reciprocal(g, out=g)
                    new = g[:, 2 * H : 3 * H]
                    new *= 2
                    new -= 1
                    ct = cells[rows]
                    multiply(g[:, H : 2 * H], cp, out=ct)
                    prod_in = acc[:, :H]
                    multiply(g[:, :H], new, out=prod_in)
                    ct += prod_in
                    tc = tanh_c[rows]
                    tanh(ct, out=tc)
                    multiply(g[:, 3 * H :], tc, out=yt)
                elif mode == "gru":
                    hg = hidden_proj[rows]
                    matmul(hp, w_hh, out=hg)
                    hn = hg[:, 2 * H :]
                    hn += b_hn
                    rz = g[:, : 2 * H]
                    rz += hg[:, : 2 * H]
                    exp(rz, out=rz)
                    rz += 1
                    reciprocal(rz, out=rz)
                    new = g[:, 2 * H :]
                    prod_in = tmp[:n, :H]
                    multiply(g[:, :H], hn, out=prod_in)
                    new += prod_in
                    tanh(new, out=new)
                    # h = (1 - z) * n + z * h_prev = n + z * (h_prev - n)
                    xp.subtract(hp, new, out=prod_in)
                    prod_in *= g[:, H : 2 * H]
                    xp.add(new, prod_in, out=yt)
                else:
                    acc = tmp[:n]
                    matmul(hp, w_hh, out=acc)
                    g += acc
                    if mode == "relu":
                        xp.maximum(g, 0, out=yt)
                    else:
                        tanh(g, out=yt)
                if not direct:
                    h[:n] = yt
                    if lstm:
                        c[:n] = cells[rows]
                prev = t
        if not direct:
            return h, c
        if self.reverse or min(bs) == bs[0]:  # every row ends at the last step taken
            last = slice(offsets[prev], offsets[prev] + bs[prev])
            return y[last], (cells[last] if lstm else None)
        # forward over sequences of different lengths: row b ends at its own last step
        ends = [offsets[sum(1 for n in bs if n > b) - 1] + b for b in range(bs[0])]
        index = xp.asarray(ends)
        return y[index], (cells[index] if lstm else None)

    # backward --------------------------------------------------------------------------
    def backward(self, dy: Any, dh: Any, dc: Any, need_dx: bool) -> tuple:
        """Gradients from ``dy`` (this direction's outputs) and the final-state gradients
        ``dh``/``dc`` (updated in place into the initial-state gradients)."""
        xp, cfg = self.xp, self.cfg
        H = cfg.hidden
        mode = cfg.mode
        w_hh_t = self.w_hh.T
        gates, offsets = self.gates, self.offsets
        d_gates = xp.empty_like(gates)
        d_hidden = xp.empty_like(gates) if mode == "gru" else d_gates
        b0 = cfg.batch_sizes[0]
        t1 = xp.empty((b0, H), dtype=gates.dtype)
        t2 = xp.empty((b0, H), dtype=gates.dtype)
        deriv = xp.empty((b0, gates.shape[1]), dtype=gates.dtype) if mode == "lstm" else None
        matmul, multiply, subtract = xp.matmul, xp.multiply, xp.subtract
        for t in _steps(cfg, not self.reverse):
            n = cfg.batch_sizes[t]
            rows = slice(offsets[t], offsets[t] + n)
            dht = dh[:n]
            dht += dy[rows]
            g = gates[rows]
            dg = d_gates[rows]
            a, b = t1[:n], t2[:n]
            if mode == "lstm":
                i, f, new, o = g[:, :H], g[:, H : 2 * H], g[:, 2 * H : 3 * H], g[:, 3 * H :]
                tc = self.tanh_c[rows]
                dct = dc[:n]
                # local derivatives: s(1 - s) for the sigmoid gates, 1 - n^2 for new memory
                der = deriv[:n]
                subtract(1, g, out=der)
                der *= g
                dn = der[:, 2 * H : 3 * H]
                multiply(new, new, out=dn)
                subtract(1, dn, out=dn)
                # cell: dc += dh * o * (1 - tanh(c)^2)
                multiply(tc, tc, out=a)
                subtract(1, a, out=a)
                a *= o
                a *= dht
                dct += a
                multiply(dct, new, out=dg[:, :H])
                multiply(dct, self.c_prev[t], out=dg[:, H : 2 * H])
                multiply(dct, i, out=dg[:, 2 * H : 3 * H])
                multiply(dht, tc, out=dg[:, 3 * H :])
                dg *= der
                dct *= f
                matmul(dg, w_hh_t, out=dht)
            elif mode == "gru":
                r, z, new = g[:, :H], g[:, H : 2 * H], g[:, 2 * H :]
                hp = self.h_prev[t]
                hn = self.hidden_proj[rows, 2 * H :]
                dhg = d_hidden[rows]
                # update gate: dh * (h_prev - n) * z(1 - z)
                subtract(hp, new, out=a)
                a *= dht
                subtract(1, z, out=b)
                b *= z
                multiply(a, b, out=dg[:, H : 2 * H])
                # new gate pre-activation: dh * (1 - z) * (1 - n^2)
                subtract(1, z, out=a)
                a *= dht
                multiply(new, new, out=b)
                subtract(1, b, out=b)
                dgn = dg[:, 2 * H :]
                multiply(a, b, out=dgn)
                # through r * (h R_n + b_Rn)
                multiply(dgn, r, out=dhg[:, 2 * H :])
                subtract(1, r, out=a)
                a *= r
                a *= hn
                multiply(dgn, a, out=dg[:, :H])
                dhg[:, : 2 * H] = dg[:, : 2 * H]
                dht *= z
                matmul(dhg, w_hh_t, out=a)
                dht += a
            else:
                yt = self.y[rows]
                if mode == "relu":
                    multiply(dht, yt > 0, out=dg)
                else:
                    multiply(yt, yt, out=a)
                    subtract(1, a, out=a)
                    multiply(dht, a, out=dg)
                matmul(dg, w_hh_t, out=dht)
        h_prev = xp.concatenate(self.h_prev)  # rows in step order, as the gradients'
        dw_hh = h_prev.T @ d_hidden
        db_hh = d_hidden.sum(axis=0)
        db_ih = d_gates.sum(axis=0) if mode == "gru" else db_hh.copy()
        if self.w_ih is None:
            dw_ih = None
            dx = d_gates.reshape(d_gates.shape[0], -1, H).sum(axis=1) if need_dx else None
        else:
            dw_ih = self.x.T @ d_gates
            dx = d_gates @ self.w_ih.T if need_dx else None
        return dx, dw_ih, dw_hh, db_ih, db_hh


# -- the primitive ---------------------------------------------------------------------------


def _layout(cfg: RnnConfig, rows: int, batch: int) -> tuple[int, int]:
    """Sizes of the output and of one state block inside the flat result."""
    return rows * cfg.dirs * cfg.hidden, cfg.layers * cfg.dirs * batch * cfg.hidden


@ag.primitive
def _rnn(x: Any, h0: Any, c0: Any, *weights: Any, cfg: RnnConfig, saved: Saved) -> Any:
    xp = ag.xp_of(x)
    dtype = xp.result_type(x, *(w for w in weights if w is not None))
    H, L, D = cfg.hidden, cfg.layers, cfg.dirs
    bs = cfg.batch_sizes
    batch, rows = bs[0], x.shape[0]
    lstm = cfg.mode == "lstm"
    ny, ns = _layout(cfg, rows, batch)
    # One flat result: outputs, final hidden states, final cell states (a primitive has one
    # output; the caller slices it, and the slices' gradients meet again in one array).
    out = xp.empty(ny + ns * (2 if lstm else 1), dtype=dtype)
    y = out[:ny].reshape(rows, D * H)
    h_final = out[ny : ny + ns].reshape(L * D, batch, H)
    c_final = out[ny + ns :].reshape(L * D, batch, H) if lstm else None
    offsets = [0]
    for n in bs[:-1]:
        offsets.append(offsets[-1] + n)
    layer_in = x.astype(dtype, copy=False)
    saved.layers = []
    for layer in range(L):
        mask = None
        if cfg.dropout > 0:
            mask = dropout_mask(layer_in, cfg.dropout)
            layer_in = layer_in * mask
        layer_out = y if layer == L - 1 else xp.empty((rows, D * H), dtype=dtype)
        runs = []
        for d in range(D):
            k = layer * D + d
            ws = [
                None if w is None else w.astype(dtype, copy=False)
                for w in weights[4 * k : 4 * k + 4]
            ]
            run = _Run(xp, cfg, layer_in, ws, reverse=d == 1)
            h = xp.zeros((batch, H), dtype) if h0 is None else h0[k].astype(dtype, copy=False)
            c = None
            if lstm:
                c = xp.zeros((batch, H), dtype) if c0 is None else c0[k].astype(dtype, copy=False)
            h, c = run.forward(h, c, offsets, layer_out[:, d * H : (d + 1) * H])
            h_final[k] = h
            if lstm:
                c_final[k] = c
            runs.append(run)
        saved.layers.append((mask, runs))
        layer_in = layer_out
    saved.shapes = (x.shape, rows, batch, ny, ns)
    return out


def _backward(saved: Saved, d_out: Any) -> list:
    """All gradients of one ``_rnn`` call: [x, h0, c0, *weights]."""
    cfg = saved.cfg
    H, L, D = cfg.hidden, cfg.layers, cfg.dirs
    _, rows, batch, ny, ns = saved.shapes
    lstm = cfg.mode == "lstm"
    d_layer = d_out[:ny].reshape(rows, D * H)
    dh = d_out[ny : ny + ns].reshape(L * D, batch, H).copy()
    dc = d_out[ny + ns :].reshape(L * D, batch, H).copy() if lstm else None
    grads: list = [None] * (3 + 4 * L * D)
    for layer in range(L - 1, -1, -1):
        mask, runs = saved.layers[layer]
        need_dx = layer > 0 or saved.need_x
        dx = None
        for d, run in enumerate(runs):
            k = layer * D + d
            part = run.backward(
                d_layer[:, d * H : (d + 1) * H], dh[k], dc[k] if lstm else None, need_dx
            )
            grads[3 + 4 * k : 7 + 4 * k] = part[1:]
            if need_dx:
                dx = part[0] if dx is None else dx + part[0]
        if mask is not None and dx is not None:
            dx *= mask
        d_layer = dx
    grads[0], grads[1], grads[2] = d_layer, dh, dc
    return grads


@ag.primitive
def _rnn_grad(d_out: Any, index: int, saved: Saved) -> Any:
    cache = getattr(saved, "grads", None)
    if cache is None or cache[0] is not d_out:
        cache = saved.grads = (d_out, _backward(saved, d_out))
    g = cache[1][index]
    saved.pending -= 1
    if saved.pending <= 0:  # every argument has its gradient: free the step buffers
        saved.layers = saved.grads = None
    return g


ag.defvjp(_rnn_grad, no_second_order("RNN"))


class _EveryArgument:
    """The vjp rules of ``_rnn``: argument ``i``'s gradient is entry ``i`` of the BPTT."""

    def __len__(self) -> int:
        return 1 << 30

    def __getitem__(self, i: int) -> Callable[..., Any]:
        return lambda dy, y, *args, cfg, saved: _rnn_grad(dy, i, saved)


_rnn.vjps = _EveryArgument()  # type: ignore[attr-defined]


# -- the layer object --------------------------------------------------------------------------


def _state_ok(value: Any) -> bool:
    return value is None or (isinstance(value, int) and value == 0)


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

    Weights: per layer and direction ``w_ih[k]`` (X, G*H), ``w_hh[k]`` (H, G*H), ``b_ih[k]``
    and ``b_hh[k]`` (G*H,), Params in lists indexed ``k = layer * directions + direction``,
    gates in Knet's order (LSTM i, f, n, o; GRU r, z, n; G = 4, 3, 1). Matrices start as
    ``winit`` per gate (xavier_uniform), biases as zeros except the LSTM forget gate's input
    bias, ``finit`` (ones). ``skip_input=True`` adds the input to every gate instead of
    multiplying it by ``w_ih`` of the first layer (then None; needs X == H).

    ``dropout`` applies to the input of every layer while training (Knet: "applied to
    input and between layers").

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
    ) -> None:
        if rnn_type not in _GATES:
            raise op_error(
                "RNN",
                f"unknown rnn_type {rnn_type!r}; expected one of {', '.join(map(repr, _GATES))}",
            )
        for name, value in (
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("num_layers", num_layers),
        ):
            if not isinstance(value, int) or value < 1:
                raise op_error("RNN", f"{name} must be a positive int, got {value!r}")
        if not 0 <= dropout < 1:
            raise op_error("RNN", f"dropout must be a probability in [0, 1), got {dropout!r}")
        if skip_input and input_size != hidden_size:
            raise op_error(
                "RNN",
                f"skip_input=True adds the input to the gates, so input_size ({input_size}) "
                f"must equal hidden_size ({hidden_size})",
            )
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.rnn_type = rnn_type
        self.num_layers = num_layers
        self.bidirectional = bool(bidirectional)
        self.dropout = float(dropout)
        self.skip_input = bool(skip_input)
        self.batch_first = bool(batch_first)
        self.h = h
        self.c = c
        backend, dt = resolve_atype(atype, "RNN")
        if dtype is not None:
            import numpy as np

            dt = np.dtype(dtype)
        gates, dirs, H = _GATES[rnn_type], 2 if bidirectional else 1, hidden_size
        xp = backend.xp

        def matrix(rows: int) -> ag.Param:
            blocks = [initial(winit, (rows, H), backend, dt) for _ in range(gates)]
            return ag.Param(xp.concatenate(blocks, axis=1))

        def bias(forget: bool) -> ag.Param:
            blocks = [
                initial(binit, (H,), backend, dt) if binit is not None else xp.zeros(H, dt)
                for _ in range(gates)
            ]
            if forget and rnn_type == "lstm":
                blocks[1] = (
                    initial(finit, (H,), backend, dt) if finit is not None else xp.ones(H, dt)
                )
            return ag.Param(xp.concatenate(blocks))

        self.w_ih: list[ag.Param | None] = []
        self.w_hh: list[ag.Param] = []
        self.b_ih: list[ag.Param] = []
        self.b_hh: list[ag.Param] = []
        for layer in range(num_layers):
            rows = input_size if layer == 0 else dirs * H
            for _ in range(dirs):
                skip = skip_input and layer == 0
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

    def __call__(self, x: Any, batch_sizes: Sequence[int] | None = None) -> Any:
        backend_for("RNN", x, *(w for w in self.weights() if w is not None))
        shape = shape_of(x)
        X, H, D = self.input_size, self.hidden_size, self.directions
        if not shape or shape[-1] != X:
            raise op_error(
                "RNN",
                f"input of shape {shape} has feature size {shape[-1] if shape else None}, "
                f"expected the last axis to be input_size={X}",
            )
        if batch_sizes is not None:
            if len(shape) != 2:
                raise op_error(
                    "RNN",
                    f"with batch_sizes the input must be packed 2-D (sum(batch_sizes), "
                    f"{X}), got shape {shape}",
                )
            bs = tuple(int(b) for b in batch_sizes)
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
            packed, out_shape = x, (shape[0], D * H)
        elif len(shape) == 3:
            if self.batch_first:
                x = ag.swapaxes(x, 0, 1)
                shape = (shape[1], shape[0], X)
            T, B = shape[0], shape[1]
            if T < 1 or B < 1:
                raise op_error("RNN", f"input of shape {shape} has no time steps or instances")
            bs = (B,) * T
            packed, out_shape = x.reshape(T * B, X), (T, B, D * H)
        elif len(shape) == 2:
            bs, packed, out_shape = (shape[0],), x, (shape[0], D * H)
        elif len(shape) == 1:
            bs, packed, out_shape = (1,), x.reshape(1, X), (D * H,)
        else:
            raise op_error(
                "RNN",
                f"expected an input of 1, 2 or 3 dimensions ((X,), (B, X) or (T, B, X)), "
                f"got shape {shape}",
            )
        batch = bs[0]
        lstm = self.rnn_type == "lstm"
        h0 = self._initial("h", batch)
        c0 = self._initial("c", batch) if lstm else None
        mode = getattr(self, "mode", None)  # set by trainmode/testmode on the layers
        training = ag.training() if mode is None else mode
        cfg = RnnConfig(
            self.rnn_type,
            H,
            self.num_layers,
            D,
            bs,
            self.dropout if training else 0.0,
            self.skip_input,
        )
        weights = self.weights()
        saved = Saved()
        saved.cfg = cfg
        saved.need_x = is_box(packed)
        saved.pending = sum(is_box(a) for a in (packed, h0, c0, *weights))
        out = _rnn(packed, h0, c0, *weights, cfg=cfg, saved=saved)
        ny, ns = _layout(cfg, shape[0] if batch_sizes is not None else sum(bs), batch)
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
    gates = _GATES[r.rnn_type]
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
    gates = _GATES[r.rnn_type]
    ids = [(layer, i) for layer in range(len(r.w_hh)) for i in range(2 * gates)]
    return [rnnparam(r, layer, i, 0) for layer, i in ids] + [
        rnnparam(r, layer, i, 1) for layer, i in ids
    ]
