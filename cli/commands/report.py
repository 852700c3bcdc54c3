"""``aigov report --assessment ID | --round ID --out FILE.pdf [--lang zh|en]``: PDF reports.

``--assessment``: an assessment's management report; ``--round``: an association's round report.
The same services as the pages' downloads (services.reports, services.round_report), with the caller's rights:
``--as-user NAME`` gets exactly what that account may see, another tenant's assessment is
"not found".
"""

from __future__ import annotations

import argparse

from sqlalchemy import Engine

from cli.context import as_user_option, object_id, out_file, run_as, write_out
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
    what.add_argument("--assessment", type=object_id("assessment"), metavar="ID", help="the assessment (see `aigov users history`)")
    what.add_argument("--round", type=object_id("round"), metavar="ID", help="the round (see `aigov round list`)")
    p.add_argument("--out", required=True, metavar="FILE.pdf", help="where to write the PDF")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="language of the report (default zh)")
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from services.reports import management_report_pdf
    from services.round_report import round_report_pdf

    path = out_file(args.out, "report.pdf", args.lang)

    def body(engine: Engine, actor: Actor) -> int:
        if args.round is not None:
            data = round_report_pdf(engine, actor, args.round, args.lang)
            what = f"round report of round {args.round}"
        else:
            data = management_report_pdf(engine, actor, args.assessment, args.lang)
            what = f"management report of assessment {args.assessment}"
        write_out(path, data, args.lang)
        print(f"wrote {path}: {what} ({args.lang}, {len(data)} bytes)")
        return 0

    return run_as(args, body)
