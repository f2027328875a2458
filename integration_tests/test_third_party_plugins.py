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


def _run(python: Path, code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLUGRAD_")}
    return subprocess.run(
        [str(python), "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
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


# The plugin guide's toy backend (docs/guide/plugins.rst shows this file), beside the whole
# of plugrad: arrays, initializers and layers on "toy", a refusal to mix it with the CPU,
# training, save and load, and the demo (LeNet through the portable conv and pooling).
_COMPONENTS = [
    "array-backends",
    "autograd-core",
    "nn-ops",
    "optimizers",
    "data-utils",
    "hyperopt",
    "distributed",
    "plugrad",
]


def test_the_guides_toy_backend_trains_and_runs_the_demo(tmp_path: Path) -> None:
    # the meta-package depends on plugrad-cpu-kernels too, which lives under plugins/
    components = [*(ROOT / "packages" / c for c in _COMPONENTS), ROOT / "plugins" / "cpu-kernels"]
    python = _venv(tmp_path, *components, PLUGINS / "toy-backend")
    result = _run(
        python,
        """
        import numpy as np
        import plugrad as pg
        print("available", pg.backends.available())
        with pg.backends.using("toy"):
            made = {
                "param": pg.param(3, 2).value,
                "gaussian": pg.gaussian(3, 2),
                "Param": pg.Param([1.0, 2.0]).value,
                "Dense": pg.Dense(3, 2).bias.value,
            }
            print("types", sorted({type(v).__name__ for v in made.values()}))
            w = pg.param(2, 1)
            x = pg.array(np.ones((4, 2)))
            loss = pg.train(lambda: pg.sum((x @ w - 1.0) ** 2), [()] * 50, pg.SGD(lr=0.05))
            print("trained", type(w.value).__name__, round(loss, 6))
        try:
            pg.add(pg.array([1.0], device="toy"), np.ones(1))
        except pg.BackendError as e:
            print("refused", e)
        pg.save("model.safetensors", w=w)
        print("loaded", type(pg.load("model.safetensors", "w", device="toy").value).__name__)
        """,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "available ['cpu', 'toy']" in out
    assert "types ['ToyArray']" in out
    assert "trained ToyArray 0.0" in out
    assert "refused add: arrays from different backends" in out and "'toy'" in out
    assert "loaded ToyArray" in out
    demo = subprocess.run(
        [
            str(python),
            "-m",
            "plugrad",
            "demo",
            "--device",
            "toy",
            "--epochs",
            "2",
            "--out",
            str(tmp_path / "lenet.safetensors"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "device: toy" in demo.stdout
    assert "reloaded in a new process: test accuracy" in demo.stdout
