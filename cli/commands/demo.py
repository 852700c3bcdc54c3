"""``aigov demo``: seed the documented demo accounts, association, members and rounds (idempotent)."""

from __future__ import annotations

import argparse

from demo.seed import seed_demo
from services.database import open_database
from services.demo_check import DEMO_ACCOUNTS, demo_accounts_active


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="create the demo data (idempotent; deterministic with --seed)")
    p.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
    p.add_argument("--if-empty", action="store_true",
                   help="only seed a database that has no accounts yet (used by `make run`)")
    p.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    engine = open_database()
    report = seed_demo(engine, seed=args.seed, if_empty=args.if_empty)
    if report.created:
        print(f"demo created: {report.organisations} organisations, {report.assessments} assessments, "
              f"{report.answers} answers")
    else:
        print("demo: nothing to do (already seeded, or the database has its own accounts)")
    if not demo_accounts_active(engine):  # a real installation: never print passwords that are not its own
        return 0
    print("demo sign-in (演示账号):")
    for username, password, _display, role in DEMO_ACCOUNTS:
        print(f"  {username:<8} {password:<18} {role}")
    return 0
