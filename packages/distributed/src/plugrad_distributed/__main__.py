"""``python -m plugrad_distributed -n 4 train.py``: see :mod:`plugrad_distributed._launch`."""

import sys

from ._launch import main

sys.exit(main())
