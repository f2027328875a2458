"""Write ``src/plugrad/__init__.py``: every component's ``__all__``, re-exported explicitly.

Run after a component changes its public names (``python tools/write_init.py``); the test
``tests/test_reexports.py`` fails until it is run. Explicit imports (not ``import *``) keep
the flat namespace visible to IDEs and type checkers.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "plugrad"


def _components() -> tuple[list[tuple[str, str]], set[str]]:
    """(import name, attribute) of each component, and those kept out of the flat namespace,
    from ``_components.py``.

    The file is loaded by path: importing ``plugrad`` would run the very ``__init__.py``
    this script rewrites, which fails while it is out of date.
    """
    spec = importlib.util.spec_from_file_location("_components", PACKAGE / "_components.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    components = [(name, attr) for _, name, attr in module.COMPONENTS if attr is not None]
    return components, module.NAMESPACE_ONLY


COMPONENTS, NOT_FLAT = _components()
# On a name clash the earlier component wins, except where PREFER says otherwise.
PREFER: dict[str, str] = {}
LOCAL = ["info", "__version__"]

HEADER = '''"""plugrad: Knet's "just write the math" deep learning for Python, in one namespace.

Every public name of the components is re-exported flat (``pg.Param``, ``pg.conv4``,
``pg.Adam``, ``pg.minibatch``, ``pg.hyperband``...); the components themselves are
``pg.backends``, ``pg.autograd``, ``pg.nn``, ``pg.optim``, ``pg.data``, ``pg.hyperopt``.
This file is written by ``tools/write_init.py``.

Example:
    >>> import plugrad as pg
    >>> x = pg.Param([1.0, 2.0, 3.0])
    >>> pg.grad(pg.diff(lambda: pg.sum(x * x)), x)
    array([2., 4., 6.], dtype=float32)
"""

'''


def main() -> None:
    owner: dict[str, str] = {}
    for module, _ in COMPONENTS:
        if module in NOT_FLAT:
            continue
        names = importlib.import_module(module).__all__
        for name in names:
            if name in LOCAL:  # the meta-package's own version wins
                continue
            if name in PREFER:
                owner[name] = PREFER[name]
            else:
                owner.setdefault(name, module)
    lines = [HEADER]
    for module, alias in COMPONENTS:
        lines.append(f"import {module} as {alias}\n")
    lines.append("\n")
    for module, _ in COMPONENTS:
        mine = sorted(n for n, m in owner.items() if m == module)
        if not mine:
            continue
        lines.append(f"from {module} import (\n")
        lines.extend(f"    {n},\n" for n in mine)
        lines.append(")\n")
    lines.append("\nfrom ._info import info\n\n")
    lines.append('__version__ = "0.1.0"\n\n')
    everything = sorted({*owner, *LOCAL, *(a for _, a in COMPONENTS)} - {"__version__"})
    lines.append("__all__ = [\n")
    lines.extend(f'    "{n}",\n' for n in everything)
    lines.append("]\n")
    (PACKAGE / "__init__.py").write_text("".join(lines))


if __name__ == "__main__":
    main()
