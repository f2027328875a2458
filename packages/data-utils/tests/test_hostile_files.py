"""Hostile files: bounded decoding, clear errors, checksums, schema checks, no imports."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import datautils_helpers as h
import numpy as np
import pytest
import safetensors
from hostile_helpers import crafted, digest, edited, read, write_tree

import plugrad_autograd as ag
import plugrad_optim as optim
from plugrad_data import FileFormatError, load, save

HERE = Path(__file__).parent


@pytest.fixture
def path(tmp_path):
    return tmp_path / "hostile.safetensors"


def count_decodes(monkeypatch) -> list[int]:
    """Count the decoder's node visits (the work a load does)."""
    calls = [0]
    try:
        from plugrad_data._decode import Decoder
    except ImportError:  # the format-1 reader, for comparison
        from plugrad_data._serialize import _Decoder as Decoder
    original = Decoder.decode

    def counted(self, node):
        calls[0] += 1
        return original(self, node)

    monkeypatch.setattr(Decoder, "decode", counted)
    return calls


def doubling_refs(kind: str, depth: int) -> dict:
    """Node k holds two references to node k-1: 2**depth paths through ``depth`` nodes."""
    defs = [{"$": "list", "id": 0, "items": [1.0]}]
    for k in range(1, depth + 1):
        defs.append({"$": kind, "id": k, "items": [{"$": "ref", "id": k - 1}] * 2})
    return {"defs": {"$": "list", "id": depth + 1, "items": defs}}


# -- 1. bounded decoding ------------------------------------------------------------------


def test_shared_references_are_resolved_once(path, monkeypatch):
    crafted(path, doubling_refs("list", 40))
    calls = count_decodes(monkeypatch)
    defs = load(path, "defs")
    assert calls[0] < 300  # 2**40 paths, 41 nodes of 3 entries each
    assert defs[40][0] is defs[40][1] is defs[39]
    assert defs[1] == [[1.0], [1.0]]


def test_tuples_cannot_be_made_shared_to_multiply_the_work(path, monkeypatch):
    # a tuple has no identity in the format: giving it an "id" was accepted and each
    # reference decoded the whole subtree again (16 s at depth 22)
    crafted(path, doubling_refs("tuple", 16))
    calls = count_decodes(monkeypatch)
    with pytest.raises(FileFormatError, match=r"'tuple' entry.*'id'") as err:
        load(path)
    assert calls[0] < 100
    assert str(path) in str(err.value)


def test_nesting_deeper_than_the_cap_is_refused_on_save_and_load(path, tmp_path):
    deep: list = []
    for _ in range(63):
        deep = [deep]
    save(path, deep=deep)  # 64 levels: the deepest allowed
    got = load(path, "deep")
    for _ in range(63):
        got = got[0]
    assert got == []
    with pytest.raises(TypeError, match=r"deep.*more than 64 levels"):
        save(path, deep=[deep])
    tree: dict = {"$": "list", "id": 0, "items": []}
    for i in range(1, 150):
        tree = {"$": "list", "id": i, "items": [tree]}
    crafted(path, {"deep": tree})
    with pytest.raises(FileFormatError, match="more than 64 levels"):
        load(path)
    text = "[" * 100_000 + "]" * 100_000
    write_tree(path, text, {})
    with pytest.raises(FileFormatError, match="malformed value tree"):
        load(path)


def test_a_tensor_used_by_two_values_is_refused(path):
    # 100 nodes sharing one 16 MB tensor decoded to 1.7 GB: one tensor, one value
    t = np.arange(6.0)
    node = {"$": "array", "tensor": "t0", "backend": "cpu", "dtype": "float64", "shape": [6]}
    tree = {"a": {**node, "id": 0}, "b": {**node, "id": 1}}
    crafted(path, tree, {"t0": t})
    with pytest.raises(FileFormatError, match="tensor 't0' is used by more than one value"):
        load(path)
    scalar = {"$": "scalar", "tensor": "t0", "dtype": "float64", "shape": [6]}
    crafted(path, {"a": {**node, "id": 0}, "s": scalar}, {"t0": t})
    with pytest.raises(FileFormatError, match="more than one value"):
        load(path)


class PanicException(BaseException):
    """What safetensors (pyo3) raises when its Rust code panics: not an Exception."""


