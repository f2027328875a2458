"""RNN: Knet's formulas step by step, packed batches, states, gradients, accessors, errors."""

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_nn as nn


def _sigm(x):
    return 1 / (1 + np.exp(-x))


def reference_step(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One time step of Knet's formulas with our ``x @ W`` layout and gate order."""
    H = h.shape[1]
    G = lambda m, k: m[..., k * H : (k + 1) * H]  # noqa: E731
    wx = (x @ w_ih) if w_ih is not None else np.tile(x, len(b_ih) // H)
    if mode in ("relu", "tanh"):
        pre = wx + h @ w_hh + b_ih + b_hh
        return (np.maximum(pre, 0) if mode == "relu" else np.tanh(pre)), None
    if mode == "gru":
        wh = h @ w_hh
        r = _sigm(G(wx, 0) + G(wh, 0) + G(b_ih, 0) + G(b_hh, 0))
        z = _sigm(G(wx, 1) + G(wh, 1) + G(b_ih, 1) + G(b_hh, 1))
        n = np.tanh(G(wx, 2) + G(b_ih, 2) + r * (G(wh, 2) + G(b_hh, 2)))
        return (1 - z) * n + z * h, None
    pre = wx + h @ w_hh + b_ih + b_hh
    i, f, n, o = _sigm(G(pre, 0)), _sigm(G(pre, 1)), np.tanh(G(pre, 2)), _sigm(G(pre, 3))
    c = f * c + i * n
    return o * np.tanh(c), c


def reference_rnn(r, x, batch_sizes, h0, c0):
    """The whole network by loops: layers, directions, time steps, shrinking batches."""
    H, D, L = r.hidden_size, r.directions, r.num_layers
    offsets = np.cumsum([0] + list(batch_sizes))
    hN = np.zeros((L * D, batch_sizes[0], H))
    cN = np.zeros_like(hN)
    inp = x
    for layer in range(L):
        out = np.zeros((x.shape[0], D * H))
        for d in range(D):
            k = layer * D + d
            w = [
                None if p is None else B.to_host(ag.value(p))
                for p in (r.w_ih[k], r.w_hh[k], r.b_ih[k], r.b_hh[k])
            ]
            h, c = h0[k].copy(), c0[k].copy()
            steps = range(len(batch_sizes)) if d == 0 else reversed(range(len(batch_sizes)))
            for t in steps:
                n = batch_sizes[t]
                rows = slice(offsets[t], offsets[t] + n)
                hn, cn = reference_step(r.rnn_type, inp[rows], h[:n], c[:n], *w)
                h[:n] = hn
                if cn is not None:
                    c[:n] = cn
                out[rows, d * H : (d + 1) * H] = hn
            hN[k], cN[k] = h, c
        inp = out
    return inp, hN, cN


CASES = [
    # rnn_type, layers, bidirectional, packed
    ("lstm", 1, False, False),
    ("gru", 1, False, False),
    ("relu", 1, False, False),
    ("tanh", 1, False, False),
    ("lstm", 2, True, False),
    ("gru", 2, False, True),
    ("tanh", 1, True, True),
    ("lstm", 2, True, True),
]


def _randomize(r, rng, backend):
    for p in r.weights():
        if p is not None:
            p.value = backend.xp.asarray(rng.normal(scale=0.5, size=p.shape))


@pytest.mark.parametrize(("rnn_type", "layers", "bidirectional", "packed"), CASES)
def test_rnn_matches_knet_formulas(backend, rnn_type, layers, bidirectional, packed):
    rng = np.random.default_rng(0)
    r = nn.RNN(
        3,
        4,
        rnn_type=rnn_type,
        num_layers=layers,
        bidirectional=bidirectional,
        atype=(backend.name, "float64"),
    )
    _randomize(r, rng, backend)
    D = r.directions
    bs = [3, 3, 2, 1] if packed else [3] * 4
    x = rng.normal(size=(sum(bs), 3))
    h0 = rng.normal(size=(layers * D, 3, 4))
    c0 = rng.normal(size=(layers * D, 3, 4))
    y_ref, h_ref, c_ref = reference_rnn(r, x, bs, h0, c0)
    r.h = backend.xp.asarray(h0)
    r.c = backend.xp.asarray(c0)
    if packed:
        y = r(backend.xp.asarray(x), batch_sizes=bs)
    else:
        y = r(backend.xp.asarray(x.reshape(4, 3, 3)))
        y_ref = y_ref.reshape(4, 3, D * 4)
    np.testing.assert_allclose(B.to_host(y), y_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(B.to_host(r.h), h_ref, rtol=1e-10, atol=1e-12)
    if rnn_type == "lstm":
        np.testing.assert_allclose(B.to_host(r.c), c_ref, rtol=1e-10, atol=1e-12)
    else:
        assert B.to_host(r.c).tolist() == c0.tolist()  # untouched: only LSTMs have a cell


@pytest.mark.parametrize(("rnn_type", "layers", "bidirectional", "packed"), CASES[:5] + CASES[6:7])
def test_rnn_gradients(backend, numgrad, rnn_type, layers, bidirectional, packed):
    rng = np.random.default_rng(1)
    r = nn.RNN(
        2,
        3,
        rnn_type=rnn_type,
        num_layers=layers,
        bidirectional=bidirectional,
        atype=(backend.name, "float64"),
    )
    _randomize(r, rng, backend)
    D = r.directions
    bs = [2, 2, 1] if packed else None
    x = ag.Param(backend.xp.asarray(rng.normal(size=(5, 2) if packed else (3, 2, 2))))
    h0 = ag.Param(backend.xp.asarray(rng.normal(size=(layers * D, 2, 3))))
    c0 = ag.Param(backend.xp.asarray(rng.normal(size=(layers * D, 2, 3))))
    probe = backend.xp.asarray(rng.normal(size=(5, D * 3) if packed else (3, 2, D * 3)))
    probe_h = backend.xp.asarray(rng.normal(size=h0.shape))

    def f():
        r.h, r.c = h0, c0
        loss = ag.sum(r(x, batch_sizes=bs) * probe) + ag.sum(r.h * probe_h)
        if rnn_type == "lstm":
            loss = loss + ag.sum(r.c * probe_h)
        return loss

    params = [x, h0] + ([c0] if rnn_type == "lstm" else []) + [p for p in r.weights()]
    numgrad(f, params, rtol=1e-5, atol=1e-7)


def test_state_semantics_follow_knet():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 2, 3)).astype(np.float32)
    r = nn.RNN(3, 4)  # h=None: zeros, nothing written back
    y = r(x)
    assert r.h is None and r.c is None and y.shape == (5, 2, 4) and y.dtype == np.float32
    r.h = r.c = 0  # 0: zeros, then the final states are stored
    y0 = r(x)
    np.testing.assert_array_equal(y0, y)
    assert r.h.shape == (1, 2, 4) and r.c.shape == (1, 2, 4)
    np.testing.assert_array_equal(r.h[0], y0[-1])  # the last step of y is the final state
    # continuing from the stored state equals running the concatenated sequence
    y_next = r(x[:2])
    r2 = nn.RNN(3, 4)
    r2.w_ih, r2.w_hh, r2.b_ih, r2.b_hh = r.w_ih, r.w_hh, r.b_ih, r.b_hh
    whole = r2(np.concatenate([x, x[:2]]))
    np.testing.assert_allclose(y_next, whole[5:], rtol=1e-5, atol=1e-6)


def test_two_calls_in_one_diff_backpropagate_through_the_state_and_unwrap_later():
    rng = np.random.default_rng(3)
    r = nn.RNN(2, 3, rnn_type="gru", h=0, atype="float64")
    x1, x2 = rng.normal(size=(2, 1, 2)), rng.normal(size=(2, 1, 2))
    w = r.w_hh[0]

    def two_calls():
        r.h = 0
        r(x1)
        return ag.sum(r(x2))

    g = ag.grad(ag.diff(two_calls), w)
    assert isinstance(r.h, ag.Value)
    r.h = 0
    whole = lambda: ag.sum(r(np.concatenate([x1, x2]))[2:])  # noqa: E731
    np.testing.assert_allclose(g, ag.grad(ag.diff(whole), w), rtol=1e-12)
    # a state left over from a finished diff becomes a plain array at the next call
    ag.diff(two_calls)
    r(x1)
    assert isinstance(r.h, np.ndarray)


def test_input_shapes_batch_first_and_one_step():
    rng = np.random.default_rng(4)
    r = nn.RNN(3, 2, rnn_type="tanh", bidirectional=True)
    seq = rng.normal(size=(4, 5, 3)).astype(np.float32)
    y = r(seq)
    assert y.shape == (4, 5, 4)
    rb = nn.RNN(3, 2, rnn_type="tanh", bidirectional=True, batch_first=True)
    rb.w_ih, rb.w_hh, rb.b_ih, rb.b_hh = r.w_ih, r.w_hh, r.b_ih, r.b_hh
    np.testing.assert_allclose(rb(seq.transpose(1, 0, 2)), y.transpose(1, 0, 2), rtol=1e-6)
    assert r(seq[0]).shape == (5, 4)
    np.testing.assert_allclose(r(seq[0]), r(seq[:1])[0], rtol=1e-6)
    assert r(seq[0, 0]).shape == (4,)
    np.testing.assert_allclose(r(seq[0, 0]), r(seq[:1, :1])[0, 0], rtol=1e-6)


def test_dropout_applies_while_training_only():
    rng = np.random.default_rng(5)
    r = nn.RNN(4, 4, rnn_type="relu", num_layers=2, dropout=0.5)
    x = rng.normal(size=(3, 2, 4)).astype(np.float32)
    quiet = r(x)
    np.testing.assert_array_equal(quiet, r(x))
    seen = []
    ag.diff(lambda: ag.sum(seen.append(ag.value(r(x))) or r(x)))
    assert not np.array_equal(seen[0], quiet)


def test_skip_input_adds_the_input_to_every_gate():
    rng = np.random.default_rng(6)
    r = nn.RNN(3, 3, rnn_type="gru", skip_input=True, atype="float64")
    assert r.w_ih[0] is None and nn.rnnparam(r, 0, 1, 0) is None
    x = rng.normal(size=(2, 1, 3))
    h = np.zeros((1, 3))
    expected = []
    for t in range(2):
        h, _ = reference_step("gru", x[t], h, None, None, *(ag.value(p) for p in r.weights()[1:]))
        expected.append(h)
    np.testing.assert_allclose(r(x)[:, 0], np.concatenate(expected), rtol=1e-12)
    with pytest.raises(
        ValueError,
        match=r"RNN: skip_input=True .* input_size \(3\) must equal hidden_size \(4\)",
    ):
        nn.RNN(3, 4, skip_input=True)


def test_rnnparam_maps_knet_ids_to_gate_blocks():
    r = nn.RNN(3, 2, rnn_type="lstm", num_layers=2, bidirectional=True)
    H = 2
    assert nn.rnnparam(r, 0, 0, 0).shape == (3, 2)  # input gate, input matrix
    assert nn.rnnparam(r, 2, 0, 0).shape == (4, 2)  # second layer reads 2H features
    np.testing.assert_array_equal(nn.rnnparam(r, 1, 3, 0), r.w_ih[1].value[:, 3 * H : 4 * H])
    np.testing.assert_array_equal(nn.rnnparam(r, 3, 5, 0), r.w_hh[3].value[:, H : 2 * H])
    np.testing.assert_array_equal(nn.rnnparam(r, 0, 6, 1), r.b_hh[0].value[2 * H : 3 * H])
    # forget-gate input bias starts at ones (Knet's finit), every other bias at zero
    assert nn.rnnparam(r, 0, 1, 1).tolist() == [1.0, 1.0]
    assert nn.rnnparam(r, 0, 5, 1).tolist() == [0.0, 0.0]
    # a view: writing through it changes the weight
    nn.rnnparam(r, 0, 2, 0)[...] = 7.0
    assert (r.w_ih[0].value[:, 2 * H : 3 * H] == 7.0).all()
    ps = nn.rnnparams(r)
    assert len(ps) == 2 * 4 * 8 and [p.ndim for p in ps[:32]] == [2] * 32
    assert all(p.ndim == 1 for p in ps[32:])


def test_initialization_and_reproducibility():
    B.seed(5)
    a = nn.RNN(3, 4, rnn_type="gru")
    B.seed(5)
    b = nn.RNN(3, 4, rnn_type="gru")
    for p, q in zip(a.weights(), b.weights()):
        np.testing.assert_array_equal(p.value, q.value)
    bound = np.sqrt(6 / (3 + 4))  # xavier_uniform per (3, 4) gate matrix
    assert np.abs(a.w_ih[0].value).max() <= bound and a.w_ih[0].value.dtype == np.float32
    assert ag.serializable_class(ag.serializable_name(nn.RNN)) is nn.RNN
    assert len(ag.params(a)) == 4


def test_rnn_errors():
    with pytest.raises(
        ValueError,
        match="RNN: unknown rnn_type 'lstn'; expected one of 'relu', 'tanh', 'lstm', 'gru'",
    ):
        nn.RNN(3, 4, rnn_type="lstn")
    r = nn.RNN(3, 4)
    with pytest.raises(
        ValueError,
        match=r"RNN: input of shape \(5, 2, 6\) has feature size 6, expected .*input_size=3",
    ):
        r(np.zeros((5, 2, 3 * 2)))
    with pytest.raises(
        ValueError, match=r"RNN: batch_sizes must be positive and non-increasing .*got \[2, 3\]"
    ):
        r(np.zeros((5, 3)), batch_sizes=[2, 3])
    with pytest.raises(
        ValueError, match=r"RNN: batch_sizes .* sum to the 5 rows of x; got \[2, 2\]"
    ):
        r(np.zeros((5, 3)), batch_sizes=[2, 2])
    r.h = np.zeros((1, 2, 4))
    with pytest.raises(
        ValueError,
        match=r"RNN: the h state has shape \(1, 2, 4\) but this input needs .* \(1, 3, 4\); "
        r"set rnn.h = 0",
    ):
        r(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"rnnparam: id must be in \[0, 8\) for a lstm RNN, got 8"):
        nn.rnnparam(r, 0, 8)


def test_rnn_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    r = nn.RNN(3, 4, rnn_type="lstm", num_layers=2, bidirectional=True, atype="float64", h=0, c=0)
    t = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True).double()
    for layer in range(2):
        for d in range(2):
            k, sfx = 2 * layer + d, f"_l{layer}" + ("_reverse" if d else "")
            for ours, theirs in ((r.w_ih[k], "weight_ih"), (r.w_hh[k], "weight_hh")):
                getattr(t, theirs + sfx).data = torch.tensor(ours.value.T.copy())
            for ours, theirs in ((r.b_ih[k], "bias_ih"), (r.b_hh[k], "bias_hh")):
                getattr(t, theirs + sfx).data = torch.tensor(ours.value.copy())
    x = rng.normal(size=(6, 2, 3))
    y, (h, c) = t(torch.tensor(x))
    np.testing.assert_allclose(r(x), y.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(r.h, h.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(r.c, c.detach().numpy(), rtol=1e-10)


def test_a_backend_kernel_replaces_the_sequence_loop(monkeypatch):
    from plugrad_nn import _rnn_loop

    calls = []

    def forward(cell, run, h0, c0):
        calls.append(("forward", cell.kind, run.reverse))
        return _rnn_loop.run_sequence(cell, run, h0, c0)

    def backward(cell, run, dy, dh, dc, need_dx):
        calls.append(("backward", cell.kind, run.reverse))
        return _rnn_loop.backprop_sequence(cell, run, dy, dh, dc, need_dx)

    r = nn.RNN(3, 4, rnn_type="gru", bidirectional=True, atype="float64")
    x = ag.Param(np.random.default_rng(0).normal(size=(5, 2, 3)))
    expected = ag.grad(ag.diff(lambda: ag.sum(r(x) ** 2)), x)
    kernels = B.get("cpu").kernels
    monkeypatch.setitem(kernels, "rnn_sequence", forward)
    monkeypatch.setitem(kernels, "rnn_sequence_backward", backward)
    got = ag.grad(ag.diff(lambda: ag.sum(r(x) ** 2)), x)
    np.testing.assert_array_equal(got, expected)
    assert calls == [
        ("forward", "gru", False),
        ("forward", "gru", True),
        ("backward", "gru", False),
        ("backward", "gru", True),
    ]
