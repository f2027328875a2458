"""The workloads every framework runs: initial parameters, data and matrix-product shapes.

Everything is generated once here with numpy (fixed seed, float32) and handed to each
framework, which copies it into its own arrays: all frameworks start from the same
numbers. Each workload is one full training step: forward, backward, plain SGD.

Conventions shared by every implementation (see ``frameworks/``):

- row-major, batch first; dense layers compute ``x @ W + b`` with ``W`` of shape (in, out);
- convolutions are cross-correlations, NCHW input, weights (out, in, kH, kW), no padding,
  stride 1, bias added per channel; max pooling 2x2, stride 2;
- softmax cross-entropy is averaged over the batch (and over time for the LSTM);
- the LSTM's gates are ``x_t @ Wx + h @ Wh + b`` split as (input, forget, cell, output),
  ``c = f*c + i*g``, ``h = o*tanh(c)``; h and c start at zero; the output layer is one
  ``H @ Wy + by`` over all steps.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

SEED = 20240601
LR = 0.1

#: (m, k, n): one matrix product of an (m, k) and a (k, n) matrix, 2*m*k*n FLOPs.
Gemm = tuple[int, int, int]


@dataclass
class Problem:
    """One workload: what it computes, its initial parameters and its data."""

    name: str
    title: str
    params: dict[str, np.ndarray]
    data: dict[str, np.ndarray]
    #: the matrix products of one training step (forward and backward), for the floor
    gemms: list[Gemm] = field(default_factory=list)
    #: the time unit reported: "ms" per step, or "us" per op (overhead)
    unit: str = "ms"
    #: the step time is divided by this before reporting (ops per step for overhead)
    per: int = 1

    @property
    def n_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))


def _rng() -> np.random.Generator:
    return np.random.default_rng(SEED)


def _normal(rng: np.random.Generator, shape: tuple[int, ...], scale: float) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _dense_gemms(batch: int, n_in: int, n_out: int, input_grad: bool) -> list[Gemm]:
    """Forward ``x @ W``, backward ``x.T @ dy`` and (if needed) ``dy @ W.T``."""
    gemms = [(batch, n_in, n_out), (n_in, batch, n_out)]
    if input_grad:
        gemms.append((batch, n_out, n_in))
    return gemms


def _conv_gemms(n: int, c_in: int, hw: int, c_out: int, k: int, input_grad: bool) -> list[Gemm]:
    """A valid convolution as the im2col matrix product (and its backward products)."""
    out = hw - k + 1
    return _dense_gemms(n * out * out, c_in * k * k, c_out, input_grad)


# -- the workloads -------------------------------------------------------------------------

OVERHEAD_LEN = 16
OVERHEAD_REPEATS = 20
OVERHEAD_OPS = 5 * OVERHEAD_REPEATS  # h*w, h+b, tanh, h*0.5, exp


def overhead() -> Problem:
    """100 elementwise ops on a length-16 vector: the per-op cost of the framework."""
    rng = _rng()
    return Problem(
        name="overhead",
        title=(
            f"{OVERHEAD_OPS} elementwise ops (h*w, h+b, tanh, h*0.5, exp) x{OVERHEAD_REPEATS} "
            f"on float32[{OVERHEAD_LEN}], sum, backward, SGD"
        ),
        params={
            "w": (1.0 + _normal(rng, (OVERHEAD_LEN,), 0.2)).astype(np.float32),
            "b": _normal(rng, (OVERHEAD_LEN,), 0.2),
        },
        data={"x": _normal(rng, (OVERHEAD_LEN,), 1.0)},
        unit="us",
        per=OVERHEAD_OPS,
    )


MLP_SIZES = (784, 512, 512, 10)
MLP_BATCH = 128


def mlp() -> Problem:
    """784-512-512-10 ReLU MLP, softmax cross-entropy, batch 128."""
    rng = _rng()
    params = {}
    gemms: list[Gemm] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(MLP_SIZES), start=1):
        params[f"w{i}"] = _normal(rng, (n_in, n_out), np.sqrt(2.0 / n_in))
        params[f"b{i}"] = _normal(rng, (n_out,), 0.01)
        gemms += _dense_gemms(MLP_BATCH, n_in, n_out, input_grad=i > 1)
    return Problem(
        name="mlp",
        title="784-512-512-10 ReLU MLP, softmax cross-entropy, batch 128",
        params=params,
        data={
            "x": rng.random((MLP_BATCH, MLP_SIZES[0]), dtype=np.float32),
            "y": rng.integers(0, MLP_SIZES[-1], MLP_BATCH).astype(np.int64),
        },
        gemms=gemms,
    )


LENET_BATCH = 128


def lenet() -> Problem:
    """LeNet: conv5 1->20, relu, pool2, conv5 20->50, relu, pool2, 800-500 relu, 500-10."""
    rng = _rng()
    n = LENET_BATCH
    params = {
        "c1": _normal(rng, (20, 1, 5, 5), np.sqrt(2.0 / 25)),
        "cb1": _normal(rng, (20,), 0.01),
        "c2": _normal(rng, (50, 20, 5, 5), np.sqrt(2.0 / 500)),
        "cb2": _normal(rng, (50,), 0.01),
        "w3": _normal(rng, (800, 500), np.sqrt(2.0 / 800)),
        "b3": _normal(rng, (500,), 0.01),
        "w4": _normal(rng, (500, 10), np.sqrt(2.0 / 500)),
        "b4": _normal(rng, (10,), 0.01),
    }
    gemms = (
        _conv_gemms(n, 1, 28, 20, 5, input_grad=False)
        + _conv_gemms(n, 20, 12, 50, 5, input_grad=True)
        + _dense_gemms(n, 800, 500, input_grad=True)
        + _dense_gemms(n, 500, 10, input_grad=True)
    )
    return Problem(
        name="lenet",
        title="LeNet (conv5 20, pool, conv5 50, pool, 800-500-10), input 128x1x28x28",
        params=params,
        data={
            "x": rng.random((n, 1, 28, 28), dtype=np.float32),
            "y": rng.integers(0, 10, n).astype(np.int64),
        },
        gemms=gemms,
    )


LSTM_VOCAB = 96
LSTM_EMBED = 128
LSTM_HIDDEN = 256
LSTM_SEQ = 32
LSTM_BATCH = 32


def lstm() -> Problem:
    """Character LM: embedding 96x128, LSTM 256, sequence 32, batch 32, loss at every step."""
    rng = _rng()
    v, e, h, t, b = LSTM_VOCAB, LSTM_EMBED, LSTM_HIDDEN, LSTM_SEQ, LSTM_BATCH
    params = {
        "embed": _normal(rng, (v, e), 0.1),
        "wx": _normal(rng, (e, 4 * h), 1.0 / np.sqrt(e)),
        "wh": _normal(rng, (h, 4 * h), 1.0 / np.sqrt(h)),
        "b": _normal(rng, (4 * h,), 0.01),
        "wy": _normal(rng, (h, v), 1.0 / np.sqrt(h)),
        "by": _normal(rng, (v,), 0.01),
    }
    tokens = rng.integers(0, v, (b, t + 1)).astype(np.int64)
    gemms = (
        # the input projection of all steps at once, and the output layer over all steps
        _dense_gemms(b * t, e, 4 * h, input_grad=True)
        + _dense_gemms(b * t, h, v, input_grad=True)
        # the recurrence, one step at a time
        + t * _dense_gemms(b, h, 4 * h, input_grad=True)
    )
    return Problem(
        name="lstm",
        title="char LSTM: vocab 96, embed 128, hidden 256, seq 32, batch 32, loss every step",
        params=params,
        data={"x": tokens[:, :-1].copy(), "y": tokens[:, 1:].copy()},
        gemms=gemms,
    )


def mlp_t() -> Problem:
    """The MLP written as PyTorch users write it: weights (out, in), ``x @ W.T + b``."""
    base = mlp()
    params = {
        k: (np.ascontiguousarray(v.T) if k.startswith("w") else v) for k, v in base.params.items()
    }
    return Problem(
        name="mlp-t",
        title="the MLP with weights (out, in): x @ W.T + b (PyTorch's layout)",
        params=params,
        data=base.data,
        gemms=base.gemms,
    )


def lstm_loop() -> Problem:
    """The LSTM as a user's loop of sigm/tanh/* over the steps (no fused RNN in any framework)."""
    base = lstm()
    return Problem(
        name="lstm-loop",
        title="the char LSTM written as a loop over steps (sigm, tanh, *): user code",
        params=base.params,
        data=base.data,
        gemms=base.gemms,
    )


