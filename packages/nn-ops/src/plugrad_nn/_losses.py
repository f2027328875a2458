"""Losses and metrics: ``nll``, ``accuracy``, ``zeroone``, ``bce``, ``logistic``, ``mse``, ``mae``.

Class scores are (N, classes) with the class axis last (``axis=-1``), labels are 0-based
integers of shape (N,), and a label equal to ``ignore_index`` (-1, Knet's 0) skips its
instance. Any layout works with ``axis``: labels have the scores' shape without that axis.

Nothing to average (an empty batch, or every label ``ignore_index``) gives NaN, as a mean
of nothing is, with a ``RuntimeWarning`` naming the loss; the gradient is then 0. With
``average=False`` the same call gives the sum and count, ``(0, 0)``, without a warning.

Reduction: Knet's ``average=True|False``, or GradValley's and PyTorch's
``reduction="mean"|"sum"|"none"`` (``"none"``: one loss per instance for ``nll``, per
element for the others). ``reduction=`` takes precedence over the default ``average=True``;
giving it together with ``average=False`` is an error, as the two would disagree.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import plugrad_autograd as ag
import plugrad_backends as B

from ._activations import logsoftmax, sigm
from ._common import (
    Saved,
    backend_for,
    is_box,
    is_int,
    no_second_order,
    op_error,
    quiet,
    refuse_keywords,
    shape_of,
)


def _labels(op: str, scores: Any, labels: Any, axis: int, ignore_index: int) -> tuple:
    """Check ``labels`` against ``scores``; return (labels on the scores' backend, C, axis)."""
    raw = ag.value(scores)
    shape = tuple(raw.shape)
    if not shape:
        raise op_error(op, "expected class scores with a class axis, got a 0-d array")
    if not is_int(axis):
        raise op_error(op, f"axis must be an int, got {type(axis).__name__} {axis!r}", TypeError)
    axis = axis % len(shape)
    classes = shape[axis]
    backend = ag.backend_of(raw)
    labels = ag.value(labels)
    if not isinstance(labels, backend.array_types):
        labels = B.array(labels, device=backend)
    if labels.dtype.kind not in "iu":
        raise op_error(
            op, f"labels must be integers (0-based class indices), got dtype {labels.dtype}"
        )
    expected = shape[:axis] + shape[axis + 1 :]
    if tuple(labels.shape) != expected:
        raise op_error(
            op,
            f"labels of shape {tuple(labels.shape)} do not match scores of shape {shape}: "
            f"expected labels of shape {expected} (the scores' shape without the class "
            f"axis {axis})",
        )
    if labels.size:
        valid = labels[labels != ignore_index]
        if valid.size and (int(valid.min()) < 0 or int(valid.max()) >= classes):
            raise op_error(
                op,
                f"labels must be in [0, {classes}) or ignore_index={ignore_index} to skip an "
                f"instance; got values in [{int(valid.min())}, {int(valid.max())}] for "
                f"scores of shape {shape} with {classes} classes along axis {axis}",
            )
    return labels, classes, axis


def _nothing_to_average(op: str, why: str) -> None:
    warnings.warn(
        f"{op}: nothing to average ({why}); the result is NaN and its gradient 0. Skip such "
        f"batches, or use average=False for the sum and the count",
        RuntimeWarning,
        stacklevel=3,
    )


def _why_empty(labels: Any, ignore_index: int) -> str:
    if not labels.size:
        return "the batch is empty"
    return f"all {labels.size} labels are ignore_index={ignore_index}"


def _rows(xp: Any, a: Any, axis: int) -> Any:
    """``a`` with the class axis last, as a 2-D (instances, classes) matrix."""
    if axis != a.ndim - 1:
        a = xp.moveaxis(a, axis, -1)
    return a.reshape(-1, a.shape[-1])


_REDUCTIONS = ("mean", "sum", "none")


def reduction_of(op: str, average: Any, reduction: Any) -> str:
    """The reduction asked for: ``"mean"``, ``"sum"``, ``"none"``, or ``"knet"`` (Knet's
    ``average=False``: nll and accuracy give ``(total, count)``, the others the sum)."""
    if reduction is None:
        return "mean" if average else "knet"
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise op_error(
            op, f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}", ValueError
        )
    if average is not True:
        raise op_error(
            op,
            f"pass either Knet's average= or reduction=, not both (got average={average!r}, "
            f"reduction={reduction!r}); average=False is reduction='sum' with the count",
            TypeError,
        )
    return reduction


# -- nll: one fused softmax cross-entropy primitive ---------------------------------------


