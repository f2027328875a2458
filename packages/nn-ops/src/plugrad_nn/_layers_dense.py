"""Fully connected layers: ``Dense`` and ``Embedding``."""

from __future__ import annotations

from typing import Any

import plugrad_autograd as ag

from ._common import bool_arg, in_dtype_of
from ._init import gaussian
from ._layers_activation import apply_activation, check_activation
from ._layers_base import Layer, positive_int, shape_of
from ._layers_init import Init, check_init, init_bias, init_weight


@ag.serializable
class Dense(Layer):
    """A fully connected layer: ``activation(x @ weight + bias)``.

    ``weight`` is (in_features, out_features), plugrad's dense layout (Knet's (out, in)
    read row-major; PyTorch's ``Linear.weight`` transposed), and ``bias`` (out_features,).
    An input with more than two axes is flattened to ``(N, -1)`` first (Knet's ``mat``),
    so a Dense can follow a convolution directly; a 1-D input is one instance. To act on
    the last axis of a sequence (N, T, features), as PyTorch's ``nn.Linear``, use
    :class:`Linear`.

    Args:
        in_features: the number of input features (after flattening).
        out_features: the number of outputs.
        activation: an activation name (``"relu"``, ``"leaky_relu:0.2"``, ``"softmax"``,
            ...; softmax runs over the features) or None.
        bias: whether to add a learnable bias.
        init: ``"default"`` (uniform in ±1/sqrt(in_features), weight and bias),
            ``"xavier"``, ``"kaiming"`` (their uniform forms; ``"xavier_normal"``,
            ``"kaiming_normal"`` too; bias zeros) or a function ``f(*shape)``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> layer = nn.Dense(3, 2)
        >>> layer.weight[:] = [[1, 0], [0, 1], [0, 1]]
        >>> layer.bias.value[:] = [0.5, -0.5]
        >>> layer(np.array([[1.0, 2.0, 3.0]], dtype="float32")).tolist()
        [[1.5, 4.5]]
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        activation: str | None = None,
        bias: bool = True,
        init: Init = "default",
    ) -> None:
        self.in_features = positive_int("in_features", in_features, "Dense")
        self.out_features = positive_int("out_features", out_features, "Dense")
        self.activation = check_activation(activation, "Dense")
        use_bias = bool_arg("Dense", "bias", bias)
        init = check_init(init, "Dense")
        shape = (self.in_features, self.out_features)
        self.weight = ag.Param(init_weight(init, shape))
        self.bias = ag.Param(init_bias(init, self.out_features, shape)) if use_bias else None

    def forward(self, x: Any) -> Any:
        """``activation(x @ weight + bias)`` for x of shape (N, in_features) or (N, ...)."""
        shape = shape_of(x)
        features = 1
        for n in shape[1:] if len(shape) > 1 else shape:
            features *= n
        if not shape or features != self.in_features:
            flat = ""
            if len(shape) > 2:  # Knet's mat: everything but the first axis is one instance
                flat = (
                    f" ({features} features when flattened to (N, -1)); to act on the last "
                    f"axis only, as PyTorch's nn.Linear, use Linear({self.in_features}, "
                    f"{self.out_features})"
                )
            raise self.bad_input(
                f"expected input with {self.in_features} features, got shape {shape}{flat}"
            )
        if len(shape) > 2:
            x = ag.reshape(x, (shape[0], features))
        y = ag.matmul(in_dtype_of(x, self.weight), self.weight)
        if self.bias is not None:
            y = y + self.bias
        return apply_activation(self.activation, y, axis=-1)

    def __repr__(self) -> str:
        extra = "" if self.bias is not None else ", bias=False"
        act = f", {self.activation}" if self.activation else ""
        return f"Dense({self.in_features} -> {self.out_features}{act}{extra})"


@ag.serializable
class Embedding(Layer):
    """A lookup table: integer indices of any shape to vectors, ``weight[indices]``.

    ``weight`` is (num_embeddings, embedding_dim), initialized from N(0, 1) as PyTorch
    does; the output has shape ``indices.shape + (embedding_dim,)``. Gradients flow to the
    rows that were looked up.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> emb = nn.Embedding(10, 4)
        >>> emb(np.array([[1, 2, 3], [4, 5, 6]])).shape
        (2, 3, 4)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int) -> None:
        self.num_embeddings = positive_int("num_embeddings", num_embeddings, "Embedding")
        self.embedding_dim = positive_int("embedding_dim", embedding_dim, "Embedding")
        self.weight = ag.Param(gaussian(self.num_embeddings, self.embedding_dim, std=1.0))

    def forward(self, indices: Any) -> Any:
        """The rows of ``weight`` at ``indices`` (integers in ``[0, num_embeddings)``)."""
        raw = ag.value(indices)
        kind = getattr(getattr(raw, "dtype", None), "kind", None)
        if kind not in ("i", "u"):
            raise self.bad_input(
                f"expected integer indices, got {type(raw).__name__} of dtype "
                f"{getattr(raw, 'dtype', None)}; convert with x.astype('int64')"
            )
        if raw.size and (int(raw.min()) < 0 or int(raw.max()) >= self.num_embeddings):
            raise self.bad_input(
                f"indices must be in [0, {self.num_embeddings}), got values in "
                f"[{int(raw.min())}, {int(raw.max())}] (input shape {shape_of(raw)})"
            )
        return ag.take(self.weight, raw, axis=0)

    def __repr__(self) -> str:
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"
