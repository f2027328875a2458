"""Knet's update rules with Knet's defaults and exact formulas (its ``update.jl``).

Every named rule also takes ``gclip`` (per array: when ``norm(g) > gclip > 0`` the gradient
is scaled to norm ``gclip``), and GradValley's ``weight_decay`` (L2: ``g += weight_decay * w``
before the rule) and ``maximize`` (climb: ``g = -g``); the SGD family also ``dampening``.
These are applied in that order: clip, maximize, weight decay, dampening, then the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugrad_backends import of

from ._base import Hyper, Transform, register
from ._optimizer import Link, Optimizer, prologue
from ._transforms import ApplyMomentum, ApplyNesterovMomentum, Dampening, LearningRate

LR = float | Callable[[int], float]


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
class ScaleByAdagrad(Transform):
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

    def __init__(self, eps: float = 1e-6) -> None:
        self.eps = eps

    def init(self, param: Any) -> dict[str, Any]:
        return {"G": of(param).xp.zeros_like(param)}

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        return adagrad_step(g, state["G"], self.eps), state

    def kernel_args(self, state: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """State arrays and hyperparameters for a fused ``adagrad_update`` kernel."""
        return (state["G"],), {"eps": self.eps}


@register
class ScaleByRmsprop(Transform):
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

    def __init__(self, rho: float = 0.9, eps: float = 1e-6) -> None:
        self.rho = rho
        self.eps = eps

    def init(self, param: Any) -> dict[str, Any]:
        return {"G": of(param).xp.zeros_like(param)}

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        return rmsprop_step(g, state["G"], self.rho, self.eps), state

    def kernel_args(self, state: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """State arrays and hyperparameters for a fused ``rmsprop_update`` kernel."""
        return (state["G"],), {"rho": self.rho, "eps": self.eps}


@register
class ScaleByAdadelta(Transform):
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

    def __init__(self, rho: float = 0.9, eps: float = 1e-6) -> None:
        self.rho = rho
        self.eps = eps

    def init(self, param: Any) -> dict[str, Any]:
        xp = of(param).xp
        return {"G": xp.zeros_like(param), "delta": xp.zeros_like(param)}

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        return adadelta_step(g, state["G"], state["delta"], self.rho, self.eps), state

    def kernel_args(self, state: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """State arrays and hyperparameters for a fused ``adadelta_update`` kernel."""
        return (state["G"], state["delta"]), {"rho": self.rho, "eps": self.eps}


# -- the named rules ----------------------------------------------------------------------------


@register
class SGD(Optimizer):
    """Stochastic gradient descent, Knet's ``SGD``: ``w -= lr * g``.

    Members: ``ClipNorm(gclip), Negate(maximize), WeightDecay(weight_decay),
    Dampening(dampening), LearningRate(lr)``. Fused kernel ``"sgd_update"``:
    ``kernel(param, grad, lr=)``.

    Args:
        lr: the learning rate, a number >= 0 or a schedule.
        dampening: scale the gradient by ``1 - dampening`` (GradValley).
        gclip: per-array gradient norm clip; 0 turns it off.
        weight_decay: L2 penalty added to the gradient, ``g += weight_decay * w``.
        maximize: climb the function instead (``g = -g``).

    References:
        Robbins, H. and Monro, S. (1951). A Stochastic Approximation Method. The Annals of
        Mathematical Statistics 22(3), 400-407.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import SGD, update
        >>> w = np.array([1.0, 2.0])
        >>> update(w, np.array([1.0, 1.0]), SGD(lr=0.5))
        >>> w
        array([0.5, 1.5])
    """

    kernel = "sgd_update"
    lr = Link(LearningRate, "lr")
    dampening = Link(Dampening, "dampening")

    def __init__(
        self,
        lr: LR = 0.1,
        *,
        dampening: float = 0.0,
        gclip: float = 0.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            *prologue(),
            Dampening(),
            LearningRate(),
            lr=lr,
            dampening=dampening,
            gclip=gclip,
            weight_decay=weight_decay,
            maximize=maximize,
        )


@register
class Momentum(Optimizer):
    """SGD with classical momentum, Knet's ``Momentum``: ``v = gamma*v - lr*g; w += v``.

    Members: the :class:`SGD` members followed by ``ApplyMomentum(gamma)`` (Lasagne's
    ``momentum`` is ``apply_momentum(sgd)``, the same update). With ``dampening`` the
    gradient's share is ``(1 - dampening) * lr * g`` from the first step on. State: the
    ``velocity`` ``v``. Fused kernel ``"momentum_update"``:
    ``kernel(param, grad, velocity, lr=, gamma=)``.

    Args:
        lr: the learning rate, a number >= 0 or a schedule.
        gamma: the momentum, in ``[0, 1]``.
        dampening: scale the gradient by ``1 - dampening`` (GradValley).
        gclip: per-array gradient norm clip; 0 turns it off.
        weight_decay: L2 penalty added to the gradient.
        maximize: climb the function instead.

    References:
        Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration
        methods. USSR Computational Mathematics and Mathematical Physics 4(5), 1-17.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import Momentum, update
        >>> w, opt = np.zeros(1), Momentum(lr=1.0, gamma=0.5)
        >>> for _ in range(2):
        ...     update(w, np.ones(1), opt)
        >>> w, opt.state[-1]["velocity"]
        (array([-2.5]), array([-1.5]))
    """

    kernel = "momentum_update"
    lr = Link(LearningRate, "lr")
    gamma = Link(ApplyMomentum, "momentum")
    dampening = Link(Dampening, "dampening")

    def __init__(
        self,
        lr: LR = 0.05,
        gamma: float = 0.95,
        *,
        dampening: float = 0.0,
        gclip: float = 0.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            *prologue(),
            Dampening(),
            LearningRate(),
            ApplyMomentum(),
            lr=lr,
            gamma=gamma,
            dampening=dampening,
            gclip=gclip,
            weight_decay=weight_decay,
            maximize=maximize,
        )


@register
class Nesterov(Optimizer):
    """SGD with Nesterov momentum, Knet's ``Nesterov`` in the form of Knet's code.

    ``v = gamma*v; w -= v; v -= lr*g; w += (1+gamma)*v``, that is
    ``w += gamma^2 * v_old - (1+gamma) * lr * g`` with ``v = gamma*v_old - lr*g``
    (Bengio et al.'s reformulation; Knet's docstring shows a different order, its code
    this one). Members: the :class:`SGD` members followed by
    ``ApplyNesterovMomentum(gamma)``. State: ``velocity``. Fused kernel
    ``"nesterov_update"``: ``kernel(param, grad, velocity, lr=, gamma=)``.

    Args:
        lr: the learning rate, a number >= 0 or a schedule.
        gamma: the momentum, in ``[0, 1]``.
        dampening: scale the gradient by ``1 - dampening`` (GradValley).
        gclip: per-array gradient norm clip; 0 turns it off.
        weight_decay: L2 penalty added to the gradient.
        maximize: climb the function instead.

    References:
        Nesterov, Y. (1983). A method for solving the convex programming problem with
        convergence rate O(1/k^2). Soviet Mathematics Doklady 27, 372-376.
        Bengio, Y., Boulanger-Lewandowski, N. and Pascanu, R. (2013). Advances in optimizing
        recurrent networks. ICASSP. https://arxiv.org/abs/1212.0901

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import Nesterov, update
        >>> w = np.zeros(1)
        >>> update(w, np.ones(1), Nesterov(lr=1.0, gamma=0.5))
        >>> w
        array([-1.5])
    """

    kernel = "nesterov_update"
    lr = Link(LearningRate, "lr")
    gamma = Link(ApplyNesterovMomentum, "momentum")
    dampening = Link(Dampening, "dampening")

    def __init__(
        self,
        lr: LR = 0.05,
        gamma: float = 0.95,
        *,
        dampening: float = 0.0,
        gclip: float = 0.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            *prologue(),
            Dampening(),
            LearningRate(),
            ApplyNesterovMomentum(),
            lr=lr,
            gamma=gamma,
            dampening=dampening,
            gclip=gclip,
            weight_decay=weight_decay,
            maximize=maximize,
        )


@register
class Adagrad(Optimizer):
    """Adagrad, Knet's form: ``G += g^2; w -= lr * g / sqrt(G + eps)``.

    Members: ``ClipNorm(gclip), Negate(maximize), WeightDecay(weight_decay),
    ScaleByAdagrad(eps), LearningRate(lr)``. State: ``G``.

    Args:
        lr: the learning rate, a number >= 0 or a schedule.
        eps: added to ``G`` inside the square root.
        gclip: per-array gradient norm clip; 0 turns it off.
        weight_decay: L2 penalty added to the gradient.
        maximize: climb the function instead.

    References:
        Duchi, J., Hazan, E. and Singer, Y. (2011). Adaptive Subgradient Methods for Online
        Learning and Stochastic Optimization. JMLR 12, 2121-2159.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import Adagrad, update
        >>> w = np.zeros(1)
        >>> update(w, np.array([2.0]), Adagrad(lr=0.5, eps=0.0))
        >>> w
        array([-0.5])
    """

    kernel = "adagrad_update"
    lr = Link(LearningRate, "lr")
    eps = Link(ScaleByAdagrad, "eps")

    def __init__(
        self,
        lr: LR = 0.05,
        eps: float = 1e-6,
        *,
        gclip: float = 0.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            *prologue(),
            ScaleByAdagrad(),
            LearningRate(),
            lr=lr,
            eps=eps,
            gclip=gclip,
            weight_decay=weight_decay,
            maximize=maximize,
        )


@register
class Rmsprop(Optimizer):
    """RMSprop, Knet's form: ``G = rho*G + (1-rho)*g^2; w -= lr * g / sqrt(G + eps)``.

    Members: ``ClipNorm(gclip), Negate(maximize), WeightDecay(weight_decay),
    ScaleByRmsprop(rho, eps), LearningRate(lr)``. State: ``G``.

    Args:
        lr: the learning rate, a number >= 0 or a schedule.
        rho: the decay of the squared-gradient average.
        eps: added to ``G`` inside the square root.
        gclip: per-array gradient norm clip; 0 turns it off.
        weight_decay: L2 penalty added to the gradient.
        maximize: climb the function instead.

    References:
        Tieleman, T. and Hinton, G. (2012). Lecture 6.5 - RMSProp. COURSERA: Neural Networks
        for Machine Learning.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import Rmsprop, update
        >>> w = np.zeros(1)
        >>> update(w, np.array([2.0]), Rmsprop(lr=0.5, rho=0.75, eps=0.0))
        >>> w
        array([-1.])
    """

    kernel = "rmsprop_update"
    lr = Link(LearningRate, "lr")
    rho = Link(ScaleByRmsprop, "rho")
    eps = Link(ScaleByRmsprop, "eps")

    def __init__(
        self,
        lr: LR = 0.01,
        rho: float = 0.9,
        eps: float = 1e-6,
        *,
        gclip: float = 0.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            *prologue(),
            ScaleByRmsprop(),
            LearningRate(),
            lr=lr,
            rho=rho,
            eps=eps,
            gclip=gclip,
            weight_decay=weight_decay,
            maximize=maximize,
        )


@register
class Adadelta(Optimizer):
    """Adadelta, Knet's form (``lr`` scales the step; the paper has ``lr = 1``).

    ``G = rho*G + (1-rho)*g^2; dw = g * sqrt(delta + eps) / sqrt(G + eps);
    delta = rho*delta + (1-rho)*dw^2; w -= lr * dw``. Members: ``ClipNorm(gclip),
    Negate(maximize), WeightDecay(weight_decay), ScaleByAdadelta(rho, eps),
    LearningRate(lr)``. State: ``G`` and ``delta``.

    Args:
        lr: the learning rate, a number >= 0 or a schedule.
        rho: the decay of both running averages.
        eps: added under both square roots.
        gclip: per-array gradient norm clip; 0 turns it off.
        weight_decay: L2 penalty added to the gradient.
        maximize: climb the function instead.

    References:
        Zeiler, M. D. (2012). ADADELTA: An Adaptive Learning Rate Method.
        https://arxiv.org/abs/1212.5701

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import Adadelta, update
        >>> w = np.zeros(1)
        >>> update(w, np.array([3.0]), Adadelta(rho=0.0, eps=1.0))
        >>> w
        array([-0.9486833])
    """

    kernel = "adadelta_update"
    lr = Link(LearningRate, "lr")
    rho = Link(ScaleByAdadelta, "rho")
    eps = Link(ScaleByAdadelta, "eps")

    def __init__(
        self,
        lr: LR = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        *,
        gclip: float = 0.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            *prologue(),
            ScaleByAdadelta(),
            LearningRate(),
            lr=lr,
            rho=rho,
            eps=eps,
            gclip=gclip,
            weight_decay=weight_decay,
            maximize=maximize,
        )