def _nll_rows(s: Any, picks: Any, keep: Any, smoothing: float = 0.0) -> tuple[Any, Any, Any]:
    """Per-row losses of rows ``s`` (M, C), with ``exp(s - max)`` and its row sums.

    The portable form of the ``nll_rows`` kernel (which has no ``smoothing``); rows where
    ``keep`` is False lose 0.
    """
    xp = ag.xp_of(s)
    top = s.max(axis=1, keepdims=True)
    e = xp.exp(s - top)
    total = e.sum(axis=1)
    lse = xp.log(total) + top[:, 0]
    target = s[xp.arange(s.shape[0]), picks]
    if smoothing:  # the target is (1 - smoothing) one-hot plus smoothing spread evenly
        target = (1 - smoothing) * target + smoothing * s.mean(axis=1)
    losses = (lse - target) * keep
    return losses, e, total


def _nll_rows_grad(e: Any, total: Any, picks: Any, weight: Any, smoothing: float = 0.0) -> Any:
    """``(e / total - target) * weight`` per row (the ``nll_rows_grad`` kernel, which has
    no ``smoothing``: its target is one-hot)."""
    xp = ag.xp_of(e)
    p = e / total[:, None]  # softmax minus the target
    p[xp.arange(p.shape[0]), picks] -= 1 - smoothing
    if smoothing:
        p -= smoothing / p.shape[1]
    p *= weight[:, None]
    return p


@ag.primitive
def _nll(
    scores: Any,
    labels: Any,
    axis: int,
    ignore_index: int,
    average: bool,
    saved: Saved,
    smoothing: float = 0.0,
) -> Any:
    xp = ag.xp_of(scores)
    s = _rows(xp, scores, axis)
    flat = labels.reshape(-1)
    keep = flat != ignore_index
    picks = xp.where(keep, flat, 0)
    if smoothing:  # the kernels know only one-hot targets: the portable rows
        losses, e, total = _nll_rows(s, picks, keep, smoothing)
    else:
        losses, e, total = ag.run_kernel("nll_rows", _nll_rows, s, picks, keep)
    count = int(keep.sum())
    saved.e, saved.total, saved.keep, saved.picks, saved.count = e, total, keep, picks, count
    loss = losses.sum()
    if average:
        loss = loss / count if count else xp.asarray(xp.nan, dtype=s.dtype)
    return xp.asarray(loss, dtype=s.dtype)


@ag.primitive
def _nll_grad(
    dy: Any, shape: tuple[int, ...], axis: int, average: bool, saved: Saved, smoothing: float = 0.0
) -> Any:
    xp = ag.xp_of(saved.e)
    weight = saved.keep * dy
    if average and saved.count:
        weight = weight / saved.count
    weight = weight.astype(saved.e.dtype)
    rows = (saved.e, saved.total, saved.picks, weight)
    if smoothing:
        p = _nll_rows_grad(*rows, smoothing)
    else:
        p = ag.run_kernel("nll_rows_grad", _nll_rows_grad, *rows)
    moved = list(shape)
    moved.append(moved.pop(axis))
    p = p.reshape(moved)
    return p if axis == len(shape) - 1 else xp.moveaxis(p, -1, axis)


ag.defvjp(
    _nll,
    lambda dy, y, scores, labels, axis, ignore_index, average, saved, smoothing=0.0: _nll_grad(
        dy, scores.shape, axis, average, saved, smoothing
    ),
)
ag.defvjp(_nll_grad, no_second_order("nll"))


