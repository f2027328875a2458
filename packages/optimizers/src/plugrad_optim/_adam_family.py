"""Adam (Knet's formula) and its relatives with their papers' defaults.

Each named rule takes ``lr, beta1, beta2, eps`` and ``gclip``, ``weight_decay`` (coupled L2,
``g += weight_decay * w`` before the rule; AdamW's is decoupled) and ``maximize``. Step
counters are Python ints in the state: bias corrections are computed on the host, so no
update waits for the device.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from plugrad_backends import of

from ._base import Hyper, Transform, register
from ._optimizer import Link, Optimizer, prologue
from ._transforms import ClipNorm, LearningRate, Negate, WeightDecay

LR = float | Callable[[int], float]


def _moments(g: Any, m: Any, v: Any, beta1: float, beta2: float) -> Any:
    """m = b1*m + (1-b1)*g and v = b2*v + (1-b2)*g^2 in place; returns a scratch array."""
    tmp = g * (1.0 - beta1)
    m *= beta1
    m += tmp
    of(v).xp.multiply(g, g, out=tmp)
    tmp *= 1.0 - beta2
    v *= beta2
    v += tmp
    return tmp


def adam_step(g: Any, m: Any, v: Any, t: int, beta1: float, beta2: float, eps: float) -> Any:
    """Adam at step ``t``: the moments updated in place; the step
    ``(m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)`` (shared with the fused CPU kernel)."""
    xp = of(m).xp
    tmp = _moments(g, m, v, beta1, beta2)
    xp.divide(v, 1.0 - beta2**t, out=tmp)
    xp.sqrt(tmp, out=tmp)
    tmp += eps
    xp.divide(m, tmp, out=tmp)
    tmp /= 1.0 - beta1**t
    return tmp


def _adam_state(param: Any, *names: str) -> dict[str, Any]:
    xp = of(param).xp
    state: dict[str, Any] = {"count": 0}
    for name in names:
        state[name] = xp.zeros_like(param)
    return state


class _AdamHypers(Transform):
    beta1 = Hyper(low=0.0, high=1.0, high_open=True)
    beta2 = Hyper(low=0.0, high=1.0, high_open=True)
    eps = Hyper(low=0.0)

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps


@register
class ScaleByAdam(_AdamHypers):
    """Adam's scaling, Knet's form (``eps`` outside the square root).

    ``t += 1; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    g_out = (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)``. State: ``count`` (t), ``m``,
    ``v``. Fused kernel ``"adam_update"``:
    ``kernel(param, grad, m, v, lr=, beta1=, beta2=, eps=, step=)`` with ``step`` = t.

    Args:
        beta1: decay of the gradient average, in ``[0, 1)``.
        beta2: decay of the squared-gradient average, in ``[0, 1)``.
        eps: added to the square root.

    References:
        Kingma, D. P. and Ba, J. (2015). Adam: A Method for Stochastic Optimization. ICLR.
        https://arxiv.org/abs/1412.6980

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ScaleByAdam
        >>> t = ScaleByAdam(eps=0.0)
        >>> t.update(np.array([-3.0]), t.init(np.zeros(1)), None)[0]
        array([-1.])
    """

    def init(self, param: Any) -> dict[str, Any]:
        return _adam_state(param, "m", "v")

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        t = state["count"] + 1
        state["count"] = t
        return adam_step(g, state["m"], state["v"], t, self.beta1, self.beta2, self.eps), state

    def kernel_args(self, state: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Advance the step count; state arrays and hyperparameters for ``adam_update``."""
        state["count"] += 1
        hyper = {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}
        return (state["m"], state["v"]), {**hyper, "step": state["count"]}


