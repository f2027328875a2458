"""``ops``: every differentiable op by name, the built-in ones and those plugins add."""

from __future__ import annotations

from typing import Any

import plugrad_backends

from . import hookspecs
from ._primitive import REGISTRY

plugrad_backends.add_hookspecs(hookspecs)


class _Ops:
    """Namespace of ops: ``ops.exp``, ``ops.<a plugin's op>``; ``dir(ops)`` lists them.

    Example:
        >>> import plugrad_autograd as ag
        >>> ag.ops.exp is ag.exp
        True
    """

    def __init__(self) -> None:
        self._plugin_ops: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._plugin_ops is None:
            found: dict[str, Any] = {}
            for result in plugrad_backends.plugin_manager().hook.plugrad_ops():
                items = (
                    result.items()
                    if isinstance(result, dict)
                    else ((fn.__name__, fn) for fn in result or ())
                )
                for name, fn in items:
                    found[name] = fn
            self._plugin_ops = found
        return self._plugin_ops

    def refresh(self) -> None:
        """Forget the plugin ops and ask the plugins again."""
        self._plugin_ops = None

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
