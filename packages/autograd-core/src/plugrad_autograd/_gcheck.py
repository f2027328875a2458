"""Knet's ``gcheck``: compare a tape's gradients with numerical differentiation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from plugrad_backends import to_host

from ._diff import diff, grad, params
from ._ops_reduce import sum as sum_
from ._param import Param
from ._tape import _raw


def gcheck(
    f: Callable[..., Any],
    *args: Any,
    kw: dict[str, Any] | None = None,
    nsample: int = 10,
    atol: float = 0.01,
    rtol: float = 0.05,
    delta: float = 1e-4,
    verbose: int = 1,
) -> bool:
    """Check the gradients of ``f(*args, **kw)`` numerically; True when all agree.

    A non-scalar output is checked through its sum, as Knet does.

    For every Param involved (found in the tape and in ``args``), ``nsample`` random
    elements are perturbed by ``±delta`` and the central difference is compared with the
    recorded gradient: they agree when ``|a - n| <= atol + rtol * max(|a|, |n|)``. The
    check runs in float64 (Params are cast for the check and restored). ``verbose=0``
    prints nothing, 1 prints failures, 2 prints every comparison.

    Example:
        >>> import plugrad_autograd as ag
        >>> w = ag.Param([0.5, -1.0, 2.0])
        >>> ag.gcheck(lambda: ag.sum(ag.tanh(w) * w))
        True
    """

    kw = kw or {}
    user_f = f

    def f(*a: Any, **k: Any) -> Any:  # Knet checks a non-scalar output through its sum
        return sum_(user_f(*a, **k))

    tape = diff(f, *args, **kw)
    ps = params(tape) + [a for a in args if isinstance(a, Param)]
    ps = list({id(p): p for p in ps}.values())
    saved = [p._value for p in ps]
    rng = np.random.default_rng(0)
    ok = True
    try:
        for p in ps:
            p._value = p._value.astype("float64", order="C")  # flat views below
        tape = diff(f, *args, **kw)
        for k, p in enumerate(ps):
            g = grad(tape, p)
            host_g = np.zeros(p.shape) if g is None else to_host(g).astype(np.float64)
            flat = p._value.reshape(-1)
            picks = rng.choice(flat.size, size=min(nsample, flat.size), replace=False)
            for i in picks:
                old = flat[i].item()
                flat[i] = old + delta
                f1 = float(_raw(f(*args, **kw)))
                flat[i] = old - delta
                f2 = float(_raw(f(*args, **kw)))
                flat[i] = old
                numeric = (f1 - f2) / (2 * delta)
                analytic = float(host_g.reshape(-1)[i])
                good = abs(analytic - numeric) <= atol + rtol * max(abs(analytic), abs(numeric))
                ok &= good
                if verbose >= 2 or (verbose >= 1 and not good):
                    mark = "ok" if good else "MISMATCH"
                    print(
                        f"gcheck: param {k} {tuple(p.shape)} element {int(i)}: "
                        f"analytic {analytic:.6g} numeric {numeric:.6g} {mark}"
                    )
    finally:
        for p, v in zip(ps, saved):
            p._value = v
    return bool(ok)
