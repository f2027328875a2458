"""rng_state / set_rng_state: the calling thread's generators, captured and restored."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import plugrad_backends as B
from plugrad_backends import ThreadGenerators


def test_restoring_the_state_replays_the_same_numbers() -> None:
    B.seed(5)
    B.get("cpu").rng.random(3)
    saved = B.rng_state()
    assert set(saved) >= {"cpu"}
    first = B.get("cpu").rng.random(4)
    B.get("cpu").rng.random(10)
    B.set_rng_state(saved)
    np.testing.assert_array_equal(B.get("cpu").rng.random(4), first)


def test_the_state_is_a_copy_not_a_live_view() -> None:
    B.seed(1)
    saved = B.rng_state()
    copy = {k: dict(v) for k, v in saved.items()}
    B.get("cpu").rng.random(5)
    assert saved == copy


def test_set_rng_state_keeps_the_generator_object_other_code_holds() -> None:
    B.seed(2)
    rng = B.get("cpu").rng
    saved = B.rng_state()
    a = rng.random()
    B.set_rng_state(saved)
    assert B.get("cpu").rng is rng and rng.random() == a


def test_each_thread_has_its_own_state() -> None:
    gens = ThreadGenerators(np.random.default_rng)
    gens.seed(3)
    main = gens.state()
    seen = {}

    def other() -> None:
        gens.seed(4)
        seen["state"] = gens.state()
        gens.set_state(main)  # restoring the main thread's stream in this thread
        seen["draw"] = gens.get().random()

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen["state"] != main
    assert seen["draw"] == np.random.default_rng(3).random()
    assert gens.get().random() == seen["draw"]  # the main thread's own stream is untouched


def test_bad_states_are_refused_with_a_clear_error() -> None:
    with pytest.raises(TypeError, match="set_rng_state"):
        B.set_rng_state([1, 2])
    with pytest.raises(B.BackendError, match="no-such-backend"):
        B.set_rng_state({"no-such-backend": {}})
    with pytest.raises(ValueError, match="cpu"):
        B.set_rng_state({"cpu": {None: {"bit_generator": "PCG64", "state": 3}}})


class _OpaqueRng:
    def random(self, *shape):
        return np.zeros(shape)


class _OpaqueBackend(B.Backend):
    name = "opaque-rng"
    xp = np
    array_types = ()

    def seed(self, n):
        pass

    @property
    def rng(self):
        return _OpaqueRng()


class _OpaquePlugin:
    @B.hookimpl
    def plugrad_backends(self):
        return [_OpaqueBackend()]


def test_a_backend_whose_state_cannot_be_captured_is_left_out_with_a_warning() -> None:
    plugin = _OpaquePlugin()
    B.register(plugin)
    try:
        with pytest.warns(RuntimeWarning, match="opaque-rng.*cannot capture") as record:
            state = B.rng_state()
        assert record[0].filename == __file__
        assert "opaque-rng" not in state and "cpu" in state
    finally:
        B.unregister(plugin)
