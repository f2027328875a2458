"""``python -m plugrad info`` reports a plugin that failed, with its distribution and reason."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# A plugin whose import calls sys.exit: before the plugin boundary caught BaseException,
# this ended the interpreter before anything was printed.
_FAILING_PLUGIN = """
import runpy, sys
from plugrad_backends import _registry

class Dist:
    name, version = "plugrad-gives-up", "0.3"

class EntryPoint:
    name, dist = "givesup", Dist()
    def load(self):
        raise SystemExit("no licence key found")

real = _registry._selected_entry_points
_registry._selected_entry_points = lambda: [*real(), EntryPoint()]
sys.argv = ["x", "info"]
runpy.run_module(MODULE, run_name="__main__")
"""


def _info_with_a_failing_plugin(module: str) -> subprocess.CompletedProcess[str]:
    code = textwrap.dedent(_FAILING_PLUGIN).replace("MODULE", repr(module))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_plugrad_info_reports_the_failed_plugin() -> None:
    for module in ("plugrad", "plugrad_backends"):
        out = _info_with_a_failing_plugin(module)
        assert out.returncode == 0, out.stderr
        [line] = [x for x in out.stdout.splitlines() if x.strip().startswith("givesup ")]
        assert "plugrad-gives-up 0.3" in line
        assert "FAILED: SystemExit: no licence key found" in line
        assert "plugrad-gives-up" in out.stderr  # the warning, naming the distribution
        assert "cpu" in out.stdout.split("\nbackends:")[1]
