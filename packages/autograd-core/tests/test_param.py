"""Param: acts like its value outside diff, records inside; params() finds them all."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends


def _arr(backend, values, dtype="float64"):
    return plugrad_backends.array(np.asarray(values), device=backend.name, dtype=dtype)


def _h(x):
    return plugrad_backends.to_host(ag.value(x))


# -- construction -------------------------------------------------------------------------


def test_python_values_become_default_float_arrays(backend):
    with plugrad_backends.using(backend.name):
        for value in ([1, 2, 3], [1.0, 2.0], 3.0, 2, [[1, 2], [3, 4]]):
            p = ag.Param(value)
            assert plugrad_backends.of(p.value) is backend
            assert p.value.dtype == plugrad_backends.default_dtype()
            np.testing.assert_array_equal(_h(p), np.asarray(value, dtype=np.float32))


def test_arrays_are_wrapped_without_copy_and_keep_their_dtype(backend):
    a = _arr(backend, [1.0, 2.0], dtype="float64")
    p = ag.Param(a)
    assert p.value is a
    assert p.dtype == np.float64
    q = ag.Param(p)  # a Param of a Param shares the array
    assert q.value is a


def test_opt_repr_and_pickle():
    p = ag.Param([1.0, 2.0], opt="sgd-state")
    assert p.opt == "sgd-state"
    assert ag.Param([0.0]).opt is None
    assert repr(p).startswith("Param(") and "1." in repr(p)
    q = pickle.loads(pickle.dumps(p))
    assert isinstance(q, ag.Param) and q is not p
    assert q.opt == "sgd-state"
    np.testing.assert_array_equal(q.value, p.value)


def test_value_can_be_replaced_and_written_outside_diff(backend):
    p = ag.Param(_arr(backend, [1.0, 2.0, 3.0]))
    p[0] = 10.0
    np.testing.assert_array_equal(_h(p), [10.0, 2.0, 3.0])
    p.value[1] = 20.0  # optimizers update in place
    np.testing.assert_array_equal(_h(p), [10.0, 20.0, 3.0])
    p.value = _arr(backend, [0.0, 0.0])
    assert p.shape == (2,)
    y = ag.diff(lambda: ag.sum(p * p))
    np.testing.assert_array_equal(_h(ag.grad(y, p)), [0.0, 0.0])
    p.value -= 1.0  # after diff returns the array is writable again
    np.testing.assert_array_equal(_h(p), [-1.0, -1.0])


# -- acts like its value outside diff --------------------------------------------------------


def test_arithmetic_on_both_sides_outside_diff(backend):
    xv = np.array([1.0, 2.0, 4.0])
    other = np.array([2.0, -1.0, 0.5])
    p = ag.Param(_arr(backend, xv))
    o = _arr(backend, other)
    cases = {
        "p + o": (p + o, xv + other),
        "o + p": (o + p, other + xv),
        "p - o": (p - o, xv - other),
        "o - p": (o - p, other - xv),
        "p * o": (p * o, xv * other),
        "o * p": (o * p, other * xv),
        "p / o": (p / o, xv / other),
        "o / p": (o / p, other / xv),
        "p ** 2": (p**2, xv**2),
        "2 ** p": (2**p, 2**xv),
        "p ** o": (p**o, xv**other),
        "3 - p": (3 - p, 3 - xv),
        "p + 1.5": (p + 1.5, xv + 1.5),
        "1.5 * p": (1.5 * p, 1.5 * xv),
        "1 / p": (1 / p, 1 / xv),
        "-p": (-p, -xv),
        "abs(-p)": (abs(-p), xv),
        "p @ o": (p @ o, xv @ other),
        "o @ p": (o @ p, other @ xv),
        "p + p": (p + p, 2 * xv),
    }
    for name, (got, want) in cases.items():
        assert not isinstance(got, (ag.Param, ag.Value)), name
        np.testing.assert_allclose(_h(got), want, err_msg=name)
    np.testing.assert_array_equal(_h(+p), xv)


def test_comparisons_outside_diff(backend):
    p = ag.Param(_arr(backend, [1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(_h(p > 1.5), [False, True, True])
    np.testing.assert_array_equal(_h(p >= 2.0), [False, True, True])
    np.testing.assert_array_equal(_h(p < 2.0), [True, False, False])
    np.testing.assert_array_equal(_h(p <= 2.0), [True, True, False])
    np.testing.assert_array_equal(_h(p == 2.0), [False, True, False])
    np.testing.assert_array_equal(_h(p != 2.0), [True, False, True])
    assert hash(p) == hash(p)  # still usable as a dict key
    assert {p: 1}[p] == 1


def test_array_protocol_outside_diff(backend):
    xv = np.arange(6.0).reshape(2, 3)
    p = ag.Param(_arr(backend, xv))
    assert p.shape == (2, 3)
    assert p.dtype == np.float64
    assert p.ndim == 2
    assert p.size == 6
    assert len(p) == 2
    np.testing.assert_array_equal(_h(p[1]), xv[1])
    np.testing.assert_array_equal(_h(p[:, ::-1]), xv[:, ::-1])
    np.testing.assert_array_equal(_h(p[0, 2]), 2.0)
    rows = list(p)
    assert len(rows) == 2
    np.testing.assert_array_equal(_h(rows[1]), xv[1])
    np.testing.assert_array_equal(_h(p.T), xv.T)
    np.testing.assert_array_equal(_h(p.reshape(3, 2)), xv.reshape(3, 2))
    np.testing.assert_array_equal(_h(p.reshape((6,))), xv.reshape(6))
    np.testing.assert_array_equal(_h(p.transpose()), xv.T)
    np.testing.assert_array_equal(_h(p.transpose(1, 0)), xv.T)
    assert float(p.sum()) == 15.0
    np.testing.assert_array_equal(_h(p.sum(axis=0)), xv.sum(axis=0))
    np.testing.assert_array_equal(_h(p.mean(1, keepdims=True)), xv.mean(1, keepdims=True))
    assert float(p.max()) == 5.0 and float(p.min()) == 0.0
    assert p[1, 1].item() == 4.0
    assert p.tolist() == xv.tolist()
    assert float(ag.Param(_arr(backend, 2.5))) == 2.5
    assert int(ag.Param(_arr(backend, 3.0))) == 3
    assert bool(ag.Param(_arr(backend, 1.0))) is True
    with pytest.raises(TypeError, match="0-d"):
        iter(ag.Param(_arr(backend, 1.0)))


def test_numpy_functions_accept_a_param():
    xv = np.array([0.5, 1.0, 2.0])
    p = ag.Param(xv.copy())
    host = np.asarray(p)
    assert isinstance(host, np.ndarray)
    np.testing.assert_array_equal(host, xv)
    assert np.asarray(p, dtype=np.float32).dtype == np.float32
    np.testing.assert_allclose(np.exp(p), np.exp(xv))
    np.testing.assert_allclose(np.sqrt(p), np.sqrt(xv))
    np.testing.assert_allclose(np.add(xv, p), 2 * xv)
    np.testing.assert_allclose(np.ones(3) * p, xv)  # ndarray on the left defers to the Param
    np.testing.assert_allclose(np.true_divide(p, 2.0), xv / 2)
    np.testing.assert_allclose(np.absolute(-p), xv)
    np.testing.assert_allclose(np.rint(p), np.rint(xv))  # no plugrad op: raw value
    np.testing.assert_allclose(np.maximum(p, 1.0), np.maximum(xv, 1.0))
    np.testing.assert_allclose(np.matmul(p, xv), xv @ xv)
    for out in (np.exp(p), np.add(xv, p), np.rint(p)):
        assert isinstance(out, np.ndarray) and not isinstance(out, ag.Param)


def test_numpy_reductions_accept_a_param():
    xv = np.array([0.5, 1.0, 2.0])
    p = ag.Param(xv.copy())
    assert float(np.sum(p)) == 3.5
    assert float(np.mean(p)) == pytest.approx(3.5 / 3)
    assert float(np.max(p)) == 2.0


def test_numpy_ufunc_on_a_param_records_inside_diff():
    p = ag.Param(np.array([0.5, 1.0]))
    y = ag.diff(lambda: ag.sum(np.exp(p) * np.sin(p)))
    xv = np.array([0.5, 1.0])
    np.testing.assert_allclose(ag.grad(y, p), np.exp(xv) * (np.sin(xv) + np.cos(xv)))


# -- records inside diff --------------------------------------------------------------------


def test_a_param_subclass_records_inside_diff(backend):
    class MyParam(ag.Param):
        pass

    p = MyParam(_arr(backend, [1.0, 2.0]))
    t = ag.diff(lambda: ag.sum(p * p))
    np.testing.assert_array_equal(_h(ag.grad(t, p)), [2.0, 4.0])


def test_inside_diff_operations_on_a_param_record(backend):
    p = ag.Param(_arr(backend, [1.0, 2.0, 3.0]))
    kinds = {}

    def f():
        kinds["mul"] = type(p * 2.0)
        kinds["radd"] = type(1.0 + p)
        kinds["index"] = type(p[1:])
        kinds["T"] = type(p.T)
        kinds["sum"] = type(p.sum())
        kinds["cmp"] = type(p > 1.0)
        return ag.sum(p * p)

    ag.diff(f)
    assert kinds["mul"] is ag.Value
    assert kinds["radd"] is ag.Value
    assert kinds["index"] is ag.Value
    assert kinds["T"] is ag.Value
    assert kinds["sum"] is ag.Value
    assert kinds["cmp"] is not ag.Value  # comparisons have no gradient: plain arrays
    # and the Param is unchanged afterwards
    np.testing.assert_array_equal(_h(p), [1.0, 2.0, 3.0])


def test_method_forms_differentiate(backend):
    xv = np.arange(1.0, 7.0).reshape(2, 3)
    p = ag.Param(_arr(backend, xv))
    y = ag.diff(lambda: (p.T.reshape(6) * np.arange(6.0)).sum() + p.mean(axis=0).sum())
    want = np.arange(6.0).reshape(3, 2).T + 0.5
    np.testing.assert_allclose(_h(ag.grad(y, p)), want)


def test_iteration_inside_diff(backend):
    xv = np.arange(6.0).reshape(3, 2)
    p = ag.Param(_arr(backend, xv))
    y = ag.diff(lambda: sum(ag.sum(row * row) * (i + 1) for i, row in enumerate(p)))
    np.testing.assert_allclose(_h(ag.grad(y, p)), 2 * xv * np.array([[1.0], [2.0], [3.0]]))


# -- params() -------------------------------------------------------------------------------


def _ids(ps):
    return [id(p) for p in ps]


class _Linear:
    def __init__(self, n):
        self.w = ag.Param(np.ones((n, n)))
        self.b = ag.Param(np.zeros(n))
        self.name = "linear"
        self.size = n


class _Slotted:
    __slots__ = ("extra", "weight")

    def __init__(self):
        self.weight = ag.Param(np.ones(2))


class _SlottedChild(_Slotted):
    __slots__ = ("bias",)

    def __init__(self):
        super().__init__()
        self.bias = ag.Param(np.zeros(2))


def test_params_searches_attributes_lists_tuples_dicts():
    l1, l2 = _Linear(2), _Linear(3)
    free = ag.Param([1.0])
    model = {"layers": [l1, (l2,)], "free": free, "meta": {"lr": 0.1, "name": "m"}}
    found = ag.params(model)
    assert _ids(found) == _ids([l1.w, l1.b, l2.w, l2.b, free])  # in the order first found
    assert all(isinstance(p, ag.Param) for p in found)


def test_params_searches_slots_and_inherited_slots():
    s = _SlottedChild()  # "extra" is unset: skipped
    assert {id(p) for p in ag.params(s)} == {id(s.weight), id(s.bias)}
    assert len(ag.params(s)) == 2


def test_params_lists_each_param_once():
    w = ag.Param([1.0])
    b = ag.Param([2.0])
    found = ag.params([w, b, w, {"again": w, "b": b}, (w,), {w, b}])
    assert _ids(found) == _ids([w, b])
    assert _ids(ag.params(w)) == [id(w)]


def test_params_is_safe_on_cycles():
    class Node:
        pass

    a, b = Node(), Node()
    a.me = a
    a.other = b
    b.back = a
    a.p = ag.Param([1.0])
    b.p = ag.Param([2.0])
    lst = [a]
    lst.append(lst)
    d = {"self": None}
    d["self"] = d
    d["model"] = a
    for root in (a, b, lst, d):
        found = ag.params(root)
        assert len(found) == 2
        assert set(_ids(found)) == {id(a.p), id(b.p)}


def test_params_of_things_without_params():
    assert ag.params(np.ones(3)) == []
    assert ag.params([1, "a", None, 2.0, b"x"]) == []
    assert ag.params({}) == []
    assert ag.params(len) == []
    assert ag.params(int) == []


def test_params_of_a_tape_is_the_params_it_depends_on():
    w, b, unused = ag.Param([1.0]), ag.Param([2.0]), ag.Param([3.0])
    y = ag.diff(lambda: ag.sum(b * w))
    assert set(_ids(ag.params(y))) == {id(w), id(b)}
    assert id(unused) not in _ids(ag.params(y))


def test_params_searches_objects_that_have_a_dtype_attribute():
    class Layer:
        def __init__(self):
            self.w = ag.Param([1.0])
            self.dtype = np.float32

    layer = Layer()
    assert _ids(ag.params(layer)) == [id(layer.w)]
