"""Learning-rate schedules: small callables ``step -> lr``, accepted wherever ``lr=`` is.

``step`` counts the updates made before the current one (0 for the first update). The
schedules are registered classes holding numbers only, so they are saved with the optimizer
that uses them; any other callable works too but cannot be saved.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ._base import Hyper, register
from ._transforms import LearningRate


@register
class Schedule:
    """Base of the named schedules: ``schedule(step)`` gives the learning rate at ``step``.

    Example:
        >>> from plugrad_optim import StepDecay
        >>> StepDecay(1.0, step_size=10, gamma=0.5)(25)
        0.25
    """

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


@register
class StepDecay(Schedule):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps, down to ``min_lr``.

    ``lr(step) = max(lr * gamma ** (step // step_size), min_lr)``.

    Args:
        lr: the initial learning rate.
        step_size: steps between two decays.
        gamma: the factor applied at each decay.
        min_lr: the floor.

    Example:
        >>> from plugrad_optim import StepDecay
        >>> s = StepDecay(1.0, step_size=2, gamma=0.5)
        >>> [s(i) for i in range(5)]
        [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    lr = Hyper(low=0.0)
    step_size = Hyper("int", low=1)
    gamma = Hyper(low=0.0)
    min_lr = Hyper(low=0.0)

    def __init__(self, lr: float, step_size: int, gamma: float = 0.1, min_lr: float = 0.0) -> None:
        self.lr = lr
        self.step_size = step_size
        self.gamma = gamma
        self.min_lr = min_lr

    def __call__(self, step: int) -> float:
        return max(self.lr * self.gamma ** (step // self.step_size), self.min_lr)


@register
class ExpDecay(LearningRate, Schedule):
    """Flux's ``ExpDecay``: ``eta``, multiplied by ``decay`` every ``decay_step`` updates.

    A schedule (``lr=ExpDecay(...)``) and, as in Flux, a chain member that scales the
    gradient by it. At the n-th update (n = step + 1 = 1, 2, ...) Flux's rule is: if
    ``n % decay_step == 0`` then ``eta = max(eta * decay, clip)``. So after
    ``k = n // decay_step`` decays the rate is ``eta`` for ``k = 0``, else
    ``max(eta * decay^k, clip * max(decay, 1)^(k-1))``. As a member, its state keeps the
    update count and the current ``eta``.

    Args:
        eta: the initial scale (learning rate).
        decay: the factor applied every ``decay_step`` updates.
        decay_step: updates between two decays.
        clip: the smallest ``eta``.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import ExpDecay, chain, SGD, update
        >>> w, opt = np.zeros(1), chain(ExpDecay(1.0, 0.5, 2, 0.1), SGD(lr=1.0))
        >>> for _ in range(4):
        ...     update(w, np.ones(1), opt)
        >>> w  # 1 + 0.5 + 0.5 + 0.25
        array([-2.25])
        >>> [ExpDecay(1.0, 0.5, 2, 0.1)(step) for step in range(4)]
        [1.0, 0.5, 0.5, 0.25]
    """

    eta = Hyper(low=0.0)
    decay = Hyper(low=0.0)
    decay_step = Hyper("int", low=1)
    clip = Hyper(low=0.0)

    def __init__(
        self, eta: float = 0.001, decay: float = 0.1, decay_step: int = 1000, clip: float = 1e-4
    ) -> None:
        self.eta = eta
        self.decay = decay
        self.decay_step = decay_step
        self.clip = clip

    def __call__(self, step: int) -> float:
        k = (step + 1) // self.decay_step
        if k == 0:
            return self.eta
        return max(self.eta * self.decay**k, self.clip * max(self.decay, 1.0) ** (k - 1))

    def rate(self, step: int) -> float:
        return self(step)

    def init(self, param: Any) -> dict[str, Any]:
        return {"count": 0, "eta": self.eta}

    def next_lr(self, state: dict[str, Any]) -> float:
        state["eta"] = eta = super().next_lr(state)
        return eta


@register
class InvDecay(LearningRate, Schedule):
    """Flux's ``InvDecay``: ``1 / (1 + gamma * n)`` at the n-th update (n = step + 1).

    A schedule and, as in Flux, a chain member that scales the gradient by it.

    Args:
        gamma: the decay rate, >= 0.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import InvDecay
        >>> t = InvDecay(1.0)
        >>> s = t.init(None)
        >>> [float(t.update(np.ones(1), s, None)[0][0]) for _ in range(3)]
        [0.5, 0.3333333333333333, 0.25]
    """

    gamma = Hyper(low=0.0)

    def __init__(self, gamma: float = 0.001) -> None:
        self.gamma = gamma

    def __call__(self, step: int) -> float:
        return 1.0 / (1.0 + self.gamma * (step + 1))

    def rate(self, step: int) -> float:
        return self(step)


@register
class ExponentialDecay(Schedule):
    """Decay the learning rate by ``decay_rate`` every ``decay_steps`` steps, smoothly.

    ``lr(step) = max(lr * decay_rate ** (step / decay_steps), min_lr)``; with
    ``staircase=True`` the exponent is ``step // decay_steps``.

    Args:
        lr: the initial learning rate.
        decay_rate: the factor reached after ``decay_steps`` steps.
        decay_steps: steps over which the rate is multiplied by ``decay_rate``.
        staircase: decay in discrete jumps.
        min_lr: the floor.

    Example:
        >>> from plugrad_optim import ExponentialDecay
        >>> s = ExponentialDecay(1.0, decay_rate=0.5, decay_steps=2)
        >>> s(0), s(1), s(4)
        (1.0, 0.7071067811865476, 0.25)
    """

    lr = Hyper(low=0.0)
    decay_rate = Hyper(low=0.0)
    decay_steps = Hyper("int", low=1)
    staircase = Hyper("bool")
    min_lr = Hyper(low=0.0)

    def __init__(
        self,
        lr: float,
        decay_rate: float,
        decay_steps: int = 1,
        staircase: bool = False,
        min_lr: float = 0.0,
    ) -> None:
        self.lr = lr
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.staircase = staircase
        self.min_lr = min_lr

    def __call__(self, step: int) -> float:
        exponent = step // self.decay_steps if self.staircase else step / self.decay_steps
        return max(self.lr * self.decay_rate**exponent, self.min_lr)


@register
class CosineDecay(Schedule):
    """Cosine annealing from ``lr`` to ``alpha * lr`` over ``decay_steps`` steps, then flat.

    ``lr(step) = lr * ((1 - alpha) * (1 + cos(pi * min(step, decay_steps) / decay_steps)) / 2
    + alpha)``.

    Args:
        lr: the initial learning rate.
        decay_steps: steps to reach the final rate.
        alpha: the final rate as a fraction of ``lr``.

    References:
        Loshchilov, I. and Hutter, F. (2017). SGDR: Stochastic Gradient Descent with Warm
        Restarts. ICLR. https://arxiv.org/abs/1608.03983

    Example:
        >>> from plugrad_optim import CosineDecay
        >>> s = CosineDecay(1.0, decay_steps=4)
        >>> [round(s(i), 4) for i in (0, 2, 4, 9)]
        [1.0, 0.5, 0.0, 0.0]
    """

    lr = Hyper(low=0.0)
    decay_steps = Hyper("int", low=1)
    alpha = Hyper(low=0.0, high=1.0)

    def __init__(self, lr: float, decay_steps: int, alpha: float = 0.0) -> None:
        self.lr = lr
        self.decay_steps = decay_steps
        self.alpha = alpha

    def __call__(self, step: int) -> float:
        frac = min(step, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * frac))
        return self.lr * ((1.0 - self.alpha) * cosine + self.alpha)


@register
class LinearWarmup(Schedule):
    """Rise linearly from ``start`` to ``lr`` over ``warmup_steps`` steps, then follow ``lr``.

    ``lr`` may itself be a schedule: it then runs from step 0 once the warm-up is over
    (``lr(step - warmup_steps)``) and the warm-up climbs to ``lr(0)``.

    Args:
        lr: the peak learning rate, or the schedule to follow after the warm-up.
        warmup_steps: the length of the warm-up.
        start: the learning rate at step 0.

    References:
        Goyal, P. et al. (2017). Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour.
        https://arxiv.org/abs/1706.02677

    Example:
        >>> from plugrad_optim import LinearWarmup, CosineDecay
        >>> s = LinearWarmup(1.0, warmup_steps=4)
        >>> [s(i) for i in range(6)]
        [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
        >>> LinearWarmup(CosineDecay(1.0, 10), warmup_steps=4)(4)
        1.0
    """

    lr = Hyper("lr")
    warmup_steps = Hyper("int", low=1)
    start = Hyper(low=0.0)

    def __init__(
        self, lr: float | Callable[[int], float], warmup_steps: int, start: float = 0.0
    ) -> None:
        self.lr = lr
        self.warmup_steps = warmup_steps
        self.start = start

    def __call__(self, step: int) -> float:
        after = step - self.warmup_steps
        if after >= 0:
            return float(self.lr(after)) if callable(self.lr) else self.lr
        peak = float(self.lr(0)) if callable(self.lr) else self.lr
        return self.start + (peak - self.start) * step / self.warmup_steps


@register
class WarmupCosine(Schedule):
    """nanoGPT's schedule: linear warm-up to ``lr``, cosine decay to ``min_lr``, then flat.

    ``lr(step) = lr * (step + 1) / (warmup_steps + 1)`` for ``step < warmup_steps``; then
    ``min_lr + (lr - min_lr) * (1 + cos(pi * r)) / 2`` with
    ``r = (step - warmup_steps) / (decay_steps - warmup_steps)``, and ``min_lr`` once
    ``step > decay_steps``. (``LinearWarmup(CosineDecay(...))`` is the same shape with a
    warm-up that starts at 0.)

    Args:
        lr: the peak learning rate.
        warmup_steps: the length of the warm-up, >= 0.
        decay_steps: the step at which ``min_lr`` is reached (counted from step 0).
        min_lr: the final learning rate.

    Example:
        >>> from plugrad_optim import WarmupCosine
        >>> s = WarmupCosine(1.0, warmup_steps=1, decay_steps=3, min_lr=0.0)
        >>> [s(i) for i in range(5)]
        [0.5, 1.0, 0.5, 0.0, 0.0]
    """

    lr = Hyper(low=0.0)
    warmup_steps = Hyper("int", low=0)
    decay_steps = Hyper("int", low=1)
    min_lr = Hyper(low=0.0)

    def __init__(self, lr: float, warmup_steps: int, decay_steps: int, min_lr: float = 0.0) -> None:
        self.lr = lr
        self.warmup_steps = warmup_steps
        self.decay_steps = decay_steps
        self.min_lr = min_lr
        if decay_steps <= warmup_steps:
            raise ValueError(
                f"WarmupCosine: decay_steps ({decay_steps}) must exceed warmup_steps "
                f"({warmup_steps})"
            )

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.lr * (step + 1) / (self.warmup_steps + 1)
        if step > self.decay_steps:
            return self.min_lr
        ratio = (step - self.warmup_steps) / (self.decay_steps - self.warmup_steps)
        return self.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (self.lr - self.min_lr)
