"""Writing a file whole or not at all: the evidence store, the backup and the command line's output files.

A file is written under a temporary name in its own folder, flushed to disk and renamed over the target
(an atomic step on one file system), so a reader never sees half a file and a crash, a full disk or an
interrupted command leaves the previous file (or none) — never a truncated one. The temporary file is
made with mode 0600 and keeps it: evidence, dumps (they hold password hashes), reports and workbooks
(an organisation's governance data) are readable by their owner only.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_whole(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` in one step (the folder must exist); OSError if it cannot be written."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
