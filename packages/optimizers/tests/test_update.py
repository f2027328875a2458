"""Knet's update: Params, arrays, collections, per-Param optimizers, and the errors."""

import copy

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_optim as po


def arr(backend, x, dtype=float):
    return backend.asarray(np.asarray(x, dtype=dtype))


def host(backend, x):
    return backend.to_host(x.value if isinstance(x, ag.Param) else x)


def test_raw_array_defaults_to_sgd(backend):
    w = arr(backend, [1.0, 2.0])
    po.update(w, arr(backend, [1.0, -1.0]))
    np.testing.assert_allclose(host(backend, w), [0.9, 2.1])
    po.update(w, arr(backend, [3.0, 4.0]), lr=1.0, gclip=1.0)
    np.testing.assert_allclose(host(backend, w), [0.3, 1.3])


def test_param_uses_its_opt_else_sgd(backend):
    p = ag.Param(arr(backend, [1.0]), opt=po.SGD(lr=0.5))
    q = ag.Param(arr(backend, [1.0]))
    value = p.value
    po.update(p, arr(backend, [1.0]))
    po.update(q, arr(backend, [1.0]), lr=0.25)
    assert p.value is value  # in place
    np.testing.assert_allclose(host(backend, p), [0.5])
    np.testing.assert_allclose(host(backend, q), [0.75])
    assert q.opt is None and p.opt.state is not None


def test_explicit_opt_wins_over_param_opt(backend):
    p = ag.Param(arr(backend, [1.0]), opt=po.SGD(lr=0.5))
    po.update(p, arr(backend, [1.0]), po.SGD(lr=0.125))
    np.testing.assert_allclose(host(backend, p), [0.875])
    assert p.opt.state is None


def test_collections_and_none_gradients(backend):
    ws = {
        "a": [arr(backend, [0.0]), ag.Param(arr(backend, [0.0]), opt=po.SGD(2.0))],
        "b": (arr(backend, [5.0]),),
    }
    gs = {"a": [arr(backend, [1.0]), arr(backend, [1.0])], "b": (None,)}
    po.update(ws, gs, lr=0.5)
    np.testing.assert_allclose(host(backend, ws["a"][0]), [-0.5])
    np.testing.assert_allclose(host(backend, ws["a"][1]), [-2.0])
    np.testing.assert_allclose(host(backend, ws["b"][0]), [5.0])
    po.update(ws, None)  # a None gradient is a no-op, even for a whole collection
    po.update(arr(backend, [1.0]), None, po.Adam())


def test_matching_collection_of_optimizers(backend):
    ws = (arr(backend, [1.0]), arr(backend, [1.0]))
    opts = (po.SGD(lr=0.5), po.Momentum(lr=0.5, gamma=0.5))
    for _ in range(2):
        po.update(ws, (arr(backend, [1.0]), arr(backend, [1.0])), opts)
    np.testing.assert_allclose(host(backend, ws[0]), [0.0])
    np.testing.assert_allclose(host(backend, ws[1]), [1.0 - 0.5 - 0.75])


def test_single_optimizer_for_a_collection_keeps_one_state_per_weight(backend, gradients):
    ws = [arr(backend, np.zeros((3, 4))), {"b": arr(backend, np.zeros(4))}]
    separate = [arr(backend, np.zeros((3, 4))), arr(backend, np.zeros(4))]
    opt, opt_a, opt_b = po.Adam(lr=0.1), po.Adam(lr=0.1), po.Adam(lr=0.1)
    for g in gradients:
        po.update(ws, [arr(backend, g), {"b": arr(backend, g[0])}], opt)
        po.update(separate[0], arr(backend, g), opt_a)
        po.update(separate[1], arr(backend, g[0]), opt_b)
    np.testing.assert_array_equal(host(backend, ws[0]), host(backend, separate[0]))
    np.testing.assert_array_equal(host(backend, ws[1]["b"]), host(backend, separate[1]))
    assert isinstance(opt.state, po.CollectionState)
    assert opt.state.states[1]["b"][3]["count"] == 20