def nll(
    scores: Any,
    labels: Any,
    axis: int = -1,
    average: bool = True,
    ignore_index: int = -1,
    label_smoothing: float = 0.0,
    reduction: str | None = None,
    **unknown: Any,
) -> Any:
    """Knet's ``nll``: negative log-likelihood of ``labels`` under ``softmax(scores)``.

    ``scores`` are unnormalized (N, classes) (class axis ``axis``); ``labels`` 0-based
    integers, ``ignore_index`` skipping an instance. Returns the mean over the counted
    instances, or ``(total, count)`` with ``average=False``; ``reduction="sum"`` gives
    the total alone and ``reduction="none"`` the loss of each instance (0 where skipped).
    The second form ``nll(model, data, **kw)`` sums ``nll(model(x, **kw), y)`` over the
    ``(x, y)`` pairs of ``data`` (extra keywords go to the model, as Knet's ``o...``) and
    averages over all instances. The log-softmax and its gradient (softmax minus one-hot)
    are one fused, stable primitive. ``label_smoothing`` (in [0, 1]) compares with
    ``(1 - label_smoothing)`` one-hot plus ``label_smoothing / classes`` everywhere, as
    PyTorch's ``cross_entropy`` (Szegedy et al. 2016, arXiv:1512.00567).

    With nothing to average (every label ``ignore_index``, an empty batch or data) the mean
    is NaN, with a ``RuntimeWarning``, and the gradient 0.

    Example (Knet's, its expression is exactly 2.11e-5):
        >>> import numpy as np, plugrad_nn as nn
        >>> scores = np.array([[12.2, 2.0, 0.0], [0.3, 21.5, -21.0]])
        >>> f"{float(nn.nll(scores, [0, 1])):.3e}"
        '2.110e-05'
    """
    how = reduction_of("nll", average, reduction)
    if callable(scores):
        return _over_data(
            nll,
            scores,
            labels,
            how,
            unknown,
            axis=axis,
            ignore_index=ignore_index,
            label_smoothing=label_smoothing,
        )
    refuse_keywords("nll", unknown)  # e.g. PyTorch's dim=: say axis=
    if not 0 <= label_smoothing <= 1:
        raise op_error("nll", f"label_smoothing must be in [0, 1], got {label_smoothing!r}")
    backend_for("nll", scores)
    labels, _, axis = _labels("nll", scores, labels, axis, ignore_index)
    keep = int((labels != ignore_index).sum())
    if how == "none":
        return _nll_each(scores, labels, axis, ignore_index, label_smoothing)
    if how in ("knet", "sum"):
        total = _nll(scores, labels, axis, ignore_index, False, Saved(), label_smoothing)
        return total if how == "sum" else (total, keep)
    if not keep:
        _nothing_to_average("nll", _why_empty(labels, ignore_index))
    return _nll(scores, labels, axis, ignore_index, True, Saved(), label_smoothing)


def _nll_each(
    scores: Any, labels: Any, axis: int, ignore_index: int, label_smoothing: float
) -> Any:
    """Per-instance nll (``reduction="none"``): 0 where the label is ``ignore_index``."""
    xp = ag.xp_of(ag.value(scores))
    classes = shape_of(scores)[axis]
    keep = xp.expand_dims(labels != ignore_index, axis)
    target = xp.moveaxis(xp.eye(classes, dtype=ag.value(scores).dtype)[labels], -1, axis)
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    target *= keep
    return ag.sum(logsoftmax(scores, axis=axis) * -target, axis=axis)  # +0 where skipped


def _over_data(
    fn: Callable[..., Any],
    model: Callable[..., Any],
    data: Iterable,
    how: str,
    model_kw: dict[str, Any],
    **kw: Any,
) -> Any:
    """``fn`` pooled over the ``(x, y)`` pairs of ``data``: Knet's ``fn(model, data; o...)``."""
    if how == "none":
        raise op_error(
            fn.__name__,
            f"reduction='none' needs one batch of scores; over data use 'mean' or 'sum', or "
            f"call {fn.__name__}(model(x), y, reduction='none') per batch",
        )
    total, count = 0, 0
    for x, y in data:
        t, c = fn(model(x, **model_kw), y, average=False, **kw)
        total, count = total + t, count + c
    if how == "sum":
        return total
    if how == "knet":
        return total, count
    if not count:
        _nothing_to_average(fn.__name__, "the data has no instances")
        return float("nan")
    return total / count


def accuracy(
    scores: Any,
    labels: Any,
    axis: int = -1,
    average: bool = True,
    ignore_index: int = -1,
    **unknown: Any,
) -> Any:
    """Knet's ``accuracy``: the fraction of instances whose highest score is the label.

    Returns a float, or ``(correct, count)`` with ``average=False``; instances labelled
    ``ignore_index`` are skipped. ``accuracy(model, data, **kw)`` pools all ``(x, y)`` of
    ``data``, calling ``model(x, **kw)``.

    With nothing to count (every label ``ignore_index``, an empty batch) the fraction is NaN,
    with a ``RuntimeWarning``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.accuracy(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), [1, 1, 1])
        0.6666666666666666
    """
    if callable(scores):
        how = "mean" if average else "knet"
        return _over_data(
            accuracy, scores, labels, how, unknown, axis=axis, ignore_index=ignore_index
        )
    refuse_keywords("accuracy", unknown)  # e.g. PyTorch's dim=: say axis=
    backend_for("accuracy", scores)
    labels, _, axis = _labels("accuracy", scores, labels, axis, ignore_index)
    raw = ag.value(scores)
    keep = labels != ignore_index
    correct = int(((raw.argmax(axis=axis) == labels) & keep).sum())
    count = int(keep.sum())
    if not average:
        return correct, count
    if not count:
        _nothing_to_average("accuracy", _why_empty(labels, ignore_index))
        return float("nan")
    return correct / count


