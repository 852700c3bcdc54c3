"""``aigov db upgrade|current|check`` (dump/restore live in services.backup)."""

from __future__ import annotations

import argparse

from db.engine import DatabaseURLError, database_url
from db.migrate import check, current_revision, head_revision, upgrade


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


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url()).render_as_string(hide_password=True)


def _upgrade(_args: argparse.Namespace) -> int:
    from cli.main import CLIError

    try:
        before, after = upgrade()
    except DatabaseURLError as exc:
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
