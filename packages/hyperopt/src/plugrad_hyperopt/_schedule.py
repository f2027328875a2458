"""Integer-exact rung and bracket arithmetic of successive halving and hyperband."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ._validate import check_int

Resource = int | float


def floor_log(x: int, base: int) -> int:
    """The largest integer ``s`` with ``base**s <= x``, for integers ``x >= 1``, ``base >= 2``.

    ``math.floor(math.log(x) / math.log(base))`` is wrong whenever ``x`` is an exact power:
    log(243)/log(3) evaluates to 4.999999999999999.
    """
    s = 0
    while base ** (s + 1) <= x:
        s += 1
    return s


def exact_resource(value: Fraction) -> Resource:
    """An int when the resource is whole, else the nearest float."""
    return int(value) if value.denominator == 1 else float(value)


@dataclass(frozen=True)
class Rung:
    """One rung of successive halving: ``n`` configurations each evaluated at ``resource``.

    Example:
        >>> Rung(n=9, resource=3)
        Rung(n=9, resource=3)
    """

    n: int
    resource: Resource


@dataclass(frozen=True)
class Bracket:
    """One successive-halving run of hyperband.

    Attributes:
        s: The bracket index; the bracket has ``s + 1`` rungs.
        n: Number of configurations drawn for it (``getconfig`` calls).
        resource: The resource of its first rung, ``maxresource * reduction**-s``.
        rungs: Its rungs; rung ``i`` evaluates ``floor(n / reduction**i)`` configurations at
            ``resource * reduction**i``.

    Example:
        >>> hyperband_schedule(27)[-1]
        Bracket(s=0, n=4, resource=27, rungs=(Rung(n=4, resource=27),))
    """

    s: int
    n: int
    resource: Resource
    rungs: tuple[Rung, ...]

    @property
    def evaluations(self) -> int:
        """The number of ``getloss`` calls of this bracket."""
        return sum(rung.n for rung in self.rungs)


def halving_rungs(n: int, resource: Fraction, reduction: int, count: int) -> tuple[Rung, ...]:
    """Rungs ``i < count``: ``floor(n / reduction**i)`` configs at ``resource * reduction**i``."""
    return tuple(
        Rung(n // reduction**i, exact_resource(resource * reduction**i)) for i in range(count)
    )


def hyperband_schedule(maxresource: int = 27, reduction: int = 3) -> tuple[Bracket, ...]:
    """The brackets hyperband runs, exactly as Algorithm 1 of Li et al. (2018).

    With ``R = maxresource`` and ``η = reduction``: ``s_max`` is the largest integer with
    ``η**s_max <= R`` (computed with integers), ``B = (s_max + 1) R``, and for
    ``s = s_max, ..., 0`` the bracket draws ``n = ceil(B/R * η**s / (s+1))`` configurations and
    starts them at ``r = R η**-s``. Resources are ints when whole, floats otherwise.

    Args:
        maxresource: The largest resource any configuration gets, an integer >= 1.
        reduction: The reduction factor η, an integer >= 2.

    Returns:
        The brackets in the order hyperband runs them (``s`` decreasing).

    Raises:
        TypeError: An argument is not an integer.
        ValueError: ``maxresource < 1`` or ``reduction < 2``.

    Example:
        >>> brackets = hyperband_schedule(81, 3)
        >>> [b.n for b in brackets], sum(b.evaluations for b in brackets)
        ([81, 34, 15, 8, 5], 206)
    """
    R = check_int("hyperband_schedule", "maxresource", maxresource, 1)
    eta = check_int("hyperband_schedule", "reduction", reduction, 2)
    return _schedule(R, eta)


def _schedule(R: int, eta: int) -> tuple[Bracket, ...]:
    s_max = floor_log(R, eta)
    brackets = []
    for s in range(s_max, -1, -1):
        # ceil(B/R * eta**s / (s+1)) with B/R = s_max + 1, in integers.
        n = -(-(s_max + 1) * eta**s // (s + 1))
        r = Fraction(R, eta**s)
        brackets.append(Bracket(s, n, exact_resource(r), halving_rungs(n, r, eta, s + 1)))
    return tuple(brackets)
