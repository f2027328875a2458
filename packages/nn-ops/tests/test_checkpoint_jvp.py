"""checkpoint: identical gradients, less memory; jvp against central differences."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_nn as nn

R = np.random.default_rng(11)


def _model(n_blocks, d=16, heads=4, dropout=0.0):
    B.seed(0)
    return [nn.TransformerBlock(d, heads, dropout=dropout, causal=True) for _ in range(n_blocks)]


def _loss(blocks, x, use_checkpoint):
    for block in blocks:
        x = ag.checkpoint(block)(x) if use_checkpoint else block(x)
    return ag.sum(x * x)


@pytest.mark.parametrize("dropout", [0.0, 0.2])
def test_checkpoint_gives_identical_gradients(dropout):
    blocks = _model(3, dropout=dropout)
    x = ag.Param(R.normal(size=(2, 6, 16)).astype(np.float32))
    B.seed(1)
    plain = ag.diff(lambda: _loss(blocks, x, False))
    B.seed(1)
    ckpt = ag.diff(lambda: _loss(blocks, x, True))
    assert float(ag.value(plain)) == float(ag.value(ckpt))
    for p in [x, *ag.params(blocks)]:
        np.testing.assert_array_equal(ag.grad(ckpt, p), ag.grad(plain, p))


def test_checkpoint_outside_diff_just_calls_and_refuses_hidden_params():
    block = _model(1)[0]
    x = R.normal(size=(1, 3, 16)).astype(np.float32)
    np.testing.assert_array_equal(ag.checkpoint(block)(x), block(x))
    hidden = ag.Param(np.ones(16, np.float32))
    f = ag.checkpoint(lambda x: x * hidden)  # a lambda: its closure is not searched
    with pytest.raises(ValueError, match=r"checkpoint: the function used 1 Param\(s\)"):
        ag.diff(lambda: ag.sum(f(ag.Param(x))))


def _peak(blocks, x, use_checkpoint):
    tracemalloc.start()
    try:
        ag.diff(lambda: _loss(blocks, x, use_checkpoint))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_checkpoint_lowers_peak_memory_of_an_eight_block_model(capsys):
    blocks = _model(8, d=64, heads=4)
    x = ag.Param(R.normal(size=(8, 64, 64)).astype(np.float32))
    plain, ckpt = _peak(blocks, x, False), _peak(blocks, x, True)
    with capsys.disabled():
        print(
            f"\npeak traced memory, 8 blocks: {plain / 2**20:.1f} MiB plain, "
            f"{ckpt / 2**20:.1f} MiB checkpointed"
        )
    assert ckpt < 0.5 * plain


def test_jvp_matches_central_differences():
    w = R.normal(size=(5, 4))
    g = R.normal(size=4)

    def f(x, y):
        h = nn.layer_norm(ag.tanh(x @ w) + y, g)
        return nn.scaled_dot_product_attention(h[None], h[None], h[None], causal=True)[0]

    x, y = R.normal(size=(3, 5)), R.normal(size=(3, 4))
    tx, ty = R.normal(size=(3, 5)), R.normal(size=(3, 4))
    out, tangent = ag.jvp(f, (x, y), (tx, ty))
    eps = 1e-6
    numeric = (f(x + eps * tx, y + eps * ty) - f(x - eps * tx, y - eps * ty)) / (2 * eps)
    np.testing.assert_allclose(out, f(x, y))
    np.testing.assert_allclose(tangent, numeric, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match=r"jvp: primal 0 has shape \(3, 5\) but its tangent"):
        ag.jvp(f, (x, y), (ty, ty))
