"""Fused update kernels for the CPU backend, installed through the ``plugrad_kernels`` hook.

The portable path composes an update from transforms, each making new arrays; on a large
weight that costs more than the arithmetic. These kernels do the whole update of one weight
in place with at most one scratch array, the way ``torch.optim``'s in-place updates do. Each
follows the signature its rule documents (``kernel(param, grad, *state, lr=, **hypers)``)
and the rule's formula; :class:`~plugrad_optim.Optimizer` calls them only when every
member other than the rule and the learning rate is off (no clipping, no weight decay).

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

from typing import Any

import numpy as np

from plugrad_backends import hookimpl


def sgd_update(param: np.ndarray, grad: np.ndarray, *, lr: float) -> None:
    """``w -= lr * g``."""
    step = np.multiply(grad, lr, dtype=param.dtype)
    param -= step


def momentum_update(
    param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, *, lr: float, gamma: float
) -> None:
    """``v = gamma*v - lr*g; w += v``."""
    step = np.multiply(grad, lr, dtype=velocity.dtype)
    velocity *= gamma
    velocity -= step
    param += velocity


def nesterov_update(
    param: np.ndarray, grad: np.ndarray, velocity: np.ndarray, *, lr: float, gamma: float
) -> None:
    """``v = gamma*v - lr*g; w += gamma*v - lr*g``."""
    step = np.multiply(grad, lr, dtype=velocity.dtype)
    velocity *= gamma
    velocity -= step
    param -= step
    np.multiply(velocity, gamma, out=step)
    param += step


def adagrad_update(
    param: np.ndarray, grad: np.ndarray, G: np.ndarray, *, lr: float, eps: float
) -> None:
    """``G += g^2; w -= lr * g / sqrt(G + eps)``."""
    tmp = np.multiply(grad, grad, dtype=G.dtype)
    G += tmp
    _divide_step(param, grad, G, tmp, lr, eps)


def rmsprop_update(
    param: np.ndarray, grad: np.ndarray, G: np.ndarray, *, lr: float, rho: float, eps: float
) -> None:
    """``G = rho*G + (1-rho)*g^2; w -= lr * g / sqrt(G + eps)``."""
    tmp = np.multiply(grad, grad, dtype=G.dtype)
    tmp *= 1 - rho
    G *= rho
    G += tmp
    _divide_step(param, grad, G, tmp, lr, eps)


def _divide_step(param: Any, grad: Any, G: Any, tmp: Any, lr: float, eps: float) -> None:
    """``w -= lr * g / sqrt(G + eps)`` with ``tmp`` as the scratch array."""
    np.add(G, eps, out=tmp)
    np.sqrt(tmp, out=tmp)
    np.divide(grad, tmp, out=tmp)
    tmp *= lr
    param -= tmp


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
    """Zeiler's rule: ``G = rho*G + (1-rho)*g^2;
    dw = g * sqrt(delta + eps) / sqrt(G + eps); delta = rho*delta + (1-rho)*dw^2;
    w -= lr * dw``."""
    tmp = np.multiply(grad, grad, dtype=G.dtype)
    tmp *= 1 - rho
    G *= rho
    G += tmp
    dw = np.add(delta, eps, dtype=G.dtype)
    np.sqrt(dw, out=dw)
    dw *= grad
    np.add(G, eps, out=tmp)
    np.sqrt(tmp, out=tmp)
    dw /= tmp
    np.multiply(dw, dw, out=tmp)
    tmp *= 1 - rho
    delta *= rho
    delta += tmp
    dw *= lr
    param -= dw


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
    tmp = np.multiply(grad, 1 - beta1, dtype=m.dtype)
    m *= beta1
    m += tmp
    np.multiply(grad, grad, out=tmp)
    tmp *= 1 - beta2
    v *= beta2
    v += tmp
    # sqrt(v / c2) + eps == (sqrt(v) + eps * sqrt(c2)) / sqrt(c2): one pass fewer
    root_c2 = (1 - beta2**step) ** 0.5
    np.sqrt(v, out=tmp)
    tmp += eps * root_c2
    np.divide(m, tmp, out=tmp)
    tmp *= lr * root_c2 / (1 - beta1**step)
    param -= tmp


KERNELS = {
    "sgd_update": sgd_update,
    "momentum_update": momentum_update,
    "nesterov_update": nesterov_update,
    "adagrad_update": adagrad_update,
    "rmsprop_update": rmsprop_update,
    "adadelta_update": adadelta_update,
    "adam_update": adam_update,
}


@hookimpl
def plugrad_kernels(backend: Any) -> dict[str, Any] | None:
    """The fused updates, for the ``cpu`` backend only."""
    return dict(KERNELS) if backend.name == "cpu" else None
