"""Test helpers shared by plugrad packages and plugins.

The ``backend`` fixture runs a test once per registered backend; GPU backends are marked
``cuda`` and skipped where they cannot run. Use it from a ``conftest.py``::

    from plugrad_backends.testing import backend  # noqa: F401
"""

from __future__ import annotations

from typing import Any

import pytest

from ._api import _is_available, get
from ._boundary import attempt
from ._registry import registry


def _params() -> list[Any]:
    params = []
    for name, backend in registry().backends.items():
        marks = [pytest.mark.cuda] if backend.is_gpu else []
        if not _is_available(backend):
            why, error = attempt(backend.unavailable_reason)  # a plugin's code: it may raise
            reason = f"backend {name!r} unavailable: {why or error}"
            marks.append(pytest.mark.skip(reason=reason))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.fixture(params=_params())
def backend(request: pytest.FixtureRequest) -> Any:
    """Each registered backend in turn; tests build their arrays with ``backend.xp``."""
    return get(request.param)