@register
class ScaleByAdamax(_AdamHypers):
    """Adamax's scaling (Adam with the infinity norm), Kingma and Ba's Algorithm 2.

    ``t += 1; m = b1*m + (1-b1)*g; u = max(b2*u, |g|); g_out = m / (u + eps) / (1-b1^t)``.
    The paper has no ``eps``; it is added to ``u`` as Lasagne does, so a zero gradient gives
    a zero step. State: ``count``, ``m``, ``u``.

    Args:
        beta1: decay of the gradient average, in ``[0, 1)``.
        beta2: decay of the infinity norm, in ``[0, 1)``.
        eps: added to ``u``.

    References:
        Kingma, D. P. and Ba, J. (2015). Adam: A Method for Stochastic Optimization, section
        7.1. ICLR. https://arxiv.org/abs/1412.6980

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ScaleByAdamax
        >>> t = ScaleByAdamax(eps=0.0)
        >>> t.update(np.array([-3.0]), t.init(np.zeros(1)), None)[0]
        array([-1.])
    """

    def init(self, param: Any) -> dict[str, Any]:
        return _adam_state(param, "m", "u")

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        t = state["count"] + 1
        state["count"] = t
        m, u = state["m"], state["u"]
        xp = of(m).xp
        tmp = g * (1.0 - self.beta1)
        m *= self.beta1
        m += tmp
        xp.abs(g, out=tmp)
        u *= self.beta2
        xp.maximum(u, tmp, out=u)
        xp.add(u, self.eps, out=tmp)
        xp.divide(m, tmp, out=tmp)
        tmp /= 1.0 - self.beta1**t
        return tmp, state


@register
class ScaleByAMSGrad(_AdamHypers):
    """AMSGrad's scaling: Adam with the running maximum of the second moment.

    ``t += 1; m, v as Adam; vmax = max(vmax, v);
    g_out = (m / (1-b1^t)) / (sqrt(vmax / (1-b2^t)) + eps)``. This is the bias-corrected
    variant (PyTorch's, GradValley's ``amsgrad``); the paper's Algorithm 2 omits the
    corrections, which only rescale the first steps. State: ``count``, ``m``, ``v``,
    ``vmax``.

    Args:
        beta1: decay of the gradient average, in ``[0, 1)``.
        beta2: decay of the squared-gradient average, in ``[0, 1)``.
        eps: added to the square root.

    References:
        Reddi, S. J., Kale, S. and Kumar, S. (2018). On the Convergence of Adam and Beyond.
        ICLR. https://openreview.net/forum?id=ryQu7f-RZ

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ScaleByAMSGrad
        >>> t = ScaleByAMSGrad(eps=0.0)
        >>> t.update(np.array([-3.0]), t.init(np.zeros(1)), None)[0]
        array([-1.])
    """

    def init(self, param: Any) -> dict[str, Any]:
        return _adam_state(param, "m", "v", "vmax")

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        t = state["count"] + 1
        state["count"] = t
        m, v, vmax = state["m"], state["v"], state["vmax"]
        xp = of(m).xp
        tmp = _moments(g, m, v, self.beta1, self.beta2)
        xp.maximum(vmax, v, out=vmax)
        xp.divide(vmax, 1.0 - self.beta2**t, out=tmp)
        xp.sqrt(tmp, out=tmp)
        tmp += self.eps
        xp.divide(m, tmp, out=tmp)
        tmp /= 1.0 - self.beta1**t
        return tmp, state


@register
class ScaleByNAdam(_AdamHypers):
    """NAdam's scaling: Adam with Nesterov momentum, Dozat's Algorithm 2.

    With the momentum schedule ``mu_t = b1 * (1 - 0.5 * 0.96^(t * momentum_decay))`` and
    ``P_t = mu_1 * ... * mu_t``: ``m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    g_out = ((1-mu_t)/(1-P_t) * g + mu_{t+1}/(1-P_t*mu_{t+1}) * m)
    / (sqrt(v / (1-b2^t)) + eps)``. ``momentum_decay = 0.004`` is the paper's 1/250.
    State: ``count``, ``mu_product`` (P_t), ``m``, ``v``.

    Args:
        beta1: the base momentum, in ``[0, 1)``.
        beta2: decay of the squared-gradient average, in ``[0, 1)``.
        eps: added to the square root.
        momentum_decay: the momentum schedule's rate, >= 0.

    References:
        Dozat, T. (2016). Incorporating Nesterov Momentum into Adam. ICLR Workshop.
        https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ScaleByNAdam
        >>> t = ScaleByNAdam(eps=0.0)
        >>> s = t.init(np.zeros(1))
        >>> round(float(t.update(np.array([-3.0]), s, None)[0][0]), 6), s["count"]
        (-1.056452, 1)
    """

    momentum_decay = Hyper(low=0.0)

    def __init__(
        self,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        momentum_decay: float = 0.004,
    ) -> None:
        super().__init__(beta1, beta2, eps)
        self.momentum_decay = momentum_decay

    def init(self, param: Any) -> dict[str, Any]:
        state = _adam_state(param, "m", "v")
        state["mu_product"] = 1.0
        return state

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        t = state["count"] + 1
        state["count"] = t
        b1, psi = self.beta1, self.momentum_decay
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product = state["mu_product"] * mu
        state["mu_product"] = mu_product
        m, v = state["m"], state["v"]
        xp = of(m).xp
        tmp = _moments(g, m, v, b1, self.beta2)
        out = g * ((1.0 - mu) / (1.0 - mu_product))
        xp.multiply(m, mu_next / (1.0 - mu_product * mu_next), out=tmp)
        out += tmp
        xp.divide(v, 1.0 - self.beta2**t, out=tmp)
        xp.sqrt(tmp, out=tmp)
        tmp += self.eps
        out /= tmp
        return out, state


