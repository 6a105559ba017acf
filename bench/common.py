"""What every part of the harness shares: where the bench's files are, and its progress log."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / ".work"  # git-ignored scratch space: build outputs, per-run files
VENV = BENCH / ".venv"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)
