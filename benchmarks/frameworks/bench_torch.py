"""PyTorch (CPU), eager: ``torch.nn.functional`` with the same weights.

Dense weights are stored (out, in) as ``F.linear`` wants them (the transpose of the shared
(in, out) arrays); convolution weights are (out, in, kH, kW) as given. The LSTM is
``torch.nn.LSTM`` (PyTorch's fused CPU kernel) with the shared weights, its second bias
frozen at zero. Thread counts are PyTorch's defaults.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from problems import LR, OVERHEAD_REPEATS, Problem

from frameworks import Built, Skip

NAME = "torch"

try:
    import torch
    import torch.nn.functional as F
except ImportError as exc:
    torch = None
    _IMPORT_ERROR = str(exc)


def available() -> str | None:
    return None if torch is not None else f"torch is not installed ({_IMPORT_ERROR})"


def version() -> str:
    return f"torch {torch.__version__} ({torch.get_num_threads()} threads)"


def _param(a: np.ndarray) -> Any:
    return torch.from_numpy(np.ascontiguousarray(a)).clone().requires_grad_()


def _step(loss: Any, params: list[Any]) -> Any:
    def step() -> Any:
        out = loss()
        out.backward()
        with torch.no_grad():
            for p in params:
                p.sub_(p.grad, alpha=LR)
                p.grad = None
        return out.detach()

    return step


def _count(params: list[Any]) -> int:
    return int(sum(p.numel() for p in params if p.requires_grad))


def _overhead(problem: Problem) -> Built:
    w, b = _param(problem.params["w"]), _param(problem.params["b"])
    x = torch.from_numpy(problem.data["x"])

    def loss() -> Any:
        h = x
        for _ in range(OVERHEAD_REPEATS):
            h = h * w
            h = h + b
            h = torch.tanh(h)
            h = h * 0.5
            h = torch.exp(h)
        return h.sum()

    return Built(_step(loss, [w, b]), _count([w, b]))


def _linear(problem: Problem, w: str, b: str) -> tuple[Any, Any]:
    return _param(problem.params[w].T), _param(problem.params[b])


def _mlp(problem: Problem) -> Built:
    layers = [_linear(problem, f"w{i}", f"b{i}") for i in (1, 2, 3)]
    params = [t for layer in layers for t in layer]
    x = torch.from_numpy(problem.data["x"])
    y = torch.from_numpy(problem.data["y"])

    def loss() -> Any:
        (w1, b1), (w2, b2), (w3, b3) = layers
        h = F.relu(F.linear(x, w1, b1))
        h = F.relu(F.linear(h, w2, b2))
        return F.cross_entropy(F.linear(h, w3, b3), y)

    return Built(_step(loss, params), _count(params))


def _lenet(problem: Problem) -> Built:
    c1, cb1 = _param(problem.params["c1"]), _param(problem.params["cb1"])
    c2, cb2 = _param(problem.params["c2"]), _param(problem.params["cb2"])
    (w3, b3), (w4, b4) = _linear(problem, "w3", "b3"), _linear(problem, "w4", "b4")
    params = [c1, cb1, c2, cb2, w3, b3, w4, b4]
    x = torch.from_numpy(problem.data["x"])
    y = torch.from_numpy(problem.data["y"])

    def loss() -> Any:
        h = F.max_pool2d(F.relu(F.conv2d(x, c1, cb1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, c2, cb2)), 2)
        h = F.relu(F.linear(h.reshape(h.shape[0], -1), w3, b3))
        return F.cross_entropy(F.linear(h, w4, b4), y)

    return Built(_step(loss, params), _count(params))


def _lstm(problem: Problem) -> Built:
    p = problem.params
    embed_dim, hidden = p["wx"].shape[0], p["wh"].shape[0]
    embed = _param(p["embed"])
    rnn = torch.nn.LSTM(embed_dim, hidden, batch_first=True)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(p["wx"].T.copy()))
        rnn.weight_hh_l0.copy_(torch.from_numpy(p["wh"].T.copy()))
        rnn.bias_ih_l0.copy_(torch.from_numpy(p["b"]))
        rnn.bias_hh_l0.zero_()
    rnn.bias_hh_l0.requires_grad_(False)  # one bias, like the other frameworks
    wy, by = _linear(problem, "wy", "by")
    params = [embed, rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, wy, by]
    x = torch.from_numpy(problem.data["x"])
    y = torch.from_numpy(problem.data["y"]).reshape(-1)

    def loss() -> Any:
        hs, _ = rnn(F.embedding(x, embed))
        return F.cross_entropy(F.linear(hs.reshape(-1, hidden), wy, by), y)

    return Built(_step(loss, params), _count(params), "torch.nn.LSTM (fused kernel)")


def _mlp_t(problem: Problem) -> Built:
    """The weights are already (out, in): F.linear's own layout, no transpose."""
    layers = [(_param(problem.params[f"w{i}"]), _param(problem.params[f"b{i}"])) for i in (1, 2, 3)]
    params = [t for layer in layers for t in layer]
    x = torch.from_numpy(problem.data["x"])
    y = torch.from_numpy(problem.data["y"])

    def loss() -> Any:
        (w1, b1), (w2, b2), (w3, b3) = layers
        h = F.relu(x @ w1.T + b1)
        h = F.relu(h @ w2.T + b2)
        return F.cross_entropy(h @ w3.T + b3, y)

    return Built(_step(loss, params), _count(params), "x @ W.T")


