"""Fixtures for plugrad-autograd's tests.

``backend`` runs a test once per registered backend (CPU here, CUDA where a GPU is lent).
``num`` gives float64 numerical-differentiation helpers: tests run with
``--import-mode=importlib``, where a test module cannot import this file, so the helpers
travel as a fixture.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends
from plugrad_backends import _registry
from plugrad_backends.testing import backend  # noqa: F401


def to_device(be: Any, x: Any, dtype: Any = "float64") -> Any:
    """A fresh copy of ``x`` on backend ``be``, never an alias of the caller's host array."""
    return plugrad_backends.array(np.array(x, dtype=dtype), device=be.name, dtype=dtype)


def host(x: Any) -> np.ndarray:
    """``x`` (a box, a backend array, a number) as a float64 host array."""
    return np.asarray(plugrad_backends.to_host(ag.value(x)), dtype=np.float64)


def numeric_grad(
    be: Any,
    f: Callable[..., Any],
    args: Sequence[Any],
    argnum: int,
    eps: float = 1e-6,
) -> np.ndarray:
    """Central differences of scalar ``f(*args)`` with respect to ``args[argnum]``, in float64.

    ``args`` are host arrays; ``f`` is called with copies of them on ``be`` (a backend).
    """
    xs = [np.array(a, dtype=np.float64) for a in args]
    x = xs[argnum]
    g = np.zeros_like(x)

    def evaluate() -> float:
        return float(host(f(*[to_device(be, a) for a in xs])))

    for i in np.ndindex(x.shape):
        old = float(x[i])
        h = eps * max(1.0, abs(old))
        x[i] = old + h
        fp = evaluate()
        x[i] = old - h
        fm = evaluate()
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


def _as_tuple(argnums: int | Sequence[int] | None, n: int) -> tuple[int, ...]:
    if argnums is None:
        return tuple(range(n))
    if isinstance(argnums, int):
        return (argnums,)
    return tuple(argnums)


def check_grad(
    be: Any,
    f: Callable[..., Any],
    *args: Any,
    argnums: int | Sequence[int] | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> tuple[Any, ...]:
    """Assert that ``grad(f)`` agrees with central differences for every argument in argnums.

    Returns the gradients computed by autograd (as host arrays).
    """
    nums = _as_tuple(argnums, len(args))
    dev = [to_device(be, a) for a in args]
    grads = ag.grad(f, argnum=nums)(*dev)
    assert isinstance(grads, tuple) and len(grads) == len(nums)
    out = []
    for g, i in zip(grads, nums):
        auto = host(g)
        assert auto.shape == np.shape(args[i]), (auto.shape, np.shape(args[i]))
        num = numeric_grad(be, f, args, i)
        np.testing.assert_allclose(
            auto, num, rtol=rtol, atol=atol, err_msg=f"gradient with respect to argument {i}"
        )
        out.append(auto)
    return tuple(out)


def check_grad2(
    be: Any,
    f: Callable[..., Any],
    *args: Any,
    argnums: int | Sequence[int] | None = None,
    seed: int = 0,
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> tuple[Any, ...]:
    """Second order: differentiate ``s(*a) = sum_i <grad_i f(*a), w_i>`` (random ``w_i``).

    ``grad(s)`` goes through ``grad(grad(f))`` (Hessian-vector products); it is compared with
    central differences of ``s``, whose values come from first derivatives computed by grad.
    """
    nums = _as_tuple(argnums, len(args))
    rng = np.random.default_rng(seed)
    ws = [to_device(be, rng.standard_normal(np.shape(args[i]))) for i in nums]
    g = ag.grad(f, argnum=nums)

    def s(*a: Any) -> Any:
        total: Any = 0.0
        for gi, w in zip(g(*a), ws):
            total = total + ag.sum(gi * w)
        return total

    return check_grad(be, s, *args, argnums=nums, rtol=rtol, atol=atol)


@pytest.fixture(scope="session")
def num() -> types.SimpleNamespace:
    """The numerical-differentiation helpers: ``num.check_grad(backend, f, *host_args)``..."""
    return types.SimpleNamespace(
        to_device=to_device,
        host=host,
        numeric_grad=numeric_grad,
        check_grad=check_grad,
        check_grad2=check_grad2,
    )


@pytest.fixture
def register_plugin() -> Any:
    """Register plugin objects by hand for one test; they are removed again afterwards."""
    added: list[Any] = []

    def register(plugin: Any) -> Any:
        plugrad_backends.register(plugin)
        added.append(plugin)
        return plugin

    yield register
    for plugin in added:
        _registry._manual.remove(plugin)
    if added:
        plugrad_backends.refresh()
        ag.ops.refresh()
