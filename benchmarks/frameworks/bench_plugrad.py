"""plugrad: ``plugrad_autograd`` (the tape) and, where importable, ``plugrad_nn`` layers.

Each step is ``tape = ag.diff(loss)`` then ``p.value -= LR * ag.grad(tape, p)`` for every
Param, the way a Knet user writes a training loop.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

import numpy as np
from problems import LR, OVERHEAD_REPEATS, Problem

from frameworks import Built, Skip

NAME = "plugrad"

try:
    import plugrad_autograd as ag
except ImportError as exc:  # reported by available()
    ag = None
    _IMPORT_ERROR = str(exc)

try:
    import plugrad_nn as nn
except ImportError:
    nn = None


def available() -> str | None:
    return None if ag is not None else f"plugrad_autograd is not importable ({_IMPORT_ERROR})"


def version() -> str:
    parts = []
    for dist in ("plugrad-backends", "plugrad-autograd", "plugrad-nn", "plugrad-cpu-kernels"):
        try:
            parts.append(f"{dist} {importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    import plugrad_backends

    kernels = plugrad_backends.get("cpu").kernels
    state = "on" if "conv_forward" in kernels else "off (portable path)"
    return ", ".join(parts) + f"; compiled CPU kernels {state}"


def _nn(name: str) -> Any:
    """``plugrad_nn.<name>`` if it exists, else None."""
    return getattr(nn, name, None) if nn is not None else None


# -- building blocks: plugrad_nn's when present, plain plugrad_autograd otherwise ------------


def relu(x: Any) -> Any:
    f = _nn("relu")
    return f(x) if f is not None else ag.maximum(x, 0.0)


def cross_entropy(scores: Any, labels: np.ndarray) -> Any:
    """Mean softmax cross-entropy of ``scores`` (batch, classes) against integer labels."""
    nll = _nn("nll")
    if nll is not None:
        return nll(scores, labels)
    rows = np.arange(scores.shape[0])
    return ag.mean(ag.logsumexp(scores, axis=1) - scores[rows, labels])


def _uses() -> str:
    if nn is None:
        return "plugrad_nn not importable: relu, cross-entropy from plugrad_autograd ops"
    return "plugrad_nn.relu, plugrad_nn.nll"


def _sgd(tape: Any, params: list[Any]) -> None:
    for p in params:
        g = ag.grad(tape, p)
        if g is not None:
            v = p.value
            v -= LR * g


def _step(loss: Any, params: list[Any]) -> Any:
    def step() -> Any:
        tape = ag.diff(loss)
        _sgd(tape, params)
        return ag.value(tape)

    return step


def _params(problem: Problem) -> dict[str, Any]:
    return {k: ag.Param(v.copy()) for k, v in problem.params.items()}


def _count(params: dict[str, Any]) -> int:
    return int(sum(p.value.size for p in params.values()))


# -- workloads ---------------------------------------------------------------------------


def _overhead(problem: Problem) -> Built:
    p = _params(problem)
    w, b = p["w"], p["b"]
    x = problem.data["x"]

    def loss() -> Any:
        h = x
        for _ in range(OVERHEAD_REPEATS):
            h = h * w
            h = h + b
            h = ag.tanh(h)
            h = h * 0.5
            h = ag.exp(h)
        return ag.sum(h)

    return Built(_step(loss, [w, b]), _count(p))


def _mlp(problem: Problem) -> Built:
    p = _params(problem)
    x, y = problem.data["x"], problem.data["y"]

    def loss() -> Any:
        h = relu(x @ p["w1"] + p["b1"])
        h = relu(h @ p["w2"] + p["b2"])
        return cross_entropy(h @ p["w3"] + p["b3"], y)

    return Built(_step(loss, list(p.values())), _count(p), _uses())


def _lenet(problem: Problem) -> Built:
    conv4, pool = _nn("conv4"), _nn("pool")
    if conv4 is None or pool is None:
        raise Skip("plugrad_nn.conv4 / plugrad_nn.pool not available yet")
    p = _params(problem)
    x, y = problem.data["x"], problem.data["y"]

    def loss() -> Any:
        h = pool(relu(conv4(p["c1"], x, mode=1) + ag.reshape(p["cb1"], (1, -1, 1, 1))))
        h = pool(relu(conv4(p["c2"], h, mode=1) + ag.reshape(p["cb2"], (1, -1, 1, 1))))
        h = ag.reshape(h, (h.shape[0], -1))
        h = relu(h @ p["w3"] + p["b3"])
        return cross_entropy(h @ p["w4"] + p["b4"], y)

    return Built(_step(loss, list(p.values())), _count(p), "plugrad_nn.conv4, pool, relu, nll")


def _lstm(problem: Problem) -> Built:
    if _nn("RNN") is None:
        return _lstm_by_hand(problem)
    p = _params(problem)
    x, y = problem.data["x"], problem.data["y"]
    batch, steps = x.shape
    embed_dim, hidden = p["wx"].shape[0], p["wh"].shape[0]
    rnn = nn.RNN(embed_dim, hidden, rnn_type="lstm")  # time-major (T, B, X), gates i f n o
    rnn.w_ih[0], rnn.w_hh[0], rnn.b_ih[0] = p["wx"], p["wh"], p["b"]
    rnn.b_hh[0] = np.zeros_like(problem.params["b"])  # a constant: one bias, as elsewhere
    tokens, targets = x.T.copy(), y.T.reshape(-1)  # time-major

    def loss() -> Any:
        hs = rnn(ag.take(p["embed"], tokens, axis=0))  # (steps, batch, hidden)
        return cross_entropy(ag.reshape(hs, (steps * batch, hidden)) @ p["wy"] + p["by"], targets)

    params = ag.params([p, rnn])
    return Built(_step(loss, params), int(sum(q.value.size for q in params)), "plugrad_nn.RNN")


def _sigmoid(x: Any) -> Any:
    return 0.5 * ag.tanh(0.5 * x) + 0.5


def _lstm_by_hand(problem: Problem) -> Built:
    """The LSTM written with plugrad_autograd ops (when plugrad_nn.RNN is not there)."""
    p = _params(problem)
    x, y = problem.data["x"], problem.data["y"]
    batch, steps = x.shape
    hidden = p["wh"].shape[0]
    targets = y.reshape(-1)

    def loss() -> Any:
        emb = ag.take(p["embed"], x, axis=0)  # (batch, steps, embed)
        xw = emb @ p["wx"] + p["b"]  # the input projection of every step at once
        h = c = np.zeros((batch, hidden), dtype=np.float32)
        hs = []
        for t in range(steps):
            gates = xw[:, t] + h @ p["wh"]
            i = _sigmoid(gates[:, :hidden])
            f = _sigmoid(gates[:, hidden : 2 * hidden])
            g = ag.tanh(gates[:, 2 * hidden : 3 * hidden])
            o = _sigmoid(gates[:, 3 * hidden :])
            c = f * c + i * g
            h = o * ag.tanh(c)
            hs.append(h)
        hs = ag.reshape(ag.stack(hs, axis=1), (batch * steps, hidden))
        return cross_entropy(hs @ p["wy"] + p["by"], targets)

    return Built(_step(loss, list(p.values())), _count(p), _uses() + "; LSTM cell by hand")


def _mlp_t(problem: Problem) -> Built:
    p = _params(problem)
    x, y = problem.data["x"], problem.data["y"]

    def loss() -> Any:
        h = relu(x @ p["w1"].T + p["b1"])
        h = relu(h @ p["w2"].T + p["b2"])
        return cross_entropy(h @ p["w3"].T + p["b3"], y)

    return Built(_step(loss, list(p.values())), _count(p), _uses() + "; x @ W.T")


def _lstm_loop(problem: Problem) -> Built:
    """The user's loop: plugrad_nn.sigm and plugrad_autograd.tanh, step by step."""
    p = _params(problem)
    x, y = problem.data["x"], problem.data["y"]
    batch, steps = x.shape
    hidden = p["wh"].shape[0]
    targets = y.reshape(-1)
    sigm = _nn("sigm") or _sigmoid

    def loss() -> Any:
        emb = ag.take(p["embed"], x, axis=0)  # (batch, steps, embed)
        xw = emb @ p["wx"] + p["b"]
        h = c = np.zeros((batch, hidden), dtype=np.float32)
        hs = []
        for t in range(steps):
            gates = xw[:, t] + h @ p["wh"]
            i = sigm(gates[:, :hidden])
            f = sigm(gates[:, hidden : 2 * hidden])
            g = ag.tanh(gates[:, 2 * hidden : 3 * hidden])
            o = sigm(gates[:, 3 * hidden :])
            c = f * c + i * g
            h = o * ag.tanh(c)
            hs.append(h)
        hs = ag.reshape(ag.stack(hs, axis=1), (batch * steps, hidden))
        return cross_entropy(hs @ p["wy"] + p["by"], targets)

    return Built(_step(loss, list(p.values())), _count(p), "sigm/tanh loop over steps")


