"""layer_norm, rms_norm, scaled_dot_product_attention, silu, gelu, nll's label_smoothing:
equal to PyTorch forward and backward in float64, second derivatives, errors."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_nn as nn

torch = pytest.importorskip("torch")  # the reference (installed by nox's package session)
F = torch.nn.functional

TOL = {"rtol": 1e-10, "atol": 1e-10}


def _compare(fn, tfn, arrays, probe_seed=0):
    """fn(*arrays) == tfn(*tensors), and the gradients of sum(out * probe) agree."""
    out = fn(*arrays)
    ts = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    tout = tfn(*ts)
    np.testing.assert_allclose(out, tout.detach().numpy(), **TOL)
    probe = np.random.default_rng(probe_seed).normal(size=np.shape(out))
    (tout * torch.tensor(probe)).sum().backward()
    idx = tuple(i for i, a in enumerate(arrays) if a.dtype.kind == "f")
    grads = ag.grad(lambda *xs: ag.sum(fn(*xs) * probe), argnum=idx)(*arrays)
    for i, g in zip(idx, grads):
        np.testing.assert_allclose(g, ts[i].grad.numpy(), **TOL, err_msg=f"argument {i}")


def _second_order(fn, arrays, wrt=0):
    """gcheck of d/d(arrays[wrt]) |gradient of sum(fn^2) w.r.t. the others|^2."""
    p = ag.Param(arrays[wrt])
    others = [a for i, a in enumerate(arrays) if i != wrt]

    def call(pv, os):
        xs = list(os)
        xs.insert(wrt, pv)
        return fn(*xs)

    def grad_norm():
        gs = []
        if others:
            idx = tuple(range(len(others)))
            gs = ag.grad(lambda *os: ag.sum(call(p, os) ** 2), argnum=idx)(*others)
        # the gradient at p, taken through a shift z = 0 so that p stays the outer variable
        gx = ag.grad(lambda z: ag.sum(call(p + z, others) ** 3))(np.zeros(p.shape))
        return sum(ag.sum(g * g) for g in gs) + ag.sum(gx * gx)

    assert ag.gcheck(grad_norm, nsample=15, atol=1e-6, rtol=1e-5, delta=1e-5, verbose=1)


R = np.random.default_rng(42)


@pytest.mark.parametrize(
    ("shape", "axis"), [((4, 6), -1), ((2, 3, 5), (1, 2)), ((2, 3, 5), 1), ((3, 4, 2), (0, 2))]
)
def test_layer_norm_equals_torch(shape, axis):
    axes = tuple(sorted(a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))))
    wshape = tuple(shape[a] for a in axes)
    x, w, b = R.normal(size=shape), R.normal(size=wshape), R.normal(size=wshape)
    trailing = axes == tuple(range(len(shape) - len(axes), len(shape)))

    def torch_ln(x, w=None, b=None):
        if trailing:
            return F.layer_norm(x, wshape, w, b, eps=1e-5)
        mean = x.mean(dim=axes, keepdim=True)
        var = x.var(dim=axes, keepdim=True, unbiased=False)
        bshape = tuple(n if i in axes else 1 for i, n in enumerate(shape))
        return (x - mean) / torch.sqrt(var + 1e-5) * w.reshape(bshape) + b.reshape(bshape)

    _compare(lambda x, w, b: nn.layer_norm(x, w, b, axis=axis), torch_ln, [x, w, b])
    if trailing:
        _compare(lambda x: nn.layer_norm(x, axis=axis), torch_ln, [x])


@pytest.mark.parametrize(("shape", "axis"), [((4, 6), -1), ((2, 3, 5), (1, 2))])
def test_rms_norm_equals_torch(shape, axis):
    nd = 1 if axis == -1 else 2
    wshape = shape[-nd:]
    x, w = R.normal(size=shape), R.normal(size=wshape)
    _compare(
        lambda x, w: nn.rms_norm(x, w, eps=1e-6, axis=axis),
        lambda x, w: F.rms_norm(x, wshape, w, eps=1e-6),
        [x, w],
    )


def test_norms_second_order():
    x, w, b = R.normal(size=(3, 5)), R.normal(size=5), R.normal(size=5)
    _second_order(lambda x, w, b: nn.layer_norm(x, w, b), [x, w, b])
    _second_order(lambda x, w, b: nn.layer_norm(x, w, b), [x, w, b], wrt=1)
    _second_order(lambda x, w: nn.rms_norm(x, w), [x, w])
    _second_order(lambda x, w: nn.rms_norm(x, w), [x, w], wrt=1)
    x3 = R.normal(size=(2, 3, 4))
    _second_order(lambda x: nn.layer_norm(x, axis=(0, 2)) * x3, [x3])


def _torch_sdpa(mask=None, causal=False, scale=None):
    def f(q, k, v, m=None):
        m = mask if m is None else m
        return F.scaled_dot_product_attention(q, k, v, attn_mask=m, is_causal=causal, scale=scale)

    return f


@pytest.mark.parametrize("causal", [False, True])
def test_attention_self_equals_torch(causal):
    q, k, v = (R.normal(size=(2, 3, 5, 7)) for _ in range(3))
    _compare(
        lambda q, k, v: nn.scaled_dot_product_attention(q, k, v, causal=causal),
        _torch_sdpa(causal=causal),
        [q, k, v],
    )


def test_attention_cross_odd_sizes_boolean_and_float_masks():
    q = R.normal(size=(2, 3, 4, 5))  # Tq 4, odd head size 5
    k = R.normal(size=(2, 3, 7, 5))  # Tk 7
    v = R.normal(size=(2, 3, 7, 3))  # dv 3
    bmask = R.random(size=(2, 1, 4, 7)) > 0.3
    bmask[..., 0] = True
    fmask = R.normal(size=(4, 7))
    _compare(
        lambda q, k, v: nn.scaled_dot_product_attention(q, k, v, mask=bmask),
        _torch_sdpa(mask=torch.tensor(bmask)),
        [q, k, v],
    )
    _compare(
        lambda q, k, v, m: nn.scaled_dot_product_attention(q, k, v, mask=m, scale=0.3),
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.3),
        [q, k, v, fmask],
    )


def test_attention_causal_with_fewer_queries_aligns_at_the_end():
    q, k, v = R.normal(size=(1, 2, 3)), R.normal(size=(1, 5, 3)), R.normal(size=(1, 5, 3))
    allowed = np.tril(np.ones((2, 5), bool), 3)
    np.testing.assert_allclose(
        nn.scaled_dot_product_attention(q, k, v, causal=True),
        nn.scaled_dot_product_attention(q, k, v, mask=allowed),
        **TOL,
    )
    full = nn.scaled_dot_product_attention(
        np.concatenate([R.normal(size=(1, 3, 3)), q], 1), k, v, causal=True
    )
    np.testing.assert_allclose(nn.scaled_dot_product_attention(q, k, v, causal=True), full[:, 3:])


def test_attention_fully_masked_row_gives_zero_and_finite_gradients():
    q, k, v = (R.normal(size=(3, 4)) for _ in range(3))
    mask = np.ones((3, 3), bool)
    mask[1] = False
    out = nn.scaled_dot_product_attention(q, k, v, mask=mask)
    np.testing.assert_array_equal(out[1], 0)
    g = ag.grad(lambda q: ag.sum(nn.scaled_dot_product_attention(q, k, v, mask=mask)))(q)
    assert np.isfinite(g).all() and not g[1].any()


def test_attention_dropout_uses_one_mask_forward_and_backward():
    q, k, v = (R.normal(size=(2, 4, 3)) for _ in range(3))
    w = ag.Param(q)
    t = ag.diff(lambda: ag.sum(nn.scaled_dot_product_attention(w, k, v, dropout=0.5, seed=3)))
    keep = nn._dropout.dropout_mask(np.empty((2, 4, 4)), 0.5, seed=3)
    s = q @ k.swapaxes(-1, -2) / np.sqrt(3)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    ref = torch.tensor(q, requires_grad=True)
    tp = torch.softmax(ref @ torch.tensor(k).transpose(-1, -2) / np.sqrt(3), -1)
    (tp * torch.tensor(keep) @ torch.tensor(v)).sum().backward()
    assert float(ag.value(t)) == pytest.approx(float(((p * keep) @ v).sum()), rel=1e-12)
    np.testing.assert_allclose(ag.grad(t, w), ref.grad.numpy(), **TOL)
    # outside diff dropout is off unless drop=True
    np.testing.assert_allclose(
        nn.scaled_dot_product_attention(q, k, v, dropout=0.5), (p @ v), **TOL
    )


def test_attention_second_order():
    q, k, v = R.normal(size=(2, 3, 4)), R.normal(size=(2, 5, 4)), R.normal(size=(2, 5, 3))
    mask = np.tril(np.ones((3, 5), bool), 2)
    for wrt in range(3):
        _second_order(
            lambda q, k, v: nn.scaled_dot_product_attention(q, k, v, mask=mask), [q, k, v], wrt
        )
    _second_order(
        lambda q, k, v: nn.scaled_dot_product_attention(q, k[:, :3], v[:, :3], causal=True),
        [q, k, v],
    )


def test_attention_errors():
    q, k, v = np.ones((2, 4, 8)), np.ones((2, 6, 8)), np.ones((2, 6, 3))
    sdpa = nn.scaled_dot_product_attention
    with pytest.raises(ValueError, match=r"mask of shape \(4, 5\) does not broadcast to the"):
        sdpa(q, k, v, mask=np.ones((4, 5), bool))
    with pytest.raises(ValueError, match=r"must share d.*q \(2, 4, 8\), k \(2, 6, 7\)"):
        sdpa(q, np.ones((2, 6, 7)), v)
    with pytest.raises(ValueError, match=r"share Tk"):
        sdpa(q, k, np.ones((2, 5, 3)))
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        sdpa(q, k, v, dropout=1.0)
    with pytest.raises(ValueError, match=r"q, k, v must be \(\.\.\., T, d\)"):
        sdpa(np.ones(8), k, v)


def test_silu_and_gelu_equal_torch():
    x = R.normal(size=(3, 7)) * 3
    _compare(nn.silu, F.silu, [x])
    _compare(nn.gelu, F.gelu, [x])
    _compare(lambda x: nn.gelu(x, approximate="tanh"), lambda x: F.gelu(x, approximate="tanh"), [x])
    _second_order(lambda x: nn.silu(x) * x, [x[:2] / 3])


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
def test_nll_label_smoothing_equals_torch_cross_entropy(smoothing):
    scores = R.normal(size=(6, 5))
    labels = np.array([0, 4, 2, -1, 1, 3])
    loss = nn.nll(scores, labels, label_smoothing=smoothing)
    ts = torch.tensor(scores, requires_grad=True)
    ref = F.cross_entropy(ts, torch.tensor(labels), ignore_index=-1, label_smoothing=smoothing)
    ref.backward()
    assert float(loss) == pytest.approx(ref.item(), rel=1e-12)
    g = ag.grad(lambda s: nn.nll(s, labels, label_smoothing=smoothing))(scores)
    np.testing.assert_allclose(g, ts.grad.numpy(), **TOL)
    with pytest.raises(ValueError, match=r"nll: label_smoothing must be in \[0, 1\]"):
        nn.nll(scores, labels, label_smoothing=1.5)


def test_norm_errors_name_shapes_and_fix():
    x = np.ones((2, 3, 4))
    with pytest.raises(ValueError, match=r"layer_norm: weight has shape \(3,\) but x of shape"):
        nn.layer_norm(x, np.ones(3))
    with pytest.raises(ValueError, match=r"expected weight of shape \(3, 4\)"):
        nn.rms_norm(x, np.ones(4), axis=(1, 2))
    with pytest.raises(ValueError, match=r"layer_norm: axis 3 is out of range"):
        nn.layer_norm(x, axis=3)
    with pytest.raises(ValueError, match=r"rms_norm: axis must be an int or a tuple"):
        nn.rms_norm(x, axis="last")
