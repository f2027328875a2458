"""Layers that act differently in training and testing: ``BatchNorm`` and ``Dropout``."""

from __future__ import annotations

from typing import Any

import plugrad_autograd as ag

from ._common import bool_arg, in_dtype_of, real_arg
from ._dropout import dropout
from ._layers_activation import apply_activation, check_activation
from ._layers_base import Layer, positive_int, shape_of
from ._norm import batchnorm, bnmoments, bnparams


@ag.serializable
class BatchNorm(Layer):
    """Batch normalization over the channel axis 1, on :func:`batchnorm`.

    Takes (N, C), (N, C, H, W) or (N, C, D, H, W) inputs. In training (inside ``diff``,
    or after ``trainmode``) it normalizes with the batch statistics and updates the
    running ``moments``; in testing (outside ``diff``, or after ``testmode``) it uses the
    running moments. ``params`` is Knet's single vector ``[γ; β]`` of length 2C.

    Args:
        num_features: the number of channels C.
        momentum: the weight of each new batch in the running statistics.
        eps: added to the variance for numerical stability.
        affine: False leaves out γ and β (``params`` is None): the output is only normalized.
        track_running_stats: False keeps no running statistics (``moments`` is None) and
            normalizes with the batch statistics in testing too (GradValley's and PyTorch's).
        activation: an activation name applied to the output (softmax over the channels).

    Attributes:
        mode: None (follow ``plugrad_autograd.training()``), True or False.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> bn = nn.trainmode(nn.BatchNorm(3))
        >>> y = bn(np.random.default_rng(0).normal(size=(8, 3, 4, 4)).astype("float32"))
        >>> bool(abs(y.mean(axis=(0, 2, 3))).max() < 1e-5)
        True
    """

    def __init__(
        self,
        num_features: int,
        momentum: float = 0.1,
        eps: float = 1e-5,
        affine: bool = True,
        track_running_stats: bool = True,
        activation: str | None = None,
    ) -> None:
        momentum = real_arg("BatchNorm", "momentum", momentum, "in [0, 1]", lambda m: 0 <= m <= 1)
        self.num_features = positive_int("num_features", num_features, "BatchNorm")
        self.eps = real_arg("BatchNorm", "eps", eps, "a number >= 0", lambda e: e >= 0)
        track = bool_arg("BatchNorm", "track_running_stats", track_running_stats)
        self.moments = bnmoments(momentum=momentum) if track else None
        self.params = bnparams(num_features) if bool_arg("BatchNorm", "affine", affine) else None
        self.activation = check_activation(activation, "BatchNorm")
        self.mode: bool | None = None

    def forward(self, x: Any) -> Any:
        """Normalize ``x`` per channel, then scale by γ and shift by β."""
        shape = shape_of(x)
        if len(shape) not in (2, 4, 5) or shape[1] != self.num_features:
            raise self.bad_input(
                f"expected input of shape (N, C), (N, C, H, W) or (N, C, D, H, W) with "
                f"C = {self.num_features} channels, got shape {shape}"
            )
        if self.params is not None:
            x = in_dtype_of(x, self.params)
        training = self.training() or self.moments is None  # no running stats: batch stats
        y = batchnorm(x, self.moments, self.params, training=training, eps=self.eps)
        return apply_activation(getattr(self, "activation", None), y, axis=1)

    def __repr__(self) -> str:
        extra = "" if self.params is not None else ", affine=False"
        extra += "" if self.moments is not None else ", track_running_stats=False"
        act = getattr(self, "activation", None)
        extra += f", activation={act!r}" if act else ""
        return f"BatchNorm({self.num_features}{extra})"


@ag.serializable
class Dropout(Layer):
    """Zero each input element with probability ``p`` in training, scaling the rest by
    ``1/(1-p)``; the identity in testing. Built on :func:`dropout`.

    Attributes:
        mode: None (drop only inside ``diff``), True (always drop) or False (never).

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> x = np.ones((2, 4), "float32")
        >>> (nn.Dropout(0.5)(x) == x).all()  # outside diff: the identity
        np.True_
    """

    def __init__(self, p: float = 0.5) -> None:
        self.p = real_arg("Dropout", "p", p, "in [0, 1)", lambda q: 0 <= q < 1)
        self.mode: bool | None = None

    def forward(self, x: Any) -> Any:
        """Drop elements of ``x`` when training."""
        if self.p == 0 or not self.training():
            return x
        return dropout(x, self.p, drop=True)

    def __repr__(self) -> str:
        return f"Dropout({self.p})"
