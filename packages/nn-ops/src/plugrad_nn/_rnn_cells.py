"""The recurrent cells: one step forward and one step back for relu/tanh, LSTM and GRU.

A cell knows its own arithmetic and nothing of time: :func:`plugrad_nn._rnn_loop.run_sequence`
walks the steps and hands each cell the rows of one step. Every cell works in place on
buffers allocated once per sequence (held by a :class:`Direction`), so a step allocates
nothing. The gate columns are in Knet's order (LSTM i, f, n, o; GRU r, z, n).

Sigmoid gates use their negated pre-activation, so ``sigm(a) = 1 / (1 + exp(g))`` is three
passes over the whole gate block; the LSTM's new-memory gate gets -2a, so its ``tanh(a) =
2 * sigm(2a) - 1`` comes out of the same passes. The scaling is folded into the (small)
weights rather than applied to the projections.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar


class Direction:
    """One direction of one layer: its input, weights, and what the backward pass reads.

    Attributes:
        x: the layer input (rows, X); ``w_ih`` (None with skip_input), ``w_hh``, ``b_ih``,
            ``b_hh``: the weights, unscaled.
        batch_sizes, offsets: the packed layout (rows of step t start at ``offsets[t]``).
        reverse: whether the steps run from last to first.
        gates: the gate activations of every step (rows, G*H), filled by the forward pass.
        y: this direction's outputs (rows, H), a view into the layer output.
        h_prev, c_prev: the state entering each step, by step index.
        cells, tanh_c: the LSTM's cell state and its tanh per row (else None).
        hidden_proj: the GRU's recurrent projection ``h @ R + b`` per row (else None).
    """

    def __init__(
        self,
        xp: Any,
        hidden: int,
        x: Any,
        weights: Sequence[Any],
        batch_sizes: Sequence[int],
        offsets: Sequence[int],
        y: Any,
        reverse: bool,
    ) -> None:
        self.xp, self.hidden, self.x, self.y, self.reverse = xp, hidden, x, y, reverse
        self.w_ih, self.w_hh, self.b_ih, self.b_hh = weights
        self.batch_sizes, self.offsets = tuple(batch_sizes), list(offsets)
        self.gates: Any = None
        self.h_prev: list[Any] = [None] * len(batch_sizes)
        self.c_prev: list[Any] = [None] * len(batch_sizes)
        self.cells: Any = None
        self.tanh_c: Any = None
        self.hidden_proj: Any = None

    def rows(self, t: int) -> slice:
        """The rows of step ``t`` in the packed arrays."""
        return slice(self.offsets[t], self.offsets[t] + self.batch_sizes[t])


def project(xp: Any, x: Any, w_ih: Any, gates: int) -> Any:
    """The input projection of every time step at once (a tiling with skip_input)."""
    if w_ih is None:
        return xp.tile(x, (1, gates))
    return x @ w_ih


class Cell(ABC):
    """One kind of recurrent step. Subclasses fill in the four methods below.

    - ``prepare(run)`` computes ``run.gates`` (the input projections of all steps plus
      biases), allocates the per-sequence buffers and returns the recurrent matrix the
      steps multiply by.
    - ``step(run, rows, hp, cp, w, tmp)`` computes one step's output ``run.y[rows]`` (and,
      for the LSTM, its cell state) from the state ``hp``/``cp`` entering it.
    - ``step_back(run, t, dht, dct, scratch)`` turns the gradient ``dht`` (``dct``) of the
      state leaving step ``t`` into the step's rows of the pre-activation gradients
      ``scratch.d_gates`` (``scratch.d_hidden`` for the recurrent part) and, in place, the
      gradient of the state entering it.
    - ``hidden_grads(xp, d_gates)`` is where the recurrent pre-activation gradients go:
      ``d_gates`` itself, unless the recurrent part differs (GRU).
    """

    kind: ClassVar[str]
    gates: ClassVar[int]
    carries_cell: ClassVar[bool] = False

    @abstractmethod
    def prepare(self, run: Direction) -> Any: ...

    @abstractmethod
    def step(self, run: Direction, rows: slice, hp: Any, cp: Any, w: Any, tmp: Any) -> None: ...

    @abstractmethod
    def step_back(self, run: Direction, t: int, dht: Any, dct: Any, scratch: Any) -> None: ...

    def hidden_grads(self, xp: Any, d_gates: Any) -> Any:
        return d_gates

    def scratch(self, xp: Any, batch: int, width: int, dtype: Any) -> Any:
        """Buffers ``step_back`` may use beyond the two (batch, H) ones: none by default."""
        return None


class PlainCell(Cell):
    """Knet's relu and tanh RNN: ``h = f(x W + h R + bW + bR)``."""

    gates = 1

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def prepare(self, run: Direction) -> Any:
        gates = project(run.xp, run.x, run.w_ih, 1)
        gates += run.b_ih + run.b_hh
        run.gates = gates
        return run.w_hh

    def step(self, run: Direction, rows: slice, hp: Any, cp: Any, w: Any, tmp: Any) -> None:
        xp, g, yt = run.xp, run.gates[rows], run.y[rows]
        xp.matmul(hp, w, out=tmp)
        g += tmp
        if self.kind == "relu":
            xp.maximum(g, 0, out=yt)
        else:
            xp.tanh(g, out=yt)

    def step_back(self, run: Direction, t: int, dht: Any, dct: Any, scratch: Any) -> None:
        rows = run.rows(t)
        xp, yt, dg = run.xp, run.y[rows], scratch.d_gates[rows]
        a = scratch.a[: dht.shape[0]]
        if self.kind == "relu":
            xp.multiply(dht, yt > 0, out=dg)
        else:
            xp.multiply(yt, yt, out=a)
            xp.subtract(1, a, out=a)
            xp.multiply(dht, a, out=dg)
        xp.matmul(dg, scratch.w_hh_t, out=dht)