@register
class ScaleByRAdam(_AdamHypers):
    """Rectified Adam's scaling, Liu et al.'s Algorithm 2.

    ``rho_inf = 2/(1-b2) - 1``; at step t: ``rho_t = rho_inf - 2 t b2^t / (1-b2^t)``. While
    ``rho_t <= 4`` the variance of the adaptive rate is intractable and the step is
    momentum SGD, ``g_out = m / (1-b1^t)``; afterwards ``g_out = r_t * (m / (1-b1^t)) /
    (sqrt(v / (1-b2^t)) + eps)`` with ``r_t = sqrt((rho_t-4)(rho_t-2) rho_inf /
    ((rho_inf-4)(rho_inf-2) rho_t))``. The threshold 4 is the paper's (PyTorch uses 5); the
    paper has no ``eps``, added here as in Adam. State: ``count``, ``m``, ``v``.

    Args:
        beta1: decay of the gradient average, in ``[0, 1)``.
        beta2: decay of the squared-gradient average, in ``[0, 1)``.
        eps: added to the square root.

    References:
        Liu, L. et al. (2020). On the Variance of the Adaptive Learning Rate and Beyond.
        ICLR. https://arxiv.org/abs/1908.03265

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ScaleByRAdam
        >>> t = ScaleByRAdam()
        >>> t.update(np.array([-3.0]), t.init(np.zeros(1)), None)[0]  # SGD with momentum
        array([-3.])
    """

    def init(self, param: Any) -> dict[str, Any]:
        return _adam_state(param, "m", "v")

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        t = state["count"] + 1
        state["count"] = t
        b1, b2 = self.beta1, self.beta2
        m, v = state["m"], state["v"]
        xp = of(m).xp
        tmp = _moments(g, m, v, b1, b2)
        b2t = b2**t
        rho_inf = 2.0 / (1.0 - b2) - 1.0
        rho_t = rho_inf - 2.0 * t * b2t / (1.0 - b2t)
        if rho_t > 4.0:
            r = math.sqrt(
                (rho_t - 4.0)
                * (rho_t - 2.0)
                * rho_inf
                / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)
            )
            xp.divide(v, 1.0 - b2t, out=tmp)
            xp.sqrt(tmp, out=tmp)
            tmp += self.eps
            xp.divide(m, tmp, out=tmp)
            tmp *= r / (1.0 - b1**t)
        else:
            xp.divide(m, 1.0 - b1**t, out=tmp)
        return tmp, state


# -- the named rules ----------------------------------------------------------------------------


class _AdamFamily(Optimizer):
    lr = Link(LearningRate, "lr")

    def _build(self, scale: Transform, **hyper: Any) -> None:
        Optimizer.__init__(self, *prologue(), scale, LearningRate(), **hyper)


