"""Where the development face data lives (never part of the project).

``FIQA_DATA_DIR`` overrides the default, ``../shared/data`` next to the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """The face data folder (it may not exist on a user's machine)."""
    configured = os.environ.get("FIQA_DATA_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"
