"""autograd's plugin-derived caches follow the registry: refresh forgets them, errors stay local."""

from __future__ import annotations

import types
import warnings

import numpy as np
import pytest

import plugrad_autograd as ag
import plugrad_backends


def test_an_op_registered_after_ops_was_read_appears(register_plugin) -> None:
    assert ag.ops.exp is ag.exp  # the plugin ops are now looked up once

    def late_square(x):  # a composite op: not a primitive, so only the plugin knows it
        return x * x

    class Late:
        @plugrad_backends.hookimpl
        def plugrad_ops(self):
            return {"ext_late_square": late_square}

    register_plugin(Late())
    assert ag.ops.ext_late_square is late_square
    assert "ext_late_square" in dir(ag.ops)


def test_an_ops_hook_that_raises_leaves_the_other_ops(register_plugin) -> None:
    @ag.primitive
    def ext_fine(x):
        return x + 1.0

    class Broken:
        @plugrad_backends.hookimpl
        def plugrad_ops(self):
            raise RuntimeError("ops plugin broke")

    class Fine:
        @plugrad_backends.hookimpl
        def plugrad_ops(self):
            return {"ext_fine": ext_fine}

    register_plugin(Broken())
    register_plugin(Fine())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert ag.ops.exp is ag.exp
        assert ag.ops.ext_fine is ext_fine
    messages = [str(w.message) for w in caught]
    assert any("ops plugin broke" in m and "plugrad_ops" in m for m in messages), messages
    with pytest.raises(AttributeError, match="no op named 'missing'"):
        getattr(ag.ops, "missing")  # noqa: B009


def test_an_ops_hook_returning_junk_is_a_warning(register_plugin) -> None:
    class Junk:
        @plugrad_backends.hookimpl
        def plugrad_ops(self):
            return 42

    register_plugin(Junk())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert ag.ops.exp is ag.exp
    assert any("plugrad_ops" in str(w.message) for w in caught)


class _Other(np.ndarray):
    """Arrays a later plugin claims, with a namespace of its own."""


def test_xp_of_follows_a_backend_registered_later(register_plugin) -> None:
    x = np.zeros(2).view(_Other)
    assert ag.xp_of(x) is np  # seen once, as a numpy subclass
    namespace = types.ModuleType("other_xp")

    class OtherBackend(plugrad_backends.Backend):
        name = "other"
        xp = namespace
        array_types = (_Other,)

    class Plugin:
        @plugrad_backends.hookimpl
        def plugrad_backends(self):
            return [OtherBackend()]

    register_plugin(Plugin())
    assert ag.xp_of(x) is namespace
    assert ag.xp_of(np.zeros(2)) is np