def _lstm_loop(problem: Problem) -> Built:
    """The same user loop as plugrad's: torch.sigmoid, torch.tanh, step by step."""
    p = {k: _param(v) for k, v in problem.params.items()}
    x = torch.from_numpy(problem.data["x"])
    y = torch.from_numpy(problem.data["y"]).reshape(-1)
    batch, steps = x.shape
    hidden = p["wh"].shape[0]

    def loss() -> Any:
        xw = F.embedding(x, p["embed"]) @ p["wx"] + p["b"]
        h = c = torch.zeros(batch, hidden)
        hs = []
        for t in range(steps):
            gates = xw[:, t] + h @ p["wh"]
            i = torch.sigmoid(gates[:, :hidden])
            f = torch.sigmoid(gates[:, hidden : 2 * hidden])
            g = torch.tanh(gates[:, 2 * hidden : 3 * hidden])
            o = torch.sigmoid(gates[:, 3 * hidden :])
            c = f * c + i * g
            h = o * torch.tanh(c)
            hs.append(h)
        hs = torch.stack(hs, dim=1).reshape(batch * steps, hidden)
        return F.cross_entropy(hs @ p["wy"] + p["by"], y)

    params = list(p.values())
    return Built(_step(loss, params), _count(params), "sigmoid/tanh loop over steps")


def _gpt_block(h: Any, w: dict[str, Any], i: int, heads: int) -> Any:
    n, t, d = h.shape
    a = F.layer_norm(h, (d,), w[f"ln1_{i}"])
    q, k, v = F.linear(a, w[f"qkv_{i}"]).split(d, dim=-1)
    q, k, v = (z.view(n, t, heads, d // heads).transpose(1, 2) for z in (q, k, v))
    o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    h = h + F.linear(o.transpose(1, 2).reshape(n, t, d), w[f"proj_{i}"])
    m = F.linear(F.layer_norm(h, (d,), w[f"ln2_{i}"]), w[f"fc_{i}"])
    return h + F.linear(F.gelu(m), w[f"fcproj_{i}"])


def _transformer(problem: Problem) -> Built:
    """nanoGPT's model: F.linear (nn.Linear's op) and F.scaled_dot_product_attention."""
    from problems import ADAMW, GPT_HEADS, GPT_LAYERS

    w = {
        k: _param(v.T if v.ndim == 2 and k not in ("wte", "wpe") else v)
        for k, v in problem.params.items()
    }
    params = list(w.values())
    x = torch.from_numpy(problem.data["x"])
    y = torch.from_numpy(problem.data["y"]).reshape(-1)
    opt = torch.optim.AdamW(params, **ADAMW)

    def step() -> Any:
        h = F.embedding(x, w["wte"]) + w["wpe"][: x.shape[1]]
        for i in range(GPT_LAYERS):
            h = _gpt_block(h, w, i, GPT_HEADS)
        logits = F.linear(F.layer_norm(h, (h.shape[-1],), w["lnf"]), w["wte"])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.detach()

    return Built(
        step, _count(params), "F.linear, F.scaled_dot_product_attention; torch.optim.AdamW"
    )


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
