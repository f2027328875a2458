"""Classes defined in a script (``__main__``): saved in one process, loaded in another."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_data as D

SAVE = """
import numpy as np, plugrad_autograd as ag, plugrad_data as D

@ag.serializable{decorator_args}
class Net:
    def __init__(self):
        self.w = ag.Param(np.arange(3.0))

D.save({path!r}, net=Net())
"""

LOAD = """
import numpy as np, plugrad_autograd as ag, plugrad_data as D

@ag.serializable{decorator_args}
class Net:
    pass

net = D.load({path!r}, "net")
assert type(net) is Net, type(net)
print(net.w.value.tolist())
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )


def test_a_named_script_class_loads_in_another_script(tmp_path):
    path = os.fspath(tmp_path / "net.safetensors")
    args = '(name="tests.Net")'
    saved = _run(SAVE.format(path=path, decorator_args=args))
    assert saved.returncode == 0, saved.stderr
    # the loader's class has another Python name, in another module: the stable name matches
    loaded = _run(
        LOAD.format(path=path, decorator_args=args)
        .replace("class Net:", "class Renamed:")
        .replace("is Net,", "is Renamed,")
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "[0.0, 1.0, 2.0]"


def test_an_unnamed_main_class_error_says_how_to_name_it(tmp_path):
    path = os.fspath(tmp_path / "net.safetensors")
    saved = _run(SAVE.format(path=path, decorator_args=""))
    assert saved.returncode == 0, saved.stderr
    # the loading script imports the class from a module: its name is no longer __main__.Net
    loaded = _run(f"import plugrad_data as D\nD.load({path!r}, 'net')")
    assert loaded.returncode != 0
    assert "__main__.Net" in loaded.stderr
    assert 'serializable(name="' in loaded.stderr


def test_the_registered_name_is_what_save_writes():
    @ag.serializable(name="tests.script.Thing")
    class Thing:
        pass

    assert ag.serializable_name(Thing) == "tests.script.Thing"
    assert ag.serializable_class("tests.script.Thing") is Thing


def test_round_trip_in_one_process_with_a_name(tmp_path):
    @ag.serializable(name="tests.script.Box")
    class Box:
        pass

    box = Box()
    box.x = np.arange(4.0)
    D.save(tmp_path / "b.safetensors", box=box)
    back = D.load(tmp_path / "b.safetensors", "box")
    assert type(back) is Box
    np.testing.assert_array_equal(back.x, np.arange(4.0))


@pytest.mark.parametrize("bad", ["", "has space", 3, "a..b"])
def test_a_bad_name_is_refused(bad):
    with pytest.raises(TypeError, match="name"):
        ag.serializable(name=bad)(type("X", (), {}))


def test_a_name_taken_by_another_class_is_refused_and_the_same_class_may_register_again():
    @ag.serializable(name="tests.script.Taken")
    class Taken:
        pass

    first = Taken

    @ag.serializable(name="tests.script.Taken")  # the same class defined again (a re-run)
    class Taken:
        pass

    assert ag.serializable_class("tests.script.Taken") is Taken is not first

    class Other:
        pass

    with pytest.raises(ValueError, match="already registered"):
        ag.serializable(name="tests.script.Taken")(Other)
