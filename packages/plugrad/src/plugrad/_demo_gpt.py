"""plugrad's second main job: a character-level GPT on tiny-shakespeare (nanoGPT's CPU setup).

``python -m plugrad demo gpt`` (and ``nox -s demo -- gpt``) trains nanoGPT's documented
CPU configuration (block 64, batch 12, 4 layers, 4 heads, width 128, no dropout, 2000
iterations; AdamW lr 1e-3, betas (0.9, 0.99), weight decay 0.1 on matrices, warm-up 100,
cosine to 1e-4, global gradient clip 1.0) with a progress bar, prints the validation loss
(mean of 20 batches) and a sample, saves the model, reloads it in a new process and checks
that it reproduces the validation loss there.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

import plugrad_autograd as ag
import plugrad_backends as B
import plugrad_data as D
import plugrad_nn as nn
from plugrad_optim import AdamW, ClipNorm, WarmupCosine, chain, update

from ._demo import check_in_new_process


@dataclass
class GPTConfig:
    """nanoGPT's ``train_shakespeare_char.py`` with its documented CPU overrides."""

    block_size: int = 64
    batch_size: int = 12
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    dropout: float = 0.0
    max_iters: int = 2000
    lr_decay_iters: int = 2000
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_iters: int = 100
    beta2: float = 0.99
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_iters: int = 20
    eval_interval: int = 250


@ag.serializable
class GPT(nn.Layer):
    """A GPT-2-style decoder: token and learned position embeddings, pre-norm causal
    transformer blocks, a final LayerNorm, and an output layer tied to the token embedding.

    Weights follow nanoGPT: N(0, 0.02²), the residual projections N(0, (0.02/sqrt(2L))²),
    no biases. ``model(ids)`` maps (N, T) token ids to (N, T, vocab) scores; ``caches``
    (one :class:`~plugrad_nn.KVCache` per block) decode incrementally.

    Example:
        >>> import numpy as np
        >>> model = GPT(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=8)
        >>> model(np.zeros((2, 5), dtype=np.int64)).shape
        (2, 5, 10)
    """

    def __init__(
        self,
        vocab_size: int,
        block_size: int = 64,
        n_layer: int = 4,
        n_head: int = 4,
        n_embd: int = 128,
        dropout: float = 0.0,
        bias: bool = False,
    ) -> None:
        self.block_size = block_size
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.PositionalEmbedding(block_size, n_embd)
        self.blocks = [
            nn.TransformerBlock(n_embd, n_head, 4 * n_embd, dropout, "gelu", causal=True, bias=bias)
            for _ in range(n_layer)
        ]
        self.ln_f = nn.LayerNorm(n_embd, bias=bias)
        self.dropout = dropout
        self._init_weights(n_layer)

    def _init_weights(self, n_layer: int) -> None:
        def normal(p: ag.Param, std: float) -> None:
            p.value = nn.gaussian(*p.shape, std=std).astype(p.value.dtype)

        normal(self.wte.weight, 0.02)
        for block in self.blocks:
            for layer in (block.attn.in_proj, block.ff1):
                normal(layer.weight, 0.02)
            for layer in (block.attn.out_proj, block.ff2):
                normal(layer.weight, 0.02 / math.sqrt(2 * n_layer))

    def forward(self, ids: Any, caches: list[nn.KVCache] | None = None) -> Any:
        """Scores (N, T, vocab) for token ids (N, T)."""
        offset = 0 if caches is None else len(caches[0])
        x = self.wpe(self.wte(ids), offset=offset)
        if self.dropout:
            x = nn.dropout(x, self.dropout)
        for i, block in enumerate(self.blocks):
            x = block(x, cache=None if caches is None else caches[i])
        return nn.linear(self.ln_f(x), ag.transpose(self.wte.weight))

    def generate(
        self, ids: Any, steps: int, temperature: float = 1.0, top_k: int | None = None
    ) -> np.ndarray:
        """Extend ``ids`` (N, T) by ``steps`` sampled tokens, decoding with a key cache.

        Example:
            >>> model = GPT(vocab_size=10, block_size=8, n_layer=1, n_head=2, n_embd=8)
            >>> model.generate(np.zeros((1, 2), dtype=np.int64), steps=3).shape
            (1, 5)
        """
        ids = np.asarray(ids)
        out = [ids]
        caches = [nn.KVCache() for _ in self.blocks]
        step = ids[:, -self.block_size :]
        for _ in range(steps):
            if len(caches[0]) + step.shape[1] > self.block_size:  # the window is full: restart
                caches = [nn.KVCache() for _ in self.blocks]
                step = np.concatenate(out, axis=1)[:, -self.block_size + 1 :]
            logits = self(step, caches)[:, -1]
            step = nn.sample(logits, temperature=temperature, top_k=top_k)[:, None]
            out.append(step)
        return np.concatenate(out, axis=1)


def batch(data: np.ndarray, cfg: GPTConfig, rng: np.random.Generator) -> tuple[Any, Any]:
    """``batch_size`` random windows of ``block_size`` ids and the ids one step later."""
    starts = rng.integers(0, len(data) - cfg.block_size, size=cfg.batch_size)
    idx = starts[:, None] + np.arange(cfg.block_size)
    return data[idx], data[idx + 1]


