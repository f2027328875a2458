from collections.abc import Callable, Sequence

import numpy as np
import pytest

import plugrad_autograd as ag
from plugrad_backends import to_host
from plugrad_backends.testing import backend  # noqa: F401


def _numeric_check(
    f: Callable[[], object],
    params: Sequence[ag.Param],
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-7,
) -> None:
    """Every element of every Param's recorded gradient against central differences.

    The Params should hold float64 arrays; ``f`` is evaluated outside ``diff`` for the
    differences, so it must not depend on ``training()`` (pass ``training=True`` etc.).
    """
    tape = ag.diff(f)
    for k, p in enumerate(params):
        g = ag.grad(tape, p)
        analytic = np.zeros(p.shape) if g is None else to_host(g).astype(np.float64)
        flat = p.value.reshape(-1)
        assert flat.base is not None or flat is p.value, "numgrad needs contiguous Params"
        numeric = np.zeros(flat.size)
        for i in range(flat.size):
            old = float(flat[i])
            flat[i] = old + eps
            up = float(to_host(ag.value(f())))
            flat[i] = old - eps
            down = float(to_host(ag.value(f())))
            flat[i] = old
            numeric[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(
            analytic.reshape(-1), numeric, rtol=rtol, atol=atol, err_msg=f"param {k} {p.shape}"
        )


@pytest.fixture
def numgrad() -> Callable[..., None]:
    """``numgrad(f, params)``: assert the tape's gradients of scalar ``f()`` are right."""
    return _numeric_check
