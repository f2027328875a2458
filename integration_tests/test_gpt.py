"""A tiny char-GPT trained on tiny-shakespeare learns; transformer layers save and reload."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

import plugrad as pg
from plugrad import _demo_gpt as G

#: the loss of a uniform guess over 65 characters is ln 65 = 4.17; unigram statistics alone
#: give about 3.3; 300 steps of this tiny model reach about 2.45 (train and validation)
LOSS_BOUND = 2.6


@pytest.fixture(scope="module")
def corpus():
    if not os.environ.get("PLUGRAD_DATA"):
        pytest.skip("set PLUGRAD_DATA to the folder holding tinyshakespeare.txt (nox does)")
    text = pg.data.shakespeare()
    vocab = pg.data.CharVocab(text)
    return vocab, *pg.data.train_val_split(vocab.encode(text))


def test_tiny_gpt_loss_falls_below_the_bound(corpus, tmp_path):
    vocab, train, val = corpus
    cfg = G.GPTConfig(
        block_size=32,
        batch_size=16,
        n_layer=2,
        n_head=2,
        n_embd=48,
        max_iters=300,
        lr_decay_iters=300,
        warmup_iters=30,
        lr=3e-3,
        min_lr=3e-4,
        eval_iters=10,
    )
    pg.seed(0)
    model = G.GPT(len(vocab), cfg.block_size, cfg.n_layer, cfg.n_head, cfg.n_embd)
    start = time.perf_counter()
    losses = G.train(model, train, cfg, bar=False)
    val_loss = G.estimate_loss(model, val, cfg, seed=0)
    print(
        f"\ntiny GPT: 300 steps in {time.perf_counter() - start:.1f} s, train loss "
        f"{np.mean(losses[:10]):.3f} -> {np.mean(losses[-20:]):.3f}, validation {val_loss:.3f}"
    )
    assert np.mean(losses[:10]) > 3.5
    assert np.mean(losses[-20:]) < LOSS_BOUND and val_loss < LOSS_BOUND
    path = tmp_path / "gpt.safetensors"
    pg.save(path, model=model, vocab=vocab)
    again, vocab2 = pg.load(path, "model", "vocab")
    assert vocab2.chars == vocab.chars
    assert G.estimate_loss(again, val, cfg, seed=0) == val_loss
    pg.seed(3)
    text = vocab.decode(again.generate(vocab.encode("ROMEO:")[None], 40, temperature=0.8)[0])
    assert text.startswith("ROMEO:") and len(text) == 46


def test_transformer_layers_save_and_load(tmp_path):
    model = pg.Sequential(
        pg.Linear(6, 8),
        pg.TransformerBlock(8, 2, causal=True),
        pg.RMSNorm(8),
        pg.MultiheadAttention(8, 2),
        pg.LayerNorm(8),
    )
    x = np.random.default_rng(0).normal(size=(2, 4, 6)).astype(np.float32)
    path = tmp_path / "layers.safetensors"
    pg.save(path, model=model)
    again = pg.load(path, "model")
    np.testing.assert_array_equal(again(x), model(x))
    assert isinstance(again[1], pg.TransformerBlock) and again[1].causal


def test_demo_gpt_cli_trains_saves_and_reloads_in_a_new_process(corpus, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "demo-gpt.safetensors"
    run = subprocess.run(
        [sys.executable, "-m", "plugrad", "demo", "gpt", "--iters", "3", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "validation loss" in run.stdout and "reloaded in a new process" in run.stdout
    assert out.is_file()