def lr_schedule(cfg: GPTConfig) -> Any:
    """nanoGPT's: linear warm-up to ``lr`` over ``warmup_iters``, cosine to ``min_lr``."""
    decay = max(cfg.lr_decay_iters, cfg.warmup_iters + 1)
    return WarmupCosine(cfg.lr, cfg.warmup_iters, decay, cfg.min_lr)


def optimizers(model: GPT, cfg: GPTConfig) -> tuple[list[ag.Param], list[Any]]:
    """The Params and one optimizer each: AdamW with decay on matrices only, global clip."""
    ps = ag.params(model)
    schedule = lr_schedule(cfg)
    opts = [
        chain(
            ClipNorm(cfg.grad_clip, global_norm=True),
            AdamW(schedule, 0.9, cfg.beta2, 1e-8, cfg.weight_decay if p.value.ndim >= 2 else 0.0),
        )
        for p in ps
    ]
    return ps, opts


def estimate_loss(model: GPT, data: np.ndarray, cfg: GPTConfig, seed: int) -> float:
    """Mean loss over ``eval_iters`` batches drawn with ``seed`` (the same batches each time)."""
    rng = np.random.default_rng(seed)
    losses = [
        float(nn.nll(model(x), y))
        for x, y in (batch(data, cfg, rng) for _ in range(cfg.eval_iters))
    ]
    return float(np.mean(losses))


def train_step(model: GPT, ps: list, opts: list, x: Any, y: Any) -> float:
    """One AdamW step on the batch ``(x, y)``; returns the loss."""
    tape = ag.diff(lambda: nn.nll(model(x), y))
    update(ps, [ag.grad(tape, p) for p in ps], opts)
    return float(ag.value(tape))


def train(
    model: GPT, train_data: np.ndarray, cfg: GPTConfig, seed: int = 0, bar: bool = True
) -> list[float]:
    """Train for ``cfg.max_iters`` steps; returns the training losses."""
    rng = np.random.default_rng(seed)
    ps, opts = optimizers(model, cfg)
    losses: list[float] = []

    iterations = range(cfg.max_iters)
    if bar:
        iterations = D.progress(
            iterations, msg=lambda p: f"loss {losses[-1]:.4f}" if losses else ""
        )
    for _ in iterations:
        x, y = batch(train_data, cfg, rng)
        losses.append(train_step(model, ps, opts, x, y))
    return losses


EVAL_SEED = 1234
SAMPLE_PROMPT = "\n"


def _check(path: str) -> int:
    """The reload half: load the saved model in this (new) process, recompute the loss."""
    model, vocab, saved = D.load(path, "model", "vocab", "val_loss")
    _, val = D.train_val_split(vocab.encode(D.shakespeare()))
    loss = estimate_loss(model, val, GPTConfig(), EVAL_SEED)
    print(f"reloaded in a new process: validation loss {loss:.4f} (saved {saved:.4f})")
    return 0 if abs(loss - saved) <= 1e-6 else 1


def run_gpt_demo(iters: int | None = None, out: str | None = None, check: str | None = None) -> int:
    """Train, evaluate, sample, save and reload; returns the process exit status."""
    if check is not None:
        return _check(check)
    cfg = GPTConfig(max_iters=iters or GPTConfig.max_iters)
    text = D.shakespeare()
    vocab = D.CharVocab(text)
    train_data, val_data = D.train_val_split(vocab.encode(text))
    print(
        f"plugrad demo gpt: {len(text):,} characters ({len(vocab)} distinct), "
        f"{len(train_data):,} train / {len(val_data):,} validation"
    )
    B.seed(0)
    model = GPT(len(vocab), cfg.block_size, cfg.n_layer, cfg.n_head, cfg.n_embd, cfg.dropout)
    n_params = sum(p.value.size for p in ag.params(model))
    print(
        f"GPT: {cfg.n_layer} layers, {cfg.n_head} heads, width {cfg.n_embd}, block "
        f"{cfg.block_size}, batch {cfg.batch_size}: {n_params:,} parameters; {cfg.max_iters} "
        f"AdamW iterations"
    )
    start = time.perf_counter()
    losses = train(model, train_data, cfg)
    elapsed = time.perf_counter() - start
    val = estimate_loss(model, val_data, cfg, EVAL_SEED)
    print(
        f"iteration {cfg.max_iters}: train loss {np.mean(losses[-20:]):.4f} (last 20), "
        f"validation loss {val:.4f} ({cfg.eval_iters} batches); training {elapsed:.1f} s, "
        f"{1000 * elapsed / cfg.max_iters:.1f} ms/iteration"
    )
    B.seed(1)
    sample = model.generate(vocab.encode(SAMPLE_PROMPT)[None], 300, temperature=0.8, top_k=200)
    print("sample:\n" + vocab.decode(sample[0]))
    path = out or os.path.join(tempfile.gettempdir(), "plugrad-demo-gpt.safetensors")
    D.save(path, model=model, vocab=vocab, val_loss=val)
    return check_in_new_process(path, ["gpt", "--check", path], "the validation loss")
