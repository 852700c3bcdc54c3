"""Capacity: how many respondents answering at once a deployment serves with click-to-saved p95 under 1 s.

N simulated respondents (perf/load_driver.py: Streamlit's own websocket protocol, no browsers) each
open the questionnaire's deep link, sign in through the form, and change an answer every few
seconds, against real ``streamlit run`` servers:

* ``sqlite``: one process on an SQLite file (the default installation);
* ``postgresql``: three processes on one PostgreSQL database behind a sticky proxy (deploy/: nginx
  with ``ip_hash``). The proxy here is a small asyncio TCP proxy on loopback that sends each client
  address to one process by a hash of the address, as ``ip_hash`` does; every respondent connects
  from its own 127.x address.

N grows step by step (fresh respondents each step) until p95 passes 1 s or the steps run out. After
each step every respondent's answers are read back from the database: each change must be stored
exactly once (the last level sent is the stored level, one revision and one audit event per change:
nothing lost, nothing duplicated).

"Before and after": the same load runs against another commit (default: ``--before`` the commit
before the issue-16 data-access change) checked out with ``git worktree add`` in a temporary
directory, and against this tree, on the same machine in one run. Loopback only; every loop bounded.

Usage: ``make capacity`` or ``python -m perf.capacity [--steps 5,10,20,40] [--seconds 20] [--every 3]
[--backends sqlite,postgresql] [--before COMMIT|none]``. Not part of ``make bench`` (it takes minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from perf.load_driver import ProtocolError, Respondent, percentile
from tests.support.server import AppServer, free_port

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "81a52a3"  # main just before the issue-16 data-access change landed (one read per run)
PASSWORD = "capacity-password-1"
GOAL_P95 = 1.0
SIGN_IN_CONCURRENCY = 8  # respondents signing in at once while a step starts (password hashing is slow by design)

# Runs inside the tree under test (its own modules, old or new), so it uses only APIs both have.
_SETUP = """
import json, sys
from db.engine import make_engine
from db.migrate import upgrade
try:
    from services.accounts import create_user
except ImportError:
    from services.auth import create_user
from questionnaires import get_questionnaire
from services.access import load_actor
from services.assessments import create_assessment
from services.organisations import create_organisation

url, prefix, count, password = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
upgrade(url)
engine = make_engine(url)
profile = get_questionnaire().default_profile()
out = []
for i in range(count):
    user = create_user(engine, f"{prefix}{i:03d}", password)
    org = create_organisation(engine, load_actor(engine, user.id), f"{prefix} {i:03d} Ltd", profile)
    view = create_assessment(engine, load_actor(engine, user.id), org.id, form="full", title="capacity")
    out.append([user.username, view.id])
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Step:
    backend: str
    tree: str  # "before" | "after"
    respondents: int
    changes: int
    p50: float
    p95: float
    failed: int
    lost: int
    duplicated: int

    @property
    def ok(self) -> bool:
        return self.p95 < GOAL_P95 and not self.failed and not self.lost and not self.duplicated


# --- sticky proxy -------------------------------------------------------------------------------------

class StickyProxy:
    """A loopback TCP proxy choosing a backend by a hash of the client's address (nginx ``ip_hash``)."""

    def __init__(self, backends: list[int]):
        self.backends = backends
        self.port = free_port()
        self._server: asyncio.base_events.Server | None = None

    def backend_for(self, address: str) -> int:
        return self.backends[zlib.crc32(address.encode()) % len(self.backends)]

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address = writer.get_extra_info("peername")[0]
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.backend_for(address))
        except OSError:
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 5)


# --- trees, databases, servers -------------------------------------------------------------------------

@contextlib.contextmanager
def worktree(commit: str) -> Iterator[Path]:
    """``commit`` checked out in a temporary git worktree (removed afterwards)."""
    path = Path(tempfile.mkdtemp(prefix="aigov-capacity-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), commit], check=True,
                   capture_output=True, timeout=120)
    try:
        yield path
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False,
                       capture_output=True, timeout=120)
        shutil.rmtree(path.parent, ignore_errors=True)


