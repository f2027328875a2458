"""``ops``: every differentiable op by name, the built-in ones and those plugins add."""

from __future__ import annotations

from typing import Any

import plugrad_backends

from . import hookspecs
from ._primitive import REGISTRY

plugrad_backends.add_hookspecs(hookspecs)


def _named_ops(result: Any) -> dict[str, Any]:
    """A ``plugrad_ops`` result as ``{name: op}``; raises TypeError naming what is wrong."""
    if isinstance(result, dict):
        items = list(result.items())
    elif isinstance(result, (list, tuple)):
        items = [(getattr(fn, "__name__", None), fn) for fn in result]
    else:
        raise TypeError(f"returned a {type(result).__name__}, not a list or dict of ops")
    bad = [repr(fn) for name, fn in items if not isinstance(name, str) or not callable(fn)]
    if bad:
        raise TypeError(f"returned things that are not named callables: {', '.join(bad)}")
    return dict(items)


class _Ops:
    """Namespace of ops: ``ops.exp``, ``ops.<a plugin's op>``; ``dir(ops)`` lists them.

    The plugins' ops are asked for once and kept until ``plugrad_backends.refresh()`` (which
    ``register`` calls); a plugin whose ``plugrad_ops`` hook fails is a warning, and the
    other ops stay.

    Example:
        >>> import plugrad_autograd as ag
        >>> ag.ops.exp is ag.exp
        True
    """

    def __init__(self) -> None:
        self._source: Any = None
        self._plugin_ops: dict[str, Any] = {}

    def _load(self) -> dict[str, Any]:
        # call_hook's result is cached by the registry until its next refresh, so a new
        # tuple means the plugins changed.
        results = plugrad_backends.call_hook("plugrad_ops", _named_ops)
        if results is not self._source:
            found: dict[str, Any] = {}
            for _, named in results:  # pluggy's call order: the first one keeps a name
                for name, fn in named.items():
                    found.setdefault(name, fn)
            self._source, self._plugin_ops = results, found
        return self._plugin_ops

    def refresh(self) -> None:
        """Ask the plugins again (the same as ``plugrad_backends.refresh()``)."""
        plugrad_backends.refresh()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        plugin_ops = self._load()
        if name in plugin_ops:
            return plugin_ops[name]
        if name in REGISTRY:
            return REGISTRY[name]
        public = _public_functions()
        if name in public:
            return public[name]
        raise AttributeError(
            f"no op named {name!r}; built-in and plugin ops: {', '.join(sorted(self))}"
        )

    def __dir__(self) -> list[str]:
        names = set(self._load()) | set(_public_functions())
        return sorted(names | {n for n in REGISTRY if not n.startswith("_")})

    def __iter__(self) -> Any:
        return iter(self.__dir__())


def _public_functions() -> dict[str, Any]:
    """The package's public functions (composite ops such as ``mean`` and the aliases)."""
    import plugrad_autograd as ag

    skip = {
        "diff",
        "grad",
        "gradloss",
        "params",
        "value",
        "training",
        "gcheck",
        "jacobian",
        "hessian",
        "hvp",
        "primitive",
        "defvjp",
        "zerograd",
        "serializable",
        "serializable_class",
        "serializable_fields",
        "serializable_name",
        "backend_of",
        "xp_of",
        "array",
        "to_host",
        "unbroadcast",
    }
    return {
        n: getattr(ag, n)
        for n in ag.__all__
        if n not in skip and callable(getattr(ag, n)) and not isinstance(getattr(ag, n), type)
    }


ops = _Ops()
