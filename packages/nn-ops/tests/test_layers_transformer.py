"""Linear, LayerNorm, RMSNorm, MultiheadAttention, TransformerBlock, PositionalEmbedding,
rope: equal to PyTorch with copied weights (float64), KV cache, errors, save/load."""

from __future__ import annotations

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_nn as nn

torch = pytest.importorskip("torch")  # the reference (installed by nox's package session)

TOL = {"rtol": 1e-10, "atol": 1e-10}
R = np.random.default_rng(5)


def _np(t):
    return t.detach().numpy().astype(np.float64)


def _set(param, array):
    param.value = np.array(array, dtype=np.float64)


def _copy_linear(ours, theirs):
    _set(ours.weight, _np(theirs.weight).T)
    if theirs.bias is not None:
        _set(ours.bias, _np(theirs.bias))


def _copy_mha(ours, theirs):
    _set(ours.in_proj.weight, _np(theirs.in_proj_weight).T)
    _set(ours.in_proj.bias, _np(theirs.in_proj_bias))
    _copy_linear(ours.out_proj, theirs.out_proj)


def _check_grads(ours, theirs_params, loss_ours, loss_theirs):
    """Backward both; compare each pair of (our Param, torch tensor-gradient getter)."""
    tape = ag.diff(loss_ours)
    loss_theirs().backward()
    for p, get in theirs_params:
        np.testing.assert_allclose(ag.grad(tape, p), get(), **TOL)


def test_linear_acts_on_the_last_axis_like_torch():
    ours, theirs = nn.Linear(4, 3), torch.nn.Linear(4, 3).double()
    _copy_linear(ours, theirs)
    x = R.normal(size=(2, 5, 4))
    tx = torch.tensor(x)
    np.testing.assert_allclose(ours(x), _np(theirs(tx)), **TOL)
    probe = R.normal(size=(2, 5, 3))
    _check_grads(
        ours,
        [
            (ours.weight, lambda: _np(theirs.weight.grad).T),
            (ours.bias, lambda: _np(theirs.bias.grad)),
        ],
        lambda: ag.sum(ours(x) * probe),
        lambda: (theirs(tx) * torch.tensor(probe)).sum(),
    )
    assert nn.Linear(4, 3, bias=False).bias is None
    assert repr(ours) == "Linear(4 -> 3)"


def test_linear_and_dense_errors_name_the_fix():
    with pytest.raises(nn.LayerInputError, match=r"Linear\(4 -> 3\): expected input \(\.\.\., 4\)"):
        nn.Linear(4, 3)(np.ones((2, 5)))
    with pytest.raises(nn.LayerInputError, match=r"use Linear\(32, 10\)"):
        nn.Dense(32, 10)(np.ones((4, 2, 32), "float32"))


def test_layernorm_and_rmsnorm_layers_like_torch():
    x = R.normal(size=(3, 4, 6))
    ln, tln = nn.LayerNorm(6), torch.nn.LayerNorm(6).double()
    with torch.no_grad():
        tln.weight.copy_(torch.tensor(R.normal(size=6)))
        tln.bias.copy_(torch.tensor(R.normal(size=6)))
    _set(ln.weight, _np(tln.weight))
    _set(ln.bias, _np(tln.bias))
    np.testing.assert_allclose(ln(x), _np(tln(torch.tensor(x))), **TOL)
    rms, trms = nn.RMSNorm(6, eps=1e-6), torch.nn.RMSNorm(6, eps=1e-6).double()
    _set(rms.weight, np.ones(6))
    np.testing.assert_allclose(rms(x), _np(trms(torch.tensor(x))), **TOL)
    with pytest.raises(nn.LayerInputError, match=r"LayerNorm\(6\): expected input \(\.\.\., 6\)"):
        ln(np.ones((2, 5)))


def _torch_mask(mask):
    # torch's boolean attn_mask is True = attend for F.sdpa but True = masked for nn.MHA
    return None if mask is None else ~torch.tensor(mask)


@pytest.mark.parametrize("causal", [False, True])
def test_mha_self_attention_equals_torch(causal):
    ours = nn.MultiheadAttention(12, 3)
    theirs = torch.nn.MultiheadAttention(12, 3, batch_first=True).double()
    _copy_mha(ours, theirs)
    x = R.normal(size=(2, 5, 12))
    tx = torch.tensor(x)
    tmask = torch.triu(torch.ones(5, 5, dtype=torch.bool), 1) if causal else None
    ref = theirs(tx, tx, tx, attn_mask=tmask, need_weights=False)[0]
    np.testing.assert_allclose(ours(x, causal=causal), _np(ref), **TOL)
    probe = R.normal(size=(2, 5, 12))
    _check_grads(
        ours,
        [
            (ours.in_proj.weight, lambda: _np(theirs.in_proj_weight.grad).T),
            (ours.in_proj.bias, lambda: _np(theirs.in_proj_bias.grad)),
            (ours.out_proj.weight, lambda: _np(theirs.out_proj.weight.grad).T),
        ],
        lambda: ag.sum(ours(x, causal=causal) * probe),
        lambda: (
            theirs(tx, tx, tx, attn_mask=tmask, need_weights=False)[0] * torch.tensor(probe)
        ).sum(),
    )


