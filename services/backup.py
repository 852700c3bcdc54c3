"""Backup and restore of a whole installation as a portable JSON file (SQLite ⇄ PostgreSQL).

A dump holds every table of the database — accounts (with password hashes), organisations,
associations, rounds, assessments, answers and the audit trail — in dependency order, with the
schema revision it was taken at and a format version. It is read in one consistent snapshot, so
a dump taken while people are answering is still coherent.

A restore goes into an *empty* database only (a new SQLite file or a new PostgreSQL database):
it never merges into or overwrites an installation's data. The target's schema is brought to the
dump's revision, every row is inserted with its original id in one transaction, PostgreSQL
sequences are moved past the restored ids, and the schema is then upgraded to this version's head.

Evidence files (services/evidence.py) live outside the database, in the evidence store. A dump
carries them by default: each file's bytes (base64) with its storage key and SHA-256, and a
restore writes them back into the target installation's store (``AIGOV_EVIDENCE_DIR``, default
``<AIGOV_DATA_DIR>/evidence``) after checking every hash. ``dump(..., evidence=False)``
(``aigov db dump --without-evidence``) leaves the bytes out for installations whose evidence is
backed up as files: then copy the evidence folder alongside the dump (e.g. ``rsync -a
data/evidence/ BACKUP/evidence/``) and back into the new installation's evidence folder before use.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, func, select, text
from sqlalchemy.sql import sqltypes

from db.engine import is_sqlite, make_engine
from db.migrate import current_revision, downgrade, head_revision, known_revisions, upgrade
from services.files import write_whole
from services.storage import EvidenceStore, StorageError, default_store

FORMAT = "aigov-dump"
FORMAT_VERSION = 1
VERSION_TABLE = "alembic_version"


class BackupError(ValueError):
    """A dump that cannot be written or restored; the message says where the problem is and what to do."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    schema_revision: str
    rows: dict[str, int]  # table → rows, in dependency order
    evidence_files: int = 0  # evidence files carried in the dump (or written back by a restore)
    evidence_missing: tuple[str, ...] = ()  # storage keys whose bytes were not in the store at dump time

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _reflect(conn: Connection) -> list[Table]:
    md = MetaData()
    with warnings.catch_warnings():
        # SQLite cannot reflect the lower(username) index; only columns and rows matter for a dump.
        warnings.filterwarnings("ignore", message=".*expression-based index.*")
        md.reflect(bind=conn)
    return [t for t in md.sorted_tables if t.name != VERSION_TABLE]


# --- dump -------------------------------------------------------------------------------------------

def _encode(value: Any, where: str) -> Any:
    if value is None or isinstance(value, bool | int | float | str | dict | list):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise BackupError(f"{where}: cannot write a {type(value).__name__} value to a dump")


def _dump_evidence(tables: list[dict[str, Any]], store: EvidenceStore) -> tuple[list[dict[str, str]], list[str]]:
    """The bytes of every evidence file named in the dumped rows, and the keys missing from the store."""
    rows = next((t for t in tables if t["name"] == "evidence_file"), None)
    if rows is None:
        return [], []
    key_at, sha_at = rows["columns"].index("storage_key"), rows["columns"].index("sha256")
    carried, missing = [], []
    for row in rows["rows"]:
        try:
            data = store.get(row[key_at])
        except StorageError:
            missing.append(row[key_at])
            continue
        carried.append({"key": row[key_at], "sha256": row[sha_at], "data": base64.b64encode(data).decode("ascii")})
    return carried, missing


