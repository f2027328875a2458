import json
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

import plugrad_data._serialize as serialize
from plugrad_data import FORMAT_VERSION, FileFormatError, load, save


class _RunsCode:
    """A pickle payload: unpickling it would create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def crafted(path, tree, tensors=None, **meta):
    metadata = {"format": "plugrad", "version": str(FORMAT_VERSION), "tree": json.dumps(tree)}
    metadata.update(meta)
    tensors = tensors or {"empty": np.zeros(0, dtype=np.uint8)}  # see save()
    safetensors.numpy.save_file(tensors, str(path), metadata=metadata)


def edited(source, dest, old, new):
    """Copy a save file, replacing text in its value tree."""
    with safetensors.safe_open(source, "np") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open is not a dict)
    assert old in meta["tree"]
    meta["tree"] = meta["tree"].replace(old, new)
    safetensors.numpy.save_file(tensors, str(dest), metadata=meta)


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


def test_only_plugrad_modules_are_imported_for_unknown_classes(tmp_path):
    # a module that records its import; one named plugrad_* is imported by load, the
    # other is not (its import would run code named by the file)
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
        print(type(load(r"{tmp_path / "a.st"}", "thing")).__module__, flush=True)
        try:
            load(r"{tmp_path / "b.st"}")
        except FileFormatError as e:
            print("refused:", e)
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True
    ).stdout
    assert out.splitlines()[0] == "plugrad_fixture_mod"
    assert "refused:" in out and "fixture_mod_other.Thing" in out and "import the module" in out
    assert (tmp_path / "plugrad_fixture_mod.imported").exists()
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
        monkeypatch.setattr(serialize, "_write_payload", half_then_crash)
    elif failure == "fsync":
        monkeypatch.setattr(serialize.os, "fsync", crash)
    else:
        monkeypatch.setattr(serialize.os, "replace", crash)
    with pytest.raises(OSError):
        save(path, w=np.zeros(1000), step=2)
    monkeypatch.undo()
    assert path.read_bytes() == before
    w, step = load(path, "w", "step")
    assert step == 1 and w.tolist() == list(np.arange(10.0))
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]  # no temporary file left behind
