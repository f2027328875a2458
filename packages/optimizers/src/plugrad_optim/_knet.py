"""Knet's adaptive rules as scaling transforms, with Knet's exact formulas (its ``update.jl``).

The named optimizers built on them (``Adagrad``, ``Rmsprop``, ``Adadelta``) are in
``_named``.
"""

from __future__ import annotations

from typing import Any

from plugrad_backends import of

from ._base import Hyper, Rule, register

# -- the rules' scaling transforms ------------------------------------------------------------
#
# Each rule's arithmetic is one function that updates the state arrays in place and returns
# the step (a new array); the transforms and the CPU backend's fused kernels share them.


def adagrad_step(g: Any, G: Any, eps: float) -> Any:
    """Adagrad: ``G += g^2``; the step ``g / sqrt(G + eps)``."""
    xp = of(G).xp
    tmp = g * g
    G += tmp
    xp.add(G, eps, out=tmp)
    xp.sqrt(tmp, out=tmp)
    xp.divide(g, tmp, out=tmp)
    return tmp


def rmsprop_step(g: Any, G: Any, rho: float, eps: float) -> Any:
    """RMSprop: ``G = rho*G + (1-rho)*g^2``; the step ``g / sqrt(G + eps)``."""
    xp = of(G).xp
    tmp = g * g
    tmp *= 1.0 - rho
    G *= rho
    G += tmp
    xp.add(G, eps, out=tmp)
    xp.sqrt(tmp, out=tmp)
    xp.divide(g, tmp, out=tmp)
    return tmp


def adadelta_step(g: Any, G: Any, delta: Any, rho: float, eps: float) -> Any:
    """Adadelta: ``G = rho*G + (1-rho)*g^2; dw = g * sqrt(delta + eps) / sqrt(G + eps);
    delta = rho*delta + (1-rho)*dw^2``; the step ``dw``."""
    xp = of(G).xp
    dw = g * g
    dw *= 1.0 - rho
    G *= rho
    G += dw
    xp.add(delta, eps, out=dw)
    xp.sqrt(dw, out=dw)
    dw *= g
    den = G + eps
    xp.sqrt(den, out=den)
    dw /= den
    xp.multiply(dw, dw, out=den)
    den *= 1.0 - rho
    delta *= rho
    delta += den
    return dw


@register
class ScaleByAdagrad(Rule):
    """Adagrad's scaling, Knet's form: ``G += g^2; g_out = g / sqrt(G + eps)``.

    ``eps`` is inside the square root (Knet, Lasagne). State: ``G``, the sum of squared
    gradients. Fused kernel ``"adagrad_update"``: ``kernel(param, grad, G, lr=, eps=)``.

    Args:
        eps: added to ``G`` under the square root, >= 0.

    References:
        Duchi, J., Hazan, E. and Singer, Y. (2011). Adaptive Subgradient Methods for Online
        Learning and Stochastic Optimization. JMLR 12, 2121-2159.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ScaleByAdagrad
        >>> t = ScaleByAdagrad(eps=0.0)
        >>> t.update(np.array([2.0]), t.init(np.zeros(1)), None)[0]
        array([1.])
    """

    eps = Hyper(low=0.0)
    kernel = "adagrad_update"
    state_arrays = ("G",)
    kernel_hypers = (("eps", "eps"),)

    def __init__(self, eps: float = 1e-6) -> None:
        self.eps = eps

    def step(self, g: Any, state: dict[str, Any], t: int) -> Any:
        return adagrad_step(g, state["G"], self.eps)


@register
class ScaleByRmsprop(Rule):
    """RMSprop's scaling, Knet's form: ``G = rho*G + (1-rho)*g^2; g_out = g / sqrt(G + eps)``.

    ``eps`` is inside the square root (Knet, Lasagne). State: ``G``. Fused kernel
    ``"rmsprop_update"``: ``kernel(param, grad, G, lr=, rho=, eps=)``.

    Args:
        rho: the decay of the squared-gradient average, in ``[0, 1]``.
        eps: added to ``G`` under the square root, >= 0.

    References:
        Tieleman, T. and Hinton, G. (2012). Lecture 6.5 - RMSProp. COURSERA: Neural Networks
        for Machine Learning.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ScaleByRmsprop
        >>> t = ScaleByRmsprop(rho=0.75, eps=0.0)
        >>> t.update(np.array([2.0]), t.init(np.zeros(1)), None)[0]
        array([2.])
    """

    rho = Hyper(low=0.0, high=1.0)
    eps = Hyper(low=0.0)

    kernel = "rmsprop_update"
    state_arrays = ("G",)
    kernel_hypers = (("rho", "rho"), ("eps", "eps"))

    def __init__(self, rho: float = 0.9, eps: float = 1e-6) -> None:
        self.rho = rho
        self.eps = eps

    def step(self, g: Any, state: dict[str, Any], t: int) -> Any:
        return rmsprop_step(g, state["G"], self.rho, self.eps)


@register
class ScaleByAdadelta(Rule):
    """Adadelta's scaling, Knet's form.

    ``G = rho*G + (1-rho)*g^2; dw = g * sqrt(delta + eps) / sqrt(G + eps);
    delta = rho*delta + (1-rho)*dw^2; g_out = dw``. State: ``G`` and ``delta``. Fused kernel
    ``"adadelta_update"``: ``kernel(param, grad, G, delta, lr=, rho=, eps=)``.

    Args:
        rho: the decay of both running averages, in ``[0, 1]``.
        eps: added under both square roots, >= 0.

    References:
        Zeiler, M. D. (2012). ADADELTA: An Adaptive Learning Rate Method.
        https://arxiv.org/abs/1212.5701

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ScaleByAdadelta
        >>> t = ScaleByAdadelta(rho=0.0, eps=1.0)
        >>> t.update(np.array([3.0]), t.init(np.zeros(1)), None)[0]
        array([0.9486833])
    """

    rho = Hyper(low=0.0, high=1.0)
    eps = Hyper(low=0.0)

    kernel = "adadelta_update"
    state_arrays = ("G", "delta")
    kernel_hypers = (("rho", "rho"), ("eps", "eps"))

    def __init__(self, rho: float = 0.9, eps: float = 1e-6) -> None:
        self.rho = rho
        self.eps = eps

    def step(self, g: Any, state: dict[str, Any], t: int) -> Any:
        return adadelta_step(g, state["G"], state["delta"], self.rho, self.eps)