def zeroone(
    scores: Any,
    labels: Any,
    axis: int = -1,
    average: bool = True,
    ignore_index: int = -1,
    **unknown: Any,
) -> Any:
    """Knet's ``zeroone`` loss: ``1 - accuracy`` (``(wrong, count)`` with ``average=False``).

    NaN, with a ``RuntimeWarning``, when nothing is counted (as :func:`accuracy`).

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.zeroone(np.array([[0.1, 0.9], [0.8, 0.2]]), [1, 1])
        0.5
    """
    if not callable(scores):
        refuse_keywords("zeroone", unknown)  # e.g. PyTorch's dim=: say axis=
    result = accuracy(
        scores, labels, axis=axis, average=average, ignore_index=ignore_index, **unknown
    )
    if not average:
        correct, count = result
        return count - correct, count
    return 1 - result


# -- binary losses -----------------------------------------------------------------------------


def _targets(op: str, scores: Any, labels: Any, name: str = "labels") -> Any:
    raw = ag.value(scores)
    backend = ag.backend_of(raw)
    lab = labels
    if not is_box(lab) and not isinstance(lab, backend.array_types):
        lab = B.array(lab, device=backend, dtype=raw.dtype)
    if shape_of(lab) != tuple(raw.shape):
        try:
            backend.xp.broadcast_shapes(shape_of(lab), tuple(raw.shape))
        except ValueError:
            raise op_error(
                op,
                f"{name} of shape {shape_of(lab)} do not match scores of shape {tuple(raw.shape)}",
            ) from None
    return lab


@ag.primitive
def _bce(scores: Any, labels: Any, how: str) -> Any:
    xp = ag.xp_of(scores)
    with quiet(xp):
        losses = xp.maximum(scores, 0) - labels * scores + xp.log1p(xp.exp(-xp.abs(scores)))
    return _reduce(xp, losses, how)


def _reduce(xp: Any, losses: Any, how: str) -> Any:
    if how == "none":
        return losses
    if how != "mean":
        return losses.sum()
    return losses.mean() if losses.size else xp.asarray(xp.nan, dtype=losses.dtype)


def _check_labels(op: str, labels: Any, valid: str, ok: Callable[[Any, Any], Any]) -> None:
    """Refuse ``labels`` where ``ok(xp, values)`` is not all true, naming the valid ones."""
    raw = ag.value(labels)
    if not getattr(raw, "size", 1):
        return
    xp = ag.xp_of(raw)
    if not bool(xp.all(ok(xp, raw))):
        lo, hi = float(xp.min(raw)), float(xp.max(raw))
        raise op_error(op, f"labels must be {valid}; got values in [{lo}, {hi}]")


def _warn_if_empty(op: str, scores: Any, how: str) -> None:
    if how == "mean" and not getattr(ag.value(scores), "size", 1):
        _nothing_to_average(op, "the batch is empty")


def _count(how: str, shape: tuple[int, ...]) -> float:
    n = 1
    for s in shape:
        n *= s
    return 1.0 / n if how == "mean" else 1.0


ag.defvjp(
    _bce,
    lambda dy, y, s, t, how: dy * (sigm(s) - t) * _count(how, s.shape),
    lambda dy, y, s, t, how: -dy * s * _count(how, s.shape),
)


def bce(scores: Any, labels: Any, average: bool = True, reduction: str | None = None) -> Any:
    """Knet's ``bce``: binary cross-entropy of labels in {0, 1} under ``sigm(scores)``.

    ``scores`` are logits (any real number); for probabilities use
    :func:`binary_cross_entropy`. Computed stably as ``max(0, s) - y*s + log1p(exp(-|s|))``,
    averaged over all elements (summed with ``average=False`` or ``reduction="sum"``; one
    loss per element with ``reduction="none"``).

    Labels outside [0, 1] (e.g. 2, or -1 meant for :func:`logistic`) raise ValueError. An
    empty batch averages to NaN, with a ``RuntimeWarning``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> round(float(nn.bce(np.array([0.0, 100.0]), np.array([1.0, 1.0]))), 4)
        0.3466
    """
    how = _plain(reduction_of("bce", average, reduction))
    backend_for("bce", scores, labels)
    labels = _targets("bce", scores, labels)
    _check_labels(
        "bce",
        labels,
        "in [0, 1] (0 or 1, or a probability as a soft label); for labels -1 and 1 use logistic",
        lambda xp, t: (t >= 0) & (t <= 1),
    )
    _warn_if_empty("bce", scores, how)
    return _bce(scores, labels, how)


