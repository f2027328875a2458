"""Test helpers shared by plugrad packages and plugins.

The ``backend`` fixture runs a test once per registered backend; GPU backends are marked
``cuda`` and skipped where they cannot run. Use it from a ``conftest.py``::

    from plugrad_backends.testing import backend  # noqa: F401
"""

from __future__ import annotations

from typing import Any

import pytest

from ._api import _is_available, get
from ._registry import registry


def _params() -> list[Any]:
    params = []
    for name, backend in registry().backends.items():
        marks = [pytest.mark.cuda] if backend.is_gpu else []
        if not _is_available(backend):
            reason = f"backend {name!r} unavailable: {backend.unavailable_reason()}"
            marks.append(pytest.mark.skip(reason=reason))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.fixture(params=_params())
def backend(request: pytest.FixtureRequest) -> Any:
    """Each registered backend in turn; tests build their arrays with ``backend.xp``."""
    return get(request.param)
