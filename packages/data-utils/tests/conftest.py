import sys
from pathlib import Path

from plugrad_backends.testing import backend  # noqa: F401

# the helper module must be importable under one name here and in subprocesses
sys.path.insert(0, str(Path(__file__).parent))
