"""``aigov template`` (write the offline questionnaire template) and ``aigov import`` (load filled ones).

``aigov import`` loads files into one organisation (``--org``), or registers each file's organisation
as a member of an association (``--association``, optionally into a round: docs/benchmarking.md). It
acts as the system operator, or with ``--as-user NAME`` as that account with exactly its roles
(another tenant's organisation, assessment, association or round is then "no such"). Each file is all
or nothing: a file with any problem stores nothing and is reported with every problem (sheet, cell,
fix); the other files are still imported. Exit status 2 when any file was rejected or an argument is
wrong, 0 when every file was imported. A file downloaded from the --assessment draft is refused when
it would overwrite answers changed in the app since the download, unless ``--overwrite-newer``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import Engine

from cli.commands.assessment import print_carried
from cli.commands.questionnaire import problems_error
from cli.context import acting, object_id, object_name, open_database, out_file, service_error, write_out
from cli.main import CLIError
from enums import AnswerSource, Sharing
from excel.problems import Problem, shown
from excel.safety import MAX_UPLOAD_BYTES, UnsafeXMLParser, require_defusedxml
from i18n import LANGUAGES, t
from questionnaires import DEFAULT_ID, QuestionnaireError, available, get_questionnaire
from services.access import Actor
from services.errors import InvalidInput, NotFound, ServiceError, StateError
from services.exports import org_template_xlsx, template_xlsx
from services.imports import CONFLICT, ImportReport, import_workbook
from services.member_imports import MemberImportReport, import_member_workbooks


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("template", help="write the offline questionnaire template (.xlsx)",
                       description="Write the offline questionnaire template: fill it in Excel, then "
                                   "`aigov import` it or upload it in the app (docs/excel.md).")
    p.add_argument("--lang", choices=LANGUAGES, default="zh", help="language of the template (default zh)")
    p.add_argument("--out", required=True, metavar="FILE.xlsx", help="where to write the workbook")
    p.add_argument("--questionnaire", default=DEFAULT_ID, metavar="ID",
                   help=f"shipped questionnaire id (default {DEFAULT_ID})")
    p.add_argument("--org", type=object_id("organisation"), metavar="ORG_ID",
                   help="pre-fill the organisation's name and profile (offline editing, as in the app)")
    p.add_argument("--assessment", type=object_id("assessment"), metavar="ID",
                   help="with --org: also pre-fill this draft's answers; importing the file back into it then "
                        "refuses answers changed in the app meanwhile (docs/excel.md, Concurrent edits)")
    p.add_argument("--as-user", metavar="NAME",
                   help="with --org: act as this account, with its roles only (default: the system operator)")
    p.set_defaults(func=_template)

    i = sub.add_parser("import", help="import filled questionnaire templates into an organisation or an association",
                       description="Import filled templates. Each file is all or nothing; every problem is "
                                   "listed with its sheet and cell. With --org, each file becomes a new draft "
                                   "assessment (or updates --assessment). With --association, each file registers "
                                   "the organisation named on its profile sheet as a member, with its answers; a "
                                   "member the association registered earlier and that has no account yet is "
                                   "updated instead.")
    i.add_argument("files", nargs="+", metavar="FILE.xlsx", help="filled templates")
    into = i.add_mutually_exclusive_group(required=True)
    into.add_argument("--org", type=object_id("organisation"), metavar="ORG_ID", help="organisation id")
    into.add_argument("--association", type=object_id("association"), metavar="ID",
                      help="association id: register each file's organisation as a member")
    i.add_argument("--assessment", type=object_id("assessment"), metavar="ID",
                   help="with --org: update this draft assessment instead of creating one (one file only); a file "
                        "filled on an older questionnaire version goes through the declared mapping (printed), "
                        "one of a newer version is refused")
    i.add_argument("--update-profile", action="store_true",
                   help="with --org: also replace the organisation profile with the file's profile sheet")
    i.add_argument("--overwrite-newer", action="store_true",
                   help="with --assessment: also overwrite answers changed in the app since the file was downloaded "
                        "(without it such a file is refused, nothing written)")
    i.add_argument("--round", type=object_id("round"), metavar="ID", help="with --association: put the assessments into this open round")
    i.add_argument("--sharing", choices=list(Sharing), default=Sharing.ANONYMOUS,
                   help="with --round: how the members share in the round (default anonymous)")
    i.add_argument("--submit", action="store_true", help="with --round: submit the assessments into the round")
    i.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the messages (default en)")
    i.add_argument("--as-user", metavar="NAME",
                   help="act as this account, with its roles only (default: the system operator)")
    i.set_defaults(func=_import)



def _template(args: argparse.Namespace) -> int:
    out = out_file(args.out, "template.xlsx", args.lang)
    if args.questionnaire not in available():
        raise problems_error([Problem("questionnaire_unknown", {"id": shown(args.questionnaire),
                                                               "default": ", ".join(available())},
                                      field="questionnaire")], args.lang)
    try:
        q = get_questionnaire(args.questionnaire)
    except QuestionnaireError as exc:
        raise problems_error(exc.problems, args.lang) from exc
    if args.assessment is not None and args.org is None:
        raise CLIError("--assessment goes with --org: name the organisation whose draft to pre-fill.")
    if args.org is None:
        data = template_xlsx(args.lang, questionnaire_id=q.id)
    else:
        engine = open_database()
        who = acting(engine, args.as_user, args.lang)
        try:
            data = org_template_xlsx(engine, who, args.org, args.lang, assessment_id=args.assessment)
        except ServiceError as exc:
            raise service_error(exc, who, args.lang) from exc
    write_out(out, data, args.lang)
    print(t("excel.cli.template_written", "en", path=out, questionnaire=q.id, version=q.version, lang=args.lang,
            count=len(q.questions())))
    return 0


def _read(path: Path) -> bytes | Problem:
    """The file's bytes, or the problem that stops it being read (checked before reading it whole)."""
    if not path.is_file():
        return Problem("not_found_file", {"path": str(path)})
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        return Problem("too_large", {"size_mb": f"{size / 1024 / 1024:.1f}",
                                            "max_mb": MAX_UPLOAD_BYTES // 1024 // 1024})
    return path.read_bytes()


def _import(args: argparse.Namespace) -> int:
    misplaced = ([("--assessment", args.assessment is not None), ("--update-profile", args.update_profile),
                  ("--overwrite-newer", args.overwrite_newer)]
                 if args.association is not None else
                 [("--round", args.round is not None), ("--sharing", args.sharing != Sharing.ANONYMOUS),
                  ("--submit", args.submit)])
    for flag, given in misplaced:
        if given:
            other = "--org" if args.association is not None else "--association"
            raise CLIError(f"{flag} goes with {other}; leave it out or import with {other}.")
    if args.association is not None and args.round is None and (args.submit or args.sharing != Sharing.ANONYMOUS):
        raise CLIError("--submit and --sharing need --round: name the open round to submit into "
                     "(aigov round list --association ID).")
    if args.assessment is not None and len(args.files) > 1:
        raise CLIError("--assessment takes one file: each file would replace the same answers. "
                     "Import one file into the assessment, or leave out --assessment to create one draft per file.")
    try:
        require_defusedxml()  # the installation's fault, not a file's: one message, not a traceback per file
    except UnsafeXMLParser as exc:
        raise CLIError(f"no file was read: {exc}.") from exc
    engine = open_database()
    actor = acting(engine, args.as_user, args.lang)
    if args.association is not None:
        return _import_members(engine, actor, args)
    ok = 0
    for name in args.files:
        path = Path(name)
        data = _read(path)
        if isinstance(data, Problem):
            report = ImportReport(False, (data,))
        else:
            try:
                report = import_workbook(engine, actor, args.org, data, assessment_id=args.assessment,
                                         source=AnswerSource.CLI, update_profile=args.update_profile,
                                         title=t("excel.page.new_title", args.lang, file=path.name),
                                         overwrite_newer=args.overwrite_newer)
            except NotFound as exc:
                what = exc.values.get("object", "organisation")
                raise _no_such("--assessment" if what == "assessment" else "--org", exc.values.get("id"),
                               what, args.lang) from exc
            except InvalidInput as exc:  # its problems as they are: located, and said in --lang
                report = ImportReport(False, tuple(exc.problems))
            except ServiceError as exc:
                report = ImportReport(False, (Problem("answer_rule", {"message": str(exc)}),))
        ok += _print_report(path, report, args.lang, args.org)
    if len(args.files) > 1:
        print(t("excel.cli.summary", args.lang, ok=ok, total=len(args.files)))
    return 0 if ok == len(args.files) else 2


def _no_such(option: str, value: object, kind: str, lang: str) -> CLIError:
    """An option naming an object that does not exist (or that the acting account may not see), in ``lang``."""
    return CLIError(t("cli.errors.no_such", lang, option=option, id=value, object=object_name(kind, lang)))


def _import_members(engine: Engine, actor: Actor, args: argparse.Namespace) -> int:
    """``aigov import --association``: every readable file goes to the service in one call."""
    paths = [Path(name) for name in args.files]
    unreadable: dict[Path, Problem] = {}
    readable: list[tuple[str, bytes]] = []
    for path in paths:
        data = _read(path)
        if isinstance(data, Problem):
            unreadable[path] = data
        else:
            readable.append((str(path), data))
    try:
        reports = import_member_workbooks(engine, actor, args.association, readable, round_id=args.round,
                                          sharing=args.sharing, submit=args.submit, source=AnswerSource.CLI)
    except NotFound as exc:
        if exc.values.get("object") == "round":
            raise CLIError(t("cli.errors.no_such_round", args.lang, round=args.round,
                             association=args.association)) from exc
        raise _no_such("--association", args.association, "association", args.lang) from exc
    except StateError as exc:
        raise CLIError(t("cli.errors.round_closed", args.lang, round=args.round)) from exc
    except InvalidInput as exc:
        raise problems_error(exc.problems, args.lang) from exc
    in_order = iter(reports)  # one report per readable file, in the order given
    ok = 0
    for path in paths:
        if path in unreadable:
            _print_rejected(path, [unreadable[path].text(args.lang)], args.lang)
        else:
            ok += _print_member(path, next(in_order), args.lang)
    if len(paths) > 1:
        print(t("excel.cli.summary", args.lang, ok=ok, total=len(paths)))
    return 0 if ok == len(paths) else 2


def _print_member(path: Path, report: MemberImportReport, lang: str) -> int:
    if not report.ok:
        _print_rejected(path, report.messages(lang), lang)
        return 0
    print(t("excel.cli.member_line", lang, path=path, name=report.organisation, org=report.organisation_id,
            outcome=t(f"benchmark.import.{'created' if report.created else 'updated'}", lang),
            status=t(f"benchmark.import.status_{report.status}", lang), changed=report.changed,
            answered=report.answered, na=report.na))
    return 1


def _print_rejected(path: Path, messages: list[str], lang: str) -> None:
    print(t("excel.cli.rejected", lang, path=path, count=len(messages)), file=sys.stderr)
    for message in messages:
        print(f"  - {message}", file=sys.stderr)


def _print_report(path: Path, report: ImportReport, lang: str, org: int) -> int:
    if not report.ok:
        _print_rejected(path, report.messages(lang), lang)
        if any(p.code == CONFLICT for p in report.problems):
            print(t("excel.cli.overwrite_hint", lang, path=path, count=len(report.conflicts)), file=sys.stderr)
        return 0
    key = "excel.cli.imported_new" if report.created else "excel.cli.imported_existing"
    print(t(key, lang, path=path, id=report.assessment_id, changed=report.changed, answered=report.answered,
            na=report.na))
    if report.mapped_from:  # a workbook of an older version: what the declared mapping made of it
        print(t("cli.carry.preview", lang, path=path, questionnaire=report.questionnaire_id, old=report.mapped_from,
                id=report.assessment_id, version=report.mapped_to))
        print_carried(report.carried, report.to_confirm, report.dropped, report.new, report.mapped_to, lang,
                      settled="cli.carry.unchanged")
        if report.to_confirm:
            print(t("cli.carry.confirm_hint", lang, id=report.assessment_id, org=org))
    if report.conflicts:
        print(t("excel.cli.overwrote", lang, path=path, count=len(report.conflicts), ids=", ".join(report.conflicts)))
    if report.replaces:
        print(t("excel.cli.replaced", lang, path=path, count=len(report.replaces), ids=", ".join(report.replaces)))
    if report.profile_updated:
        print(t("excel.cli.profile_updated", lang, path=path))
    return 1
