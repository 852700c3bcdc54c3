"""``aigov report --assessment ID --out FILE.pdf [--lang zh|en]``: the management report as PDF.

The same service as the results page's download (services.reports), with the caller's rights:
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
    p = sub.add_parser("report", parents=[as_user_option()], help="PDF reports: an assessment's management report",
                       description="Write a PDF report. --assessment ID: the management report of one assessment "
                                   "(summary, charts, gaps with recommendations, action plan, changes since the "
                                   "previous assessment, answers with notes and evidence file names, method).")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--assessment", type=int, metavar="ID", help="the assessment (see `aigov users history`)")
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

    path = out_path(args.out)

    def body(engine: Engine, actor: Actor) -> int:
        data = management_report_pdf(engine, actor, args.assessment, args.lang)
        write(path, data)
        print(f"wrote {path}: management report of assessment {args.assessment} ({args.lang}, {len(data)} bytes)")
        return 0

    return run_as(args, body)
