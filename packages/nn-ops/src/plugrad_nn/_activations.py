"""Activations and normalizers, each a primitive with its gradient rule beside it.

Rules reuse the output where the derivative is a function of it (relu, sigm, elu, selu,
softmax, logsoftmax) and are written with plugrad ops, so they differentiate again.

Axis choice: Knet's ``softmax``/``logsoftmax``/``logp`` normalize the whole array by
default (``dims=:``). Here they normalize along ``axis=-1``: scores are (N, classes) with
instances in rows (the row-major reading of Knet's (classes, N)), and normalizing each
instance's scores is what these functions are called for. Pass ``axis=None`` for Knet's
whole-array behaviour. ``logsumexp`` is autograd's, whose default (``axis=None``) is Knet's.
"""

from __future__ import annotations

import math
from typing import Any

import plugrad_autograd as ag

from ._common import is_box, quiet, real_arg, refuse_keywords

_SELU_LAMBDA = 1.0507009873554805
_SELU_ALPHA = 1.6732632423543778
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_K = math.sqrt(2.0 / math.pi)


def _any_value(_: float) -> bool:
    return True


_GELU_C = 0.044715


def _kernel_rule(name: str, rule: Any) -> Any:
    """A vjp that runs the backend's kernel ``name`` on raw arrays (``ag.run_kernel``) and
    ``rule``, written with plugrad ops, while a higher-order pass records the gradient."""

    def vjp(dy: Any, y: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        if is_box(dy) or is_box(y) or is_box(x):
            return rule(dy, y, x, *args, **kwargs)
        return ag.run_kernel(name, rule, dy, y, x, *args, **kwargs)

    return vjp


@ag.primitive
def relu(x: Any) -> Any:
    """Rectified linear unit ``max(0, x)``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.relu(np.array([-1.0, 2.0]))
        array([0., 2.])
    """
    return ag.run_kernel("relu", _relu_raw, x)


def _relu_raw(x: Any) -> Any:
    return ag.xp_of(x).maximum(x, 0)


ag.defvjp(relu, _kernel_rule("relu_grad", lambda dy, y, x: dy * (y > 0)))


@ag.primitive
def leaky_relu(x: Any, alpha: float = 0.01) -> Any:
    """Leaky rectifier: ``x`` where positive, ``alpha * x`` elsewhere.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.leaky_relu(np.array([-1.0, 2.0]), 0.1)
        array([-0.1,  2. ])
    """
    real_arg("leaky_relu", "alpha", alpha, "a number", _any_value)
    return ag.run_kernel("leaky_relu", _leaky_relu_raw, x, alpha)


def _leaky_relu_raw(x: Any, alpha: float = 0.01) -> Any:
    return ag.xp_of(x).where(x > 0, x, x * alpha)


ag.defvjp(
    leaky_relu,
    _kernel_rule("leaky_relu_grad", lambda dy, y, x, alpha=0.01: ag.where(x > 0, dy, dy * alpha)),
)


@ag.primitive
def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit: ``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.elu(np.array([0.0, 1.0]))
        array([0., 1.])
    """
    real_arg("elu", "alpha", alpha, "a number", _any_value)
    return ag.run_kernel("elu", _elu_raw, x, alpha)


def _elu_raw(x: Any, alpha: float = 1.0) -> Any:
    xp = ag.xp_of(x)
    return xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0)))


ag.defvjp(
    elu,
    _kernel_rule("elu_grad", lambda dy, y, x, alpha=1.0: ag.where(x > 0, dy, dy * (y + alpha))),
)


@ag.primitive
def selu(x: Any) -> Any:
    """Scaled ELU with Klambauer et al.'s constants ``λ = 1.0507009873554805``,
    ``α = 1.6732632423543778``: ``λ * (x > 0 ? x : α * (exp(x) - 1))``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> round(float(nn.selu(np.array(1.0))), 6)
        1.050701
    """
    xp = ag.xp_of(x)
    neg = (_SELU_LAMBDA * _SELU_ALPHA) * xp.expm1(xp.minimum(x, 0))
    return xp.where(x > 0, x * _SELU_LAMBDA, neg)


ag.defvjp(
    selu,
    lambda dy, y, x: ag.where(x > 0, dy * _SELU_LAMBDA, dy * (y + _SELU_LAMBDA * _SELU_ALPHA)),
)


def _sigm_raw(xp: Any, x: Any) -> Any:
    with quiet(xp):  # exp(-x) overflows to inf for very negative x, giving 1/inf = 0
        t = xp.asarray(xp.exp(-x))  # an array even for 0-d x, so that it can be written
        t += 1
        return xp.reciprocal(t, out=t)


@ag.primitive
def sigm(x: Any) -> Any:
    """Knet's ``sigm``: the logistic sigmoid ``1 / (1 + exp(-x))``, stable for any ``x``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.sigm(np.array([0.0, -1000.0, 1000.0]))
        array([0.5, 0. , 1. ])
    """
    return ag.run_kernel("sigm", lambda raw: _sigm_raw(ag.xp_of(raw), raw), x)


ag.defvjp(sigm, _kernel_rule("sigm_grad", lambda dy, y, x: dy * y * (1 - y)))

sigmoid = sigm


@ag.primitive
def softplus(x: Any) -> Any:
    """``log(1 + exp(x))`` computed stably; its derivative is ``sigm(x)``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.softplus(np.array([0.0, 1000.0])).round(4).tolist()
        [0.6931, 1000.0]
    """
    return ag.xp_of(x).logaddexp(0, x)


ag.defvjp(softplus, lambda dy, y, x: dy * sigm(x))


def _gelu_flag(approximate: bool | str) -> bool:
    if approximate in (True, "tanh"):
        return True
    if approximate in (False, "none"):
        return False
    raise ValueError(
        f"gelu: approximate must be False/'none' (exact erf form) or True/'tanh', "
        f"got {approximate!r}"
    )


@ag.primitive
def gelu(x: Any, approximate: bool | str = False) -> Any:
    """Gaussian error linear unit ``x * Φ(x)``, exact (erf) form by default.

    ``approximate=True`` (or ``"tanh"``) uses Hendrycks and Gimpel's tanh approximation
    ``0.5 * x * (1 + tanh(sqrt(2/π) * (x + 0.044715 * x**3)))``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> round(float(nn.gelu(np.array(1.0))), 6)
        0.841345
    """
    _gelu_flag(approximate)  # a bad value is reported here, before any kernel sees it
    return ag.run_kernel("gelu", _gelu_raw, x, approximate)


def _gelu_raw(x: Any, approximate: bool | str = False) -> Any:
    backend = ag.backend_of(x)
    if _gelu_flag(approximate):
        t = backend.xp.tanh(_GELU_K * (x + _GELU_C * x * x * x))
        return 0.5 * x * (1 + t)
    return 0.5 * x * (1 + backend.special.erf(x * _SQRT_HALF))


def _gelu_vjp(dy: Any, y: Any, x: Any, approximate: bool | str = False) -> Any:
    if _gelu_flag(approximate):
        t = ag.tanh(_GELU_K * (x + _GELU_C * x * x * x))
        slope = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _GELU_K * (1 + 3 * _GELU_C * x * x)
        return dy * slope
    # Φ(x) = y / x, which spares recomputing erf (the costly part); Φ(0) = 1/2
    zero = x == 0
    cdf = ag.where(zero, 0.5, y / ag.where(zero, 1.0, x))
    return dy * (cdf + x * ag.exp(-0.5 * x * x) * _INV_SQRT_2PI)


ag.defvjp(gelu, _kernel_rule("gelu_grad", _gelu_vjp))


@ag.primitive
def silu(x: Any) -> Any:
    """Sigmoid linear unit (swish) ``x * sigm(x)``.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> round(float(nn.silu(np.array(1.0))), 6)
        0.731059
    """
    xp = ag.xp_of(x)
    with quiet(xp):  # exp(-x) overflows to inf for very negative x, giving x / inf = 0
        return x / (1 + xp.exp(-x))


ag.defvjp(silu, lambda dy, y, x: dy * (sigm(x) * (1 + x - y)))


# -- normalizers -----------------------------------------------------------------------------


@ag.primitive
def softmax(x: Any, axis: int | None = -1, algo: int = 1, **unknown: Any) -> Any:
    """``exp(x)`` normalized to sum 1 along ``axis`` (the class axis, -1, by default).

    Stable for large scores (the maximum is subtracted first). ``axis=None`` normalizes the
    whole array, Knet's default.

    ``algo`` is Knet's (cuDNN's) choice, accepted so that Knet code runs; every value gives
    the probabilities. 0 (Knet's "fast", no maximum subtracted) runs the accurate algorithm
    too: skipping one reduction saves little and ``exp`` overflows for scores above about
    88 in float32. 1 (accurate) is the default. 2 (cuDNN's log mode) computes the
    log-probabilities and exponentiates them, equal to rounding; for log-probabilities
    themselves call :func:`logsoftmax`.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.softmax(np.array([[1000.0, 1000.0]]))
        array([[0.5, 0.5]])
    """
    refuse_keywords("softmax", unknown)  # e.g. PyTorch's dim=: say axis=
    _check_algo("softmax", algo)
    if algo == 2:
        return ag.xp_of(x).exp(logsoftmax.raw(x, axis=axis))
    return ag.run_kernel("softmax", _softmax_raw, x, axis)


def _softmax_raw(x: Any, axis: int | None = -1) -> Any:
    xp = ag.xp_of(x)
    e = xp.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


@ag.primitive
def _softmax_grad(dy: Any, y: Any, axis: int | None) -> Any:
    return ag.run_kernel("softmax_grad", _softmax_grad_raw, dy, y, axis)


def _softmax_grad_raw(dy: Any, y: Any, axis: int | None) -> Any:
    g = dy * y
    g -= y * g.sum(axis=axis, keepdims=True)
    return g


def _check_algo(op: str, algo: Any) -> None:
    if isinstance(algo, bool) or algo not in (0, 1, 2):
        raise ValueError(
            f"{op}: algo must be 0 (Knet's fast), 1 (accurate) or 2 (log), got {algo!r}; all "
            f"three compute the same values here (see the docstring)"
        )


ag.defvjp(softmax, lambda dy, y, x, axis=-1, algo=1: _softmax_grad(dy, y, axis))
ag.defvjp(
    _softmax_grad,
    lambda g, _, dy, y, axis: _softmax_grad(g, y, axis),
    lambda g, _, dy, y, axis: (
        g * (dy - ag.sum(dy * y, axis=axis, keepdims=True))
        - ag.sum(g * y, axis=axis, keepdims=True) * dy
    ),
)


@ag.primitive
def logsoftmax(x: Any, axis: int | None = -1, algo: int = 2, **unknown: Any) -> Any:
    """Log-probabilities ``x - logsumexp(x)`` along ``axis`` (-1 by default), stably.

    ``algo`` (0, 1 or 2, Knet's softmax algorithms) is accepted for Knet code; one stable
    algorithm serves all three.

    Example:
        >>> import numpy as np, plugrad_nn as nn
        >>> nn.logsoftmax(np.array([[0.0, 0.0]])).round(4)
        array([[-0.6931, -0.6931]])
    """
    refuse_keywords("logsoftmax", unknown)  # e.g. PyTorch's dim=: say axis=
    _check_algo("logsoftmax", algo)
    return ag.run_kernel("logsoftmax", _logsoftmax_raw, x, axis)


def _logsoftmax_raw(x: Any, axis: int | None = -1) -> Any:
    xp = ag.xp_of(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    shifted -= xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


@ag.primitive
def _logsoftmax_grad(dy: Any, y: Any, axis: int | None) -> Any:
    return ag.run_kernel("logsoftmax_grad", _logsoftmax_grad_raw, dy, y, axis)


def _logsoftmax_grad_raw(dy: Any, y: Any, axis: int | None) -> Any:
    return dy - ag.xp_of(y).exp(y) * dy.sum(axis=axis, keepdims=True)


ag.defvjp(logsoftmax, lambda dy, y, x, axis=-1, algo=2: _logsoftmax_grad(dy, y, axis))
ag.defvjp(
    _logsoftmax_grad,
    lambda g, _, dy, y, axis: g - ag.sum(g * ag.exp(y), axis=axis, keepdims=True),
    lambda g, _, dy, y, axis: -g * ag.exp(y) * ag.sum(dy, axis=axis, keepdims=True),
)

logp = logsoftmax
