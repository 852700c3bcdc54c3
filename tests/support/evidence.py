"""The evidence store the evidence tests use: a folder of this test's own, with small limits (1 MB a file,
2 MB an organisation) so a quota is reached with a few small files."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.storage import FileStore


def small_evidence_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FileStore:
    folder = tmp_path / "evidence"
    monkeypatch.setenv("AIGOV_EVIDENCE_DIR", str(folder))
    monkeypatch.setenv("AIGOV_EVIDENCE_MAX_FILE_MB", "1")
    monkeypatch.setenv("AIGOV_EVIDENCE_MAX_ORG_MB", "2")
    return FileStore(folder)
