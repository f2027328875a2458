"""Lasagne's norm constraints: cap the norm of weight vectors or of a set of tensors.

Both return new arrays, as Lasagne returns a new expression; pass ``out=`` to
``norm_constraint`` to write the result back into a Param or array instead.

Axes: Lasagne's defaults assume a dense weight ``(inputs, units)`` and a convolution filter
``(filters, channels, *window)``. plugrad's layout (DESIGN §4: Knet's column-major arrays read
row-major) gives exactly these shapes: a dense weight is ``(in_features, out_features)`` and a
filter is ``(O, I, kH, kW)``. So the defaults carry over unchanged: for a 2-D tensor the norm
of each column (axis 0: the weights coming into one unit), for 3-D to 5-D tensors the norm
of each filter (all axes but 0). A weight stored ``(out, in)`` as PyTorch does needs
``norm_axes=(1,)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from plugrad_autograd import Param
from plugrad_backends import of

from ._base import check_real


def _array(x: Any, op: str, what: str) -> Any:
    a = x.value if isinstance(x, Param) else x
    backend = of(a)
    if not isinstance(a, backend.array_types) or not hasattr(a, "shape"):
        raise TypeError(
            f"{op}: {what} must be a Param or an array of a registered backend, got "
            f"{type(x).__name__}; wrap values with pg.array(...) first"
        )
    return a


def norm_constraint(
    tensor: Any,
    max_norm: float,
    norm_axes: Sequence[int] | None = None,
    epsilon: float = 1e-7,
    out: Any = None,
) -> Any:
    """Rescale the weight vectors of ``tensor`` whose norm exceeds ``max_norm`` (Lasagne).

    ``norms = sqrt(sum(tensor^2, norm_axes))``; the result is
    ``tensor * clip(norms, 0, max_norm) / (epsilon + norms)``: vectors within the limit are
    (up to ``epsilon``) unchanged, longer ones end with norm ``max_norm``. Used as max-norm
    regularization after each update, or for gradient clipping.

    Args:
        tensor: a Param or an array.
        max_norm: the largest norm allowed, >= 0.
        norm_axes: the axes each norm is taken over; by default ``(0,)`` for a 2-D tensor
            and all axes but 0 for 3-D to 5-D tensors (see the module notes on layout).
        epsilon: guards the division for zero norms.
        out: a Param or array to write the result into (in place), e.g. the tensor itself.

    Returns:
        The constrained array (``out``'s array when given), on the tensor's backend.

    Raises:
        ValueError: ``tensor`` is not 2- to 5-D and ``norm_axes`` is not given, an axis is out
            of range, or ``max_norm`` is negative.

    References:
        Srivastava, N. et al. (2014). Dropout: A Simple Way to Prevent Neural Networks from
        Overfitting. JMLR 15, 1929-1958 (max-norm regularization).

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import norm_constraint
        >>> w = np.array([[3.0, 0.1], [4.0, 0.0]])  # column norms 5 and 0.1
        >>> norm_constraint(w, 1.0, epsilon=0.0)
        array([[0.6, 0.1],
               [0.8, 0. ]])
    """
    op = "norm_constraint"
    a = _array(tensor, op, "tensor")
    max_norm = check_real(op, "max_norm", max_norm, low=0.0)
    epsilon = check_real(op, "epsilon", epsilon, low=0.0)
    ndim = a.ndim
    if norm_axes is not None:
        axes = tuple(int(ax) for ax in norm_axes)
        for ax in axes:
            if not -ndim <= ax < ndim:
                raise ValueError(
                    f"{op}: norm_axes {axes} out of range for a tensor of shape "
                    f"{tuple(a.shape)}; use axes in [{-ndim}, {ndim - 1}]"
                )
    elif ndim == 2:
        axes = (0,)
    elif ndim in (3, 4, 5):
        axes = tuple(range(1, ndim))
    else:
        raise ValueError(
            f"{op}: unsupported tensor dimensionality {ndim} (shape {tuple(a.shape)}); "
            f"defaults exist for 2-D (dense) and 3- to 5-D (convolution) tensors, so pass "
            f"norm_axes, e.g. norm_axes={tuple(range(ndim)) or '()'}"
        )
    xp = of(a).xp
    norms = xp.sqrt(xp.sum(a * a, axis=axes, keepdims=True))
    scale = xp.clip(norms, 0.0, max_norm)
    scale /= norms + epsilon
    if out is None:
        return a * scale
    target = _array(out, op, "out")
    xp.multiply(a, scale, out=target)
    return target


def total_norm_constraint(
    tensors: Sequence[Any],
    max_norm: float,
    epsilon: float = 1e-7,
    return_norm: bool = False,
) -> Any:
    """Rescale a set of tensors together so that their joint norm is at most ``max_norm``.

    ``norm = sqrt(sum over tensors of sum(t^2))``; every tensor is multiplied by
    ``clip(norm, 0, max_norm) / (epsilon + norm)`` (Lasagne). Typically applied to all the
    gradients of a recurrent network before the update. The norm stays on the device.

    Args:
        tensors: Params or arrays, on one backend.
        max_norm: the largest joint norm allowed, >= 0.
        epsilon: guards the division for a zero norm.
        return_norm: also return the joint norm before rescaling.

    Returns:
        The list of rescaled arrays, or ``(arrays, norm)`` with ``return_norm=True`` (the
        norm a 0-d array or scalar of the tensors' backend).

    Raises:
        TypeError: an element is not a Param or an array.
        ValueError: ``max_norm`` is negative.

    References:
        Sutskever, I., Vinyals, O. and Le, Q. V. (2014). Sequence to Sequence Learning with
        Neural Networks. NeurIPS. https://arxiv.org/abs/1409.3215

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import total_norm_constraint
        >>> gs, norm = total_norm_constraint(
        ...     [np.array([3.0]), np.array([4.0])], 1.0, epsilon=0.0, return_norm=True)
        >>> gs, float(norm)
        ([array([0.6]), array([0.8])], 5.0)
    """
    op = "total_norm_constraint"
    if isinstance(tensors, Param) or hasattr(tensors, "shape"):
        raise TypeError(f"{op}: tensors must be a list of Params or arrays, got one tensor")
    arrays = [_array(t, op, f"tensors[{i}]") for i, t in enumerate(tensors)]
    max_norm = check_real(op, "max_norm", max_norm, low=0.0)
    epsilon = check_real(op, "epsilon", epsilon, low=0.0)
    if not arrays:
        return ([], 0.0) if return_norm else []
    xp = of(*arrays).xp
    norm = xp.sqrt(sum(xp.sum(a * a) for a in arrays))
    multiplier = xp.clip(norm, 0.0, max_norm) / (norm + epsilon)
    scaled = [a * multiplier.astype(a.dtype) for a in arrays]
    return (scaled, norm) if return_norm else scaled
