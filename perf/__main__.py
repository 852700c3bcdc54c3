"""Run every ``perf/bench_*.py`` module's ``run()`` and print one table (see perf/__init__.py).

Usage: python -m perf [NAME ...] [--json]   (NAME filters modules, e.g. "scoring").
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def discover(names: list[str] | None = None) -> list[str]:
    """Module names of the performance measurements, sorted; ``names`` keeps those containing any of the words."""
    found = sorted(f"perf.{m.name}" for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    return [m for m in found if not names or any(n in m for n in names)]


def _fmt(x: Any, digits: int = 3) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m perf", description="Run the performance suite.")
    parser.add_argument("names", nargs="*", help="run only modules whose name contains one of these")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)

    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    for module_name in discover(args.names):
        try:  # one broken benchmark must not hide the others' figures
            results = importlib.import_module(module_name).run()
        except Exception as exc:
            print(f"{module_name}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed.append(module_name)
            continue
        for row in results:
            base = row.get("baseline_seconds")
            rows.append({"module": module_name.split(".", 1)[1], **row,
                         "ratio": row["seconds"] / base if base else None})
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 1 if failed else 0
    width = max([len(r["name"]) for r in rows] + [4])
    print(f"{'name':<{width}}  {'seconds':>9}  {'baseline s':>10}  {'ratio':>6}")
    print("-" * (width + 33))
    for r in rows:
        print(f"{r['name']:<{width}}  {_fmt(r['seconds']):>9}  {_fmt(r.get('baseline_seconds')):>10}  "
              f"{_fmt(r['ratio'], 2):>6}")
    notes = [f"- {r['name']}: " + "; ".join(str(r[k]) for k in ("baseline", "goal", "note") if r.get(k))
             for r in rows if any(r.get(k) for k in ("baseline", "goal", "note"))]
    if notes:
        print("\n" + "\n".join(notes))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