class _SigmoidGated(Cell):
    """A cell whose gates are sigmoids of negated pre-activations (LSTM, GRU)."""

    new_scale: ClassVar[float]  # the factor of the new-memory gate's pre-activation

    def _bias(self, run: Direction) -> Any:
        return run.b_ih + run.b_hh

    def prepare(self, run: Direction) -> Any:
        xp, H = run.xp, run.hidden
        bias = self._bias(run)
        scale = xp.full(bias.shape[0], -1.0, dtype=bias.dtype)
        scale[2 * H : 3 * H] = self.new_scale
        if run.w_ih is None:
            gates = project(xp, run.x, None, self.gates)
            gates *= scale
        else:
            gates = run.x @ (run.w_ih * scale)
        gates += bias * scale
        run.gates = gates
        self._allocate(run)
        return run.w_hh * scale

    def _allocate(self, run: Direction) -> None:
        """Allocate the per-sequence buffers of the forward pass."""


class LSTMCell(_SigmoidGated):
    """Knet's LSTM: i, f, o = sigm(...), n = tanh(...), ``c = f*c + i*n``, ``h = o*tanh(c)``."""

    kind = "lstm"
    gates = 4
    carries_cell = True
    new_scale = -2.0

    def _allocate(self, run: Direction) -> None:
        shape = (run.gates.shape[0], run.hidden)
        run.cells = run.xp.empty(shape, dtype=run.gates.dtype)
        run.tanh_c = run.xp.empty(shape, dtype=run.gates.dtype)

    def step(self, run: Direction, rows: slice, hp: Any, cp: Any, w: Any, tmp: Any) -> None:
        xp, H, g, yt = run.xp, run.hidden, run.gates[rows], run.y[rows]
        xp.matmul(hp, w, out=tmp)
        g += tmp
        xp.exp(g, out=g)
        g += 1
        xp.reciprocal(g, out=g)
        new = g[:, 2 * H : 3 * H]
        new *= 2
        new -= 1
        ct = run.cells[rows]
        xp.multiply(g[:, H : 2 * H], cp, out=ct)
        prod_in = tmp[:, :H]
        xp.multiply(g[:, :H], new, out=prod_in)
        ct += prod_in
        tc = run.tanh_c[rows]
        xp.tanh(ct, out=tc)
        xp.multiply(g[:, 3 * H :], tc, out=yt)

    def scratch(self, xp: Any, batch: int, width: int, dtype: Any) -> Any:
        return xp.empty((batch, width), dtype=dtype)

    def step_back(self, run: Direction, t: int, dht: Any, dct: Any, scratch: Any) -> None:
        rows = run.rows(t)
        xp, H, g, dg = run.xp, run.hidden, run.gates[rows], scratch.d_gates[rows]
        n = dht.shape[0]
        a, der = scratch.a[:n], scratch.extra[:n]
        i, f, new, o = g[:, :H], g[:, H : 2 * H], g[:, 2 * H : 3 * H], g[:, 3 * H :]
        tc = run.tanh_c[rows]
        # local derivatives: s(1 - s) for the sigmoid gates, 1 - n^2 for new memory
        xp.subtract(1, g, out=der)
        der *= g
        dn = der[:, 2 * H : 3 * H]
        xp.multiply(new, new, out=dn)
        xp.subtract(1, dn, out=dn)
        # cell: dc += dh * o * (1 - tanh(c)^2)
        xp.multiply(tc, tc, out=a)
        xp.subtract(1, a, out=a)
        a *= o
        a *= dht
        dct += a
        xp.multiply(dct, new, out=dg[:, :H])
        xp.multiply(dct, run.c_prev[t], out=dg[:, H : 2 * H])
        xp.multiply(dct, i, out=dg[:, 2 * H : 3 * H])
        xp.multiply(dht, tc, out=dg[:, 3 * H :])
        dg *= der
        dct *= f
        xp.matmul(dg, scratch.w_hh_t, out=dht)


