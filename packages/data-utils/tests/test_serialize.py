import math
import os

import numpy as np
import pytest
import safetensors
from datautils_helpers import Linear, Momentum

import plugrad_autograd as ag
import plugrad_backends as B
from plugrad_data import load, save

DTYPES = [
    "float32",
    "float64",
    "float16",
    "int64",
    "int32",
    "int8",
    "uint8",
    "uint16",
    "bool",
    "complex64",
    "complex128",
]


@pytest.fixture
def path(tmp_path):
    return tmp_path / "values.safetensors"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0, 3), (2, 3, 4)])
def test_array_round_trip(backend, path, dtype, shape):
    host = (np.arange(math.prod(shape)) % 7 - 3).reshape(shape).astype(dtype)
    if host.dtype.kind == "c":
        host = (host + 1j * host[::-1] if shape else host + 0.5j).astype(dtype)
    x = backend.from_host(host)
    save(path, x=x)
    got = load(path, "x", device=backend.name)
    assert B.of(got).name == backend.name
    assert got.dtype == np.dtype(dtype) and got.shape == shape
    assert np.array_equal(B.to_host(got), host)
    with safetensors.safe_open(path, "np") as f:
        assert f.metadata()["format"] == "plugrad"


def test_arrays_load_on_the_default_backend_unless_device_is_given(backend, path):
    x = backend.from_host(np.float32([[1, 2], [3, 4]]))
    save(path, x=x)
    got = load(path, "x")
    assert B.of(got).name == B.current().name
    assert B.to_host(got).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert B.of(load(path, "x", device="cpu")).name == "cpu"


def test_non_contiguous_and_big_endian_arrays(path):
    a = np.arange(12.0).reshape(3, 4).T
    b = np.arange(5, dtype=">i4")
    save(path, a=a, b=b)
    got_a, got_b = load(path, "a", "b")
    assert np.array_equal(got_a, a) and got_a.shape == (4, 3)
    assert got_b.dtype == np.int32 and got_b.tolist() == [0, 1, 2, 3, 4]


def test_plain_values_round_trip(path):
    values = {
        "none": None,
        "t": True,
        "f": False,
        "i": -7,
        "big": 2**80,
        "x": 0.1,
        "s": "naïve ✓",
        "nan": float("nan"),
        "inf": float("inf"),
        "ninf": float("-inf"),
        "z": 1.5 - 2j,
        "lst": [1, [2, [3]], "a"],
        "tup": (1, (2.5, None)),
        "empty": [],
        "etup": (),
        "d": {"a": 1, "b": {"c": [1, 2]}, 3: "three", (1, "x"): None, "$": "dollar"},
        "np_f32": np.float32(2.5),
        "np_i64": np.int64(-3),
        "np_bool": np.bool_(True),
        "np_c": np.complex128(1 + 1j),
        "dtype": np.dtype("float16"),
        "stype": np.float64,
    }
    save(path, **values)
    got = load(path)
    assert list(got) == list(values)
    for k, v in values.items():
        if k in ("nan",):
            assert math.isnan(got[k])
        else:
            assert got[k] == v, k
            assert type(got[k]) is type(v), k
    assert got["np_f32"].dtype == np.float32 and got["np_i64"].dtype == np.int64
    assert got["big"] == 1208925819614629174706176


def test_load_forms(path):
    save(path, a=1, b=[2], c="three")
    assert load(path) == {"a": 1, "b": [2], "c": "three"}
    assert load(path, "b") == [2]
    assert load(path, "c", "a") == ("three", 1)
    with pytest.raises(KeyError, match=r"'zz' is not in .*\['a', 'b', 'c'\]"):
        load(path, "zz")


