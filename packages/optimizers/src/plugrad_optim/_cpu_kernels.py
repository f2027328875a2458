"""Fused update kernels for the CPU backend, installed through the ``plugrad_kernels`` hook.

The portable path composes an update from transforms, each a separate numpy pass with its
own temporaries. These kernels do the whole update of one weight in place, without the
chain's per-member passes: the adaptive rules run the same step functions as their
transforms (``adam_step``, ``rmsprop_step``, ...) and scale the step into the weight; plain
SGD is BLAS's ``axpy`` (one threaded pass, no temporary: 2.4x faster than numpy's two
passes on a 400k-element weight) when weight and gradient are contiguous float32/float64 of
one dtype. Momentum runs ``ApplyMomentum``'s and ``ApplyNesterovMomentum``'s own arithmetic
(``momentum_move``, ``nesterov_step``) with numpy's in-place ufuncs: between numpy passes,
BLAS calls cost more in waking and parking its threads than they save. Each is installed
under its rule's ``kernel`` name, follows the signature the rule declares
(``kernel(param, grad, *rule.state_arrays, lr=, **rule.kernel_hypers)``) and the rule's
formula; :class:`~plugrad_optim.Optimizer` calls them only when every member other than the
rule and the learning rate is off (no clipping, no weight decay).

Installed by plugrad-optim's ``plugrad`` entry point, as a third party's kernels would be.

Example:
    >>> import numpy as np
    >>> import plugrad_backends as B
    >>> import plugrad_optim as po
    >>> "adam_update" in B.get("cpu").kernels
    True
    >>> w = np.zeros(2)
    >>> po.update(w, np.ones(2), po.Adam(lr=0.1))
    >>> w
    array([-0.1, -0.1])
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from plugrad_backends import hookimpl

from ._adam_family import ScaleByAdam, adam_step
from ._knet import (
    ScaleByAdadelta,
    ScaleByAdagrad,
    ScaleByRmsprop,
    adadelta_step,
    adagrad_step,
    rmsprop_step,
)
from ._transforms import (
    ApplyMomentum,
    ApplyNesterovMomentum,
    LearningRate,
    momentum_move,
    nesterov_step,
)

_BLAS_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


@functools.cache
def _blas() -> dict[Any, Any]:
    """BLAS's in-place ``axpy`` per dtype (imported on first use: scipy.linalg
    takes a fifth of a second to import)."""
    from scipy.linalg import blas

    return {np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy}


def _blas_ready(y: Any, x: Any) -> bool:
    if y.dtype not in _BLAS_DTYPES or not y.flags.c_contiguous or not y.flags.writeable:
        return False
    return x.dtype == y.dtype and x.shape == y.shape and x.flags.c_contiguous


def _axpy(a: float, x: Any, y: Any) -> None:
    """``y += a * x`` in place: one threaded pass without a temporary when BLAS can."""
    if _blas_ready(y, x):
        _blas()[y.dtype](x.reshape(-1), y.reshape(-1), a=a)
    else:
        y += a * x


def sgd_update(param: np.ndarray, grad: np.ndarray, *, lr: float) -> None:
    """``w -= lr * g``."""
    _axpy(-lr, grad, param)


def momentum_update(
    param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, *, lr: float, gamma: float
) -> None:
    """``v = gamma*v - lr*g; w += v``."""
    param += momentum_move(np.multiply(grad, lr, dtype=velocity.dtype), velocity, gamma)


def nesterov_update(
    param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, *, lr: float, gamma: float
) -> None:
    """``v = gamma*v - lr*g; w += gamma*v - lr*g``."""
    param -= nesterov_step(np.multiply(grad, lr, dtype=velocity.dtype), velocity, gamma)


def _descend(param: Any, step: Any, lr: float) -> None:
    """``w -= lr * step``, scaling the rule's fresh step array in place."""
    step *= lr
    param -= step


def adagrad_update(
    param: np.ndarray, grad: np.ndarray, G: np.ndarray, *, lr: float, eps: float
) -> None:
    """``G += g^2; w -= lr * g / sqrt(G + eps)``."""
    _descend(param, adagrad_step(grad, G, eps), lr)


def rmsprop_update(
    param: np.ndarray, grad: np.ndarray, G: np.ndarray, *, lr: float, rho: float, eps: float
) -> None:
    """``G = rho*G + (1-rho)*g^2; w -= lr * g / sqrt(G + eps)``."""
    _descend(param, rmsprop_step(grad, G, rho, eps), lr)


def adadelta_update(
    param: np.ndarray,
    grad: np.ndarray,
    G: np.ndarray,
    delta: np.ndarray,
    *,
    lr: float,
    rho: float,
    eps: float,
) -> None:
    """Zeiler's rule (see :class:`~plugrad_optim.ScaleByAdadelta`), then ``w -= lr * dw``."""
    _descend(param, adadelta_step(grad, G, delta, rho, eps), lr)


def adam_update(
    param: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    step: int,
) -> None:
    """``m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    w -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)``."""
    _descend(param, adam_step(grad, m, v, step, beta1, beta2, eps), lr)


#: The fused updates, keyed by the kernel name their rule declares.
KERNELS = {
    rule.kernel: kernel
    for rule, kernel in [
        (LearningRate, sgd_update),
        (ApplyMomentum, momentum_update),
        (ApplyNesterovMomentum, nesterov_update),
        (ScaleByAdagrad, adagrad_update),
        (ScaleByRmsprop, rmsprop_update),
        (ScaleByAdadelta, adadelta_update),
        (ScaleByAdam, adam_update),
    ]
}


@hookimpl
def plugrad_kernels(backend: Any) -> dict[str, Any] | None:
    """The fused updates, for the ``cpu`` backend only."""
    return dict(KERNELS) if backend.name == "cpu" else None
