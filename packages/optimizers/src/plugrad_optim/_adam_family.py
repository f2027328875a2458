"""Adam and its relatives as scaling transforms, with their papers' formulas.

Step counters are Python ints in the state, advanced by the one counter ``advance``: bias
corrections are computed on the host, so no update waits for the device. The named
optimizers built on these rules (``Adam``, ``AdamW``, ...) are in ``_named``.
"""

from __future__ import annotations

import math
from typing import Any

from plugrad_backends import of

from ._base import Hyper, Rule, register


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


def bias_corrected(
    num: Any, v: Any, t: int, beta2: float, eps: float, out: Any, num_correction: float = 1.0
) -> Any:
    """The one bias-corrected ratio of the Adam family, into ``out``:
    ``(num / num_correction) / (sqrt(v / (1 - beta2^t)) + eps)``."""
    xp = of(out).xp
    xp.divide(v, 1.0 - beta2**t, out=out)
    xp.sqrt(out, out=out)
    out += eps
    xp.divide(num, out, out=out)
    out /= num_correction
    return out


def adam_step(g: Any, m: Any, v: Any, t: int, beta1: float, beta2: float, eps: float) -> Any:
    """Adam at step ``t``: the moments updated in place; the step
    ``(m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)`` (shared with the fused CPU kernel)."""
    tmp = _moments(g, m, v, beta1, beta2)
    return bias_corrected(m, v, t, beta2, eps, tmp, 1.0 - beta1**t)


class _AdamRule(Rule):
    """The Adam family's hyperparameters and counted state; ``step`` is each rule's own."""

    beta1 = Hyper(low=0.0, high=1.0, high_open=True)
    beta2 = Hyper(low=0.0, high=1.0, high_open=True)
    eps = Hyper(low=0.0)
    counts_steps = True
    state_arrays = ("m", "v")

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8) -> None:
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps


@register
class ScaleByAdam(_AdamRule):
    """Adam's scaling, Knet's form (``eps`` outside the square root).

    ``t += 1; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
    g_out = (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)``. State: ``count`` (t), ``m``,
    ``v``. Fused kernel ``"adam_update"``:
    ``kernel(param, grad, m, v, lr=, beta1=, beta2=, eps=, step=)`` with ``step`` = t.
    With ``amsgrad=True`` the denominator uses ``vmax = max(vmax, v)`` in place of ``v``
    (see :class:`ScaleByAMSGrad`; state ``vmax`` too, started from ``v`` when the option is
    switched on during training) and no kernel is used.

    Args:
        beta1: decay of the gradient average, in ``[0, 1)``.
        beta2: decay of the squared-gradient average, in ``[0, 1)``.
        eps: added to the square root.
        amsgrad: divide by the running maximum of ``v`` (AMSGrad).

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

    amsgrad = Hyper("bool", default=False)
    kernel = "adam_update"
    kernel_hypers = (("beta1", "beta1"), ("beta2", "beta2"), ("eps", "eps"))

    def __init__(
        self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, amsgrad: bool = False
    ) -> None:
        super().__init__(beta1, beta2, eps)
        self.amsgrad = amsgrad

    def init(self, param: Any) -> dict[str, Any]:
        state = super().init(param)
        if self.amsgrad:
            state["vmax"] = of(param).xp.zeros_like(param)
        return state

    def fusable(self) -> bool:
        return not self.amsgrad

    def step(self, g: Any, state: dict[str, Any], t: int) -> Any:
        m, v = state["m"], state["v"]
        if not self.amsgrad:
            return adam_step(g, m, v, t, self.beta1, self.beta2, self.eps)
        tmp = _moments(g, m, v, self.beta1, self.beta2)
        vmax = state.get("vmax")
        if vmax is None:  # switched on during training: the maximum starts now
            state["vmax"] = vmax = v.copy()
        else:
            of(m).xp.maximum(vmax, v, out=vmax)
        return bias_corrected(m, vmax, t, self.beta2, self.eps, tmp, 1.0 - self.beta1**t)


@register
class ScaleByAdamax(_AdamRule):
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

    state_arrays = ("m", "u")

    def step(self, g: Any, state: dict[str, Any], t: int) -> Any:
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
        return tmp


@register
class ScaleByAMSGrad(ScaleByAdam):
    """AMSGrad's scaling: Adam with the running maximum of the second moment.

    ``t += 1; m, v as Adam; vmax = max(vmax, v);
    g_out = (m / (1-b1^t)) / (sqrt(vmax / (1-b2^t)) + eps)``. This is the bias-corrected
    variant (PyTorch's, GradValley's ``amsgrad``); the paper's Algorithm 2 omits the
    corrections, which only rescale the first steps. State: ``count``, ``m``, ``v``,
    ``vmax``. It is :class:`ScaleByAdam` with ``amsgrad=True``.

    Args:
        beta1: decay of the gradient average, in ``[0, 1)``.
        beta2: decay of the squared-gradient average, in ``[0, 1)``.
        eps: added to the square root.
        amsgrad: keep the running maximum (False: plain Adam).

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

    amsgrad = Hyper("bool", default=True)

    def __init__(
        self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8, amsgrad: bool = True
    ) -> None:
        super().__init__(beta1, beta2, eps, amsgrad)


@register
class ScaleByNAdam(_AdamRule):
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
        state = super().init(param)
        state["mu_product"] = 1.0
        return state

    def step(self, g: Any, state: dict[str, Any], t: int) -> Any:
        b1, psi = self.beta1, self.momentum_decay
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        mu_product = state["mu_product"] * mu
        state["mu_product"] = mu_product
        m, v = state["m"], state["v"]
        tmp = _moments(g, m, v, b1, self.beta2)
        out = g * ((1.0 - mu) / (1.0 - mu_product))
        of(m).xp.multiply(m, mu_next / (1.0 - mu_product * mu_next), out=tmp)
        out += tmp
        return bias_corrected(out, v, t, self.beta2, self.eps, tmp)


@register
class ScaleByRAdam(_AdamRule):
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

    def step(self, g: Any, state: dict[str, Any], t: int) -> Any:
        b1, b2 = self.beta1, self.beta2
        m, v = state["m"], state["v"]
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
            return bias_corrected(m, v, t, b2, self.eps, tmp, (1.0 - b1**t) / r)
        of(m).xp.divide(m, 1.0 - b1**t, out=tmp)
        return tmp
