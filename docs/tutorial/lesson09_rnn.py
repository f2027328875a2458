"""Lesson 9: recurrent neural networks.

A recurrent network reads a sequence one step at a time and carries a hidden state from each
step to the next: its output at step t depends on everything it has read so far. In Python
the state is just a variable the loop carries along. This lesson writes a simple RNN and an
LSTM from their equations, then checks plugrad's fused ``pg.RNN`` against them.

Run it with ``python lesson09_rnn.py``.
"""

import numpy as np

import plugrad as pg

pg.seed(0)
T, B, X, H = 6, 3, 4, 5  # time steps, sequences in the batch, input size, hidden size


class SimpleRNN:
    """``h = relu(x @ w + h @ r + b)``: the new state mixes the input and the old state."""

    def __init__(self, inputs, hidden):
        self.w = pg.param(inputs, hidden)
        self.r = pg.param(hidden, hidden)
        self.b = pg.param0(hidden)

    def __call__(self, xs, h):
        """Run over ``xs`` (T, B, X) from state ``h`` (B, H); return the outputs and state."""
        ys = []
        for x in xs:  # one time step: (B, X)
            h = pg.relu(x @ self.w + h @ self.r + self.b)
            ys.append(h)
        return pg.stack(ys), h


class LSTM:
    """A long short-term memory: gates decide what to write, keep and show of a cell.

    The four gates are computed together, in Knet's order: input, forget, new memory,
    output. ``w`` is (X, 4H), ``r`` is (H, 4H).
    """

    def __init__(self, inputs, hidden):
        self.hidden = hidden
        self.w = pg.param(inputs, 4 * hidden)
        self.r = pg.param(hidden, 4 * hidden)
        self.b = pg.param0(4 * hidden)

    def __call__(self, xs, h, c):
        H = self.hidden
        ys = []
        for x in xs:
            gates = x @ self.w + h @ self.r + self.b
            i = pg.sigm(gates[:, :H])  # how much of the new memory to write
            f = pg.sigm(gates[:, H : 2 * H])  # how much of the old cell to keep
            n = pg.tanh(gates[:, 2 * H : 3 * H])  # the new memory
            o = pg.sigm(gates[:, 3 * H :])  # how much of the cell to show
            c = f * c + i * n
            h = o * pg.tanh(c)
            ys.append(h)
        return pg.stack(ys), h, c


xs = pg.gaussian(T, B, X, std=1.0)  # a batch of random sequences, time-major (T, B, X)
zeros = np.zeros((B, H), dtype=np.float32)

rnn = SimpleRNN(X, H)
ys, h = rnn(xs, zeros)
print("simple RNN outputs", ys.shape, "final state", h.shape)

lstm = LSTM(X, H)
ys, h, c = lstm(xs, zeros, zeros)
print("LSTM outputs", ys.shape)

# The gradient flows back through every time step; check it numerically.
ok = pg.gcheck(lambda: pg.sum(lstm(xs, zeros, zeros)[0] ** 2), verbose=0)
print("LSTM gradient check:", ok)

# pg.RNN is the same network as one fused op. Its weights are split into an input part
# (w_ih, b_ih) and a hidden part (w_hh, b_hh), gates in the same order.
fused = pg.RNN(X, H, rnn_type="lstm")
lstm.w.value[...] = pg.value(fused.w_ih[0])
lstm.r.value[...] = pg.value(fused.w_hh[0])
lstm.b.value[...] = pg.value(fused.b_ih[0]) + pg.value(fused.b_hh[0])
ours, _, _ = lstm(xs, zeros, zeros)
theirs = fused(xs)  # (T, B, H): the hidden state at every step
print("hand-written LSTM == pg.RNN:", np.allclose(ours, theirs, atol=1e-5))

# State: with h=0 and c=0 (Knet's convention) the RNN keeps its final state, so reading a
# sequence in two halves gives the same outputs as reading it at once.
fused.h, fused.c = 0, 0
first = fused(xs[:3])
second = fused(xs[3:])  # continues from the state the first half left
print("state carried between calls:", np.allclose(np.concatenate([first, second]), theirs))
fused.h, fused.c = None, None  # None: start from zeros every call and keep nothing

assert ok and np.allclose(ours, theirs, atol=1e-5)
assert np.allclose(np.concatenate([first, second]), theirs, atol=1e-5)
print("lesson 9 ok")
