"""Make the repository root importable, so `import engine` is the pure engine package."""

import os
import sys
import tempfile
from pathlib import Path

from hypothesis import settings

REPOSITORY_ROOT = str(Path(__file__).resolve().parents[2])
if REPOSITORY_ROOT not in sys.path:
    sys.path.insert(0, REPOSITORY_ROOT)

# A test run must not leave a .hypothesis directory (examples, caches) in the checkout.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "workflow_engine_hypothesis")
)
settings.register_profile("engine", database=None)
settings.load_profile("engine")
