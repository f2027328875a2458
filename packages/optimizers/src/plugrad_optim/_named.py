"""The named optimizers: one table of rules, their members and their defaults.

Each class is one row: its ``layout`` (the chain's members, in order), its ``rule`` (the
member a backend may fuse, which names the kernel) and its fields, each with its default and
the member it sets. :class:`~plugrad_optim.Optimizer` makes the constructor, the
:class:`~plugrad_optim.Link`\\ s and the ``Args`` documentation from them, and
``plugrad_optim._train`` makes Knet's shortcuts (``adam(f, data, lr=...)``). Every rule also
has the fields of :class:`Named`: ``gclip`` (per array: when ``norm(g) > gclip > 0`` the
gradient is scaled to norm ``gclip``), GradValley's ``weight_decay`` (L2:
``g += weight_decay * w`` before the rule) and ``maximize`` (climb: ``g = -g``), applied in
that order before the rule.
"""

from __future__ import annotations

from ._adam_family import ScaleByAdam, ScaleByAdamax, ScaleByAMSGrad, ScaleByNAdam, ScaleByRAdam
from ._base import register
from ._knet import ScaleByAdadelta, ScaleByAdagrad, ScaleByRmsprop
from ._optimizer import LR, PROLOGUE, Named, NamedBase, hyper, knob, rate
from ._transforms import (
    ApplyMomentum,
    ApplyNesterovMomentum,
    ClipNorm,
    Dampening,
    LearningRate,
    Negate,
    WeightDecay,
)

_DAMPENING = "scale the gradient by ``1 - dampening`` (GradValley)."
_GAMMA = "the momentum, in ``[0, 1]``."
_EPS_IN = "added to ``G`` inside the square root."
_BETA1 = "decay of the gradient average, in ``[0, 1)``."
_BETA2 = "decay of the squared-gradient average, in ``[0, 1)``."
_EPS_OUT = "added to the square root."
_AMSGRAD = "divide by the running maximum of the second moment (AMSGrad)."

# -- Knet's rules, with Knet's defaults -------------------------------------------------------


@register
class SGD(Named):
    """Stochastic gradient descent, Knet's ``SGD``: ``w -= lr * g``.

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

    layout = (*PROLOGUE, Dampening, LearningRate)
    rule = LearningRate
    lr: LR = rate(default=0.1)
    dampening: float = knob(default=0.0, member=Dampening, kw_only=True, doc=_DAMPENING)


@register
class Momentum(Named):
    """SGD with classical momentum, Knet's ``Momentum``: ``v = gamma*v - lr*g; w += v``.

    The :class:`SGD` members followed by ``ApplyMomentum(gamma)`` (Lasagne's ``momentum``
    is ``apply_momentum(sgd)``, the same update). ``dampening`` is Knet-style, on every
    step: the gradient's share is ``(1 - dampening) * lr * g`` from the first step on
    (PyTorch leaves the first step undamped). State: the ``velocity`` ``v``.

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

    layout = (*PROLOGUE, Dampening, LearningRate, ApplyMomentum)
    rule = ApplyMomentum
    lr: LR = rate(default=0.05)
    gamma: float = hyper(default=0.95, attr="momentum", doc=_GAMMA)
    dampening: float = knob(default=0.0, member=Dampening, kw_only=True, doc=_DAMPENING)


@register
class Nesterov(Named):
    """SGD with Nesterov momentum, Knet's ``Nesterov`` in the form of Knet's code.

    ``v = gamma*v; w -= v; v -= lr*g; w += (1+gamma)*v``, that is
    ``w += gamma^2 * v_old - (1+gamma) * lr * g`` with ``v = gamma*v_old - lr*g``
    (Bengio et al.'s reformulation; Knet's docstring shows a different order, its code
    this one): the :class:`SGD` members followed by ``ApplyNesterovMomentum(gamma)``.
    State: ``velocity``.

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

    layout = (*PROLOGUE, Dampening, LearningRate, ApplyNesterovMomentum)
    rule = ApplyNesterovMomentum
    lr: LR = rate(default=0.05)
    gamma: float = hyper(default=0.95, attr="momentum", doc=_GAMMA)
    dampening: float = knob(default=0.0, member=Dampening, kw_only=True, doc=_DAMPENING)


@register
class Adagrad(Named):
    """Adagrad, Knet's form: ``G += g^2; w -= lr * g / sqrt(G + eps)``. State: ``G``.

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

    layout = (*PROLOGUE, ScaleByAdagrad, LearningRate)
    rule = ScaleByAdagrad
    lr: LR = rate(default=0.05)
    eps: float = hyper(default=1e-6, doc=_EPS_IN)


@register
class Rmsprop(Named):
    """RMSprop, Knet's form: ``G = rho*G + (1-rho)*g^2; w -= lr * g / sqrt(G + eps)``.

    State: ``G``.

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

    layout = (*PROLOGUE, ScaleByRmsprop, LearningRate)
    rule = ScaleByRmsprop
    lr: LR = rate(default=0.01)
    rho: float = hyper(default=0.9, doc="the decay of the squared-gradient average.")
    eps: float = hyper(default=1e-6, doc=_EPS_IN)


@register
class Adadelta(Named):
    """Adadelta, Knet's form (``lr`` scales the step; the paper has ``lr = 1``).

    ``G = rho*G + (1-rho)*g^2; dw = g * sqrt(delta + eps) / sqrt(G + eps);
    delta = rho*delta + (1-rho)*dw^2; w -= lr * dw``. State: ``G`` and ``delta``.

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

    layout = (*PROLOGUE, ScaleByAdadelta, LearningRate)
    rule = ScaleByAdadelta
    lr: LR = rate(default=1.0)
    rho: float = hyper(default=0.9, doc="the decay of both running averages.")
    eps: float = hyper(default=1e-6, doc="added under both square roots.")


