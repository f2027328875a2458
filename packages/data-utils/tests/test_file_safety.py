import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from datautils_helpers import Linear
from hostile_helpers import crafted, edited

import plugrad_data._atomic as atomic
from plugrad_data import FORMAT_VERSION, FileFormatError, load, save


class _RunsCode:
    """A pickle payload: unpickling it would create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_pickle_payload_is_never_unpickled(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "model.safetensors"
    path.write_bytes(pickle.dumps({"w": _RunsCode(marker)}))
    with pytest.raises(FileFormatError, match="pickle") as err:
        load(path)
    assert err.value.path == str(path) and str(path) in str(err.value)
    assert not marker.exists()


@pytest.mark.parametrize(
    "name",
    ["os.system", "posix.system", "builtins.eval", "subprocess.Popen", "plugrad_no_such_pkg.Thing"],
)
def test_unregistered_class_names_are_refused(tmp_path, name):
    path = tmp_path / "evil.safetensors"
    crafted(path, {"m": {"$": "object", "id": 0, "class": name, "state": [["cmd", "touch pwned"]]}})
    with pytest.raises(FileFormatError, match=f"{name}.*not registered"):
        load(path)
    crafted(path, {"p": {"$": "param", "id": 0, "class": name, "value": None, "opt": None}})
    with pytest.raises(FileFormatError, match="not registered"):
        load(path)
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_no_module_named_by_the_file_is_imported_for_unknown_classes(tmp_path):
    # modules that record their import; neither is imported by load, whatever its name:
    # importing a module named by the file would run code the file chose
    for mod in ("plugrad_fixture_mod", "fixture_mod_other"):
        (tmp_path / f"{mod}.py").write_text(
            textwrap.dedent(f"""
            import pathlib, plugrad_autograd as ag
            pathlib.Path(r"{tmp_path}", "{mod}.imported").touch()
            @ag.serializable
            class Thing:
                pass
        """)
        )
    script = textwrap.dedent(f"""
        import sys; sys.path.insert(0, r"{tmp_path}")
        import plugrad_fixture_mod, fixture_mod_other
        from plugrad_data import save
        a = plugrad_fixture_mod.Thing(); a.x = 1
        b = fixture_mod_other.Thing(); b.x = 2
        save(r"{tmp_path / "a.st"}", thing=a)
        save(r"{tmp_path / "b.st"}", thing=b)
    """)
    subprocess.run([sys.executable, "-c", script], check=True)
    for mod in ("plugrad_fixture_mod", "fixture_mod_other"):
        (tmp_path / f"{mod}.imported").unlink()
    script = textwrap.dedent(f"""
        import sys; sys.path.insert(0, r"{tmp_path}")
        from plugrad_data import load, FileFormatError
        for name in ("a.st", "b.st"):
            try:
                load(sys.path[0] + "/" + name)
            except FileFormatError as e:
                print("refused:", e)
        import plugrad_fixture_mod  # registered by the user's own import: now it loads
        print(type(load(r"{tmp_path / "a.st"}", "thing")).__module__, flush=True)
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    assert "refused:" in out[0] and "plugrad_fixture_mod.Thing" in out[0]
    assert "refused:" in out[1] and "fixture_mod_other.Thing" in out[1]
    assert "import the module" in out[1] and out[2] == "plugrad_fixture_mod"
    assert not (tmp_path / "fixture_mod_other.imported").exists()


def test_truncated_files_always_raise_format_errors(tmp_path):
    path = tmp_path / "m.safetensors"
    save(path, model=Linear(4, 3), x=np.arange(50.0), note="hello")
    data = path.read_bytes()
    cut = tmp_path / "cut.safetensors"
    for n in [*range(0, 64, 3), *range(64, len(data), 37), len(data) - 1]:
        cut.write_bytes(data[:n])
        with pytest.raises(FileFormatError) as err:
            load(cut)
        assert str(cut) in str(err.value)
    cut.write_bytes(b"")
    with pytest.raises(FileFormatError, match="empty"):
        load(cut)


def test_corrupted_and_foreign_files(tmp_path):
    path = tmp_path / "m.safetensors"
    save(path, x=np.arange(4.0), y=[1, 2])
    data = bytearray(path.read_bytes())
    header_len = int.from_bytes(data[:8], "little")
    header = bytes(data[8 : 8 + header_len])
    bad = tmp_path / "bad.safetensors"
    edited(path, bad, '"$":"array"', '"$":"arrzy"')
    with pytest.raises(FileFormatError, match="unknown value kind 'arrzy'"):
        load(bad)
    edited(path, bad, '"tensor":"t0"', '"tensor":"t9"')
    with pytest.raises(FileFormatError, match="tensor 't9' that is not in the file"):
        load(bad)
    edited(path, bad, '"items":[1,2]', '"items":7')
    with pytest.raises(FileFormatError, match="malformed 'list' entry"):
        load(bad)
    bad.write_bytes(data[:8] + header.replace(b"{", b"[", 1) + data[8 + header_len :])
    with pytest.raises(FileFormatError, match="not a plugrad save file"):
        load(bad)
    bad.write_bytes(os.urandom(300))
    with pytest.raises(FileFormatError, match="not a plugrad save file"):
        load(bad)
    safetensors.numpy.save_file({"w": np.ones(3, np.float32)}, str(bad))
    with pytest.raises(FileFormatError, match="without plugrad metadata"):
        load(bad)
    crafted(bad, {"x": 1}, version=str(FORMAT_VERSION + 1))
    with pytest.raises(FileFormatError, match=r"newer.*upgrade plugrad-data"):
        load(bad)
    crafted(
        bad,
        {"x": {"$": "array", "id": 0, "tensor": "t0", "dtype": "object", "shape": [1]}},
        tensors={"t0": np.zeros(1)},
    )
    with pytest.raises(FileFormatError, match="not a numeric dtype"):
        load(bad)
    crafted(
        bad,
        {"x": {"$": "array", "id": 0, "tensor": "t0", "dtype": "float64", "shape": [2]}},
        tensors={"t0": np.zeros(3)},
    )
    with pytest.raises(FileFormatError, match="the tree says float64"):
        load(bad)
    crafted(bad, {"x": {"$": "ref", "id": 42}})
    with pytest.raises(FileFormatError, match="#42"):
        load(bad)
    with pytest.raises(FileNotFoundError, match="no file"):
        load(tmp_path / "absent.safetensors")


@pytest.mark.parametrize("failure", ["write", "fsync", "replace"])
def test_an_interrupted_save_leaves_the_old_file_intact(tmp_path, monkeypatch, failure):
    path = tmp_path / "ckpt.safetensors"
    save(path, w=np.arange(10.0), step=1)
    before = path.read_bytes()

    def half_then_crash(f, data):
        f.write(data[: len(data) // 2])
        raise OSError("disk full")

    def crash(*args):
        raise OSError("crash")

    if failure == "write":
        monkeypatch.setattr(atomic, "write_payload", half_then_crash)
    elif failure == "fsync":
        monkeypatch.setattr(atomic.os, "fsync", crash)
    else:
        monkeypatch.setattr(atomic.os, "replace", crash)
    with pytest.raises(OSError):
        save(path, w=np.zeros(1000), step=2)
    monkeypatch.undo()
    assert path.read_bytes() == before
    w, step = load(path, "w", "step")
    assert step == 1 and w.tolist() == list(np.arange(10.0))
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]  # no temporary file left behind