def _plain(how: str) -> str:
    """Knet's ``average=False`` is the sum for the elementwise losses."""
    return "sum" if how == "knet" else how


@ag.primitive
def _logistic(scores: Any, labels: Any, how: str) -> Any:
    xp = ag.xp_of(scores)
    return _reduce(xp, xp.logaddexp(0, -labels * scores), how)


ag.defvjp(
    _logistic,
    lambda dy, y, s, t, how: -dy * t * sigm(-t * s) * _count(how, s.shape),
    lambda dy, y, s, t, how: -dy * s * sigm(-t * s) * _count(how, s.shape),
)


def logistic(scores: Any, labels: Any, average: bool = True, reduction: str | None = None) -> Any:
    """Knet's ``logistic`` loss ``log(1 + exp(-y*s))`` for labels in {-1, 1}, stably.

    Averaged over all elements (summed with ``average=False`` or ``reduction="sum"``; one
    loss per element with ``reduction="none"``).

    Labels other than -1 and 1 (e.g. 0 meant for :func:`bce`) raise ValueError. An empty
    batch averages to NaN, with a ``RuntimeWarning``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> round(float(nn.logistic(np.array([0.0, 100.0]), np.array([1.0, -1.0]))), 4)
        50.3466
    """
    how = _plain(reduction_of("logistic", average, reduction))
    backend_for("logistic", scores, labels)
    labels = _targets("logistic", scores, labels)
    _check_labels(
        "logistic",
        labels,
        "-1 or 1; for labels 0 and 1 use bce",
        lambda xp, t: xp.abs(t) == 1,
    )
    _warn_if_empty("logistic", scores, how)
    return _logistic(scores, labels, how)


def mse(
    scores: Any, targets: Any, average: bool = True, reduction: str | None = None, **kw: Any
) -> Any:
    """Mean squared error ``mean((scores - targets)**2)`` (the sum with ``average=False``).

    ``reduction="mean"|"sum"|"none"`` as the other losses. ``mse(model, data, **kw)``
    pools the squared errors of ``model(x, **kw)`` against ``y`` over the ``(x, y)`` pairs
    of ``data`` and divides by the number of elements. An empty batch averages to NaN,
    with a ``RuntimeWarning``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> float(nn.mse(np.array([1.0, 3.0]), np.array([0.0, 0.0])))
        5.0
    """
    how = _plain(reduction_of("mse", average, reduction))
    if callable(scores):
        return _elementwise_over_data(mse, scores, targets, how, kw)
    refuse_keywords("mse", kw)
    backend_for("mse", scores, targets)
    d = scores - _targets("mse", scores, targets, "targets")
    return _mean_or_sum("mse", d * d, how)


def mae(
    scores: Any, targets: Any, average: bool = True, reduction: str | None = None, **kw: Any
) -> Any:
    """Mean absolute error ``mean(|scores - targets|)`` (the sum with ``average=False``).

    ``reduction=`` and the ``mae(model, data, **kw)`` form as :func:`mse`. An empty batch
    averages to NaN, with a ``RuntimeWarning``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> float(nn.mae(np.array([1.0, -3.0]), np.array([0.0, 0.0])))
        2.0
    """
    how = _plain(reduction_of("mae", average, reduction))
    if callable(scores):
        return _elementwise_over_data(mae, scores, targets, how, kw)
    refuse_keywords("mae", kw)
    backend_for("mae", scores, targets)
    d = ag.abs(scores - _targets("mae", scores, targets, "targets"))
    return _mean_or_sum("mae", d, how)


def _elementwise_over_data(
    fn: Callable[..., Any], model: Callable[..., Any], data: Iterable, how: str, kw: dict
) -> Any:
    """An elementwise loss pooled over ``(x, y)`` pairs: the sum, or the sum / elements."""
    if how == "none":
        raise op_error(
            fn.__name__,
            f"reduction='none' needs one batch; over data use 'mean' or 'sum', or call "
            f"{fn.__name__}(model(x), y, reduction='none') per batch",
        )
    total, count = 0, 0
    for x, y in data:
        scores = model(x, **kw)
        total = total + fn(scores, y, reduction="sum")
        count += int(getattr(ag.value(scores), "size", 1))
    if how == "sum":
        return total
    if not count:
        _nothing_to_average(fn.__name__, "the data has no instances")
        return float("nan")
    return total / count


def _mean_or_sum(op: str, losses: Any, how: str) -> Any:
    if how == "none":
        return losses
    if how == "sum":
        return ag.sum(losses)
    if getattr(ag.value(losses), "size", 1):
        return ag.mean(losses)
    _nothing_to_average(op, "the batch is empty")
    return ag.sum(losses) * float("nan")
