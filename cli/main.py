"""Entry point of ``aigov``. Each sub-command lives in ``cli/commands/<name>.py`` with a ``register``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from sqlalchemy.exc import OperationalError

from cli.output import escaped_output
from db.engine import DatabaseSettingError, database_url, is_busy, safe_url
from i18n import DEFAULT_LANGUAGE, t

COMMAND_MODULES = (
    "cli.commands.db",
    "cli.commands.demo",
    "cli.commands.questionnaire",
    "cli.commands.score",
    "cli.commands.excel",
    "cli.commands.benchmark",
    "cli.commands.users",
    "cli.commands.report",
    "cli.commands.assessment",
    "cli.commands.problems",
)


class CLIError(Exception):
    """A user-facing error: printed without a traceback, exit status 2."""


def database_problem(exc: DatabaseSettingError | OperationalError) -> str:
    """What went wrong with the database, in one line, without the password."""
    if isinstance(exc, DatabaseSettingError):
        return str(exc)
    if is_busy(exc):  # other writers held it past the wait (the schema check at the start of every command too)
        return t("errors.busy", DEFAULT_LANGUAGE)
    reason = str(exc.orig or exc).strip().splitlines()[0]
    return (f"cannot use the database {safe_url(database_url())}: {reason}. Check DATABASE_URL and that the "
            "database server is running and reachable.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aigov",
        description="AI risk-governance maturity self-assessment (人工智能风险治理成熟度自评估) — command line.",
        epilog="Database: DATABASE_URL (default sqlite file data/aigov.db). Docs: README.md and docs/.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # command not built yet in this checkout
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        with escaped_output():  # no raw control character of a user's text reaches the terminal
            return _run(argv)
    except BrokenPipeError:
        # `aigov … | head` closed the pipe: stop quietly, as Unix tools do. Pointing stdout at /dev/null keeps
        # the interpreter's final flush from raising the same error again (Python's documented recipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except CLIError as exc:
        print(f"aigov: error: {exc}", file=sys.stderr)
        return 2
    except (DatabaseSettingError, OperationalError) as exc:  # any command: one line, never a traceback
        print(f"aigov: error: {database_problem(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
