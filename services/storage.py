"""Where evidence files' bytes are kept: one small interface, the file system by default.

The database holds what an evidence file *is* (name, type, size, SHA-256, uploader, time) and a
``storage_key``; an :class:`EvidenceStore` holds the bytes under that key. The default
:class:`FileStore` writes under ``<data directory>/evidence`` (``AIGOV_EVIDENCE_DIR`` overrides it;
the data directory is ``AIGOV_DATA_DIR``, default ``data``), one file per key, written whole
or not at all (:func:`services.files.write_whole`), so a crash never leaves half a file under a key.
An object store can be added later by implementing the same four methods.

Keys are made by the service (``<organisation id>/<random hex>``), never from a user's file name.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol

from services.files import write_whole

_KEY = re.compile(r"^[0-9]{1,19}/[0-9a-f]{32}$")


class StorageError(OSError):
    """The store could not keep or give back a file (disk full, permissions, a missing file)."""


class EvidenceStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


def data_dir() -> Path:
    return Path(os.environ.get("AIGOV_DATA_DIR", "data")).resolve()


def evidence_dir() -> Path:
    configured = os.environ.get("AIGOV_EVIDENCE_DIR", "").strip()
    return Path(configured).resolve() if configured else data_dir() / "evidence"


class FileStore:
    """Evidence bytes as files under ``root`` (``root/<organisation id>/<random hex>``)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or evidence_dir()).resolve()

    def path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise StorageError(f"not an evidence storage key: {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_whole(target, data)

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StorageError(f"evidence file {key} is missing from {self.root}") from exc

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()


def default_store() -> EvidenceStore:
    """The configured store (today: the file system under the data directory)."""
    return FileStore()