def test_default_sgd_has_no_lasting_state(backend):
    w = arr(backend, [0.0])
    for _ in range(3):
        po.update(w, arr(backend, [1.0]), lr=po.StepDecay(1.0, 1, 0.5))
    np.testing.assert_allclose(host(backend, w), [-3.0])  # each call is step 0 of the schedule


def test_gradient_is_never_modified(backend):
    g = arr(backend, [3.0, 4.0])
    w = arr(backend, [0.0, 0.0])
    opt = po.chain(po.ClipNorm(1.0), po.WeightDecay(0.1), po.Adam(maximize=True))
    for _ in range(3):
        po.update(w, g, opt)
    np.testing.assert_array_equal(host(backend, g), [3.0, 4.0])


# -- errors ----------------------------------------------------------------------------------


def test_mismatched_collections_name_both_structures(backend):
    ws = [arr(backend, [0.0]), arr(backend, [0.0]), ag.Param(arr(backend, [0.0, 0.0]))]
    with pytest.raises(ValueError) as e:
        po.update(ws, [arr(backend, [1.0]), arr(backend, [1.0])])
    msg = str(e.value)
    assert "update: weights and gradients do not match at w" in msg
    assert "a list of 3 [ndarray(1,), ndarray(1,), Param(2,)]" in msg.replace(
        type(ws[0]).__name__, "ndarray"
    )
    assert "a list of 2" in msg and "same structure" in msg
    with pytest.raises(ValueError, match=r"do not match at w\['a'\].*dict.*list of 1"):
        po.update({"a": {"x": arr(backend, [0.0])}}, {"a": [arr(backend, [1.0])]})
    with pytest.raises(ValueError, match=r"do not match at w: weights are a dict \{'a'.*'b'"):
        po.update({"a": arr(backend, [0.0])}, {"b": arr(backend, [1.0])})
    with pytest.raises(ValueError, match=r"weights and optimizers do not match"):
        po.update([arr(backend, [0.0])] * 2, [arr(backend, [1.0])] * 2, [po.SGD()])


def test_wrong_gradient_shape_names_optimizer_and_shapes(backend):
    w = ag.Param(arr(backend, np.zeros((2, 3))), opt=po.Adam())
    with pytest.raises(ValueError) as e:
        po.update([w], [arr(backend, np.zeros((3, 2)))])
    msg = str(e.value)
    assert msg.startswith("update (Adam): gradient shape (3, 2) does not match weight shape (2, 3)")
    assert "at w[0]" in msg and "grad(tape, w)" in msg
    assert w.opt.state is None  # nothing changed


def test_checks_happen_before_any_update(backend):
    ws = [arr(backend, [1.0]), arr(backend, [1.0])]
    with pytest.raises(ValueError):
        po.update(ws, [arr(backend, [1.0]), arr(backend, [1.0, 2.0])])
    np.testing.assert_array_equal(host(backend, ws[0]), [1.0])


@pytest.mark.parametrize(
    ("w", "g", "pattern"),
    [
        ("abc", np.ones(1), r"update \(SGD\): the weight at w is a str, which cannot be updated"),
        (np.ones(2), [1.0, 2.0], r"the gradient at w is a list of 2 \[float, float\], not an"),
        (np.ones(2), "g", r"update \(SGD\): the gradient at w is a str, not an array"),
        (np.ones(2, dtype=np.int64), np.ones(2), r"update \(SGD\): .* has dtype int64"),
        (3.0, np.ones(()), r"the weight at w is a float"),
    ],
)
def test_unknown_types(backend, w, g, pattern):
    w = backend.asarray(w) if isinstance(w, np.ndarray) else w
    g = backend.asarray(g) if isinstance(g, np.ndarray) else g
    with pytest.raises((TypeError, ValueError), match=pattern):
        po.update(w, g)


