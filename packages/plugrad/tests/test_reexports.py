"""The meta-package re-exports every component's public names, flat."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import plugrad as pg
from plugrad._components import COMPONENTS as ALL_COMPONENTS
from plugrad._components import NAMESPACE_ONLY

COMPONENTS = {attr: name for _, name, attr in ALL_COMPONENTS if attr is not None}


@pytest.mark.parametrize("alias", list(COMPONENTS))
def test_every_public_name_of_each_component_is_reexported(alias: str) -> None:
    module = importlib.import_module(COMPONENTS[alias])
    assert getattr(pg, alias) is module
    if module.__name__ in NAMESPACE_ONLY:
        return
    missing = [n for n in module.__all__ if n not in pg.__all__ or not hasattr(pg, n)]
    assert not missing, f"plugrad does not re-export {missing} from {module.__name__}"


def test_all_names_resolve() -> None:
    assert [n for n in pg.__all__ if not hasattr(pg, n)] == []


def test_knet_canonical_example_through_the_meta_package() -> None:
    x = pg.Param([1.0, 2.0, 3.0])
    y = pg.diff(lambda: pg.sum(x * x))
    assert float(pg.value(y)) == 14.0
    assert pg.grad(y, x).tolist() == [2.0, 4.0, 6.0]


def test_info_lists_components_and_cpu() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "plugrad", "info"], capture_output=True, text=True, check=True
    ).stdout
    for dist in ("plugrad-backends", "plugrad-autograd", "plugrad-nn", "plugrad-optim"):
        assert dist in out
    assert "cpu" in out and "available" in out


def test_demo_with_a_missing_device_says_what_to_install() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "plugrad", "demo", "--device", "tpu"], capture_output=True, text=True
    )
    assert out.returncode == 2
    assert "unknown plugrad backend 'tpu'" in out.stderr and "installed backends" in out.stderr
    assert "Traceback" not in out.stderr