def test_mha_cross_attention_with_mask_equals_torch():
    ours = nn.MultiheadAttention(10, 2)  # head size 5 (odd)
    theirs = torch.nn.MultiheadAttention(10, 2, batch_first=True).double()
    _copy_mha(ours, theirs)
    q, kv = R.normal(size=(2, 3, 10)), R.normal(size=(2, 7, 10))
    mask = R.random(size=(3, 7)) > 0.4
    mask[:, 0] = True
    ref = theirs(torch.tensor(q), torch.tensor(kv), torch.tensor(kv), attn_mask=_torch_mask(mask))[
        0
    ]
    np.testing.assert_allclose(ours(q, kv, mask=mask), _np(ref), **TOL)
    v = R.normal(size=(2, 7, 10))
    ref = theirs(torch.tensor(q), torch.tensor(kv), torch.tensor(v))[0]
    np.testing.assert_allclose(ours(q, kv, v), _np(ref), **TOL)


def test_mha_errors():
    with pytest.raises(ValueError, match=r"num_heads=3 does not divide d_model=16"):
        nn.MultiheadAttention(16, 3)
    mha = nn.MultiheadAttention(8, 2)
    with pytest.raises(nn.LayerInputError, match=r"mask of shape \(4, 4\) does not broadcast"):
        mha(np.ones((2, 5, 8)), mask=np.ones((4, 4), bool))
    with pytest.raises(nn.LayerInputError, match=r"expected query of shape \(N, T, 8\)"):
        mha(np.ones((2, 5, 6)))


def test_kv_cache_decoding_equals_full_recomputation():
    block = nn.TransformerBlock(12, 3, causal=True)
    for p in ag.params(block):
        p.value = p.value.astype(np.float64)
    x = R.normal(size=(2, 6, 12))
    full = block(x)
    cache = nn.KVCache()
    steps = [block(x[:, :2], cache=cache)]  # a prompt of two, then one at a time
    steps += [block(x[:, t : t + 1], cache=cache) for t in range(2, 6)]
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, rtol=1e-12, atol=1e-12)
    assert len(cache) == 6


@pytest.mark.parametrize("norm_first", [True, False])
def test_transformer_block_equals_torch_encoder_layer(norm_first):
    d, h, ff = 8, 2, 16
    theirs = torch.nn.TransformerEncoderLayer(
        d, h, ff, dropout=0.0, activation="gelu", batch_first=True, norm_first=norm_first
    ).double()
    ours = nn.TransformerBlock(d, h, ff, norm_first=norm_first, causal=True)
    _copy_mha(ours.attn, theirs.self_attn)
    _copy_linear(ours.ff1, theirs.linear1)
    _copy_linear(ours.ff2, theirs.linear2)
    for mine, tn in ((ours.ln1, theirs.norm1), (ours.ln2, theirs.norm2)):
        with torch.no_grad():
            tn.weight.copy_(torch.tensor(R.normal(size=d)))
            tn.bias.copy_(torch.tensor(R.normal(size=d)))
        _set(mine.weight, _np(tn.weight))
        _set(mine.bias, _np(tn.bias))
    x = R.normal(size=(3, 5, d))
    tx = torch.tensor(x)
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(5, dtype=torch.float64)
    np.testing.assert_allclose(ours(x), _np(theirs(tx, src_mask=tmask, is_causal=True)), **TOL)
    probe = R.normal(size=(3, 5, d))
    _check_grads(
        ours,
        [
            (ours.ff1.weight, lambda: _np(theirs.linear1.weight.grad).T),
            (ours.ln1.weight, lambda: _np(theirs.norm1.weight.grad)),
            (ours.attn.in_proj.weight, lambda: _np(theirs.self_attn.in_proj_weight.grad).T),
        ],
        lambda: ag.sum(ours(x) * probe),
        lambda: (theirs(tx, src_mask=tmask, is_causal=True) * torch.tensor(probe)).sum(),
    )


def test_positional_embedding_adds_rows_from_offset():
    pos = nn.PositionalEmbedding(8, 4)
    x = np.zeros((2, 3, 4), np.float32)
    np.testing.assert_array_equal(pos(x, offset=2)[1], pos.weight.value[2:5])
    g = ag.grad(ag.diff(lambda: ag.sum(pos(x, offset=1))), pos.weight)
    np.testing.assert_array_equal(g[:, 0], [0, 2, 2, 2, 0, 0, 0, 0])
    with pytest.raises(nn.LayerInputError, match=r"positions 6\.\.8 exceed max_len=8"):
        pos(x, offset=6)


def test_rope_rotates_pairs_and_depends_on_relative_position():
    x = R.normal(size=(5, 6))
    y = nn.rope(x, offset=3)
    pos = np.arange(3, 8)[:, None]
    theta = pos * 10000.0 ** (-np.arange(3) * 2 / 6)
    z = (x[:, :3] + 1j * x[:, 3:]) * np.exp(1j * theta)  # the complex form of the rotation
    np.testing.assert_allclose(y, np.concatenate([z.real, z.imag], axis=1), **TOL)
    q, k = R.normal(size=(1, 6)), R.normal(size=(1, 6))
    a = (nn.rope(q, offset=7) @ nn.rope(k, offset=4).T).item()
    b = (nn.rope(q, offset=3) @ nn.rope(k, offset=0).T).item()
    assert a == pytest.approx(b, rel=1e-12)
    assert ag.gcheck(lambda: ag.sum(nn.rope(ag.Param(x), offset=2) ** 2), verbose=0)
    with pytest.raises(ValueError, match=r"rope: expected x of shape \(\.\.\., T, d\) with d even"):
        nn.rope(np.ones((2, 5)))
