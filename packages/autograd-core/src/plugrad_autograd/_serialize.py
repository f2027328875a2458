"""The registry of classes that ``plugrad_data.save``/``load`` may rebuild.

Loading a file never runs code from it: it can only name classes registered here, which
are rebuilt from their saved attributes without calling ``__init__``. A class may declare
its fields (attribute names and types); the loader then refuses a file whose object has
other attributes or values of other types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar, overload

T = TypeVar("T", bound=type)

FieldTypes = type | tuple[type, ...]

_classes: dict[str, type] = {}
_fields: dict[type, dict[str, tuple[type, ...]]] = {}
_names: dict[type, str] = {}


def serializable_name(cls: type) -> str:
    """The name a registered class is saved under: its ``name=``, else ``"module.QualName"``.

    A class defined in a script is ``"__main__.QualName"``, which another script cannot
    find; register it with ``@serializable(name="myproject.Net")`` for a stable name.
    """
    return _names.get(cls) or f"{cls.__module__}.{cls.__qualname__}"


def _origin(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _check_name(name: object) -> str:
    if not (
        isinstance(name, str) and name and all(part.isidentifier() for part in name.split("."))
    ):
        raise TypeError(
            f"serializable: name must be dotted Python identifiers such as "
            f'"myproject.Net", got {name!r}'
        )
    return name


def _normalized(cls: type, fields: Mapping[str, FieldTypes]) -> dict[str, tuple[type, ...]]:
    out: dict[str, tuple[type, ...]] = {}
    for name, types in fields.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise TypeError(f"serializable({cls.__qualname__}): field name {name!r} is invalid")
        spec = types if isinstance(types, tuple) else (types,)
        if not spec or not all(isinstance(t, type) for t in spec):
            raise TypeError(
                f"serializable({cls.__qualname__}): the type of field {name!r} must be a "
                f"class or a tuple of classes, got {types!r}"
            )
        out[name] = spec
    return out


@overload
def serializable(
    cls: T, /, *, fields: Mapping[str, FieldTypes] | None = None, name: str | None = None
) -> T: ...
@overload
def serializable(
    cls: None = None,
    /,
    *,
    fields: Mapping[str, FieldTypes] | None = None,
    name: str | None = None,
) -> Callable[[T], T]: ...


def serializable(
    cls: T | None = None,
    /,
    *,
    fields: Mapping[str, FieldTypes] | None = None,
    name: str | None = None,
) -> T | Callable[[T], T]:
    """Class decorator: allow ``save``/``load`` to store and rebuild instances of ``cls``.

    Instances are saved as their ``__dict__`` (arrays, Params, numbers, strings, None,
    lists, tuples, dicts and other registered objects) and rebuilt with ``cls.__new__`` and
    the saved attributes. ``fields`` (optional) declares the attributes and their types
    (a class or a tuple of classes; ``type(None)`` allows None): ``save`` and ``load`` then
    refuse other attributes, a missing one (unless the class has a default for it) and a
    value of another type. Without ``fields`` any attribute name is accepted.

    ``name`` (optional) is the stable name files store for the class, instead of
    ``"module.QualName"``. Give one to a class defined in a script (module ``__main__``):
    another script that imports or redefines it registers the same name and can load
    the file.

    Example:
        >>> import plugrad_autograd as ag
        >>> @ag.serializable(fields={"w": ag.Param, "n": int})
        ... class Linear:
        ...     def __init__(self, n):
        ...         self.w = ag.Param([0.0] * n)
        ...         self.n = n
        >>> ag.serializable_class(ag.serializable_name(Linear)) is Linear
        True
        >>> ag.serializable_fields(Linear)["n"]
        (<class 'int'>,)
        >>> @ag.serializable(name="myproject.Net")
        ... class Net:
        ...     pass
        >>> ag.serializable_name(Net)
        'myproject.Net'
    """
    stable = None if name is None else _check_name(name)

    def register(c: T) -> T:
        if fields is not None:
            _fields[c] = _normalized(c, fields)
        if stable is not None:
            holder = _classes.get(stable)
            if holder is not None and _origin(holder) != _origin(c):
                raise ValueError(
                    f"serializable: the name {stable!r} is already registered for "
                    f"{_origin(holder)}; give {_origin(c)} a name of its own"
                )
            _names[c] = stable
        _classes[serializable_name(c)] = c
        return c

    return register if cls is None else register(cls)


def serializable_class(name: str) -> type | None:
    """The registered class saved under ``name``, or None."""
    return _classes.get(name)


def serializable_fields(cls: type) -> dict[str, tuple[type, ...]] | None:
    """The fields ``cls`` declared when registered (name: allowed types), or None."""
    declared = _fields.get(cls)
    return None if declared is None else dict(declared)