# -- Adam and its relatives, with their papers' defaults ---------------------------------------


@register
class Adam(Named):
    """Adam, Knet's form: ``w -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)``.

    ``t += 1; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2`` with ``eps`` outside the square
    root. ``weight_decay`` is coupled L2 (for decoupled decay use :class:`AdamW`).
    ``amsgrad=True`` is :class:`AMSGrad` (GradValley's and PyTorch's option).

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

    layout = (*PROLOGUE, ScaleByAdam, LearningRate)
    rule = ScaleByAdam
    lr: LR = rate(default=0.001)
    beta1: float = hyper(default=0.9, doc=_BETA1)
    beta2: float = hyper(default=0.999, doc=_BETA2)
    eps: float = hyper(default=1e-8, doc=_EPS_OUT)
    amsgrad: bool = hyper(default=False, kw_only=True, doc=_AMSGRAD)


@register
class Adamax(Named):
    """Adamax: ``w -= lr / (1-b1^t) * m / (u + eps)`` with ``u = max(b2*u, |g|)``.

    Kingma and Ba's Algorithm 2 with the paper's defaults (``lr = 0.002``); ``eps`` added to
    ``u`` as Lasagne does (see :class:`ScaleByAdamax`).

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

    layout = (*PROLOGUE, ScaleByAdamax, LearningRate)
    rule = ScaleByAdamax
    lr: LR = rate(default=0.002)
    beta1: float = hyper(default=0.9, doc=_BETA1)
    beta2: float = hyper(default=0.999, doc="decay of the infinity norm, in ``[0, 1)``.")
    eps: float = hyper(default=1e-8, doc="added to ``u``.")


@register
class AMSGrad(Named):
    """AMSGrad: Adam dividing by the running maximum of the second moment.

    ``vmax = max(vmax, v); w -= lr * (m/(1-b1^t)) / (sqrt(vmax/(1-b2^t)) + eps)`` (the
    bias-corrected variant, see :class:`ScaleByAMSGrad`).

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

    layout = (*PROLOGUE, ScaleByAMSGrad, LearningRate)
    rule = ScaleByAMSGrad
    lr: LR = rate(default=0.001)
    beta1: float = hyper(default=0.9, doc=_BETA1)
    beta2: float = hyper(default=0.999, doc=_BETA2)
    eps: float = hyper(default=1e-8, doc=_EPS_OUT)


@register
class NAdam(Named):
    """NAdam: Adam with Nesterov momentum and Dozat's momentum schedule.

    ``w -= lr * g_out`` with ``g_out`` from :class:`ScaleByNAdam`. Defaults ``lr = 0.002``,
    ``momentum_decay = 0.004`` as recommended by Dozat.

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

    layout = (*PROLOGUE, ScaleByNAdam, LearningRate)
    rule = ScaleByNAdam
    lr: LR = rate(default=0.002)
    beta1: float = hyper(default=0.9, doc="the base momentum, in ``[0, 1)``.")
    beta2: float = hyper(default=0.999, doc=_BETA2)
    eps: float = hyper(default=1e-8, doc=_EPS_OUT)
    momentum_decay: float = hyper(default=0.004, kw_only=True, doc="the momentum schedule's rate.")


@register
class RAdam(Named):
    """Rectified Adam: momentum SGD while the adaptive rate's variance is intractable.

    ``w -= lr * g_out`` with ``g_out`` from :class:`ScaleByRAdam`.

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

    layout = (*PROLOGUE, ScaleByRAdam, LearningRate)
    rule = ScaleByRAdam
    lr: LR = rate(default=0.001)
    beta1: float = hyper(default=0.9, doc=_BETA1)
    beta2: float = hyper(default=0.999, doc=_BETA2)
    eps: float = hyper(default=1e-8, doc=_EPS_OUT)


@register
class AdamW(NamedBase):
    """AdamW: Adam with decoupled weight decay.

    ``w -= lr * ((m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps) + weight_decay * w)``: the decay
    is not fed through Adam's scaling (``WeightDecay`` comes after ``ScaleByAdam``). The
    decay is multiplied by ``lr`` (PyTorch's and optax's convention; the paper's schedule
    multiplier is ``lr``'s schedule here).

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

    layout = (ClipNorm, Negate, ScaleByAdam, WeightDecay, LearningRate)
    rule = ScaleByAdam
    lr: LR = rate(default=0.001)
    beta1: float = hyper(default=0.9, doc=_BETA1)
    beta2: float = hyper(default=0.999, doc=_BETA2)
    eps: float = hyper(default=1e-8, doc=_EPS_OUT)
    weight_decay: float = knob(
        default=0.01, member=WeightDecay, attr="wd", doc="the decoupled decay rate."
    )
    amsgrad: bool = hyper(default=False, kw_only=True, doc=_AMSGRAD)


#: Knet's seven rules, in the order of Knet's manual: ``_train`` makes their shortcuts.
KNET_RULES = (SGD, Momentum, Nesterov, Adagrad, Rmsprop, Adadelta, Adam)
