"""Learning-rate schedules: small callables ``step -> lr``, accepted wherever ``lr=`` is.

``step`` counts the updates made before the current one (0 for the first update). The
schedules are registered classes holding numbers only, so they are saved with the optimizer
that uses them; any other callable works too but cannot be saved.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ._base import Hyper, register


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
