"""``einsum`` and the triangle masks ``tril``/``triu``, with their gradient rules.

``einsum`` is parsed once into explicit form (every ``...`` spelled out as letters, the
output given), so that its rule is again an ``einsum``: the gradient of operand ``i`` is the
output gradient contracted with the other operands onto operand ``i``'s subscripts. That
makes it differentiable to any order.
"""

from __future__ import annotations

import string
from typing import Any

from ._backend import xp_of
from ._ops_reduce import broadcast_to
from ._ops_shape import reshape
from ._primitive import defvjp, primitive
from ._tape import _raw

_LETTERS = string.ascii_letters


def _error(message: str) -> ValueError:
    err = ValueError(f"einsum: {message}")
    err.plugrad_op = "einsum"  # type: ignore[attr-defined]
    return err


def _split_terms(subscripts: str, count: int) -> tuple[list[str], str | None]:
    spec = subscripts.replace(" ", "")
    if "->" in spec:
        lhs, out = spec.split("->", 1)
    else:
        lhs, out = spec, None
    terms = lhs.split(",")
    if len(terms) != count:
        raise _error(
            f"subscripts {subscripts!r} name {len(terms)} operand(s) but {count} were given"
        )
    return terms, out


def _expand(
    terms: list[str], out: str | None, shapes: list[tuple[int, ...]]
) -> tuple[list[str], str]:
    """Spell ``...`` out as unused letters (right-aligned) and make the output explicit."""
    used = set("".join(terms) + (out or ""))
    spare = [c for c in _LETTERS if c not in used]
    ell = 0
    for term, shape in zip(terms, shapes):
        named = len(term.replace("...", ""))
        if "..." in term:
            ell = max(ell, len(shape) - named)
    ell_letters = "".join(spare[:ell])
    expanded = []
    for term, shape in zip(terms, shapes):
        named = len(term.replace("...", ""))
        if "..." in term:
            k = len(shape) - named
            term = term.replace("...", ell_letters[ell - k :] if k else "")
        bad = [c for c in term if c not in _LETTERS]
        if bad:
            raise _error(f"subscripts may use letters and '...' only, got {bad[0]!r} in {term!r}")
        if len(term) != len(shape):
            raise _error(f"term {term!r} has {len(term)} indices but its operand has shape {shape}")
        if len(set(term)) != len(term):
            raise _error(
                f"repeated index within one operand ({term!r}, a diagonal) is not supported; "
                "take the diagonal first with pg.take or indexing"
            )
        expanded.append(term)
    if out is None:
        counts: dict[str, int] = {}
        for c in "".join(expanded):
            counts[c] = counts.get(c, 0) + 1
        out = ell_letters + "".join(
            sorted(c for c, n in counts.items() if n == 1 and c not in ell_letters)
        )
    else:
        out = out.replace("...", ell_letters)
        if len(set(out)) != len(out) or any(c not in "".join(expanded) for c in out):
            raise _error(f"output {out!r} repeats an index or names one no operand has")
    return expanded, out


def _check_sizes(terms: list[str], shapes: list[tuple[int, ...]]) -> None:
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, shapes):
        for c, n in zip(term, shape):
            seen = sizes.get(c)
            if seen is None or seen == 1:
                sizes[c] = n
            elif n not in (1, seen):
                raise _error(
                    f"index {c!r} has size {seen} in one operand and {n} in another "
                    f"(shapes {shapes})"
                )


@primitive
def _einsum(spec: str, *operands: Any) -> Any:
    return xp_of(*operands).einsum(spec, *operands, optimize=len(operands) > 2)


def _einsum_vjp(i: int) -> Any:
    def vjp(dy: Any, y: Any, spec: str, *operands: Any) -> Any:
        lhs, out = spec.split("->")
        terms = lhs.split(",")
        target = terms[i]
        others = [t for j, t in enumerate(terms) if j != i]
        present = set(out + "".join(others))
        kept = "".join(c for c in target if c in present)
        g = _einsum(
            ",".join([out, *others]) + "->" + kept,
            dy,
            *(o for j, o in enumerate(operands) if j != i),
        )
        if kept != target:  # indices summed in this operand alone: the gradient broadcasts
            shape = tuple(n if c in present else 1 for c, n in zip(target, operands[i].shape))
            g = broadcast_to(reshape(g, shape), tuple(operands[i].shape))
        return g

    return vjp


defvjp(_einsum, None, *[_einsum_vjp(i) for i in range(26)])


def einsum(subscripts: str, *operands: Any) -> Any:
    """Einstein summation over ``operands``, as numpy's ``einsum``, differentiable.

    ``...`` broadcasts as in numpy; an index may have size 1 in one operand and n in
    another. Up to 26 operands; a repeated index within one operand (a diagonal) is not
    supported.

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> a, b = np.arange(6.0).reshape(2, 3), np.ones((3, 2))
        >>> ag.einsum("ij,jk->ik", a, b).tolist()
        [[3.0, 3.0], [12.0, 12.0]]
    """
    if not isinstance(subscripts, str):
        raise TypeError(
            f"einsum: subscripts must be a string such as 'ij,jk->ik', got {subscripts!r}"
        )
    if not operands or len(operands) > 26:
        raise _error(f"expected 1 to 26 operands, got {len(operands)}")
    shapes = [tuple(getattr(_raw(o), "shape", ())) for o in operands]
    terms, out = _split_terms(subscripts, len(operands))
    terms, out = _expand(terms, out, shapes)
    _check_sizes(terms, shapes)
    return _einsum(",".join(terms) + "->" + out, *operands)


@primitive
def tril(x: Any, k: int = 0) -> Any:
    """``x`` with the elements above the ``k``-th diagonal zeroed (last two axes).

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.tril(np.ones((2, 2))).tolist()
        [[1.0, 0.0], [1.0, 1.0]]
    """
    return xp_of(x).tril(x, k)


@primitive
def triu(x: Any, k: int = 0) -> Any:
    """``x`` with the elements below the ``k``-th diagonal zeroed (last two axes).

    Example:
        >>> import numpy as np, plugrad_autograd as ag
        >>> ag.triu(np.ones((2, 2))).tolist()
        [[1.0, 1.0], [0.0, 1.0]]
    """
    return xp_of(x).triu(x, k)


defvjp(tril, lambda dy, y, x, k=0: tril(dy, k))
defvjp(triu, lambda dy, y, x, k=0: triu(dy, k))
