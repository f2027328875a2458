"""Transformer layers: ``LayerNorm``, ``RMSNorm``, ``MultiheadAttention`` (with ``KVCache``),
``TransformerBlock`` and ``PositionalEmbedding``. Sequences are batch-first (N, T, d)."""

from __future__ import annotations

from typing import Any

import numpy as np

import plugrad_autograd as ag
import plugrad_backends as B

from ._attention import scaled_dot_product_attention
from ._dropout import dropout
from ._init import gaussian
from ._layers_activation import apply_activation, check_activation
from ._layers_base import Layer, positive_int, shape_of
from ._layers_linear import Linear, linear
from ._normalization_ops import layer_norm, rms_norm


def _filled(n: int, value: float) -> ag.Param:
    return ag.Param(B.current().xp.full((n,), value, dtype=B.default_dtype()))


@ag.serializable
class LayerNorm(Layer):
    """Layer normalization over the last axis, with learnable ``weight`` (ones) and ``bias``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.LayerNorm(2)(np.array([[1.0, 3.0]], "float32")).round(3).tolist()
        [[-1.0, 1.0]]
    """

    def __init__(self, d: int, eps: float = 1e-5, bias: bool = True) -> None:
        self.d = positive_int("d", d, "LayerNorm")
        self.eps = float(eps)
        self.weight = _filled(self.d, 1.0)
        self.bias = _filled(self.d, 0.0) if bias else None

    def forward(self, x: Any) -> Any:
        """Normalize each (..., d) vector of ``x``."""
        shape = shape_of(x)
        if not shape or shape[-1] != self.d:
            raise self.bad_input(f"expected input (..., {self.d}), got shape {shape}")
        return layer_norm(x, self.weight, self.bias, self.eps)

    def __repr__(self) -> str:
        return f"LayerNorm({self.d})"


@ag.serializable
class RMSNorm(Layer):
    """Root-mean-square normalization over the last axis, with a learnable ``weight`` (ones).

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.RMSNorm(2, eps=0.0)(np.array([[2.0, -2.0]], "float32")).tolist()
        [[1.0, -1.0]]
    """

    def __init__(self, d: int, eps: float = 1e-6) -> None:
        self.d = positive_int("d", d, "RMSNorm")
        self.eps = float(eps)
        self.weight = _filled(self.d, 1.0)

    def forward(self, x: Any) -> Any:
        """Normalize each (..., d) vector of ``x``."""
        shape = shape_of(x)
        if not shape or shape[-1] != self.d:
            raise self.bad_input(f"expected input (..., {self.d}), got shape {shape}")
        return rms_norm(x, self.weight, self.eps)

    def __repr__(self) -> str:
        return f"RMSNorm({self.d})"


class KVCache:
    """The keys and values a :class:`MultiheadAttention` has seen, for incremental decoding.

    Pass the same cache to every call while decoding one token (or chunk) at a time: each
    call appends its keys and values, and its queries attend to everything cached. With
    ``causal=True`` this gives exactly the outputs of recomputing the whole prefix.

    Attributes:
        k, v: (N, heads, T, head_dim) arrays, or None before the first call.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> cache = nn.KVCache()
        >>> mha = nn.MultiheadAttention(8, 2)
        >>> _ = mha(np.ones((1, 3, 8), "float32"), causal=True, cache=cache)
        >>> len(cache)
        3
    """

    def __init__(self) -> None:
        self.k: Any = None
        self.v: Any = None

    def __len__(self) -> int:
        return 0 if self.k is None else int(shape_of(self.k)[-2])

    def append(self, k: Any, v: Any) -> tuple[Any, Any]:
        """Add keys and values (N, heads, t, head_dim); return everything cached."""
        if self.k is None:
            self.k, self.v = k, v
        else:
            self.k = ag.concat([self.k, k], axis=-2)
            self.v = ag.concat([self.v, v], axis=-2)
        return self.k, self.v

    def __repr__(self) -> str:
        return f"KVCache(length={len(self)})"