def _transformer(problem: Problem) -> Built:
    """The demo's GPT itself (plugrad._demo_gpt.GPT), its weights set to the shared ones."""
    try:
        from plugrad._demo_gpt import GPT
        from plugrad_optim import AdamW, update
    except ImportError as exc:
        raise Skip(f"needs the plugrad meta-package ({exc})") from None
    from problems import ADAMW, GPT_BLOCK, GPT_HEADS, GPT_LAYERS, GPT_VOCAB, GPT_WIDTH

    src = problem.params
    model = GPT(GPT_VOCAB, GPT_BLOCK, GPT_LAYERS, GPT_HEADS, GPT_WIDTH)
    pairs = [(model.wte.weight, "wte"), (model.wpe.weight, "wpe"), (model.ln_f.weight, "lnf")]
    for i, block in enumerate(model.blocks):
        pairs += [
            (block.ln1.weight, f"ln1_{i}"),
            (block.attn.in_proj.weight, f"qkv_{i}"),
            (block.attn.out_proj.weight, f"proj_{i}"),
            (block.ln2.weight, f"ln2_{i}"),
            (block.ff1.weight, f"fc_{i}"),
            (block.ff2.weight, f"fcproj_{i}"),
        ]
    for param, key in pairs:
        param.value = src[key].copy()
    params = ag.params(model)
    x, y = problem.data["x"], problem.data["y"]
    beta1, beta2 = ADAMW["betas"]
    opt = AdamW(ADAMW["lr"], beta1, beta2, ADAMW["eps"], ADAMW["weight_decay"])

    def step() -> Any:
        tape = ag.diff(lambda: nn.nll(model(x), y))
        update(params, [ag.grad(tape, p) for p in params], opt)
        return ag.value(tape)

    n = int(sum(p.value.size for p in params))
    return Built(step, n, "plugrad._demo_gpt.GPT: Linear, layer_norm, fused attention; AdamW")


_WORKLOADS = {
    "overhead": _overhead,
    "mlp": _mlp,
    "mlp-t": _mlp_t,
    "lenet": _lenet,
    "lstm": _lstm,
    "lstm-loop": _lstm_loop,
    "transformer": _transformer,
}


def build(problem: Problem) -> Built:
    if problem.name not in _WORKLOADS:
        raise Skip(f"no {problem.name} workload")
    return _WORKLOADS[problem.name](problem)
