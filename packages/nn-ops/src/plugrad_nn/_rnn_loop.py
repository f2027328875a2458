"""The time loop of a recurrent network and the primitive that runs every layer through it.

The whole network (every layer, both directions, every time step) is one primitive whose
backward pass is a hand-written backpropagation through time: the tape holds one node per
call, the input projections of all time steps are one matrix product before the loop,
each step does one product ``h @ W_hh`` for all gates, and the weight gradients are one
product each after the loop. Buffers are allocated once per call, not per step.

Sequences are packed as Knet's variable batch sizes: a (T, B, X) input is T steps of B
rows, rows ``offsets[t] : offsets[t] + batch_sizes[t]`` of a (sum, X) matrix.

The two seams a compiled kernel replaces are :func:`run_sequence` and
:func:`backprop_sequence` (one direction of one layer, a cell's steps over the whole
sequence): a backend's ``kernels["rnn_sequence"]`` and ``kernels["rnn_sequence_backward"]``
take the same arguments and are used in their place (``ag.run_kernel``: a kernel returning
``NotImplemented`` leaves the direction to the portable loop).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import plugrad_autograd as ag

from ._common import Saved, no_second_order, quiet
from ._dropout import dropout_mask
from ._rnn_cells import CELLS, Cell, Direction


class RnnConfig(NamedTuple):
    mode: str
    hidden: int
    layers: int
    dirs: int
    batch_sizes: tuple[int, ...]
    dropout: float  # the probability in force for this call: 0 outside training
    skip_input: bool
    dropout_seed: int | None = None  # an RNN's own seed for this call's masks (Knet's seed)


def _steps(count: int, reverse: bool) -> range:
    return range(count - 1, -1, -1) if reverse else range(count)


# -- one direction of one layer ---------------------------------------------------------------


def run_sequence(cell: Cell, run: Direction, h0: Any, c0: Any) -> tuple[Any, Any]:
    """Run ``cell`` over every step of ``run`` from the states ``h0``/``c0`` (B, H).

    Writes the outputs into ``run.y``, keeps in ``run`` what the backward pass needs, and
    returns the final states (``c`` is None for cells without a cell state).

    The state entering step t is read where it already is: the output rows of the previous
    step (and the initial state for the first), so the loop copies nothing; only a
    backward direction over sequences of different lengths, where rows joining late start
    from the initial state, keeps a working copy.
    """
    xp, bs = run.xp, run.batch_sizes
    w = cell.prepare(run)
    direct = not run.reverse or min(bs) == bs[0]
    h = c = None
    if not direct:
        h = h0.copy()
        c = c0.copy() if c0 is not None else None
    tmp = xp.empty((bs[0], run.gates.shape[1]), dtype=run.gates.dtype)
    prev = None
    with quiet(xp):
        for t in _steps(len(bs), run.reverse):
            n, rows = bs[t], run.rows(t)
            if prev is None:
                hp, cp = h0[:n], (c0[:n] if c0 is not None else None)
            elif direct:
                before = slice(run.offsets[prev], run.offsets[prev] + n)
                hp = run.y[before]
                cp = run.cells[before] if run.cells is not None else None
            else:  # the working copy: later steps overwrite it
                hp = h[:n].copy()
                cp = c[:n].copy() if c is not None else None
            run.h_prev[t], run.c_prev[t] = hp, cp
            cell.step(run, rows, hp, cp, w, tmp[:n])
            if not direct:
                h[:n] = run.y[rows]
                if c is not None:
                    c[:n] = run.cells[rows]
            prev = t
    if not direct:
        return h, c
    return _final_states(run, prev)


def _final_states(run: Direction, last_step: int) -> tuple[Any, Any]:
    """The states each row ends with, read from the outputs (and cell states)."""
    bs, cells = run.batch_sizes, run.cells
    if run.reverse or min(bs) == bs[0]:  # every row ends at the last step taken
        last = run.rows(last_step)
        return run.y[last], (cells[last] if cells is not None else None)
    # forward over sequences of different lengths: row b ends at its own last step
    ends = [run.offsets[sum(1 for n in bs if n > b) - 1] + b for b in range(bs[0])]
    index = run.xp.asarray(ends)
    return run.y[index], (cells[index] if cells is not None else None)


class Scratch(NamedTuple):
    """Buffers of one backward pass, each with the first step's rows."""

    a: Any
    b: Any
    extra: Any  # the cell's own (see Cell.scratch)
    w_hh_t: Any
    d_gates: Any  # the pre-activation gradients of every step (rows, G*H)
    d_hidden: Any  # those of the recurrent part: d_gates itself but for the GRU