def dump(engine: Engine, out: Path, *, evidence: bool = True, store: EvidenceStore | None = None) -> BackupReport:
    """Write every table to ``out`` (``.gz``: compressed). The file is replaced only when complete.

    ``evidence``: also carry the evidence files' bytes (see the module's docstring).
    """
    revision = current_revision(_url(engine))
    if revision is None:
        raise BackupError("the database has no aigov schema (nothing to back up); check DATABASE_URL")
    tables: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        if not is_sqlite(engine):  # one snapshot for every table, while others keep writing
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            for table in _reflect(conn):
                columns = [c.name for c in table.columns]
                order = list(table.primary_key.columns) or list(table.columns)
                rows = [[_encode(v, f"{table.name}.{c}") for c, v in zip(columns, row, strict=True)]
                        for row in conn.execute(select(table).order_by(*order))]
                tables.append({"name": table.name, "columns": columns, "rows": rows})
                counts[table.name] = len(rows)
    doc = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": revision,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source_backend": engine.dialect.name,
        "application": f"aigov-maturity {_app_version()}",
        "tables": tables,
    }
    carried: list[dict[str, str]] = []
    missing: list[str] = []
    if evidence:
        carried, missing = _dump_evidence(tables, store or default_store())
        doc["evidence"] = carried
    _write_atomically(out, json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return BackupReport(out, revision, counts, len(carried), tuple(missing))


def _app_version() -> str:
    try:
        return metadata.version("aigov-maturity")
    except metadata.PackageNotFoundError:
        return "unknown"


def _write_atomically(out: Path, data: bytes) -> None:
    out = out.expanduser()
    if out.is_dir():
        raise BackupError(f"{out} is a directory; give a file name, e.g. {out / 'aigov-backup.json.gz'}")
    if not out.parent.is_dir():
        raise BackupError(f"folder {out.parent} does not exist; create it or choose another --out path")
    if out.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    write_whole(out, data)  # mode 0600: the dump holds password hashes


# --- reading and checking a dump ---------------------------------------------------------------------

def read_dump(path: Path) -> dict[str, Any]:
    """The parsed dump, or BackupError naming what is wrong with the file."""
    try:
        raw = path.expanduser().read_bytes()
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise BackupError(f"{path}: the compressed file is damaged or incomplete ({exc})") from exc
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path} is not an aigov dump (not JSON: {exc}); "
                          "make one with `aigov db dump --out FILE`") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BackupError(f"{path} is not an aigov dump (no \"format\": \"{FORMAT}\"); "
                          "make one with `aigov db dump --out FILE`")
    if doc.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path}: dump format version {doc.get('format_version')!r} is not supported by this "
                          f"version of aigov (it reads version {FORMAT_VERSION}); restore with the aigov version "
                          "that made the dump")
    revision = doc.get("schema_revision")
    if revision not in known_revisions():
        raise BackupError(f"{path}: schema revision {revision!r} is unknown to this version of aigov (head "
                          f"{head_revision()}); the dump was made by a newer version — upgrade aigov first")
    tables = doc.get("tables")
    if not isinstance(tables, list):
        raise BackupError(f"{path}: \"tables\" must be a list")
    for i, t in enumerate(tables):
        where = f"{path}: tables[{i}]"
        if not (isinstance(t, dict) and isinstance(t.get("name"), str) and isinstance(t.get("columns"), list)
                and isinstance(t.get("rows"), list)):
            raise BackupError(f"{where}: each table needs \"name\", \"columns\" and \"rows\"")
        width = len(t["columns"])
        for r, row in enumerate(t["rows"]):
            if not isinstance(row, list) or len(row) != width:
                raise BackupError(f"{where} ({t['name']}) row {r + 1}: expected {width} values")
    return doc


# --- restore ----------------------------------------------------------------------------------------

def _rows_present(conn: Connection, tables: list[Table]) -> dict[str, int]:
    counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
    return {k: v for k, v in counts.items() if v}


