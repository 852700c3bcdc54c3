"""``aigov report --assessment ID | --round ID --out FILE.pdf [--lang zh|en]``: PDF reports.

``--assessment``: an assessment's management report; ``--round``: an association's round report.
The same services as the pages' downloads (services.reports, services.round_report), with the caller's rights:
``--as-user NAME`` gets exactly what that account may see, another tenant's assessment is
"not found".
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import Engine

from cli.context import as_user_option, run_as
from cli.main import CLIError
from services.access import Actor


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", parents=[as_user_option()],
                       help="PDF reports: an assessment's management report, or an association's round report",
                       description="Write a PDF report. --assessment ID: the management report of one assessment "
                                   "(summary, charts, gaps with recommendations, action plan, changes since the "
                                   "previous assessment, answers with notes and evidence file names, method). "
                                   "--round ID: the association's round report (participation, distributions, "
                                   "segments, common gaps, trend, method and privacy; aggregates only).")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--assessment", type=int, metavar="ID", help="the assessment (see `aigov users history`)")
    what.add_argument("--round", type=int, metavar="ID", help="the round (see `aigov round list`)")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="language of the report (default zh)")
    p.set_defaults(func=_report)


def out_path(raw: str) -> Path:
    path = Path(raw)
    if path.suffix.lower() != ".pdf":
        raise CLIError(f"--out {raw}: the file name must end in .pdf (e.g. report.pdf)")
    if path.is_dir():
        raise CLIError(f"--out {raw}: is a folder; give a file name, e.g. {path / 'report.pdf'}")
    if not path.parent.exists():
        raise CLIError(f"--out {raw}: the folder {path.parent} does not exist; create it or choose another path")
    return path


def write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)  # a reader never sees half a PDF


def _report(args: argparse.Namespace) -> int:
    from services.reports import management_report_pdf
    from services.round_report import round_report_pdf

    path = out_path(args.out)

    def body(engine: Engine, actor: Actor) -> int:
        if args.round is not None:
            data = round_report_pdf(engine, actor, args.round, args.lang)
            what = f"round report of round {args.round}"
        else:
            data = management_report_pdf(engine, actor, args.assessment, args.lang)
            what = f"management report of assessment {args.assessment}"
        write(path, data)
        print(f"wrote {path}: {what} ({args.lang}, {len(data)} bytes)")
        return 0

    return run_as(args, body)
