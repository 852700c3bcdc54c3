"""Plumbing shared by the ``aigov`` sub-commands: the database, the acting account, clear errors.

The operator at the command line acts as the system (a platform administrator) by default;
``--as-user NAME`` acts as that account with exactly its roles, so other tenants' objects are
"not found" exactly as in the app.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from cli.commands.questionnaire import problems_error
from cli.main import CLIError
from db.engine import DatabaseSettingError
from i18n import DEFAULT_LANGUAGE, catalog, t
from services.access import Actor, actor_for_cli
from services.database import open_database as services_open_database
from services.errors import DatabaseBusy, Forbidden, InvalidInput, NotFound, ServiceError, StateError
from services.files import write_whole
from services.ids import looks_like_id, parse_id


def object_id(kind: str) -> Callable[[str], int]:
    """An argparse type for the id of a ``kind`` of object: a number that cannot be an id (zero, negative,
    beyond the database's range) is "not found", like an id of another tenant; other text is a usage error."""
    def parse(text: str) -> int:
        value = parse_id(text)
        if value is not None:
            return value
        if looks_like_id(text):
            raise CLIError(f"{kind} {text.strip()}: not found")
        raise argparse.ArgumentTypeError(f"'{text}' is not an id: {kind} ids are whole numbers, as the list "
                                         "commands show")
    parse.__name__ = f"{kind}_id"
    return parse


def out_file(raw: str, example: str, lang: str = DEFAULT_LANGUAGE) -> Path:
    """The ``--out`` path of the file a command writes, checked before any work is done: a file name ending
    as ``example`` does (``report.pdf``: ``.pdf``), in a folder that exists. Refusals are said in ``lang``."""
    path = Path(raw).expanduser()
    suffix = Path(example).suffix
    if path.is_dir():
        raise CLIError(t("cli.out.folder", lang, out=raw, example=path / example))
    if path.suffix.lower() != suffix:
        raise CLIError(t("cli.out.suffix", lang, out=raw, suffix=suffix, example=example))
    if not path.parent.is_dir():
        raise CLIError(t("cli.out.no_folder", lang, out=raw, folder=path.parent))
    return path


def write_out(path: Path, data: bytes, lang: str = DEFAULT_LANGUAGE) -> None:
    """Write a command's output file whole or not at all (a reader never sees half a workbook or PDF)."""
    try:
        write_whole(path, data)
    except OSError as exc:
        raise CLIError(t("cli.out.cannot_write", lang, out=path, reason=exc.strerror or exc)) from exc


def as_user_option() -> argparse.ArgumentParser:
    """A parent parser adding ``--as-user NAME`` to a sub-command."""
    who = argparse.ArgumentParser(add_help=False)
    who.add_argument("--as-user", metavar="NAME",
                     help="act as this account, with its roles only (default: the system operator)")
    return who


def open_database() -> Engine:
    """The configured database, migrated to head."""
    try:
        return services_open_database()
    except DatabaseSettingError as exc:
        raise CLIError(str(exc)) from exc


def acting(engine: Engine, username: str | None, lang: str = DEFAULT_LANGUAGE) -> Actor:
    """The account ``--as-user`` names (the system operator without it); an unknown name is refused in ``lang``."""
    try:
        return actor_for_cli(engine, username)
    except NotFound as exc:
        raise CLIError(t("cli.errors.no_account", lang, user=username)) from exc


def service_error(exc: ServiceError, actor: Actor, lang: str = DEFAULT_LANGUAGE) -> CLIError:
    """One clear message for a service error in ``lang`` (not-found never says whether the object exists).

    Invalid input prints each of its problems located and with its code, as every command prints problems
    (:func:`cli.commands.questionnaire.problems_error`)."""
    if isinstance(exc, NotFound):
        return CLIError(t("cli.errors.not_found", lang, object=object_name(exc.values.get("object"), lang),
                          id=exc.values.get("id", ""), user=actor.username))
    if isinstance(exc, Forbidden):
        return CLIError(t("cli.errors.forbidden", lang, user=actor.username))
    if isinstance(exc, InvalidInput) and exc.problems:
        return problems_error(exc.problems, lang)
    if isinstance(exc, StateError) and exc.problem is not None:  # which state refuses it, with its code
        return problems_error([exc.problem], lang)
    if isinstance(exc, DatabaseBusy):
        return CLIError(t(exc.key, lang))
    return CLIError(str(exc))


def object_name(kind: object, lang: str) -> str:
    """The name of a kind of object ("assessment", "round" …) in ``lang``; an unnamed kind is "object"."""
    key = f"cli.objects.{kind or 'object'}"
    return t(key, lang) if key in catalog(lang) else str(kind)


def command_language(args: argparse.Namespace) -> str:
    """The language a command speaks: its ``--lang``, else the default language of every command without one."""
    return getattr(args, "lang", None) or DEFAULT_LANGUAGE


def run_as(args: argparse.Namespace, body: Callable[[Engine, Actor], int]) -> int:
    """Run a command body as ``args.as_user``, turning service errors into CLIError (exit status 2) said in the
    command's language."""
    engine = open_database()
    lang = command_language(args)
    actor = acting(engine, getattr(args, "as_user", None), lang)
    try:
        return body(engine, actor)
    except ServiceError as exc:
        raise service_error(exc, actor, lang) from exc