class GRUCell(_SigmoidGated):
    """Knet's GRU: r, z = sigm(...), ``n = tanh(x Wn + bWn + r*(h Rn + bRn))``,
    ``h = (1-z)*n + z*h``."""

    kind = "gru"
    gates = 3
    new_scale = 1.0

    def _bias(self, run: Direction) -> Any:
        H = run.hidden
        bias = run.b_ih + run.b_hh
        bias[2 * H :] = run.b_ih[2 * H :]  # b_hn sits inside r * (h R_n + b_hn)
        return bias

    def _allocate(self, run: Direction) -> None:
        run.hidden_proj = run.xp.empty_like(run.gates)

    def step(self, run: Direction, rows: slice, hp: Any, cp: Any, w: Any, tmp: Any) -> None:
        xp, H, g, yt = run.xp, run.hidden, run.gates[rows], run.y[rows]
        hg = run.hidden_proj[rows]
        xp.matmul(hp, w, out=hg)
        hn = hg[:, 2 * H :]
        hn += run.b_hh[2 * H :]
        rz = g[:, : 2 * H]
        rz += hg[:, : 2 * H]
        xp.exp(rz, out=rz)
        rz += 1
        xp.reciprocal(rz, out=rz)
        new = g[:, 2 * H :]
        prod_in = tmp[:, :H]
        xp.multiply(g[:, :H], hn, out=prod_in)
        new += prod_in
        xp.tanh(new, out=new)
        # h = (1 - z) * n + z * h_prev = n + z * (h_prev - n)
        xp.subtract(hp, new, out=prod_in)
        prod_in *= g[:, H : 2 * H]
        xp.add(new, prod_in, out=yt)

    def hidden_grads(self, xp: Any, d_gates: Any) -> Any:
        return xp.empty_like(d_gates)

    def step_back(self, run: Direction, t: int, dht: Any, dct: Any, scratch: Any) -> None:
        rows = run.rows(t)
        xp, H, g, dg = run.xp, run.hidden, run.gates[rows], scratch.d_gates[rows]
        dhg = scratch.d_hidden[rows]
        n = dht.shape[0]
        a, b = scratch.a[:n], scratch.b[:n]
        r, z, new = g[:, :H], g[:, H : 2 * H], g[:, 2 * H :]
        hp = run.h_prev[t]
        hn = run.hidden_proj[rows, 2 * H :]
        # update gate: dh * (h_prev - n) * z(1 - z)
        xp.subtract(hp, new, out=a)
        a *= dht
        xp.subtract(1, z, out=b)
        b *= z
        xp.multiply(a, b, out=dg[:, H : 2 * H])
        # new gate pre-activation: dh * (1 - z) * (1 - n^2)
        xp.subtract(1, z, out=a)
        a *= dht
        xp.multiply(new, new, out=b)
        xp.subtract(1, b, out=b)
        dgn = dg[:, 2 * H :]
        xp.multiply(a, b, out=dgn)
        # through r * (h R_n + b_Rn)
        xp.multiply(dgn, r, out=dhg[:, 2 * H :])
        xp.subtract(1, r, out=a)
        a *= r
        a *= hn
        xp.multiply(dgn, a, out=dg[:, :H])
        dhg[:, : 2 * H] = dg[:, : 2 * H]
        dht *= z
        xp.matmul(dhg, scratch.w_hh_t, out=a)
        dht += a


#: The cell of each ``rnn_type``.
CELLS: dict[str, Cell] = {
    "relu": PlainCell("relu"),
    "tanh": PlainCell("tanh"),
    "lstm": LSTMCell(),
    "gru": GRUCell(),
}
