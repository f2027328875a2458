"""Losses beside Knet's current set: GradValley's ``bce_loss`` on probabilities as
``binary_cross_entropy``, and the old Knet manual's ``quadloss`` and ``softloss``.

They are compositions of differentiable ops, so their gradients (of any order) follow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import plugrad_autograd as ag

from ._common import backend_for, is_box, op_error, real_arg, shape_of
from ._losses import _check_labels, _mean_or_sum, _plain, _targets, reduction_of


def binary_cross_entropy(
    probs: Any,
    targets: Any,
    eps: float | None = None,
    average: bool = True,
    reduction: str | None = None,
) -> Any:
    """Binary cross-entropy of ``targets`` in [0, 1] under *probabilities* ``probs``.

    GradValley's ``bce_loss``: ``l = -t*log(p + eps) - (1 - t)*log(1 - p + eps)`` per
    element, ``eps`` the dtype's machine epsilon by default (it keeps ``p = 0`` or 1
    finite). Averaged over all elements (``reduction="sum"`` or ``average=False`` sums,
    ``reduction="none"`` gives each element's loss). ``probs`` must lie in [0, 1], e.g.
    the output of ``sigmoid``; for logits use :func:`bce`, which is ``sigmoid`` and this
    loss fused and stable.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> p = np.array([0.9, 0.2], dtype=np.float32)
        >>> round(float(nn.binary_cross_entropy(p, np.array([1.0, 0.0]))), 4)
        0.1643
    """
    how = _plain(reduction_of("binary_cross_entropy", average, reduction))
    backend_for("binary_cross_entropy", probs, targets)
    raw = ag.value(probs)
    if raw.dtype.kind != "f":
        raise op_error(
            "binary_cross_entropy",
            f"probs must be floating point, got dtype {raw.dtype}",
            TypeError,
        )
    if eps is None:
        eps = float(np.finfo(raw.dtype).eps)
    eps = real_arg("binary_cross_entropy", "eps", eps, "a number >= 0", lambda e: e >= 0)
    if raw.size and (float(raw.min()) < 0 or float(raw.max()) > 1):
        raise op_error(
            "binary_cross_entropy",
            f"probs must be probabilities in [0, 1], got values in [{float(raw.min())}, "
            f"{float(raw.max())}]; for logits (scores before a sigmoid) use bce(logits, y)",
        )
    t = _targets("binary_cross_entropy", probs, targets, "targets")
    if not is_box(t) and t.dtype != raw.dtype:  # the loss keeps the probabilities' dtype
        t = t.astype(raw.dtype)
    _check_labels("binary_cross_entropy", t, "targets in [0, 1]", lambda xp, v: (v >= 0) & (v <= 1))
    losses = -t * ag.log(probs + eps) - (1 - t) * ag.log(1 - probs + eps)
    return _mean_or_sum("binary_cross_entropy", losses, how)


def _instances(op: str, x: Any) -> int:
    shape = shape_of(x)
    if not shape:
        raise op_error(op, "expected a batch with instances along axis 0, got a 0-d array")
    return shape[0]


def quadloss(ypred: Any, ygold: Any) -> Any:
    """The old Knet manual's ``quadloss``: ``sum((ypred - ygold)**2) / (2N)``.

    Half the squared error per instance (N = ``ypred.shape[0]``, the batch axis); for one
    output per instance, half the mean squared difference: ``mse(ypred, ygold) / 2``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> float(nn.quadloss(np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]])))
        2.5
    """
    backend_for("quadloss", ypred, ygold)
    n = _instances("quadloss", ypred)
    d = ypred - _targets("quadloss", ypred, ygold, "ygold")
    return ag.sum(d * d) * (0.5 / n) if n else ag.sum(d * d) * float("nan")


def softloss(ypred: Any, ygold: Any, axis: int = -1) -> Any:
    """The old Knet manual's ``softloss``: cross-entropy ``-sum(ygold * log(ypred)) / N``.

    ``ypred`` holds probabilities (a softmax output) and ``ygold`` the gold distribution
    (e.g. one-hot), both (N, classes); terms where ``ygold`` is 0 count nothing. For
    unnormalized scores and integer labels use :func:`nll`, the same number computed
    stably: ``softloss(softmax(s), onehot(y)) == nll(s, y)``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> p = np.array([[0.5, 0.5], [0.25, 0.75]])
        >>> round(float(nn.softloss(p, np.array([[1.0, 0.0], [0.0, 1.0]]))), 4)
        0.4904
    """
    backend_for("softloss", ypred, ygold)
    n = _instances("softloss", ypred)
    gold = _targets("softloss", ypred, ygold, "ygold")
    positive = ag.value(gold) > 0
    logs = ag.log(ag.where(positive, ypred, 1))
    total = -ag.sum(gold * logs)
    return total / n if n else total * float("nan")
