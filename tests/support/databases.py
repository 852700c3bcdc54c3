"""Test databases: a migrated SQLite file per test (copied from a template migrated once per run).

PostgreSQL support (a real server started for the test run) is added by tests/support/postgres.py;
``backend_urls`` lists the backends that database tests are parametrised over.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from db.migrate import upgrade

_TEMPLATE: dict[str, Path] = {}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def fresh_sqlite(tmp_dir: Path, template_dir: Path) -> str:
    """A migrated SQLite database file in ``tmp_dir`` (migrations run once, then the file is copied)."""
    if "sqlite" not in _TEMPLATE:
        template = template_dir / "template.db"
        upgrade(sqlite_url(template))
        _TEMPLATE["sqlite"] = template
    target = tmp_dir / "test.db"
    shutil.copyfile(_TEMPLATE["sqlite"], target)
    return sqlite_url(target)