@pytest.mark.parametrize("where", ["open", "get_tensor"])
def test_a_panic_in_safetensors_becomes_a_format_error(path, monkeypatch, where):
    save(path, w=np.arange(3.0))
    real_open = safetensors.safe_open

    class Handle:
        def __init__(self, *args, **kwargs):
            if where == "open":
                raise PanicException("called `Result::unwrap()` on an `Err` value")
            self.inner = real_open(*args, **kwargs)

        def __enter__(self):
            self.inner.__enter__()
            return self

        def __exit__(self, *exc):
            return self.inner.__exit__(*exc)

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def get_tensor(self, key):
            raise PanicException("capacity overflow")

    monkeypatch.setattr(safetensors, "safe_open", Handle)
    with pytest.raises(FileFormatError, match="safetensors failed") as err:
        load(path)
    assert str(path) in str(err.value)


# -- 2. no bare exceptions ----------------------------------------------------------------

ARRAY = {"$": "array", "id": 0, "tensor": "t0", "backend": "cpu", "dtype": "float64"}
BAD_TREES = {
    "infinite shape": ('{"x":%s}', {**ARRAY, "shape": "INF"}),
    "400-digit shape": ('{"x":%s}', {**ARRAY, "shape": [int("9" * 400)]}),
    "list as id": ('{"x":%s}', {"$": "ref", "id": [1]}),
    "list as list id": ('{"x":%s}', {"$": "list", "id": [1], "items": []}),
    "bool as id": ('{"x":%s}', {"$": "list", "id": True, "items": []}),
    "huge complex": ('{"x":%s}', {"$": "complex", "re": int("9" * 400), "im": 0}),
    "list as dict key": ('{"x":%s}', {"$": "dict", "id": 0, "items": [[[1], 2]]}),
    "list node as key": (
        '{"x":%s}',
        {"$": "dict", "id": 0, "items": [[{"$": "list", "id": 1, "items": []}, 2]]},
    ),
    "dict as class name": ('{"x":%s}', {"$": "object", "id": 0, "class": {}, "state": []}),
    "shape of a scalar": (
        '{"x":%s}',
        {"$": "scalar", "tensor": "t0", "dtype": "float64", "shape": [1e300]},
    ),
    "many dims": ('{"x":%s}', {**ARRAY, "shape": [1] * 100}),
    "negative dim": ('{"x":%s}', {**ARRAY, "shape": [-3]}),
}


@pytest.mark.parametrize("case", list(BAD_TREES))
def test_malformed_trees_give_format_errors_naming_the_file(path, case):
    template, node = BAD_TREES[case]
    text = template % json.dumps(node).replace('"INF"', "[Infinity]")
    write_tree(path, text, {"t0": np.zeros(3)})
    with pytest.raises(FileFormatError) as err:
        load(path)
    assert str(path) in str(err.value)


# -- 3. integrity -------------------------------------------------------------------------


def test_every_flipped_bit_in_a_file_is_detected(path, tmp_path):
    w = np.linspace(-1, 1, 6, dtype=np.float32)
    save(path, w=w, n=3, names=["a", "b"])
    data = path.read_bytes()
    header_end = 8 + int.from_bytes(data[:8], "little")
    flipped = tmp_path / "flipped.safetensors"
    silent = []
    for i in range(len(data)):
        bit = 1 << (i % 8)
        flipped.write_bytes(data[:i] + bytes([data[i] ^ bit]) + data[i + 1 :])
        try:
            got = load(flipped)
        except FileFormatError as e:
            if i >= header_end:
                assert "checksum" in str(e) and "'t0'" in str(e), str(e)
            continue
        if not (np.array_equal(got["w"], w) and got["n"] == 3 and got["names"] == ["a", "b"]):
            silent.append(i)
    assert silent == []


def test_a_tree_pointed_at_another_tensor_fails_its_checksum(path):
    save(path, a=np.zeros(3), b=np.ones(3))
    meta, tensors = read(path)
    tree = json.loads(meta["tree"])
    tree["a"]["tensor"], tree["b"]["tensor"] = tree["b"]["tensor"], tree["a"]["tensor"]
    write_tree(path, json.dumps(tree), tensors)
    with pytest.raises(FileFormatError, match="checksum"):
        load(path)


def test_files_of_format_version_1_still_load():
    m = h.Linear(3, 2, seed=4)
    m.history = [0.5, 0.25]
    x, y = h.dataset(8)
    h.train(m, iter([(x[:4], y[:4, :1].repeat(2, 1))] * 2), 2)
    got = load(HERE / "data" / "format1.safetensors")
    model = got["model"]
    assert type(model) is h.Linear and model.params == [model.w, model.b]
    assert np.array_equal(model.w.value, m.w.value) and model.w.value.dtype == np.float32
    assert np.array_equal(model.b.opt.velocity, m.b.opt.velocity)
    assert model.history == m.history and model.w.opt.steps == 2
    assert got["names"] == ("a", [1, 2.5, None]) and got["step"] == 2
    assert got["cfg"] == {"lr": 0.1, "inf": float("inf"), (1, "x"): 1 + 2j}
    assert got["c"].tolist() == [1 + 2j] and got["ld"].dtype == np.longdouble
    assert got["scalar"] == np.float32(2.5) and got["dt"] == np.dtype("float16")


