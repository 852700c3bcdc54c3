"""``aigov questionnaire validate|show|diff``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cli.main import CLIError
from problems import Problem
from questionnaires import (
    DEFAULT_ID,
    QuestionnaireError,
    available,
    get_questionnaire,
    load_questionnaire,
    versions,
)
from questionnaires.loader import ROOT


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("questionnaire", help="validate or show questionnaire data")
    qsub = p.add_subparsers(dest="action", metavar="ACTION")
    qsub.required = True

    v = qsub.add_parser("validate", help="validate a questionnaire folder (default: every shipped one)")
    v.add_argument("path", nargs="?", help="folder holding meta.yml and dimensions/")
    v.add_argument("--lang", default="en", choices=["zh", "en"], help="language of the problems (default en)")
    v.set_defaults(func=_validate)

    s = qsub.add_parser("show", help="print a shipped questionnaire (normalised)")
    s.add_argument("id", nargs="?", default=DEFAULT_ID, help=f"questionnaire id (default {DEFAULT_ID})")
    s.add_argument("--json", action="store_true", help="print the normalised JSON (docs/questionnaire.md)")
    s.add_argument("--version", help="questionnaire version (default: the newest shipped one)")
    s.add_argument("--lang", default="zh", choices=["zh", "en"], help="language of the text summary")
    s.set_defaults(func=_show)

    d = qsub.add_parser("diff", help="print the declared mapping between two versions (e.g. diff 1.0.0 1.1.0)")
    d.add_argument("old", help="the older version, e.g. 1.0.0")
    d.add_argument("new", help="the newer version, e.g. 1.1.0")
    d.add_argument("--id", default=DEFAULT_ID, help=f"questionnaire id (default {DEFAULT_ID})")
    d.add_argument("--lang", default="en", choices=["zh", "en"], help="language of the reasons")
    d.add_argument("--json", action="store_true", help="print the mapping as JSON")
    d.set_defaults(func=_diff)


def _validate(args: argparse.Namespace) -> int:
    folders = [Path(args.path)] if args.path else [ROOT / qid / v for qid in available() for v in versions(qid)]
    status = 0
    for folder in folders:
        try:
            q = load_questionnaire(folder)
        except QuestionnaireError as exc:
            print(f"{folder}: INVALID — {len(exc.problems)} problem(s)", file=sys.stderr)
            print(problem_lines(exc.problems, args.lang), file=sys.stderr)
            status = 1
            continue
        n = len(q.questions())
        print(f"{folder}: OK — {q.id} {q.version}, {len(q.dimensions)} dimensions, "
              f"{sum(len(d.subdimensions) for d in q.dimensions)} sub-dimensions, {n} questions")
    if not args.path:
        status = max(status, _validate_mappings(args.lang))
    return status


def problem_lines(problems: list[Problem], lang: str) -> str:
    """One line per problem, each with its code, its place and its fix, in ``lang``."""
    return "\n".join(f"  - {p.text(lang)} [{p.code}]" for p in problems)


def problems_error(problems: list[Problem], lang: str) -> CLIError:
    """The command's error for ``problems``: one on the error line itself, several listed below it."""
    if len(problems) == 1:
        return CLIError(f"{problems[0].text(lang)} [{problems[0].code}]")
    return CLIError("\n" + problem_lines(problems, lang))


def _validate_mappings(lang: str) -> int:
    """Every shipped version mapping covers each old and new question exactly once (questionnaires/migration.py)."""
    from questionnaires.migration import MigrationError, declared, get_migration

    status = 0
    for qid in available():
        for old, new in declared(qid):
            try:
                m = get_migration(qid, old, new)
            except (MigrationError, QuestionnaireError) as exc:
                print(f"{qid} {old} → {new}: INVALID — {len(exc.problems)} problem(s)", file=sys.stderr)
                print(problem_lines(exc.problems, lang), file=sys.stderr)
                status = 1
                continue
            print(f"{qid} {old} → {new}: OK — {m.summary()}")
    return status


def _show(args: argparse.Namespace) -> int:
    try:
        q = get_questionnaire(args.id, args.version)
    except QuestionnaireError as exc:
        raise problems_error(exc.problems, args.lang) from exc
    if args.json:
        json.dump(q.to_normalised(), sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    lang = args.lang
    print(f"{q.t(q.meta.title, lang)} — {q.id} {q.version}")
    names = q.unit_labels(lang)
    for d in q.dimensions:
        print(names[("dimension", d.id)])
        for s in d.subdimensions:
            print(f"  {names[('subdimension', s.id)]}")
            for question in s.questions:
                flags = "".join(f for f, on in (("C", question.critical), ("*", question.core)) if on)
                print(f"    {question.id:<12} {flags:<2} {q.t(question.text, lang)}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from questionnaires.migration import MigrationError, get_migration

    try:
        mapping = get_migration(args.id, args.old, args.new)
    except (QuestionnaireError, MigrationError) as exc:
        raise problems_error(exc.problems, args.lang) from exc
    if args.json:
        json.dump(mapping.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(f"{args.id} {args.old} → {args.new}: {mapping.summary()}")
    for step in mapping.steps:
        left = ", ".join(step.from_ids) or "—"
        right = ", ".join(step.to_ids) or "—"
        print(f"  {step.kind:<9} {left:<24} → {right}")
        if step.why:
            print(f"            {step.why.get(args.lang) or next(iter(step.why.values()))}")
    return 0
