"""Building blocks for ``chain``: learning rate, clipping, weight decay, momentum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugrad_backends import of

from ._base import Chain, Hyper, Joint, Rule, Run, Transform, advance, register


@register
class LearningRate(Transform):
    """Scale by the learning rate: ``g_out = lr * g`` (Flux's ``Descent``).

    ``lr`` may be a schedule (a callable step -> lr); the state counts the updates made.

    Args:
        lr: a number >= 0 or a schedule such as ``CosineDecay(0.1, 1000)``.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import LearningRate, StepDecay, update
        >>> w, opt = np.zeros(1), LearningRate(StepDecay(1.0, step_size=1, gamma=0.5))
        >>> for _ in range(3):
        ...     update(w, np.ones(1), opt)
        >>> w, opt.state
        (array([-1.75]), {'count': 3})
    """

    lr = Hyper("lr")
    kernel = "sgd_update"

    def __init__(self, lr: float | Callable[[int], float] = 0.1) -> None:
        self.lr = lr

    def init(self, param: Any) -> dict[str, Any]:
        return {"count": 0}

    def next_lr(self, state: dict[str, Any]) -> float:
        """The learning rate for this update; advances the step counter in ``state``."""
        return self.rate(advance(state) - 1)

    def rate(self, step: int) -> float:
        """The learning rate at ``step`` (0 for the first update)."""
        lr = self.lr
        return float(lr(step)) if callable(lr) else lr

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        return g * self.next_lr(state), state


@register
class ClipValue(Transform):
    """Clip every gradient element to ``[-thresh, thresh]`` (Flux's ``ClipValue``).

    Args:
        thresh: the largest absolute value kept, > 0.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ClipValue
        >>> ClipValue(0.5).update(np.array([2.0, -0.1, -7.0]), None, None)[0]
        array([ 0.5, -0.1, -0.5])
    """

    thresh = Hyper(low=0.0, low_open=True)

    def __init__(self, thresh: float) -> None:
        self.thresh = thresh

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        return of(g).xp.clip(g, -self.thresh, self.thresh), state


def joint_norm(grads: list[Any]) -> list[Any]:
    """The norm of all ``grads`` together, once for each of them (a :class:`Joint` combine)."""
    total: Any = 0.0
    for g in grads:
        n = of(g).xp.linalg.norm(g)
        total = total + n * n
    return [total**0.5] * len(grads)


@register
class ClipNorm(Transform):
    """Rescale the gradient to L2 norm ``thresh`` when its norm is larger (Knet's ``gclip``).

    ``g_out = g * thresh / max(norm, thresh)``: unchanged when ``norm <= thresh``. The norm
    is the gradient array's own (Knet, Flux), or with ``global_norm=True`` the joint norm of
    every gradient that reaches a global ``ClipNorm`` in one ``update`` call (in
    ``minimize``: every Param updated at that step; Pascanu et al.'s clipping), measured as
    it arrives, after the members before it. A global clip needs that call:
    ``update(ws, gs, opt)``; calling its ``update`` directly raises, since the other
    gradients are unknown there. The scale is computed on the device: no host
    synchronization. ``thresh=0`` turns it off.

    Args:
        thresh: the largest norm kept, >= 0 (0: no clipping).
        global_norm: measure all the gradients of the update call together.

    References:
        Pascanu, R., Mikolov, T. and Bengio, Y. (2013). On the difficulty of training
        recurrent neural networks. ICML. https://arxiv.org/abs/1211.5063

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ClipNorm
        >>> ClipNorm(1.0).update(np.array([3.0, 4.0]), None, None)[0]
        array([0.6, 0.8])
    """

    thresh = Hyper(low=0.0)
    global_norm = Hyper("bool")

    def __init__(self, thresh: float = 0.0, global_norm: bool = False) -> None:
        self.thresh = thresh
        self.global_norm = global_norm

    def is_identity(self) -> bool:
        return self.thresh == 0.0

    def joins_call(self) -> bool:
        return self.global_norm and self.thresh != 0.0

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        if self.thresh == 0.0:
            return g, state
        if self.global_norm:
            raise ValueError(
                f"ClipNorm(global_norm=True): the global norm spans every gradient of one "
                f"update call, which {self!r}.update(...) cannot see; apply it through "
                f"update(ws, gs, opt) (or minimize), or use ClipNorm({self.thresh!r}) to clip "
                f"each array by its own norm"
            )
        return self.scaled(g, of(g).xp.linalg.norm(g)), state

    def run(self, g: Any, state: Any, param: Any) -> Run:
        if not self.joins_call():
            return self.update(g, state, param)
        norm = yield Joint(joint_norm, g)
        return self.scaled(g, norm), state

    def scaled(self, g: Any, norm: Any) -> Any:
        """``g`` scaled to norm ``thresh`` when ``norm`` exceeds it."""
        scale = self.thresh / of(g).xp.maximum(norm, self.thresh)
        return g * scale.astype(g.dtype)


@register
class WeightDecay(Transform):
    """Add ``wd * param`` to the gradient: L2 regularization (Flux's ``WeightDecay``).

    Placed before a rule it is the classic coupled L2 penalty (GradValley's and PyTorch's
    ``weight_decay``); placed after an adaptive rule and before the learning rate it is
    AdamW's decoupled decay.

    Args:
        wd: the decay factor, >= 0.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import WeightDecay
        >>> WeightDecay(0.1).update(np.array([1.0]), None, np.array([2.0]))[0]
        array([1.2])
    """

    wd = Hyper(low=0.0)

    def __init__(self, wd: float = 0.0) -> None:
        self.wd = wd

    def is_identity(self) -> bool:
        return self.wd == 0.0

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        if self.wd == 0.0:
            return g, state
        u = param * self.wd
        u += g
        return u, state


@register
class Negate(Transform):
    """Flip the gradient's sign when ``active``: the rule then climbs (``maximize=True``).

    Args:
        active: negate or pass through.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import Negate
        >>> Negate().update(np.array([1.0, -2.0]), None, None)[0]
        array([-1.,  2.])
    """

    active = Hyper("bool")

    def __init__(self, active: bool = True) -> None:
        self.active = active

    def is_identity(self) -> bool:
        return not self.active

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        return (-g if self.active else g), state


@register
class Dampening(Transform):
    """Scale the gradient by ``1 - dampening`` (GradValley's ``dampening``).

    In front of momentum it damps the gradient's share of the velocity; alone it acts like a
    learning rate of ``(1 - dampening) * lr``.

    Args:
        dampening: in ``[0, 1]``.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import Dampening
        >>> Dampening(0.25).update(np.array([4.0]), None, None)[0]
        array([3.])
    """

    dampening = Hyper(low=0.0, high=1.0)

    def __init__(self, dampening: float = 0.0) -> None:
        self.dampening = dampening

    def is_identity(self) -> bool:
        return self.dampening == 0.0

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        if self.dampening == 0.0:
            return g, state
        return g * (1.0 - self.dampening), state


# The momentum rules' arithmetic, shared with the CPU backend's fused kernels.


def momentum_move(u: Any, velocity: Any, momentum: float) -> Any:
    """``velocity = momentum * velocity - u`` in place; returns it: the parameter's move."""
    velocity *= momentum
    velocity -= u
    return velocity


def nesterov_step(u: Any, velocity: Any, momentum: float) -> Any:
    """``velocity = momentum * velocity - u`` in place; returns the step to subtract,
    ``u - momentum * velocity`` (a new array)."""
    momentum_move(u, velocity, momentum)
    step = velocity * momentum
    of(velocity).xp.subtract(u, step, out=step)
    return step


@register
class ApplyMomentum(Rule):
    """Lasagne's ``apply_momentum``: add classical momentum to the step of any rule.

    With ``u`` the incoming step (what the rule would subtract):
    ``velocity = momentum * velocity - u``; the parameter moves by ``velocity``
    (``g_out = -velocity``). After ``LearningRate(lr)`` this is exactly Knet's ``Momentum``.

    Args:
        momentum: the velocity's decay, in ``[0, 1]``.

    References:
        Polyak, B. T. (1964). Some methods of speeding up the convergence of iteration
        methods. USSR Computational Mathematics and Mathematical Physics 4(5), 1-17.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ApplyMomentum, LearningRate, chain, update
        >>> w, opt = np.zeros(1), chain(LearningRate(1.0), ApplyMomentum(0.5))
        >>> for _ in range(2):
        ...     update(w, np.ones(1), opt)
        >>> w  # -1, then -(0.5 + 1)
        array([-2.5])
    """

    momentum = Hyper(low=0.0, high=1.0)
    kernel = "momentum_update"
    state_arrays = ("velocity",)
    kernel_hypers = (("gamma", "momentum"),)

    def __init__(self, momentum: float = 0.9) -> None:
        self.momentum = momentum

    def step(self, g: Any, state: dict[str, Any], t: int) -> Any:
        return -momentum_move(g, state["velocity"], self.momentum)


@register
class ApplyNesterovMomentum(Rule):
    """Lasagne's ``apply_nesterov_momentum``: add Nesterov momentum to any rule's step.

    With ``u`` the incoming step: ``velocity = momentum * velocity - u``; the parameter moves
    by ``momentum * velocity - u``. This is Bengio et al.'s reformulation, which evaluates
    the gradient at the current parameters; after ``LearningRate(lr)`` it is exactly Knet's
    ``Nesterov`` (``w += momentum^2 * v_old - (1 + momentum) * lr * g``).

    Args:
        momentum: the velocity's decay, in ``[0, 1]``.

    References:
        Nesterov, Y. (1983). A method for solving the convex programming problem with
        convergence rate O(1/k^2). Soviet Mathematics Doklady 27, 372-376.
        Bengio, Y., Boulanger-Lewandowski, N. and Pascanu, R. (2013). Advances in optimizing
        recurrent networks. ICASSP. https://arxiv.org/abs/1212.0901

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ApplyNesterovMomentum, LearningRate, chain, update
        >>> w, opt = np.zeros(1), chain(LearningRate(1.0), ApplyNesterovMomentum(0.5))
        >>> update(w, np.ones(1), opt)
        >>> w  # 0.5 * (-1) - 1
        array([-1.5])
    """

    momentum = Hyper(low=0.0, high=1.0)
    kernel = "nesterov_update"
    state_arrays = ("velocity",)
    kernel_hypers = (("gamma", "momentum"),)

    def __init__(self, momentum: float = 0.9) -> None:
        self.momentum = momentum

    def step(self, g: Any, state: dict[str, Any], t: int) -> Any:
        return nesterov_step(g, state["velocity"], self.momentum)


def apply_momentum(updates: Transform | None = None, momentum: float = 0.9) -> Transform:
    """Lasagne's ``apply_momentum``: ``updates`` followed by :class:`ApplyMomentum`.

    Args:
        updates: the rule to add momentum to; None gives the bare :class:`ApplyMomentum` to
            put in a chain yourself.
        momentum: the velocity's decay.

    Returns:
        ``chain(updates, ApplyMomentum(momentum))``, or ``ApplyMomentum(momentum)``.

    Example:
        >>> from plugrad_optim import apply_momentum, Rmsprop
        >>> opt = apply_momentum(Rmsprop(lr=1e-4), momentum=0.9)
        >>> [type(t).__name__ for t in opt.transforms]
        ['Rmsprop', 'ApplyMomentum']
    """
    return _with(updates, ApplyMomentum(momentum), "apply_momentum")


def apply_nesterov_momentum(updates: Transform | None = None, momentum: float = 0.9) -> Transform:
    """Lasagne's ``apply_nesterov_momentum``: ``updates`` then :class:`ApplyNesterovMomentum`.

    Args:
        updates: the rule to add Nesterov momentum to; None gives the bare transform.
        momentum: the velocity's decay.

    Returns:
        ``chain(updates, ApplyNesterovMomentum(momentum))``, or the bare transform.

    Example:
        >>> from plugrad_optim import apply_nesterov_momentum, Adagrad
        >>> opt = apply_nesterov_momentum(Adagrad(), momentum=0.5)
        >>> opt.transforms[1]
        ApplyNesterovMomentum(momentum=0.5)
    """
    return _with(updates, ApplyNesterovMomentum(momentum), "apply_nesterov_momentum")


def _with(updates: Any, momentum: Transform, name: str) -> Transform:
    if updates is None:
        return momentum
    if not isinstance(updates, Transform):
        raise TypeError(
            f"{name}: updates must be a transform or optimizer such as Rmsprop(), got "
            f"{updates!r} ({type(updates).__name__}); pass the momentum by keyword: "
            f"{name}(momentum=0.9)"
        )
    return Chain(updates, momentum)
