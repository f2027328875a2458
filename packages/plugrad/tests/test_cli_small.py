"""The command line's small things: plain --help, info's ops and BLAS threads, the demo line."""

from __future__ import annotations

import subprocess
import sys

import plugrad as pg
import plugrad_backends as B
from plugrad._demo import epoch_message
from plugrad._info import blas_lines, plugin_ops


def test_help_is_plain_text_without_rst_markup() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "plugrad", "--help"], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "``" not in out.stdout and ":func:" not in out.stdout
    assert "python -m plugrad: info" in out.stdout


def test_info_lists_the_ops_each_plugin_adds() -> None:
    def shout(x):
        return x

    class OpsPlugin:
        @B.hookimpl
        def plugrad_ops(self):
            return {"shout": shout}

    plugin = OpsPlugin()
    B.register(plugin)
    try:
        [line] = [x for x in plugin_ops() if "shout" in x]
        assert "registered by hand" in line
        assert "shout" in pg.info().split("ops added by plugins")[1]
    finally:
        B.unregister(plugin)
    assert not any("shout" in x for x in plugin_ops())


def test_info_gives_the_blas_thread_count() -> None:
    libraries = B.blas_libraries()
    text = "\n".join(blas_lines())
    for lib in libraries:
        assert f"{lib.threads} threads" in text
    assert "threads:" in pg.info()


def test_the_first_epoch_shows_no_test_accuracy_before_one_was_measured() -> None:
    assert "test acc" not in epoch_message(1, 3, 2.0, None)
    assert epoch_message(2, 3, 0.25, 0.875) == (
        "epoch 2/3 loss 0.2500 (test acc 0.8750 after epoch 1)"
    )
