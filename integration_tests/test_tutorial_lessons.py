"""The tutorial end to end: every lesson script of docs/tutorial runs and reaches its result.

Each script is run as a user would run it, in a fresh Python process, with
``PLUGRAD_TUTORIAL_QUICK=1`` (shorter training, with the scripts' own quick thresholds).
The scripts check their results with ``assert``; here we check the exit status and the
lines that report the result.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial"

# script -> patterns its standard output must contain (regular expressions)
LESSONS = {
    "lesson01_functions.py": [r"predictions \(50, 1\)", r"parameters \[\(1, 1\), \(1,\)\]"],
    "lesson02_training.py": [r"after \d+ epochs: test RMS error \d", r"learned: dist = 3\.\d"],
    "lesson03_generic.py": [r"speed and speed\^2: loss 10\d\.", r"lazy weights \(64, 10\)"],
    "lesson04_operators.py": [r"gradient check: True", r"same gradient as pg\.nll: True"],
    "lesson05_minibatch.py": [r"pg\.sgd: test accuracy 0\.\d+", r"MNIST: "],
    "lesson06_mlp.py": [r"MLP 64-64-10: .* test accuracy 0\.9", r"Total params: 4,810"],
    "lesson07_convnet.py": [r"LeNet from conv4 and pool: test accuracy 0\.", r"from layers"],
    "lesson08_dropout.py": [r"outside diff, drop\(w\) is w: True", r"test accuracy 0\.9"],
    "lesson09_rnn.py": [r"hand-written LSTM == pg\.RNN: True", r"state carried .*: True"],
    "lesson10_charlm.py": [r"loss per character: [\d.]+ after one epoch", r"--- sample ---"],
    "goldensection_demo.py": [r"\d+ evaluations; best: hidden \d+", r"test accuracy 0\.9"],
    "hyperband_demo.py": [r"22 trainings; best: hidden \d+", r"test accuracy .*: 0\.9"],
}


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PLUGRAD_MNIST"}
    env["PLUGRAD_TUTORIAL_QUICK"] = "1"
    # One BLAS thread per process: these models are tiny, and several threads per process
    # on a busy machine make them many times slower.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, "1")
    return env


def test_every_lesson_is_listed() -> None:
    scripts = {p.name for p in TUTORIAL.glob("*.py")}
    assert scripts == set(LESSONS), "add new tutorial scripts to LESSONS"


@pytest.mark.parametrize("script", list(LESSONS))
def test_lesson_runs(script: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(TUTORIAL / script)],
        cwd=tmp_path,  # the scripts find their data next to themselves, not in the cwd
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr}"
    for pattern in LESSONS[script]:
        assert re.search(pattern, result.stdout), f"{script}: no {pattern!r} in\n{result.stdout}"
    assert result.stdout.rstrip().endswith(" ok"), result.stdout
    assert list(tmp_path.iterdir()) == [], "a lesson left files in the working directory"
