"""The component list is the one source: the repository's packages and ruff's config agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from plugrad._components import COMPONENTS

ROOT = Path(__file__).resolve().parents[3]
PYPROJECT = ROOT / "pyproject.toml"
IMPORT_NAMES = {name for _, name, _ in COMPONENTS}

needs_checkout = pytest.mark.skipif(
    not PYPROJECT.is_file(), reason="needs the repository checkout around the package"
)


def _known_first_party() -> set[str]:
    # Read with a regex, not tomllib: Python 3.10 has no tomllib, and this is one list.
    text = PYPROJECT.read_text()
    match = re.search(r"known-first-party\s*=\s*\[(.*?)\]", text, re.S)
    assert match, "root pyproject.toml has no [tool.ruff.lint.isort] known-first-party"
    return set(re.findall(r'"([^"]+)"', match.group(1)))


def _packages_in_checkout() -> dict[str, Path]:
    found = {}
    for folder in ("packages", "plugins"):
        for init in ROOT.glob(f"{folder}/*/src/*/__init__.py"):
            found[init.parent.name] = init.parent
    return found


@needs_checkout
def test_every_package_of_the_repository_is_a_component() -> None:
    missing = sorted(set(_packages_in_checkout()) - IMPORT_NAMES)
    assert not missing, f"add {missing} to packages/plugrad/src/plugrad/_components.py"


@needs_checkout
def test_every_component_is_a_package_of_the_repository() -> None:
    stale = sorted(IMPORT_NAMES - set(_packages_in_checkout()))
    assert not stale, f"_components.py lists {stale}, which the repository does not have"


@needs_checkout
def test_ruff_knows_every_component_as_first_party() -> None:
    missing = sorted(IMPORT_NAMES - _known_first_party())
    assert not missing, f"add {missing} to known-first-party in the root pyproject.toml"


def test_entries_are_distinct_and_well_formed() -> None:
    dists = [dist for dist, _, _ in COMPONENTS]
    attrs = [attr for _, _, attr in COMPONENTS if attr is not None]
    assert len(set(dists)) == len(dists) and len(set(attrs)) == len(attrs)
    for dist, name, _ in COMPONENTS:
        assert name == dist.replace("-", "_"), (dist, name)
