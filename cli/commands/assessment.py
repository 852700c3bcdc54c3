"""``aigov assessment list|carry|carried|confirm``: an organisation's assessments and carrying answers forward.

``carry ID`` starts a new draft in the organisation of assessment ID, on the newest version of its
questionnaire, with its answers carried through the declared mapping between the versions (the same
service as the Assessments page: :func:`services.assessments.carry_forward`), and prints the carry report:
answers carried and to confirm (reworded, split and merged questions), dropped (removed questions) and new
questions left unanswered. ``carried ID`` prints that report again with what is still to confirm;
``confirm ID`` confirms carried answers as they are, as the questionnaire page's button does. Every
command acts as the system operator or, with ``--as-user NAME``, with exactly that account's roles.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence

from sqlalchemy import Engine

from cli.commands.questionnaire import problem_lines
from cli.context import as_user_option, object_id, run_as
from cli.main import CLIError
from enums import AnswerSource, AssessmentForm
from i18n import LANGUAGES, t
from services.access import Actor
from services.assessments import (
    AssessmentView,
    NoCarryMapping,
    NothingToCarry,
    carry_forward,
    carry_report,
    confirm_carried,
    get_assessment,
    list_assessments,
)
from services.carry import CarryLine, CarryReport, Dropped
from services.errors import StateError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("assessment", help="an organisation's assessments; carry answers forward to a new version",
                       description="List an organisation's assessments, start a new assessment carrying the answers "
                                   "of one on an older questionnaire version through the declared mapping "
                                   "(aigov questionnaire diff), show what was carried and confirm carried answers.")
    cmds = p.add_subparsers(dest="assessment_command", metavar="ACTION")
    cmds.required = True
    lang = argparse.ArgumentParser(add_help=False)
    lang.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the output (default en)")
    who = as_user_option()

    ls = cmds.add_parser("list", parents=[lang, who], help="an organisation's assessments, newest first",
                         description="An organisation's assessments, newest first: id, questionnaire version, status, "
                                     "form and title.")
    ls.add_argument("--org", required=True, type=object_id("organisation"), metavar="ORG_ID", help="organisation id")
    ls.set_defaults(func=_list)

    c = cmds.add_parser("carry", parents=[lang, who],
                        help="start a new assessment on the newest questionnaire version with the answers of an older one",
                        description="Start a new draft in the organisation of assessment ID, on the newest version of "
                                    "its questionnaire, carrying its answers through the declared mapping: unchanged "
                                    "questions keep their answer; reworded, split and merged ones get the old level "
                                    "flagged 'carried, please confirm' (each part of a split the old level, a merged "
                                    "question the lowest); answers of removed questions are dropped; new questions "
                                    "stay unanswered. Prints what was carried. Assessment ID is not changed.")
    c.add_argument("id", type=object_id("assessment"), metavar="ID", help="the earlier assessment (aigov assessment list)")
    c.add_argument("--title", default="", help="title of the new assessment (default: none)")
    c.add_argument("--form", choices=list(AssessmentForm),
                   help="full questionnaire or the short (core) form (default: the earlier assessment's form)")
    c.set_defaults(func=_carry)

    r = cmds.add_parser("carried", parents=[lang, who],
                        help="what was carried into an assessment and what is still to confirm",
                        description="The carry report of an assessment started from one on an older questionnaire "
                                    "version (or filled from an older version's workbook): what was carried, what is "
                                    "still to confirm, what was dropped and which questions are new.")
    r.add_argument("id", type=object_id("assessment"), metavar="ID", help="the new assessment")
    r.set_defaults(func=_carried)

    f = cmds.add_parser("confirm", parents=[lang, who], help="confirm carried answers as they are",
                        description="Confirm carried answers as they are (you checked them against the changed "
                                    "question): recorded in the answer history, the answers do not change. Name the "
                                    "questions, or --all for every carried answer still to confirm. A question that "
                                    "is not a carried answer still to confirm is refused and nothing is confirmed.")
    f.add_argument("id", type=object_id("assessment"), metavar="ID", help="the assessment")
    f.add_argument("questions", nargs="*", metavar="QUESTION", help="question ids, e.g. GOV-INS-05")
    f.add_argument("--all", action="store_true", help="every carried answer still to confirm")
    f.set_defaults(func=_confirm)


def _said(exc: NothingToCarry | NoCarryMapping, lang: str) -> CLIError:
    """Why nothing was carried, in ``lang``; for a missing or invalid mapping, its problems below, each located in
    the mapping file and with its code."""
    said = t(exc.key, lang, **exc.values)
    if isinstance(exc, NoCarryMapping) and exc.problems:
        said += "\n" + problem_lines(exc.problems, lang)
    return CLIError(said)


def _list(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        for a in list_assessments(engine, actor, args.org):
            print(t("cli.carry.list_line", args.lang, id=a.id, version=a.questionnaire_version,
                    status=t(f"common.{a.status}", args.lang), form=t(f"cli.score.{a.form}", args.lang),
                    title=a.title))
        return 0

    return run_as(args, body)


def _carry(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        try:
            view = carry_forward(engine, actor, args.id, title=args.title, form=args.form, source=AnswerSource.CLI)
        except (NothingToCarry, NoCarryMapping) as exc:
            raise _said(exc, args.lang) from exc
        report = carry_report(engine, actor, view.id)
        assert report is not None  # written with the new assessment
        print(t("cli.carry.started", args.lang, id=view.id, title=view.title or t("assessments.untitled", args.lang),
                questionnaire=view.questionnaire_id,
                version=view.questionnaire_version, form=t(f"cli.score.{view.form}", args.lang), source=args.id,
                old=report.from_version))
        _print_with_hint(report, view, args.lang)
        return 0

    return run_as(args, body)


def _print_with_hint(report: CarryReport, view: AssessmentView, lang: str) -> None:
    """The carry report, then how to confirm what is still to confirm."""
    print_report(report, lang)
    if report.to_confirm:
        print(t("cli.carry.confirm_hint", lang, id=view.id, org=view.organisation_id))


def _carried(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        view = get_assessment(engine, actor, args.id)
        report = carry_report(engine, actor, args.id)
        if report is None or report.from_version == report.to_version:
            print(t("cli.carry.no_record", args.lang, id=args.id))
            return 0
        key = "cli.carry.record_file" if report.from_workbook else "cli.carry.record"
        print(t(key, args.lang, id=args.id, questionnaire=view.questionnaire_id, version=report.to_version,
                source=report.from_assessment, old=report.from_version))
        _print_with_hint(report, view, args.lang)
        return 0

    return run_as(args, body)


def _confirm(args: argparse.Namespace) -> int:
    if args.all == bool(args.questions):
        raise CLIError(t("cli.carry.confirm_what", args.lang))

    def body(engine: Engine, actor: Actor) -> int:
        report = carry_report(engine, actor, args.id)
        pending = report.to_confirm if report is not None else ()
        chosen = pending if args.all else tuple(dict.fromkeys(q.strip() for q in args.questions))
        wrong = [q for q in chosen if q not in pending]
        if wrong:
            raise CLIError(t("cli.carry.not_pending", args.lang, ids=", ".join(wrong), id=args.id))
        try:
            done = confirm_carried(engine, actor, args.id, chosen)
        except StateError as exc:  # submitted: its answers are a record until an administrator reopens it
            raise CLIError(t("cli.carry.submitted", args.lang, id=args.id)) from exc
        after = carry_report(engine, actor, args.id)
        left = after.to_confirm if after is not None else ()
        print(t("cli.carry.confirmed_now", args.lang, count=done, id=args.id, left=len(left)))
        return 0

    return run_as(args, body)


# --- the carry report as text (also `aigov import` of a workbook filled on an older version) ------------------

def answer_text(level: int | None, na: bool, lang: str) -> str:
    """A carried or dropped answer in a line: its level, N/A, or — carried for its note alone — no level yet."""
    if na:
        return t("cli.carry.na", lang)
    return t("cli.carry.note_only", lang) if level is None else t("cli.carry.level", lang, level=level)


def _lines(title: str, lines: Sequence[CarryLine], lang: str) -> None:
    print(title)
    if not lines:
        print("  " + t("cli.carry.none", lang))
    kinds = {x.kind: t(f"questionnaire.carried_kind_{x.kind}", lang) for x in lines}
    width = max(map(len, kinds.values()), default=0)
    for x in lines:
        print(t("cli.carry.line", lang, kind=kinds[x.kind].ljust(width), question=x.question_id,
                sources=", ".join(x.from_ids), answer=answer_text(x.level, x.na, lang)))


def print_carried(carried: Sequence[CarryLine], to_confirm: Iterable[str], dropped: Sequence[Dropped],
                  new: Sequence[str], version: str, lang: str, *, settled: str = "cli.carry.confirmed") -> None:
    """Carried answers grouped as the user acts on them: to confirm, settled (confirmed or changed since; for an
    import: identical to the stored answer, so not written), carried as they were, notes carried without a level;
    then dropped answers and new questions."""
    pending = set(to_confirm)
    _lines(t("cli.carry.to_confirm", lang, count=sum(x.question_id in pending for x in carried)),
           [x for x in carried if x.question_id in pending], lang)
    done = [x for x in carried if x.confirm and x.question_id not in pending]
    if done:
        _lines(t(settled, lang, count=len(done)), done, lang)
    same = [x for x in carried if not x.confirm and not x.note_only]
    if same:
        _lines(t("cli.carry.same", lang, count=len(same)), same, lang)
    notes = [x for x in carried if x.note_only]
    if notes:
        _lines(t("cli.carry.notes", lang, count=len(notes)), notes, lang)
    print(t("cli.carry.dropped", lang, count=len(dropped)))
    for d in dropped:
        print(t("cli.carry.dropped_line", lang, question=d.question_id, answer=answer_text(d.level, d.na, lang)))
    if not dropped:
        print("  " + t("cli.carry.none", lang))
    print(t("cli.carry.new", lang, version=version, count=len(new)))
    print("  " + (", ".join(new) or t("cli.carry.none", lang)))


def print_report(report: CarryReport, lang: str) -> None:
    """The carried answers (:func:`print_carried`), then what happened to their evidence files."""
    print_carried(report.carried, report.to_confirm,
                  [Dropped(str(d["question"]), d.get("level"), bool(d.get("na"))) for d in report.dropped],
                  report.new, report.to_version, lang)
    for key, values in report.evidence.messages() if report.evidence is not None else ():
        print(t(key, lang, **values))
