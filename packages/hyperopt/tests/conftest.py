import sys
from pathlib import Path

# Process-pool workers unpickle objectives by module name, so the helper module must be
# importable from a plain sys.path (pytest's importlib mode does not add this folder).
_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
