"""Screenshots from browser tests: always kept in the test's tmp dir; copied into docs/screenshots/
(the README's pictures) only when AIGOV_UPDATE_SCREENSHOTS=1, so a normal test run leaves the tree clean."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def publish(shot: Path, name: str | None = None) -> None:
    if os.environ.get("AIGOV_UPDATE_SCREENSHOTS") == "1":
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOCS_SHOTS / (name or shot.name))
