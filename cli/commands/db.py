"""``aigov db upgrade|current|check|dump|restore``: schema migrations and portable backups."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine

from db.engine import DatabaseSettingError, database_url, safe_url
from db.migrate import check, current_revision, head_revision, upgrade

T = TypeVar("T")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="database schema and data management")
    dsub = p.add_subparsers(dest="action", metavar="ACTION")
    dsub.required = True
    u = dsub.add_parser("upgrade", help="bring the database schema to the latest revision (idempotent)")
    u.set_defaults(func=_upgrade)
    c = dsub.add_parser("current", help="print the database's schema revision")
    c.set_defaults(func=_current)
    k = dsub.add_parser("check", help="fail if the models and the migrations disagree")
    k.set_defaults(func=_check)
    d = dsub.add_parser("dump", help="back up every table to a portable JSON file (restores on SQLite or PostgreSQL)",
                        description="Write the whole installation (accounts with password hashes, organisations, "
                                    "assessments, answers, audit trail) to FILE in one consistent snapshot. "
                                    "A name ending in .gz is compressed. Keep the file as safe as the database. "
                                    "Evidence files are carried in the dump unless --without-evidence.")
    d.add_argument("--out", required=True, type=Path, metavar="FILE", help="where to write the dump, e.g. backup.json.gz")
    d.add_argument("--without-evidence", action="store_true",
                   help="leave the evidence files' bytes out (back up the evidence folder as files instead: "
                        "AIGOV_EVIDENCE_DIR, default data/evidence)")
    d.set_defaults(func=_dump)
    r = dsub.add_parser("restore", help="load a dump into an EMPTY database (DATABASE_URL)",
                        description="Restore FILE (made by `aigov db dump`) into the database named by DATABASE_URL. "
                                    "The database must be empty (a new SQLite file or a new PostgreSQL database): "
                                    "a restore never overwrites an installation.")
    r.add_argument("file", type=Path, metavar="FILE", help="a dump made by `aigov db dump`")
    r.set_defaults(func=_restore)


def _safe_url() -> str:
    return safe_url(database_url())


def _upgrade(_args: argparse.Namespace) -> int:
    from cli.main import CLIError

    try:
        before, after = upgrade()
    except DatabaseSettingError as exc:
        raise CLIError(str(exc)) from exc
    if before == after:
        print(f"{_safe_url()}: schema already at {after} (head); nothing to do")
    else:
        print(f"{_safe_url()}: schema upgraded {before or 'empty'} → {after}")
    return 0


def _current(_args: argparse.Namespace) -> int:
    rev = current_revision()
    print(f"{_safe_url()}: {rev or 'empty (run aigov db upgrade)'} (head {head_revision()})")
    return 0


def _check(_args: argparse.Namespace) -> int:
    check()
    print("models and migrations agree")
    return 0


def _backup(action: Callable[[Engine], T]) -> T:
    """Run a dump or restore on the configured database; bad URLs and files become one clear line."""
    from cli.main import CLIError
    from db.engine import make_engine
    from services.backup import BackupError

    try:
        engine = make_engine()
    except DatabaseSettingError as exc:
        raise CLIError(str(exc)) from exc
    try:
        return action(engine)
    except BackupError as exc:
        raise CLIError(str(exc)) from exc
    finally:
        engine.dispose()


def _dump(args: argparse.Namespace) -> int:
    from services.backup import dump

    report = _backup(lambda engine: dump(engine, args.out, evidence=not args.without_evidence))
    print(f"{_safe_url()} → {report.path}: {report.total} rows in {len(report.rows)} tables "
          f"(schema {report.schema_revision})")
    if args.without_evidence:
        from services.storage import evidence_dir

        print(f"evidence files not included: copy the folder {evidence_dir()} with the dump, and back into the "
              "new installation's evidence folder (AIGOV_EVIDENCE_DIR) after the restore")
    else:
        print(f"evidence files: {report.evidence_files} carried in the dump")
    for key in report.evidence_missing:
        print(f"warning: evidence file {key} is missing from the evidence store and is not in the dump",
              file=sys.stderr)
    return 0


def _restore(args: argparse.Namespace) -> int:
    from services.backup import restore

    report = _backup(lambda engine: restore(engine, args.file))
    print(f"{report.path} → {_safe_url()}: restored {report.total} rows in {len(report.rows)} tables "
          f"(dump schema {report.schema_revision}, now at {head_revision()})")
    for name, n in report.rows.items():
        print(f"  {name}: {n}")
    print(f"evidence files written to the evidence store: {report.evidence_files}")
    return 0
