"""Run ``aigov`` in-process, as a user at a terminal would, capturing its exit status and output."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout


def run_cli(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    """(exit status, standard output, standard error) of ``aigov *argv`` with ``stdin`` as its input."""
    from cli.main import main

    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse usage errors
                code = int(exc.code or 0)
    finally:
        sys.stdin = saved
    return code, out.getvalue(), err.getvalue()