def test_a_version_1_label_does_not_switch_off_checksums(path, tmp_path):
    save(path, w=np.arange(3.0))
    meta, tensors = read(path)
    relabelled = tmp_path / "v1.safetensors"
    write_tree(relabelled, meta["tree"], tensors, version="1")
    with pytest.raises(FileFormatError, match="'sum'"):
        load(relabelled)


# -- 4. schema ----------------------------------------------------------------------------


def test_a_param_value_re_pointed_at_the_model_is_refused(path, tmp_path):
    save(path, model=h.Linear(3, 2))
    bad = tmp_path / "bad.safetensors"
    meta, _ = read(path)
    value = json.loads(meta["tree"])["model"]["state"][0][1]["value"]
    edited(path, bad, json.dumps(value, separators=(",", ":")), '{"$":"ref","id":0}')
    with pytest.raises(FileFormatError, match=r"Param's value must be a numeric array"):
        load(bad)
    edited(path, bad, '"opt":null', '"opt":{"$":"ref","id":6}')  # the history list
    with pytest.raises(FileFormatError, match=r"Param's opt must be None or"):
        load(bad)


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('"backend":"cpu"', '"backnd":"cpu"', "unknown field 'backnd'"),
        ('"dtype":"float64"', '"dtipe":"float64"', "unknown field 'dtipe'"),
        ('"class":"datautils_helpers.Momentum"', '"klass":"x"', "unknown field 'klass'"),
        ('"$":"param","id":0', '"$":"param","id":0,"extra":2', "unknown field 'extra'"),
        ('"type":false', '"type":0', "'type' must be"),
        ('"$":"list","id":', '"$":"list","id":"7","x":', "unknown field"),
        ('"items":[0.5]', '"items":{"a":0.5}', "'items' must be"),
        ('["lr",0.1]', '["lr",0.1,3]', "attribute"),
        ('["lr",0.1]', '["__class__",0.1]', "attribute name '__class__'"),
        ('["lr",0.1]', '["gamma",0.1]', "attribute 'gamma' twice"),
        ('"id":2,', '"id":1,', "defined twice"),
    ],
)
def test_renamed_and_re_pointed_fields_are_refused(path, tmp_path, old, new, message):
    p = ag.Param(np.arange(3.0))
    p.opt = h.Momentum(lr=0.1)
    save(path, p=p, h=[0.5], dt=np.dtype("float16"), plain=ag.Param(np.zeros(2)))
    bad = tmp_path / "bad.safetensors"
    edited(path, bad, old, new)
    with pytest.raises(FileFormatError, match=message) as err:
        load(bad)
    assert str(bad) in str(err.value)


class Declared:
    """A registered class declaring its fields: the loader checks them."""

    def __init__(self, n: int) -> None:
        self.w = ag.Param(np.zeros(n))
        self.n = n
        self.note = None


@pytest.fixture(scope="module")
def _declare():
    ag.serializable(Declared, fields={"w": ag.Param, "n": int, "note": (str, type(None))})


def test_declared_fields_are_checked(path, tmp_path, _declare):
    save(path, d=Declared(2))
    got = load(path, "d")
    assert got.n == 2 and got.note is None and got.w.value.shape == (2,)
    bad = tmp_path / "bad.safetensors"
    edited(path, bad, '["n",2]', '["n","2"]')
    with pytest.raises(FileFormatError, match=r"Declared\.n must be int, not str"):
        load(bad)
    edited(path, bad, '["n",2]', '["m",2]')
    with pytest.raises(FileFormatError, match=r"Declared has no field 'm'"):
        load(bad)
    edited(path, bad, '["n",2],', "")
    with pytest.raises(FileFormatError, match=r"Declared lacks its field 'n'"):
        load(bad)
    d = Declared(1)
    d.extra = 1
    with pytest.raises(TypeError, match=r"d: .*Declared has no field 'extra'"):
        save(path, d=d)


def test_declared_fields_follow_the_registration(_declare):
    assert ag.serializable_fields(Declared) == {
        "w": (ag.Param,),
        "n": (int,),
        "note": (str, type(None)),
    }
    assert ag.serializable_fields(h.Linear) is None


def test_validating_attributes_run_their_checks(path, tmp_path):
    save(path, opt=optim.Adam(lr=0.01, beta1=0.9))
    bad = tmp_path / "bad.safetensors"
    edited(path, bad, '["beta1",0.9]', '["beta1",7.5]')
    with pytest.raises(FileFormatError, match=r"Adam: beta1 must be"):
        load(bad)


