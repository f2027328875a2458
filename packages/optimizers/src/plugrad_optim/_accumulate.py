"""Gradient accumulation: apply an optimizer once every ``steps`` gradients (optax's MultiSteps)."""

from __future__ import annotations

from typing import Any

from plugrad_backends import of

from ._base import Hyper, Run, Transform, register


@register
class Accumulate(Transform):
    """Average ``steps`` successive gradients, then let ``opt`` update with the average.

    Trains with an effective batch ``steps`` times the one that fits in memory: the first
    ``steps - 1`` calls only add the gradient to a sum (the weight is unchanged); every
    ``steps``-th call passes the mean to ``opt`` and clears the sum. ``opt``'s step count
    and schedules advance once per applied update. A global-norm ``ClipNorm`` inside ``opt``
    measures the averaged gradients of every weight that applies in the same ``update``
    call (the accumulated norm, as if the large batch had been one).

    Args:
        opt: the optimizer (or any transform) to apply to the averaged gradient.
        steps: gradients per update, >= 1.

    Example:
        >>> import numpy as np
        >>> from plugrad_optim import Accumulate, SGD, update
        >>> w, opt = np.zeros(1), Accumulate(SGD(lr=1.0), steps=2)
        >>> update(w, np.array([1.0]), opt); w
        array([0.])
        >>> update(w, np.array([3.0]), opt); w
        array([-2.])
    """

    steps = Hyper("int", low=1)

    def __init__(self, opt: Transform, steps: int) -> None:
        if not isinstance(opt, Transform):
            raise TypeError(
                f"Accumulate: opt must be an optimizer or transform such as AdamW(), got "
                f"{type(opt).__name__}"
            )
        self.opt = opt
        self.steps = steps

    def init(self, param: Any) -> dict[str, Any]:
        return {"sum": of(param).xp.zeros_like(param), "count": 0, "inner": None}

    def _add(self, g: Any, state: dict[str, Any]) -> bool:
        state["sum"] += g
        state["count"] += 1
        return state["count"] >= self.steps

    def _mean(self, state: dict[str, Any]) -> Any:
        mean = state["sum"] / state["count"]
        state["sum"][...] = 0
        state["count"] = 0
        return mean

    def apply(self, param: Any, g: Any, state: Any) -> Any:
        if not self._add(g, state):
            return state
        if state["inner"] is None:
            state["inner"] = self.opt.init(param)
        state["inner"] = self.opt.apply(param, self._mean(state), state["inner"])
        return state

    def update(self, g: Any, state: Any, param: Any) -> tuple[Any, Any]:
        if not self._add(g, state):
            return of(g).xp.zeros_like(g), state
        if state["inner"] is None:
            state["inner"] = self.opt.init(param)
        u, state["inner"] = self.opt.update(self._mean(state), state["inner"], param)
        return u, state

    def joins_call(self) -> bool:
        return self.opt.joins_call()

    def run(self, g: Any, state: Any, param: Any) -> Run:
        if not self._add(g, state):
            return of(g).xp.zeros_like(g), state
        if state["inner"] is None:
            state["inner"] = self.opt.init(param)
        u, state["inner"] = yield from self.opt.run(self._mean(state), state["inner"], param)
        return u, state

    def reset(self) -> None:
        self.state = None
        self.opt.reset()

    def __repr__(self) -> str:
        return f"Accumulate({self.opt!r}, steps={self.steps})"
