from collections.abc import Callable

import numpy as np
import pytest

import plugrad_optim as po
from plugrad_backends import Backend
from plugrad_backends.testing import backend  # noqa: F401

STEPS = 20


@pytest.fixture
def gradients() -> np.ndarray:
    """20 fixed gradients of shape (3, 4) whose scale varies from step to step."""
    rng = np.random.default_rng(1234)
    scale = 1.0 + 2.0 * (np.arange(STEPS) % 3)
    return rng.standard_normal((STEPS, 3, 4)) * scale[:, None, None]


@pytest.fixture
def w0() -> np.ndarray:
    return np.random.default_rng(99).standard_normal((3, 4))


@pytest.fixture
def run(backend: Backend) -> Callable[..., np.ndarray]:  # noqa: F811 (the fixture above)
    """Apply ``opt`` to a copy of ``w0`` on ``backend`` for each gradient; return host ``w``."""
    xb = backend

    def go(opt: po.Transform, w0: np.ndarray, grads: np.ndarray) -> np.ndarray:
        w = xb.asarray(w0.copy())
        for g in grads:
            po.update(w, xb.asarray(g), opt)
        return xb.to_host(w)

    return go