# -- 5. no module named by the file is imported -------------------------------------------


def test_a_module_named_by_the_file_is_never_imported(tmp_path):
    (tmp_path / "plugrad_extras.py").write_text(
        textwrap.dedent("""
        import pathlib
        pathlib.Path("imported.marker").touch()
        """)
    )
    crafted(
        tmp_path / "evil.safetensors",
        {"m": {"$": "object", "id": 0, "class": "plugrad_extras.Thing", "state": []}},
    )
    script = textwrap.dedent("""
        from plugrad_data import load, FileFormatError
        try:
            load("evil.safetensors")
        except FileFormatError as e:
            print("refused:", e)
    """)
    # "-c" puts the working folder first on sys.path, as a script run there would
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout
    assert "refused:" in out and "plugrad_extras.Thing" in out and "not registered" in out
    assert not (tmp_path / "imported.marker").exists()


def test_installed_components_are_imported_to_find_their_classes(tmp_path):
    save(tmp_path / "m.safetensors", model=__import__("plugrad_nn").Dense(2, 3))
    script = textwrap.dedent(f"""
        import sys
        from plugrad_data import load
        assert "plugrad_nn" not in sys.modules
        model = load({str(tmp_path / "m.safetensors")!r}, "model")
        print(type(model).__module__, model.weight.value.shape)
    """)
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["plugrad_nn._layers_dense", "(2,", "3)"]


def test_checksums_are_sha256_prefixes_of_the_stored_bytes(path):
    w = np.arange(4, dtype=np.float32)
    save(path, w=w)
    meta, _ = read(path)
    tree = json.loads(meta["tree"])
    assert tree["w"]["sum"] == digest(w.tobytes())
    assert meta["checksum"] == digest(meta["tree"])


# -- siblings: registered things that cannot be rebuilt from a file -----------------------


def registered_function(x):
    return x


class Slotted:
    __slots__ = ("a",)


class NeedsArgs:
    def __new__(cls, n):
        return super().__new__(cls)


@pytest.mark.parametrize("thing", [registered_function, Slotted, NeedsArgs])
def test_registered_things_that_cannot_be_rebuilt_are_refused(path, thing):
    ag.serializable(thing)
    name = ag.serializable_name(thing)
    crafted(path, {"x": {"$": "object", "id": 0, "class": name, "state": [["a", 1]]}})
    with pytest.raises(FileFormatError, match=r"cannot be rebuilt|not a class"):
        load(path)
    crafted(path, {"x": {"$": "param", "id": 0, "class": name, "value": None, "opt": None}})
    with pytest.raises(FileFormatError, match="not a Param class"):
        load(path)


def test_raw_bytes_must_hold_the_dtype_the_tree_names(path):
    save(path, c=np.array([1 + 2j, 3 - 4j], np.complex64))
    meta, tensors = read(path)
    assert '"raw":"<c8"' in meta["tree"]
    write_tree(path, meta["tree"].replace('"complex64"', '"float64"'), tensors)
    with pytest.raises(FileFormatError, match="raw bytes of <c8 cannot hold float64"):
        load(path)


def test_loading_one_name_that_nests_deeper_through_another_still_works(path):
    inner: list = []
    deepest = inner
    for _ in range(19):  # 20 levels
        deepest.append([])
        deepest = deepest[0]
    a, c = inner, [inner]
    for _ in range(40):
        a = [a]
    for _ in range(60):  # c reaches inner at level 61; inner is defined under "a"
        c = [c]
    save(path, a=a, c=c)
    got_c = load(path, "c")  # alone, 81 levels through the reference: decoded in file order
    for _ in range(60):
        got_c = got_c[0]
    assert got_c[0] == inner
    got_a, got_c = load(path, "a", "c")
    for _ in range(40):
        got_a = got_a[0]
    for _ in range(60):
        got_c = got_c[0]
    assert got_c[0] is got_a


def test_a_json_object_with_a_repeated_key_is_refused(path):
    save(path, w=np.arange(3.0), n=1)
    meta, tensors = read(path)
    assert meta["tree"].startswith('{"w":{"$":"array","id":0,')
    text = meta["tree"].replace('"id":0,', '"id":0,"id":5,', 1)
    write_tree(path, text, tensors)
    with pytest.raises(FileFormatError, match="repeats the key 'id'"):
        load(path)
    write_tree(path, meta["tree"].replace('"n":1', '"n":1,"n":2'), tensors)
    with pytest.raises(FileFormatError, match="repeats the key 'n'"):
        load(path)