@register
class Adam(_AdamFamily):
    """Adam, Knet's form: ``w -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)``.

    ``t += 1; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2`` with ``eps`` outside the square
    root. Members: ``ClipNorm(gclip), Negate(maximize), WeightDecay(weight_decay),
    ScaleByAdam(beta1, beta2, eps), LearningRate(lr)``. Fused kernel ``"adam_update"``
    (see :class:`ScaleByAdam`).

    Args:
        lr: the learning rate, a number >= 0 or a schedule.
        beta1: decay of the gradient average.
        beta2: decay of the squared-gradient average.
        eps: added to the square root.
        gclip: per-array gradient norm clip; 0 turns it off.
        weight_decay: L2 penalty added to the gradient (for decoupled decay use AdamW).
        maximize: climb the function instead.

    References:
        Kingma, D. P. and Ba, J. (2015). Adam: A Method for Stochastic Optimization. ICLR.
        https://arxiv.org/abs/1412.6980

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import Adam, update
        >>> w, opt = np.zeros(2), Adam(lr=0.1)
        >>> update(w, np.array([2.0, -0.5]), opt)
        >>> w.round(6), opt.state[3]["count"]
        (array([-0.1,  0.1]), 1)
    """

    kernel = "adam_update"
    beta1 = Link(ScaleByAdam, "beta1")
    beta2 = Link(ScaleByAdam, "beta2")
    eps = Link(ScaleByAdam, "eps")

    def __init__(
        self,
        lr: LR = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        *,
        gclip: float = 0.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        self._build(
            ScaleByAdam(),
            lr=lr,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            gclip=gclip,
            weight_decay=weight_decay,
            maximize=maximize,
        )


@register
class Adamax(_AdamFamily):
    """Adamax: ``w -= lr / (1-b1^t) * m / (u + eps)`` with ``u = max(b2*u, |g|)``.

    Kingma and Ba's Algorithm 2 with the paper's defaults (``lr = 0.002``); ``eps`` added to
    ``u`` as Lasagne does. Members: the prologue, ``ScaleByAdamax``, ``LearningRate``.

    Args:
        lr: the learning rate, a number >= 0 or a schedule.
        beta1: decay of the gradient average.
        beta2: decay of the infinity norm.
        eps: added to ``u``.
        gclip: per-array gradient norm clip; 0 turns it off.
        weight_decay: L2 penalty added to the gradient.
        maximize: climb the function instead.

    References:
        Kingma, D. P. and Ba, J. (2015). Adam: A Method for Stochastic Optimization, section
        7.1. ICLR. https://arxiv.org/abs/1412.6980

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import Adamax, update
        >>> w = np.zeros(1)
        >>> update(w, np.array([5.0]), Adamax())
        >>> w.round(6)
        array([-0.002])
    """

    beta1 = Link(ScaleByAdamax, "beta1")
    beta2 = Link(ScaleByAdamax, "beta2")
    eps = Link(ScaleByAdamax, "eps")

    def __init__(
        self,
        lr: LR = 0.002,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        *,
        gclip: float = 0.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        self._build(
            ScaleByAdamax(),
            lr=lr,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            gclip=gclip,
            weight_decay=weight_decay,
            maximize=maximize,
        )


@register
class AMSGrad(_AdamFamily):
    """AMSGrad: Adam dividing by the running maximum of the second moment.

    ``vmax = max(vmax, v); w -= lr * (m/(1-b1^t)) / (sqrt(vmax/(1-b2^t)) + eps)`` (the
    bias-corrected variant, see :class:`ScaleByAMSGrad`). Members: the prologue,
    ``ScaleByAMSGrad``, ``LearningRate``.

    Args:
        lr: the learning rate, a number >= 0 or a schedule.
        beta1: decay of the gradient average.
        beta2: decay of the squared-gradient average.
        eps: added to the square root.
        gclip: per-array gradient norm clip; 0 turns it off.
        weight_decay: L2 penalty added to the gradient.
        maximize: climb the function instead.

    References:
        Reddi, S. J., Kale, S. and Kumar, S. (2018). On the Convergence of Adam and Beyond.
        ICLR. https://openreview.net/forum?id=ryQu7f-RZ

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import AMSGrad, update
        >>> w = np.zeros(1)
        >>> update(w, np.array([5.0]), AMSGrad(lr=0.1))
        >>> w.round(6)
        array([-0.1])
    """

    beta1 = Link(ScaleByAMSGrad, "beta1")
    beta2 = Link(ScaleByAMSGrad, "beta2")
    eps = Link(ScaleByAMSGrad, "eps")

    def __init__(
        self,
        lr: LR = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        *,
        gclip: float = 0.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        self._build(
            ScaleByAMSGrad(),
            lr=lr,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            gclip=gclip,
            weight_decay=weight_decay,
            maximize=maximize,
        )


@register
class NAdam(_AdamFamily):
    """NAdam: Adam with Nesterov momentum and Dozat's momentum schedule.

    ``w -= lr * g_out`` with ``g_out`` from :class:`ScaleByNAdam`. Defaults ``lr = 0.002``,
    ``momentum_decay = 0.004`` as recommended by Dozat. Members: the prologue,
    ``ScaleByNAdam``, ``LearningRate``.

    Args:
        lr: the learning rate, a number >= 0 or a schedule.
        beta1: the base momentum.
        beta2: decay of the squared-gradient average.
        eps: added to the square root.
        momentum_decay: the momentum schedule's rate.
        gclip: per-array gradient norm clip; 0 turns it off.
        weight_decay: L2 penalty added to the gradient.
        maximize: climb the function instead.

    References:
        Dozat, T. (2016). Incorporating Nesterov Momentum into Adam. ICLR Workshop.
        https://openreview.net/forum?id=OM0jvwB8jIp57ZJjtNEZ

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import NAdam, update
        >>> w = np.zeros(1)
        >>> update(w, np.array([5.0]), NAdam())
        >>> w.round(6)
        array([-0.002113])
    """

    beta1 = Link(ScaleByNAdam, "beta1")
    beta2 = Link(ScaleByNAdam, "beta2")
    eps = Link(ScaleByNAdam, "eps")
    momentum_decay = Link(ScaleByNAdam, "momentum_decay")

    def __init__(
        self,
        lr: LR = 0.002,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        *,
        momentum_decay: float = 0.004,
        gclip: float = 0.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        self._build(
            ScaleByNAdam(),
            lr=lr,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            momentum_decay=momentum_decay,
            gclip=gclip,
            weight_decay=weight_decay,
            maximize=maximize,
        )


@register
class RAdam(_AdamFamily):
    """Rectified Adam: momentum SGD while the adaptive rate's variance is intractable.

    ``w -= lr * g_out`` with ``g_out`` from :class:`ScaleByRAdam`. Members: the prologue,
    ``ScaleByRAdam``, ``LearningRate``.

    Args:
        lr: the learning rate, a number >= 0 or a schedule.
        beta1: decay of the gradient average.
        beta2: decay of the squared-gradient average.
        eps: added to the square root.
        gclip: per-array gradient norm clip; 0 turns it off.
        weight_decay: L2 penalty added to the gradient.
        maximize: climb the function instead.

    References:
        Liu, L. et al. (2020). On the Variance of the Adaptive Learning Rate and Beyond.
        ICLR. https://arxiv.org/abs/1908.03265

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import RAdam, update
        >>> w = np.zeros(1)
        >>> update(w, np.array([5.0]), RAdam(lr=0.1))
        >>> w.round(6)
        array([-0.5])
    """

    beta1 = Link(ScaleByRAdam, "beta1")
    beta2 = Link(ScaleByRAdam, "beta2")
    eps = Link(ScaleByRAdam, "eps")

    def __init__(
        self,
        lr: LR = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        *,
        gclip: float = 0.0,
        weight_decay: float = 0.0,
        maximize: bool = False,
    ) -> None:
        self._build(
            ScaleByRAdam(),
            lr=lr,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            gclip=gclip,
            weight_decay=weight_decay,
            maximize=maximize,
        )


@register
class AdamW(_AdamFamily):
    """AdamW: Adam with decoupled weight decay.

    ``w -= lr * ((m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps) + weight_decay * w)``: the decay
    is not fed through Adam's scaling. The decay is multiplied by ``lr`` (PyTorch's and
    optax's convention; the paper's schedule multiplier is ``lr``'s schedule here).
    Members: ``ClipNorm(gclip), Negate(maximize), ScaleByAdam(beta1, beta2, eps),
    WeightDecay(weight_decay), LearningRate(lr)``.

    Args:
        lr: the learning rate, a number >= 0 or a schedule.
        beta1: decay of the gradient average.
        beta2: decay of the squared-gradient average.
        eps: added to the square root.
        weight_decay: the decoupled decay rate.
        gclip: per-array gradient norm clip; 0 turns it off.
        maximize: climb the function instead.

    References:
        Loshchilov, I. and Hutter, F. (2019). Decoupled Weight Decay Regularization. ICLR.
        https://arxiv.org/abs/1711.05101

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import AdamW, update
        >>> w = np.ones(1)
        >>> update(w, np.zeros(1), AdamW(lr=0.1, weight_decay=0.5))
        >>> w
        array([0.95])
    """

    beta1 = Link(ScaleByAdam, "beta1")
    beta2 = Link(ScaleByAdam, "beta2")
    eps = Link(ScaleByAdam, "eps")

    def __init__(
        self,
        lr: LR = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        *,
        gclip: float = 0.0,
        maximize: bool = False,
    ) -> None:
        Optimizer.__init__(
            self,
            ClipNorm(),
            Negate(False),
            ScaleByAdam(),
            WeightDecay(),
            LearningRate(),
            lr=lr,
            beta1=beta1,
            beta2=beta2,
            eps=eps,
            weight_decay=weight_decay,
            gclip=gclip,
            maximize=maximize,
        )
