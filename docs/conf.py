"""Sphinx configuration of the plugrad documentation.

Build with ``nox -s docs``, or from the repository root::

    sphinx-build -W --keep-going -b html docs docs/_build/html
    sphinx-build -W -b doctest docs docs/_build/doctest
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The CUDA plugin is documented from the checkout when it is not installed: importing it
# never imports cupy, and cupy itself is mocked below.
if importlib.util.find_spec("plugrad_cuda") is None:
    sys.path.append(str(ROOT / "plugins" / "cuda" / "src"))

# Examples must not depend on the terminal or on a user's MNIST folder.
os.environ.pop("PLUGRAD_MNIST", None)

project = "plugrad"
author = "the plugrad authors"
copyright = "the plugrad authors"
try:
    from importlib.metadata import version as _version

    release = _version("plugrad")
except Exception:  # the meta-package is not installed: read the components' version
    release = "0.1.0"
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build", "tutorial/data"]
templates_path: list[str] = []
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
language = "en"
pygments_style = "sphinx"
pygments_dark_style = "monokai"

# -- autodoc / napoleon -------------------------------------------------------------------
autodoc_mock_imports = ["cupy", "cupyx"]
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autoclass_content = "class"
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_attr_annotations = True

# -- doctest ------------------------------------------------------------------------------
# Every ``>>>`` block runs: the pages' examples and the docstrings' examples alike.
doctest_global_setup = "import numpy as np"
doctest_default_flags = (
    __import__("doctest").ELLIPSIS
    | __import__("doctest").NORMALIZE_WHITESPACE
    | __import__("doctest").DONT_ACCEPT_TRUE_FOR_1
)

# -- HTML -----------------------------------------------------------------------------------
html_theme = "furo"
html_title = f"plugrad {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