def setup_users(tree: Path, url: str, prefix: str, count: int) -> list[tuple[str, int]]:
    """``count`` users, each the administrator of an organisation with an empty draft, made by ``tree``'s code."""
    proc = subprocess.run([sys.executable, "-c", _SETUP, url, prefix, str(count), PASSWORD], cwd=tree,
                          capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode:
        raise RuntimeError(f"setup failed in {tree}:\n{proc.stderr[-3000:]}")
    return [(u, int(a)) for u, a in json.loads(proc.stdout.strip().splitlines()[-1])]


def check_stored(url: str, respondents: list[Respondent]) -> tuple[int, int]:
    """(lost, duplicated) answer changes: every confirmed change stored once, as the last level sent."""
    engine = create_engine(url)
    lost = duplicated = 0
    try:
        with engine.connect() as conn:
            for r in respondents:
                answers = {q: (lvl, rev) for q, lvl, rev in conn.execute(
                    text("SELECT question_id, level, revision FROM answer WHERE assessment_id = :a"),
                    {"a": r.assessment_id})}
                events: dict[str, int] = dict(conn.execute(text(
                    "SELECT question_id, COUNT(*) FROM answer_event WHERE assessment_id = :a GROUP BY question_id"),
                    {"a": r.assessment_id}).all())
                for qid, level in r.changes.items():
                    if qid in r.uncertain:  # its last change timed out: stored or not, neither is an error here
                        continue
                    stored_level, revision = answers.get(qid, (None, 0))
                    sent = r.per_question[qid]
                    if stored_level != level or revision < sent or events.get(qid, 0) < sent:
                        lost += 1
                    elif revision > sent or events.get(qid, 0) > sent:
                        duplicated += 1
                duplicated += sum(1 for qid in answers if qid not in r.changes and qid not in r.uncertain)
    finally:
        engine.dispose()
    return lost, duplicated


async def _step(port: int, users: list[tuple[str, int]], seconds: float, every: float, seed: int,
                spread: bool) -> list[Respondent]:
    respondents = [Respondent("127.0.0.1", port, u, PASSWORD, aid,
                              source=f"127.0.{1 + i // 250}.{1 + i % 250}" if spread else "127.0.0.1")
                   for i, (u, aid) in enumerate(users)]
    gate = asyncio.Semaphore(SIGN_IN_CONCURRENCY)

    async def sign_in(r: Respondent) -> None:
        async with gate:
            try:
                await r.open()
            except (ProtocolError, OSError) as exc:
                r.failed += 1
                r.error = f"sign-in: {exc}"

    await asyncio.gather(*(sign_in(r) for r in respondents))
    live = [r for r in respondents if not r.failed]
    await asyncio.gather(*(r.answer_for(seconds, every, random.Random(seed + i)) for i, r in enumerate(live)))
    await asyncio.gather(*(r.close() for r in respondents))
    return respondents


def run_backend(backend: str, tree: Path, label: str, steps: list[int], seconds: float, every: float,
                log_dir: Path) -> list[Step]:
    """The steps of one backend against one tree; stops after the first step over the goal."""
    from tests.support.postgres import LocalPostgres, PostgresDatabases, admin_url_from_env

    pg: LocalPostgres | None = None
    dbs: PostgresDatabases | None = None
    if backend == "sqlite":
        url = f"sqlite:///{log_dir / f'capacity-{label}.db'}"
    else:
        admin = admin_url_from_env()
        if admin is None:
            pg = LocalPostgres().start()
            admin = pg.url
        dbs = PostgresDatabases(admin)
        url = dbs.empty()
    users = setup_users(tree, url, f"cap{label[0]}", sum(steps))
    servers = [AppServer(url, log_dir, root=tree) for _ in range(1 if backend == "sqlite" else 3)]
    out: list[Step] = []
    try:
        for s in servers:
            s.start(timeout=120)
        taken = 0
        for n in steps:
            group = users[taken:taken + n]
            taken += n

            async def one_step(group: list[tuple[str, int]] = group, n: int = n) -> list[Respondent]:
                if backend == "sqlite":
                    return await _step(servers[0].port, group, seconds, every, n, spread=False)
                proxy = StickyProxy([s.port for s in servers])
                await proxy.start()
                try:
                    return await _step(proxy.port, group, seconds, every, n, spread=True)
                finally:
                    await proxy.stop()

            respondents = asyncio.run(one_step())
            lost, duplicated = check_stored(url, respondents)
            latencies = [x for r in respondents for x in r.latencies]
            step = Step(backend, label, n, len(latencies), percentile(latencies, 50), percentile(latencies, 95),
                        sum(r.failed for r in respondents), lost, duplicated)
            out.append(step)
            errors = sorted({r.error for r in respondents if r.error})
            print(f"  {backend:10} {label:6} N={n:3}  changes={step.changes:4}  p50={step.p50 * 1000:7.1f} ms  "
                  f"p95={step.p95 * 1000:7.1f} ms  failed={step.failed} lost={lost} duplicated={duplicated}"
                  + (f"  errors: {errors[:2]}" if errors else ""), flush=True)
            if not step.ok:
                break
    finally:
        for s in servers:
            s.stop()
        if dbs is not None:
            dbs.close()
        if pg is not None:
            pg.stop()
    return out


def capacity(steps: list[Step]) -> int:
    """The largest N whose step met the goal (p95 under 1 s, nothing failed, lost or duplicated); 0 if none."""
    return max((s.respondents for s in steps if s.ok), default=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perf.capacity", description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default="5,10,20,40", help="respondents per step, ascending (default 5,10,20,40)")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of answering per step (default 20)")
    parser.add_argument("--every", type=float, default=3.0, help="mean seconds between a respondent's changes")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--before", default=BEFORE, help="commit to compare with, or 'none'")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    steps = [int(x) for x in args.steps.split(",")]
    if steps != sorted(steps) or not steps or steps[-1] > 500:
        parser.error("--steps: ascending numbers up to 500")
    if not 1 <= args.seconds <= 600 or not 0.5 <= args.every <= 60:
        parser.error("--seconds 1..600 and --every 0.5..60")
    results: list[Step] = []
    with tempfile.TemporaryDirectory(prefix="aigov-capacity-logs-") as tmp:
        log_dir = Path(tmp)
        trees: list[tuple[str, Any]] = []
        if args.before != "none":
            trees.append(("before", worktree(args.before)))
        trees.append(("after", contextlib.nullcontext(ROOT)))
        for label, ctx in trees:
            with ctx as tree:
                for backend in args.backends.split(","):
                    started = time.perf_counter()
                    results += run_backend(backend, tree, label, steps, args.seconds, args.every, log_dir)
                    print(f"  ({backend} {label}: {time.perf_counter() - started:.0f} s)", flush=True)
    if args.json:
        print(json.dumps([s.__dict__ for s in results], indent=2))
    load = os.getloadavg()
    print(f"\nmachine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
          "(1/5/15 min) at the end — other work on the machine slows every figure alike")
    print("\nbackend     tree    capacity (largest N with p95 < 1 s, nothing lost or duplicated)")
    for backend in args.backends.split(","):
        for label in ("before", "after"):
            mine = [s for s in results if s.backend == backend and s.tree == label]
            if mine:
                print(f"{backend:11} {label:7} {capacity(mine)}")
    bad = [s for s in results if s.lost or s.duplicated]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