def _require_empty(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = _reflect(conn)
            if tables and current_revision(url) is None:
                raise BackupError(f"the target database has tables ({', '.join(sorted(t.name for t in tables)[:5])}"
                                  "…) but no aigov schema; restore into a new, empty database")
            present = _rows_present(conn, tables)
    finally:
        engine.dispose()
    if present:
        summary = ", ".join(f"{n} {name}" for name, n in list(present.items())[:4])
        raise BackupError(f"the target database already holds data ({summary}…); a restore never overwrites an "
                          "installation: create a new, empty database (or SQLite file), point DATABASE_URL at it "
                          "and run the restore again")


def _converter(table: Table, column: str) -> Callable[[Any], Any]:
    col_type = table.columns[column].type
    where = f"{table.name}.{column}"

    def check(kind: type | tuple[type, ...], convert: Callable[[Any], Any] = lambda v: v) -> Callable[[Any], Any]:
        def run(value: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise BackupError(f"{where}: {value!r} is not a valid value for this column")
            try:
                return convert(value)
            except ValueError as exc:
                raise BackupError(f"{where}: {value!r} is not a valid value ({exc})") from exc
        return run

    if isinstance(col_type, sqltypes.JSON):
        return lambda v: v
    if isinstance(col_type, sqltypes.DateTime):
        return check(str, datetime.fromisoformat)
    if isinstance(col_type, sqltypes.Date):
        return check(str, date.fromisoformat)
    if isinstance(col_type, sqltypes.Boolean):
        return check((bool, int), bool)
    if isinstance(col_type, sqltypes.Integer):
        return check(int)
    if isinstance(col_type, sqltypes.Float | sqltypes.Numeric):
        return check((int, float))
    return check(str)


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """PostgreSQL: move each serial/identity sequence past the highest restored id."""
    quote = conn.dialect.identifier_preparer.quote
    for table in tables:
        for col in table.primary_key.columns:
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": quote(table.name), "c": col.name}).scalar()
            if seq:
                conn.execute(text(f"SELECT setval(:seq, COALESCE((SELECT MAX({quote(col.name)}) FROM "
                                  f"{quote(table.name)}), 0) + 1, false)"), {"seq": seq})


def _evidence_in(doc: dict[str, Any], path: Path) -> list[tuple[str, bytes]]:
    """The dump's evidence files, each checked against its SHA-256 before anything is written."""
    out = []
    for i, item in enumerate(doc.get("evidence") or []):
        where = f"{path}: evidence[{i}]"
        if not (isinstance(item, dict) and all(isinstance(item.get(k), str) for k in ("key", "sha256", "data"))):
            raise BackupError(f"{where}: each evidence file needs \"key\", \"sha256\" and \"data\"")
        try:
            data = base64.b64decode(item["data"], validate=True)
        except ValueError as exc:
            raise BackupError(f"{where}: \"data\" is not base64 ({exc})") from exc
        if hashlib.sha256(data).hexdigest() != item["sha256"]:
            raise BackupError(f"{where} ({item['key']}): the bytes do not match their SHA-256; the dump is damaged")
        out.append((item["key"], data))
    return out


def restore(engine: Engine, path: Path, *, store: EvidenceStore | None = None) -> BackupReport:
    """Load the dump at ``path`` into the empty database behind ``engine``; all or nothing.

    Evidence files carried in the dump are checked first and written into ``store`` (default:
    the configured evidence store) once the rows are in.
    """
    doc = read_dump(path)
    files = _evidence_in(doc, path)
    url = _url(engine)
    _require_empty(url)
    revision: str = doc["schema_revision"]
    before = current_revision(url)
    if before is not None and before not in known_revisions():
        raise BackupError(f"the target database is at schema {before!r}, made by a newer version of aigov; "
                          "restore with that version, or into a new, empty database")
    if before not in (None, revision):
        downgrade(url, "base")  # empty: nothing to lose; rebuild at the dump's revision
    upgrade(url, revision)
    counts: dict[str, int] = {}
    writer = make_engine(url)
    try:
        bind = writer.execution_options(sqlite_begin="BEGIN IMMEDIATE") if is_sqlite(writer) else writer
        with bind.begin() as conn:
            tables = _reflect(conn)
            by_name = {t.name: t for t in tables}
            dumped = {t["name"]: t for t in doc["tables"]}
            if set(dumped) != set(by_name):
                raise BackupError(f"{path}: the dump's tables do not match schema {revision} "
                                  f"(missing: {sorted(set(by_name) - set(dumped))}, "
                                  f"unknown: {sorted(set(dumped) - set(by_name))})")
            if present := _rows_present(conn, tables):  # someone wrote in the meantime
                raise BackupError(f"the target database received data during the restore ({present}); "
                                  "nothing was restored")
            for table in tables:  # dependency order: parents before children
                for col in table.columns:
                    if isinstance(col.type, sqltypes.JSON):
                        col.type = col.type.__class__(none_as_null=True)  # None → SQL NULL, as it was read
                t = dumped[table.name]
                unknown = [c for c in t["columns"] if c not in table.columns]
                if unknown:
                    raise BackupError(f"{path}: table {table.name} has columns {unknown} that schema "
                                      f"{revision} does not have")
                convert = [_converter(table, c) for c in t["columns"]]
                rows = [{c: f(v) for c, f, v in zip(t["columns"], convert, row, strict=True)} for row in t["rows"]]
                if rows:
                    conn.execute(table.insert(), rows)
                counts[table.name] = len(rows)
            if not is_sqlite(writer):
                _reset_sequences(conn, tables)
    except BackupError:
        raise
    except Exception as exc:  # constraint violations: the dump contradicts itself or was edited
        raise BackupError(f"{path}: the dump could not be loaded, nothing was restored "
                          f"({type(exc).__name__}: {str(exc).splitlines()[0][:300]})") from exc
    finally:
        writer.dispose()
        if revision != head_revision():
            upgrade(url)
    target = store or default_store()
    try:
        for key, data in files:
            target.put(key, data)
    except (OSError, ValueError) as exc:
        raise BackupError(f"the rows were restored, but evidence files could not be written to the evidence store "
                          f"({exc}); free space or fix permissions, then restore again into a new database") from exc
    return BackupReport(path, revision, counts, len(files))
