"""Third-party distributions installed into a fresh venv beside plugrad, then discovered."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = Path(__file__).resolve().parent / "plugins"

pytestmark = pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv to make venvs")


def _venv(tmp_path: Path, *projects: Path) -> Path:
    venv = tmp_path / "venv"
    subprocess.run(["uv", "venv", "-q", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        ["uv", "pip", "install", "-q", "--python", str(python), *map(str, projects)], check=True
    )
    return python


def _run(python: Path, code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGRAD_")}
    return subprocess.run(
        [str(python), "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env
    )


def test_backend_plugin_is_discovered_selectable_and_round_trips(tmp_path: Path) -> None:
    python = _venv(
        tmp_path,
        ROOT / "packages" / "array-backends",
        PLUGINS / "toy-backend",
        PLUGINS / "broken-plugin",
    )
    result = _run(
        python,
        """
        import warnings
        import numpy as np
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import plugrad_backends as B
            names = B.available()
        print("available", sorted(names))
        print("warnings", [str(w.message) for w in caught])
        x = B.array([1.0, 2.0, 3.0], device="toy")
        print("type", type(x).__name__, B.of(x).name)
        with B.using("toy"):
            print("default", B.current().name, type(B.array([1.0])).__name__)
        print("back", B.to_host(x).tolist(), type(B.to_host(x)).__name__)
        print("cpu", type(B.array(x, device="cpu")).__name__)
        B.use("toy"); print("use", B.current().name); B.use("cpu")
        try:
            B.of(x, np.zeros(2))
        except B.BackendError as e:
            print("mixed", e)
        print(B.info())
        """,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "available ['cpu', 'toy']" in out
    assert "plugrad-broken-plugin" in out and "broken on purpose" in out
    assert "type ToyArray toy" in out
    assert "default toy ToyArray" in out
    assert "back [1.0, 2.0, 3.0] ndarray" in out
    assert "cpu ndarray" in out
    assert "use toy" in out
    assert "mixed" in out and "'toy'" in out and "'cpu'" in out
    assert "plugrad-toy-backend 1.0.0" in out
    assert "FAILED: ImportError: this plugin is broken on purpose" in out


def test_autoload_can_be_turned_off(tmp_path: Path) -> None:
    python = _venv(tmp_path, ROOT / "packages" / "array-backends", PLUGINS / "toy-backend")
    code = "import plugrad_backends as B; print(sorted(B.available()))"
    env = {**os.environ, "PLUGRAD_NO_AUTOLOAD": "1"}
    off = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=env)
    assert off.stdout.strip() == "['cpu']", off.stderr
    env["PLUGRAD_PLUGINS"] = "cpu,toy"
    chosen = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env=env)
    assert chosen.stdout.strip() == "['cpu', 'toy']", chosen.stderr


def test_ops_plugin_appears_under_ops(tmp_path: Path) -> None:
    python = _venv(
        tmp_path,
        ROOT / "packages" / "array-backends",
        ROOT / "packages" / "autograd-core",
        PLUGINS / "extra-ops",
    )
    result = _run(
        python,
        """
        import numpy as np
        import plugrad_autograd as ag
        swish = ag.ops.swish
        x = np.array([-1.0, 0.5, 2.0])
        print("value", np.round(swish(x), 6).tolist())
        print("grad ok", ag.gcheck(lambda w: ag.sum(swish(w)), ag.Param(x), verbose=1))
        print("listed", "swish" in dir(ag.ops))
        """,
    )
    assert result.returncode == 0, result.stderr
    expected = np.round(np.array([-1.0, 0.5, 2.0]) / (1 + np.exp(-np.array([-1.0, 0.5, 2.0]))), 6)
    assert f"value {expected.tolist()}" in result.stdout
    assert "grad ok True" in result.stdout
    assert "listed True" in result.stdout


def test_this_interpreter_is_untouched() -> None:
    # The plugins above go into throwaway venvs only, never into the test environment.
    assert "plugrad_toy" not in sys.modules