def test_params_with_their_optimizer_state(path):
    p = ag.Param(np.float32([1.0, -2.0]))
    p.opt = Momentum(lr=0.1, gamma=0.9)
    p.opt.update(p, np.float32([0.5, 0.5]))
    q = ag.Param(np.arange(3, dtype=np.float64))
    save(path, p=p, q=q, plain=ag.Param([0.5]))
    got_p, got_q = load(path, "p", "q")
    assert isinstance(got_p, ag.Param) and isinstance(got_p.opt, Momentum)
    assert got_p.value.tolist() == pytest.approx([0.95, -2.05])
    assert got_p.opt.velocity.tolist() == pytest.approx([-0.05, -0.05])
    assert got_p.opt.lr == 0.1 and got_p.opt.gamma == 0.9 and got_p.opt.steps == 1
    assert got_q.value.dtype == np.float64 and got_q.opt is None
    assert got_q.value.tolist() == [0.0, 1.0, 2.0]
    # the loaded Param works with autograd
    tape = ag.diff(lambda: ag.sum(got_q * got_q))
    assert ag.grad(tape, got_q).tolist() == [0.0, 2.0, 4.0]


def test_model_objects_are_rebuilt_with_shared_params(path):
    m = Linear(3, 2, seed=4)
    m.history = [0.5, 0.25]
    m.tied = m.w  # the same Param reached twice
    m.self_ref = m
    m.meta = {"name": "lin", "shape": (3, 2)}
    save(path, model=m, extra=[m.w, m.b])
    got, extra = load(path, "model", "extra")
    assert type(got) is Linear
    assert got.tied is got.w and got.params[0] is got.w and got.params[1] is got.b
    assert extra[0] is got.w  # shared across names too
    assert got.self_ref is got
    assert got.history == [0.5, 0.25] and got.meta == {"name": "lin", "shape": (3, 2)}
    assert np.array_equal(got.w.value, m.w.value) and got.w.value.dtype == np.float32
    x = np.ones((1, 3), dtype=np.float32)
    assert np.array_equal(got(x), m(x))


def test_shared_arrays_and_lists_are_stored_once(path):
    a = np.arange(1000, dtype=np.float64)
    shared = [1, 2]
    save(path, a=a, b=a, l1=shared, l2=shared)
    with safetensors.safe_open(path, "np") as f:
        assert len(list(f.keys())) == 1
    got = load(path)
    assert got["a"] is got["b"] and got["l1"] is got["l2"]
    got["l1"].append(3)
    assert got["l2"] == [1, 2, 3]
    assert os.path.getsize(path) < 1000 * 8 + 2000


def test_loading_one_name_resolves_objects_defined_under_another(path):
    p = ag.Param([1.0, 2.0])
    save(path, first={"p": p}, second=[p])
    got = load(path, "second")[0]
    assert isinstance(got, ag.Param) and got.value.tolist() == [1.0, 2.0]
    second, first = load(path, "second", "first")
    assert second[0] is first["p"]


def test_unsaveable_values_name_their_place(path):
    m = Linear(2, 1)
    m.act = lambda v: v
    with pytest.raises(TypeError, match=r"cannot save model\.act: .*function.*serializable"):
        save(path, model=m)
    assert not path.exists()

    class Local:
        pass

    with pytest.raises(TypeError, match=r"cannot save cfg\['a'\]\[1\]: .*Local"):
        save(path, cfg={"a": [1, Local()]})
    with pytest.raises(TypeError, match="dict key of type"):
        save(path, cfg={frozenset(): 1})
    with pytest.raises(TypeError, match="numbers only"):
        save(path, s=np.array(["a", "b"]))
    assert not path.exists()


def test_save_overwrites_and_keeps_permissions(path):
    save(path, v=1)
    os.chmod(path, 0o640)
    save(path, v=2)
    assert load(path, "v") == 2
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert sorted(os.listdir(path.parent)) == [path.name]


def test_save_into_a_missing_folder_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(tmp_path / "nope" / "x.safetensors", v=1)


def test_path_is_positional_only_so_any_name_can_be_saved(path):
    save(path, path="p", device="d")
    assert load(path) == {"path": "p", "device": "d"}
