"""Forward mode: ``jvp(f, primals, tangents)`` by differentiating the backward pass."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from plugrad_backends import of

from ._diff import grad
from ._ops_reduce import sum as sum_
from ._tape import _raw


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(f(*primals), J @ tangents)``: the Jacobian-vector product, without the Jacobian.

    Uses the double-VJP trick: ``u -> J.T @ u`` is linear in ``u``, and its gradient at any
    ``u`` dotted with the tangents is ``J @ tangents``. The backward pass is recordable, so
    two reverse passes give one forward-mode product. ``f`` returns one array.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> y, t = ag.jvp(lambda x: x * x, (np.array([1.0, 3.0]),), (np.array([1.0, 1.0]),))
        >>> y.tolist(), t.tolist()
        ([1.0, 9.0], [2.0, 6.0])
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: got {len(primals)} primals but {len(tangents)} tangents; give one tangent "
            f"of the same shape per primal"
        )
    for i, (p, t) in enumerate(zip(primals, tangents)):
        ps, ts = tuple(getattr(_raw(p), "shape", ())), tuple(getattr(_raw(t), "shape", ()))
        if ps != ts:
            raise ValueError(f"jvp: primal {i} has shape {ps} but its tangent has shape {ts}")

    out = f(*primals)
    argnums = tuple(range(len(primals)))

    def pullback_dot_tangents(u: Any) -> Any:
        gs = grad(lambda *xs: sum_(f(*xs) * u), argnum=argnums)(*primals)
        total: Any = 0.0
        for g, t in zip(gs, tangents):
            total = total + sum_(g * t)
        return total

    raw = _raw(out)
    zeros = of(raw).xp.zeros_like(raw)
    return out, grad(pullback_dot_tangents)(zeros)