def backprop_sequence(
    cell: Cell, run: Direction, dy: Any, dh: Any, dc: Any, need_dx: bool
) -> tuple[Any, Any, Any, Any, Any]:
    """Backpropagate ``dy`` (the outputs' gradient) and ``dh``/``dc`` (the final states')
    through ``run``: ``(dx, dw_ih, dw_hh, db_ih, db_hh)``. ``dh``/``dc`` become the initial
    states' gradients, in place."""
    xp, H, gates = run.xp, run.hidden, run.gates
    d_gates = xp.empty_like(gates)
    d_hidden = cell.hidden_grads(xp, d_gates)
    b0, dtype = run.batch_sizes[0], gates.dtype
    scratch = Scratch(
        xp.empty((b0, H), dtype=dtype),
        xp.empty((b0, H), dtype=dtype),
        cell.scratch(xp, b0, gates.shape[1], dtype),
        run.w_hh.T,
        d_gates,
        d_hidden,
    )
    for t in _steps(len(run.batch_sizes), not run.reverse):
        n = run.batch_sizes[t]
        dht = dh[:n]
        dht += dy[run.rows(t)]
        cell.step_back(run, t, dht, dc[:n] if dc is not None else None, scratch)
    h_prev = xp.concatenate(run.h_prev)  # rows in step order, as the gradients'
    dw_hh = h_prev.T @ d_hidden
    db_hh = d_hidden.sum(axis=0)
    db_ih = d_gates.sum(axis=0) if d_hidden is not d_gates else db_hh.copy()
    if run.w_ih is None:
        dw_ih = None
        dx = d_gates.reshape(d_gates.shape[0], -1, H).sum(axis=1) if need_dx else None
    else:
        dw_ih = run.x.T @ d_gates
        dx = d_gates @ run.w_ih.T if need_dx else None
    return dx, dw_ih, dw_hh, db_ih, db_hh


# -- every layer and direction: the primitive -------------------------------------------------


def layout(cfg: RnnConfig, rows: int, batch: int) -> tuple[int, int]:
    """Sizes of the output and of one state block inside the flat result."""
    return rows * cfg.dirs * cfg.hidden, cfg.layers * cfg.dirs * batch * cfg.hidden


def _offsets(batch_sizes: Sequence[int]) -> list[int]:
    offsets = [0]
    for n in batch_sizes[:-1]:
        offsets.append(offsets[-1] + n)
    return offsets


def _initial(xp: Any, state: Any, k: int, batch: int, H: int, dtype: Any) -> Any:
    if state is None:
        return xp.zeros((batch, H), dtype)
    return state[k].astype(dtype, copy=False)


@ag.primitive
def _rnn(x: Any, h0: Any, c0: Any, *weights: Any, cfg: RnnConfig, saved: Saved) -> Any:
    """The whole network on packed ``x``: one flat array of outputs, final h, final c.

    A primitive has one output; the caller slices it, and the slices' gradients meet again
    in one array.
    """
    xp = ag.xp_of(x)
    dtype = xp.result_type(x, *(w for w in weights if w is not None))
    H, L, D, bs = cfg.hidden, cfg.layers, cfg.dirs, cfg.batch_sizes
    cell = CELLS[cfg.mode]
    batch, rows = bs[0], x.shape[0]
    ny, ns = layout(cfg, rows, batch)
    out = xp.empty(ny + ns * (2 if cell.carries_cell else 1), dtype=dtype)
    y = out[:ny].reshape(rows, D * H)
    h_final = out[ny : ny + ns].reshape(L * D, batch, H)
    c_final = out[ny + ns :].reshape(L * D, batch, H) if cell.carries_cell else None
    offsets = _offsets(bs)
    layer_in = x.astype(dtype, copy=False)
    saved.layers = []
    rng = None if cfg.dropout_seed is None else xp.random.default_rng(cfg.dropout_seed)
    for layer in range(L):
        mask = None
        if cfg.dropout > 0:
            mask = dropout_mask(layer_in, cfg.dropout, rng=rng)
            layer_in = layer_in * mask
        layer_out = y if layer == L - 1 else xp.empty((rows, D * H), dtype=dtype)
        runs = []
        for d in range(D):
            k = layer * D + d
            ws = [
                None if w is None else w.astype(dtype, copy=False)
                for w in weights[4 * k : 4 * k + 4]
            ]
            y_d = layer_out[:, d * H : (d + 1) * H]
            run = Direction(xp, H, layer_in, ws, bs, offsets, y_d, reverse=d == 1)
            h = _initial(xp, h0, k, batch, H, dtype)
            c = _initial(xp, c0, k, batch, H, dtype) if cell.carries_cell else None
            h_final[k], c = ag.run_kernel("rnn_sequence", run_sequence, cell, run, h, c)
            if c_final is not None:
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
    cell = CELLS[cfg.mode]
    d_layer = d_out[:ny].reshape(rows, D * H)
    dh = d_out[ny : ny + ns].reshape(L * D, batch, H).copy()
    dc = d_out[ny + ns :].reshape(L * D, batch, H).copy() if cell.carries_cell else None
    grads: list = [None] * (3 + 4 * L * D)
    for layer in range(L - 1, -1, -1):
        mask, runs = saved.layers[layer]
        need_dx = layer > 0 or saved.need_x
        dx = None
        for d, run in enumerate(runs):
            k = layer * D + d
            dy = d_layer[:, d * H : (d + 1) * H]
            dc_k = dc[k] if dc is not None else None
            args = (cell, run, dy, dh[k], dc_k, need_dx)
            part = ag.run_kernel("rnn_sequence_backward", backprop_sequence, *args)
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


# One rule for every argument (input, states and any number of weights): entry ``argnum``
# of the one backprop through time of the call.
ag.defvjp_argnum(_rnn, lambda argnum, dy, y, *args, cfg, saved: _rnn_grad(dy, argnum, saved))
