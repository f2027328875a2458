"""Two traps of the training loop: a second optimizer that is ignored, a minimize never run."""

from __future__ import annotations

import gc
import warnings

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_optim as po


def _model():
    return [ag.Param(np.array([1.0, -2.0])), ag.Param(np.array([0.5]))]


def _loss(ps):
    return lambda: ag.sum(ps[0] * ps[0]) + ag.sum(ps[1] * ps[1])


def test_a_second_optimizer_for_params_that_have_one_warns_and_names_the_fix():
    ps = _model()
    po.train(_loss(ps), [()] * 2, po.Adam(lr=1e-2))
    with pytest.warns(UserWarning, match=r"Adam\(lr=0.01") as record:
        po.train(_loss(ps), [()] * 3, po.SGD(lr=1e-5))
    assert len(record) == 1  # once per call, not once per step
    text = str(record[0].message)
    assert "SGD(lr=1e-05" in text and "set_optimizer" in text and ".lr" in text
    assert all(isinstance(p.opt, po.Adam) for p in ps)


def test_the_same_optimizer_again_resumes_without_a_warning():
    ps = _model()
    po.train(_loss(ps), [()] * 2, po.Adam(lr=1e-2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        po.train(_loss(ps), [()] * 2, po.Adam(lr=1e-2))
        po.train(_loss(ps), [()] * 2)  # no optimizer given: the Params' own ones


def test_per_param_choices_do_not_warn():
    frozen = ag.Param(np.ones(2), opt=po.SGD(lr=0.0))
    free = ag.Param(np.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        po.train(lambda: ag.sum(frozen * free), [()] * 2, po.SGD(lr=0.5))


def test_set_optimizer_replaces_every_params_optimizer_with_a_fresh_copy():
    ps = _model()
    po.train(_loss(ps), [()] * 2, po.Adam(lr=1e-2))
    sgd = po.SGD(lr=0.25)
    out = po.set_optimizer(ps, sgd)
    assert out == ps
    assert all(type(p.opt) is po.SGD and p.opt is not sgd for p in ps)
    assert ps[0].opt is not ps[1].opt
    before = ps[0].value.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        po.train(_loss(ps), [()], sgd)
    np.testing.assert_allclose(ps[0].value, before - 0.25 * 2 * before)


def test_set_optimizer_none_resets_and_refuses_non_optimizers():
    ps = _model()
    po.train(_loss(ps), [()], po.Adam())
    po.set_optimizer(ps, None)
    assert all(p.opt is None for p in ps)
    with pytest.raises(TypeError, match="set_optimizer"):
        po.set_optimizer(ps, "adam")


def test_a_minimize_never_iterated_warns_when_dropped():
    w = ag.Param(np.ones(2))
    with pytest.warns(RuntimeWarning, match=r"minimize.*never iterated.*for loss in") as record:
        po.minimize(lambda: ag.sum(w * w), [()] * 3, po.SGD(lr=0.1))
        gc.collect()
    assert record[0].filename == __file__  # points at the line that made it
    np.testing.assert_array_equal(w.value, [1.0, 1.0])  # nothing trained: hence the warning


def test_a_shortcut_never_iterated_warns_too():
    w = ag.Param(np.ones(2))
    with pytest.warns(RuntimeWarning, match=r"never iterated") as record:
        po.adam(lambda: ag.sum(w * w), [()] * 3)
        gc.collect()
    assert record[0].filename == __file__


def test_an_iterated_or_trained_minimize_does_not_warn():
    w = ag.Param(np.ones(2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        it = po.minimize(lambda: ag.sum(w * w), [()] * 3, po.SGD(lr=0.1))
        next(it)
        del it
        po.train(lambda: ag.sum(w * w), [], po.SGD(lr=0.1))  # empty data: still consumed
        for _ in po.minimize(lambda: ag.sum(w * w), [()], po.SGD(lr=0.1)):
            pass
        gc.collect()


def test_the_ignored_optimizer_warning_points_at_the_call():
    ps = _model()
    po.train(_loss(ps), [()], po.Adam(lr=1e-2))
    with pytest.warns(UserWarning, match="is ignored") as record:
        po.train(_loss(ps), [()], po.SGD(lr=1e-5))
    assert record[0].filename == __file__
