"""A real PostgreSQL server for the test run, and throwaway databases on it.

``TEST_PG_URL`` (e.g. ``postgresql+psycopg://user:pw@host:5432/postgres``; the role needs CREATEDB)
points the tests at an existing server. Otherwise a private cluster is created with the local
PostgreSQL binaries (``initdb`` into a temporary directory, started with ``pg_ctl`` on a free
loopback port, its socket in the same directory) and stopped when the run ends. As root the
cluster is owned by the ``postgres`` system account (PostgreSQL refuses to run as root).

When no server can be had the PostgreSQL tests skip, unless ``AIGOV_REQUIRE_REAL_SERVICES=1`` (set
by CI), where that is a failure: CI must prove both backends.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.server import free_port

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
SUPERUSER = "aigov_test"
INSTALL_HINT = (
    "install PostgreSQL (Debian/Ubuntu: apt-get install -y postgresql; the server binaries land in "
    "/usr/lib/postgresql/<version>/bin) or set TEST_PG_URL=postgresql+psycopg://user:pw@host:5432/postgres"
)


# Stops the cluster if the test process dies without tearing down (killed by a timeout, Ctrl-C twice):
# a shared machine must not collect orphaned servers. Exits quietly once the directory is removed.
_WATCHDOG = """
import os, shutil, subprocess, sys, time
parent, pg_ctl, data, folder, run_as = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
while os.path.exists(folder):
    try:
        os.kill(parent, 0)
    except ProcessLookupError:
        subprocess.run([*run_as, pg_ctl, "-D", data, "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
        break
    time.sleep(2)
"""


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be found or started; the message says why and how to fix it."""


def _pg_bin() -> Path:
    if explicit := os.environ.get("AIGOV_PG_BIN"):
        candidates = [explicit]
    else:
        versions = [p for p in glob.glob(PG_BIN_GLOB) if Path(p).parent.name.isdigit()]
        candidates = sorted(versions, key=lambda p: int(Path(p).parent.name), reverse=True)
        if which := shutil.which("initdb"):
            candidates.append(str(Path(which).parent))
    for c in candidates:
        if (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    raise PostgresUnavailable(f"PostgreSQL server binaries (initdb, pg_ctl) not found; {INSTALL_HINT}")


class LocalPostgres:
    """A private PostgreSQL cluster in a temporary directory; fsync off (test data is disposable)."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        root = os.geteuid() == 0
        # As root the cluster runs as 'postgres', which must reach the directory: /tmp, not $TMPDIR.
        self.dir = Path(tempfile.mkdtemp(prefix="aigov-pg-", dir="/tmp" if root else None))
        self.data = self.dir / "data"
        self.port = free_port()
        self._as: list[str] = []
        if root:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable(
                    "running as root and there is no 'postgres' system user to own the test cluster "
                    "(PostgreSQL refuses to run as root); install the postgresql package or run the tests "
                    "as an ordinary user"
                ) from exc
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
            os.chmod(self.dir, 0o700)
            self._as = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        proc = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode:
            raise PostgresUnavailable(f"{Path(args[0]).name} failed ({proc.returncode}): "
                                      f"{(proc.stderr or proc.stdout).strip()[-2000:]}")

    def start(self) -> LocalPostgres:
        try:
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E",
                      "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions")
        except PostgresUnavailable:
            self.stop()
            raise
        for attempt in range(3):  # the free port may be taken between choosing and binding it
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"),
                          "-w", "-t", "60", "-o", self._options(), "start")
                break
            except PostgresUnavailable as exc:
                log = self.dir / "server.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                if attempt < 2 and "could not bind" in tail:
                    self.port = free_port()
                    continue
                self.stop()
                raise PostgresUnavailable(f"{exc}\nserver log:\n{tail}") from exc
        subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(self.bin / "pg_ctl"), str(self.data),
                          str(self.dir), *self._as], start_new_session=True, stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def _options(self) -> str:
        return " ".join([
            f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={self.dir}",
            "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=200",
        ])

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run([*self._as, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                            "-t", "30", "stop"], capture_output=True, timeout=60, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def admin_url_from_env() -> str | None:
    """``TEST_PG_URL`` normalised to the psycopg 3 driver, or None."""
    raw = os.environ.get("TEST_PG_URL", "").strip()
    if not raw:
        return None
    url = make_url(raw)
    if url.get_backend_name() != "postgresql":
        raise PostgresUnavailable(f"TEST_PG_URL {raw!r} is not a PostgreSQL URL; use postgresql+psycopg://…")
    return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def check_server(admin_url: str) -> None:
    """Fail clearly when the server cannot be reached or the role may not create databases."""
    engine = create_engine(admin_url)
    try:
        with engine.connect() as conn:
            ok = conn.execute(text("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
    except Exception as exc:
        raise PostgresUnavailable(f"cannot connect to PostgreSQL at "
                                  f"{make_url(admin_url).render_as_string(hide_password=True)}: {exc}") from exc
    finally:
        engine.dispose()
    if not ok:
        raise PostgresUnavailable("the TEST_PG_URL role needs CREATEDB (tests use a throwaway database each)")


class PostgresDatabases:
    """Throwaway databases on one server: empty ones, and migrated ones cloned from a template."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.prefix = f"aigov_t{uuid.uuid4().hex[:8]}"
        self._admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=1)
        self._template: str | None = None
        self._created: list[str] = []

    def url_for(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def create(self, *, template: str | None = None) -> str:
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{template}"' if template else " TEMPLATE template0"
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{clause} ENCODING \'UTF8\'')
        self._created.append(name)
        return self.url_for(name)

    def empty(self) -> str:
        """A new database without any table."""
        return self.create()

    def migrated(self) -> str:
        """A new database at the head revision (a copy of a template migrated once per run)."""
        if self._template is None:
            from db.migrate import upgrade

            url = self.create()
            upgrade(url)  # disposes its engines: no session may stay on a template
            self._template = make_url(url).database
        return self.create(template=self._template)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if name in self._created:
            self._created.remove(name)

    def close(self) -> None:
        for name in [*self._created]:
            self.drop(self.url_for(name))
        self._admin.dispose()