@ag.serializable
class MultiheadAttention(Layer):
    """Multi-head attention on batch-first sequences (N, T, d_model).

    ``mha(query, key=None, value=None, mask=None, causal=False, cache=None)``: self-attention
    when only ``query`` is given (one fused input projection), cross-attention with
    ``key``/``value`` (N, S, d_model). ``mask`` broadcasts to (N, num_heads, T, S), boolean
    (True = attend) or additive; ``causal`` as in :func:`scaled_dot_product_attention`.
    ``cache`` (a :class:`KVCache`) keeps keys and values across calls for decoding.

    ``in_proj`` holds the query, key and value projections side by side, weight
    (d_model, 3 * d_model): PyTorch's ``in_proj_weight`` transposed. ``out_proj`` is a
    :class:`Linear`. ``dropout`` drops attention weights in training mode.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> mha = nn.MultiheadAttention(8, num_heads=2)
        >>> mha(np.ones((4, 5, 8), "float32"), causal=True).shape
        (4, 5, 8)
    """

    def __init__(
        self, d_model: int, num_heads: int, dropout: float = 0.0, bias: bool = True
    ) -> None:
        self.d_model = positive_int("d_model", d_model, "MultiheadAttention")
        self.num_heads = positive_int("num_heads", num_heads, "MultiheadAttention")
        if self.d_model % self.num_heads:
            raise ValueError(
                f"MultiheadAttention: num_heads={num_heads} does not divide d_model={d_model}; "
                f"each head gets d_model / num_heads features, so choose a divisor of "
                f"{d_model}"
            )
        if not 0 <= dropout < 1:
            raise ValueError(f"MultiheadAttention: dropout must be in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        self.in_proj = Linear(self.d_model, 3 * self.d_model, bias=bias)
        self.out_proj = Linear(self.d_model, self.d_model, bias=bias)
        self.mode: bool | None = None

    def _heads(self, x: Any) -> Any:
        n, t, _ = shape_of(x)
        return ag.swapaxes(ag.reshape(x, (n, t, self.num_heads, -1)), 1, 2)

    def _project(self, query: Any, key: Any, value: Any) -> tuple[Any, Any, Any]:
        d, w, b = self.d_model, self.in_proj.weight, self.in_proj.bias
        if key is query and value is query:
            qkv = linear(query, w, b)
            return qkv[..., :d], qkv[..., d : 2 * d], qkv[..., 2 * d :]

        def part(x: Any, i: int) -> Any:
            return linear(
                x, w[:, i * d : (i + 1) * d], None if b is None else b[i * d : (i + 1) * d]
            )

        return part(query, 0), part(key, 1), part(value, 2)

    def _check(self, query: Any, key: Any, value: Any, mask: Any, past: int) -> None:
        qs, ks, vs = shape_of(query), shape_of(key), shape_of(value)
        for name, s in (("query", qs), ("key", ks), ("value", vs)):
            if len(s) != 3 or s[-1] != self.d_model:
                raise self.bad_input(
                    f"expected {name} of shape (N, T, {self.d_model}), got shape {s}"
                )
        if ks[:2] != vs[:2] or ks[0] != qs[0]:
            raise self.bad_input(
                f"query {qs}, key {ks} and value {vs} must share N, and key and value T"
            )
        if mask is not None:
            scores = (qs[0], self.num_heads, qs[1], ks[1] + past)
            try:
                ok = np.broadcast_shapes(shape_of(mask), scores) == scores
            except ValueError:
                ok = False
            if not ok:
                raise self.bad_input(
                    f"mask of shape {shape_of(mask)} does not broadcast to the attention "
                    f"scores (N, heads, T, S) = {scores}; give (T, S) = {scores[2:]} or "
                    f"(N, 1, T, S)"
                )

    def forward(
        self,
        query: Any,
        key: Any = None,
        value: Any = None,
        mask: Any = None,
        causal: bool = False,
        cache: KVCache | None = None,
    ) -> Any:
        """Attend from ``query`` to ``key``/``value`` (default: ``query`` itself)."""
        key = query if key is None else key
        value = key if value is None else value
        self._check(query, key, value, mask, 0 if cache is None else len(cache))
        q, k, v = (self._heads(t) for t in self._project(query, key, value))
        if cache is not None:
            k, v = cache.append(k, v)
        p = self.dropout if self.training() else 0.0
        out = scaled_dot_product_attention(q, k, v, mask=mask, causal=causal, dropout=p, drop=True)
        n, _, t, _ = shape_of(out)
        return self.out_proj(ag.reshape(ag.swapaxes(out, 1, 2), (n, t, self.d_model)))

    def __repr__(self) -> str:
        return f"MultiheadAttention({self.d_model}, num_heads={self.num_heads})"


@ag.serializable
class TransformerBlock(Layer):
    """A transformer layer: self-attention then a feed-forward network, each residual.

    ``norm_first=True`` (pre-norm, GPT-2's) computes ``x + attn(ln1(x))`` then
    ``x + ff(ln2(x))``; ``norm_first=False`` (the original post-norm) computes
    ``ln1(x + attn(x))`` then ``ln2(x + ff(x))``. ``ff`` is ``Linear(d_model, d_ff)``, the
    activation, ``Linear(d_ff, d_model)``; ``d_ff`` defaults to ``4 * d_model``. Dropout
    (in training mode) applies to the attention weights and to each residual branch.
    Equal to PyTorch's ``nn.TransformerEncoderLayer(batch_first=True)`` with the same
    weights. ``causal`` is the default for calls; ``block(x, mask=, causal=, cache=)``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> block = nn.TransformerBlock(16, 4, causal=True)
        >>> block(np.ones((2, 7, 16), "float32")).shape
        (2, 7, 16)
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        d_ff: int | None = None,
        dropout: float = 0.0,
        activation: str = "gelu",
        norm_first: bool = True,
        causal: bool = False,
        bias: bool = True,
    ) -> None:
        d_ff = 4 * d_model if d_ff is None else d_ff
        self.attn = MultiheadAttention(d_model, num_heads, dropout=dropout, bias=bias)
        self.ln1 = LayerNorm(d_model, bias=bias)
        self.ln2 = LayerNorm(d_model, bias=bias)
        self.ff1 = Linear(d_model, positive_int("d_ff", d_ff, "TransformerBlock"), bias=bias)
        self.ff2 = Linear(d_ff, d_model, bias=bias)
        self.activation = check_activation(activation, "TransformerBlock")
        self.dropout = float(dropout)
        self.norm_first = bool(norm_first)
        self.causal = bool(causal)
        self.mode: bool | None = None

    def _drop(self, x: Any) -> Any:
        if self.dropout and self.training():
            return dropout(x, self.dropout, drop=True)
        return x

    def _ff(self, x: Any) -> Any:
        return self._drop(self.ff2(apply_activation(self.activation, self.ff1(x))))

    def forward(
        self, x: Any, mask: Any = None, causal: bool | None = None, cache: KVCache | None = None
    ) -> Any:
        """The block applied to ``x`` (N, T, d_model)."""
        causal = self.causal if causal is None else causal
        if self.norm_first:
            x = x + self._drop(self.attn(self.ln1(x), mask=mask, causal=causal, cache=cache))
            return x + self._ff(self.ln2(x))
        x = self.ln1(x + self._drop(self.attn(x, mask=mask, causal=causal, cache=cache)))
        return self.ln2(x + self._ff(x))

    def __repr__(self) -> str:
        return (
            f"TransformerBlock({self.attn.d_model}, num_heads={self.attn.num_heads}, "
            f"d_ff={self.ff1.out_features})"
        )


@ag.serializable
class PositionalEmbedding(Layer):
    """A learned position embedding: adds ``weight[offset : offset + T]`` to (N, T, d).

    ``weight`` is (max_len, d), drawn from N(0, 0.02²) as GPT-2's. ``offset`` is the
    position of the first element (the cache length when decoding).

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> pos = nn.PositionalEmbedding(16, 4)
        >>> pos(np.zeros((2, 3, 4), "float32")).shape
        (2, 3, 4)
    """

    def __init__(self, max_len: int, d: int) -> None:
        self.max_len = positive_int("max_len", max_len, "PositionalEmbedding")
        self.d = positive_int("d", d, "PositionalEmbedding")
        self.weight = ag.Param(gaussian(self.max_len, self.d, std=0.02))

    def forward(self, x: Any, offset: int = 0) -> Any:
        """``x + weight[offset : offset + T]`` for ``x`` of shape (..., T, d)."""
        shape = shape_of(x)
        if len(shape) < 2 or shape[-1] != self.d:
            raise self.bad_input(f"expected input (..., T, {self.d}), got shape {shape}")
        if offset < 0 or offset + shape[-2] > self.max_len:
            raise self.bad_input(
                f"positions {offset}..{offset + shape[-2] - 1} exceed max_len={self.max_len}"
            )
        return x + self.weight[offset : offset + shape[-2]]

    def __repr__(self) -> str:
        return f"PositionalEmbedding({self.max_len}, {self.d})"