def test_bad_optimizer_argument(backend):
    w, g = arr(backend, [1.0]), arr(backend, [1.0])
    with pytest.raises(
        TypeError, match=r"update: opt must be an optimizer .*'adam' \(str\).*adam\(\)"
    ):
        po.update(w, g, "adam")
    with pytest.raises(ValueError, match=r"update: lr= and gclip= configure the default SGD.*Adam"):
        po.update(w, g, po.Adam(), lr=0.01)
    p = ag.Param(arr(backend, [1.0]), opt="sgd")
    with pytest.raises(TypeError, match=r"the Param at w has opt='sgd' \(str\), not an optimizer"):
        po.update(p, g)
    with pytest.raises(TypeError, match="update: opt must be an optimizer"):
        po.update([w], [g], [3])  # a leaf of a matching collection is checked too


def test_negative_learning_rates(backend):
    with pytest.raises(ValueError, match=r"^Adam: lr must be >= 0, got -0.1; .*maximize=True"):
        po.Adam(lr=-0.1)
    with pytest.raises(ValueError, match=r"^update: lr must be >= 0, got -1"):
        po.update(arr(backend, [1.0]), arr(backend, [1.0]), lr=-1)
    opt = po.SGD()
    with pytest.raises(ValueError, match=r"^SGD: lr must be >= 0"):
        opt.lr = -2.0
    assert opt.lr == 0.1
    with pytest.raises(ValueError, match=r"^Momentum: gclip must be >= 0"):
        po.Momentum(gclip=-1)
    with pytest.raises(ValueError, match=r"^Adam: beta2 must be >= 0 and < 1, got 1.0"):
        po.Adam(beta2=1.0)
    with pytest.raises(TypeError, match=r"^Rmsprop: lr must be a number >= 0 or a schedule"):
        po.Rmsprop(lr="fast")
    with pytest.raises(TypeError, match=r"^SGD: maximize must be True or False"):
        po.SGD(maximize=1)


def test_one_optimizer_object_for_two_weights_is_refused(backend):
    opt = po.Adam()
    a = ag.Param(arr(backend, [1.0]), opt=opt)
    b = ag.Param(arr(backend, [1.0, 2.0]), opt=opt)
    with pytest.raises(
        ValueError, match=r"one Adam object serves two weights, at w\[0\] and w\[1\]"
    ):
        po.update([a, b], [arr(backend, [1.0]), arr(backend, [1.0, 1.0])])


def test_state_kind_mismatch(backend):
    opt = po.Adam()
    po.update(arr(backend, [1.0]), arr(backend, [1.0]), opt)
    with pytest.raises(ValueError, match="holds the state of a single weight"):
        po.update([arr(backend, [1.0])], [arr(backend, [1.0])], opt)
    opt.reset()
    po.update([arr(backend, [1.0])], [arr(backend, [1.0])], opt)
    with pytest.raises(ValueError, match="holds the states of a collection"):
        po.update(arr(backend, [1.0]), arr(backend, [1.0]), opt)
    with pytest.raises(ValueError, match=r"Adam's state was made for other weights"):
        po.update([arr(backend, [1.0])] * 2, [arr(backend, [1.0])] * 2, opt)


def test_update_inside_diff_is_refused(backend):
    p = ag.Param(arr(backend, [1.0]))

    def loss():
        po.update(p, arr(backend, [1.0]))
        return ag.sum(p * p)

    def loss_after_use():
        y = ag.sum(p * p)
        po.update(p, arr(backend, [1.0]))
        return y

    ag.diff(loss)  # before p is recorded the update is legitimate
    with pytest.raises((ValueError, RuntimeError), match="diff"):
        ag.diff(loss_after_use)


def test_deepcopy_of_optimizer_copies_state(backend):
    opt = po.Momentum()
    w = arr(backend, [1.0])
    po.update(w, arr(backend, [1.0]), opt)
    twin = copy.deepcopy(opt)
    assert twin.state[-1]["velocity"] is not opt.state[-1]["velocity"]
    np.testing.assert_array_equal(
        host(backend, twin.state[-1]["velocity"]), host(backend, opt.state[-1]["velocity"])
    )
