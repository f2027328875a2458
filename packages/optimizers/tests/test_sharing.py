"""One optimizer object, many weights: each keeps its own state, or the sharing is refused."""

import copy

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_optim as po


def arr(backend, x):
    return backend.asarray(np.asarray(x, dtype=float))


def test_one_adam_for_two_params_updated_separately_is_refused(backend):
    opt = po.Adam(lr=0.1)
    a = ag.Param(arr(backend, [1.0]), opt=opt)
    b = ag.Param(arr(backend, [1.0]), opt=opt)
    po.update(a, arr(backend, [2.0]))
    with pytest.raises(ValueError, match=r"update: this Adam object already holds the state of "):
        po.update(b, arr(backend, [3.0]))
    np.testing.assert_array_equal(backend.to_host(b.value), [1.0])  # nothing changed


def test_one_optimizer_for_two_arrays_in_separate_calls_is_refused(backend):
    opt = po.Momentum()
    w1, w2 = arr(backend, [1.0]), arr(backend, [1.0])
    po.update(w1, arr(backend, [1.0]), opt)
    with pytest.raises(ValueError, match=r"copy.deepcopy\(opt\)"):
        po.update(w2, arr(backend, [1.0]), opt)


def test_one_optimizer_for_two_collections_is_refused(backend):
    opt = po.Adam()
    ws1, ws2 = [arr(backend, [1.0])], [arr(backend, [1.0])]
    po.update(ws1, [arr(backend, [1.0])], opt)
    with pytest.raises(ValueError, match=r"already holds the state of .*w\[0\]"):
        po.update(ws2, [arr(backend, [1.0])], opt)


def test_the_fixes_the_message_offers_work_and_keep_states_apart(backend):
    # a deep copy is a new optimizer with its own state; reset() lets it serve another weight
    opt = po.Adam(lr=0.1)
    a = ag.Param(arr(backend, [1.0]), opt=opt)
    b = ag.Param(arr(backend, [1.0]), opt=copy.deepcopy(opt))
    ref_a, ref_b = arr(backend, [1.0]), arr(backend, [1.0])
    ref_opt_a, ref_opt_b = po.Adam(lr=0.1), po.Adam(lr=0.1)
    for g in (2.0, -1.0, 0.5):
        po.update(a, arr(backend, [g]))
        po.update(b, arr(backend, [g * g]))
        po.update(ref_a, arr(backend, [g]), ref_opt_a)
        po.update(ref_b, arr(backend, [g * g]), ref_opt_b)
    np.testing.assert_array_equal(backend.to_host(a.value), backend.to_host(ref_a))
    np.testing.assert_array_equal(backend.to_host(b.value), backend.to_host(ref_b))
    opt.reset()
    po.update(b.value, arr(backend, [1.0]), opt)  # after reset it may serve another weight


def test_a_param_and_its_own_array_are_one_weight(backend):
    p = ag.Param(arr(backend, [1.0]), opt=po.Adam())
    po.update(p, arr(backend, [1.0]))
    po.update(p.value, arr(backend, [1.0]), p.opt)
    assert p.opt.state[3]["count"] == 2


def test_a_weight_that_is_gone_frees_its_optimizer(backend):
    opt = po.SGD(lr=0.5)
    po.update(arr(backend, [1.0]), arr(backend, [1.0]), opt)  # that array is garbage now
    w = arr(backend, [1.0])
    po.update(w, arr(backend, [1.0]), opt)
    np.testing.assert_array_equal(backend.to_host(w), [0.5])


def test_minimize_gives_two_models_their_own_copies(backend):
    proto = po.Adam(lr=0.1)
    a, b = ag.Param(arr(backend, [1.0])), ag.Param(arr(backend, [2.0]))
    po.train(lambda: ag.sum(a * a), [()] * 3, proto)
    po.train(lambda: ag.sum(b * b), [()] * 3, proto)
    assert a.opt is not b.opt and proto.state is None
    ref = arr(backend, [2.0])
    ref_opt = po.Adam(lr=0.1)
    for _ in range(3):
        po.update(ref, 2 * ref.copy(), ref_opt)
    np.testing.assert_array_equal(backend.to_host(b.value), backend.to_host(ref))


def test_a_shared_schedule_holds_no_state(backend):
    sched = po.StepDecay(1.0, step_size=1, gamma=0.5)
    w1, w2 = arr(backend, [0.0]), arr(backend, [0.0])
    o1, o2 = po.SGD(lr=sched), po.SGD(lr=sched)
    for _ in range(3):
        po.update(w1, arr(backend, [1.0]), o1)
        po.update(w2, arr(backend, [1.0]), o2)
    np.testing.assert_array_equal(backend.to_host(w1), [-1.75])
    np.testing.assert_array_equal(backend.to_host(w2), [-1.75])


def test_a_member_shared_by_two_chains_keeps_no_state_of_its_own(backend):
    shared = po.ApplyMomentum(0.5)  # a chain's state is the list of its members' states
    c1, c2 = po.chain(po.LearningRate(1.0), shared), po.chain(po.LearningRate(1.0), shared)
    w1, w2 = arr(backend, [0.0]), arr(backend, [0.0])
    for _ in range(2):
        po.update(w1, arr(backend, [1.0]), c1)
        po.update(w2, arr(backend, [2.0]), c2)
    np.testing.assert_array_equal(backend.to_host(w1), [-2.5])
    np.testing.assert_array_equal(backend.to_host(w2), [-5.0])
    assert shared.state is None