#: ``python -m plugrad demo gpt``'s model: nanoGPT's CPU configuration of shakespeare_char
GPT_VOCAB, GPT_BLOCK, GPT_BATCH, GPT_LAYERS, GPT_HEADS, GPT_WIDTH = 65, 64, 12, 4, 4, 128
#: its optimizer: AdamW (decay on every array here, for one simple rule in every framework)
ADAMW = {"lr": 1e-3, "betas": (0.9, 0.99), "eps": 1e-8, "weight_decay": 0.1}


def transformer() -> Problem:
    """The demo's GPT: 4 pre-norm blocks of width 128, 4 heads, block 64, batch 12, AdamW."""
    rng = _rng()
    d, n_layers, tokens = GPT_WIDTH, GPT_LAYERS, GPT_BATCH * GPT_BLOCK
    params = {
        "wte": _normal(rng, (GPT_VOCAB, d), 0.02),
        "wpe": _normal(rng, (GPT_BLOCK, d), 0.02),
    }
    gemms: list[Gemm] = []
    for i in range(n_layers):
        params[f"ln1_{i}"] = np.ones(d, np.float32)
        params[f"qkv_{i}"] = _normal(rng, (d, 3 * d), 0.02)
        params[f"proj_{i}"] = _normal(rng, (d, d), 0.02 / np.sqrt(2 * n_layers))
        params[f"ln2_{i}"] = np.ones(d, np.float32)
        params[f"fc_{i}"] = _normal(rng, (d, 4 * d), 0.02)
        params[f"fcproj_{i}"] = _normal(rng, (4 * d, d), 0.02 / np.sqrt(2 * n_layers))
        for n_in, n_out in ((d, 3 * d), (d, d), (d, 4 * d), (4 * d, d)):
            gemms += _dense_gemms(tokens, n_in, n_out, input_grad=True)
    params["lnf"] = np.ones(d, np.float32)
    gemms += _dense_gemms(tokens, d, GPT_VOCAB, input_grad=True)
    ids = rng.integers(0, GPT_VOCAB, (GPT_BATCH, GPT_BLOCK + 1)).astype(np.int64)
    return Problem(
        name="transformer",
        title=(
            "char GPT (demo gpt): 4 blocks, width 128, 4 heads, block 64, batch 12, vocab 65, "
            "one AdamW step"
        ),
        params=params,
        data={"x": ids[:, :-1].copy(), "y": ids[:, 1:].copy()},
        gemms=gemms,
    )


BUILDERS = {
    "overhead": overhead,
    "mlp": mlp,
    "mlp-t": mlp_t,
    "lenet": lenet,
    "lstm": lstm,
    "lstm-loop": lstm_loop,
    "transformer": transformer,
}
#: every workload, in the order they run; ``limit`` measures numpy's GEMM rate
WORKLOADS = (*BUILDERS, "limit")


def gemm_flops(gemms: list[Gemm]) -> int:
    return int(sum(2 * m * k * n for m, k, n in gemms))
