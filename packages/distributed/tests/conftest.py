import sys
from pathlib import Path

# the helper module must be importable under one name here and in the mpiexec processes
sys.path.insert(0, str(Path(__file__).parent))
