"""``aigov export benchmark|peer``, ``aigov round open|close|reopen|publish|ledger|list`` and ``aigov association ...``.

The commands call the same services as the pages, so the workbooks and listings show the same
published release (docs/benchmarking.md): differentially private estimates, groups with too few
independent members read "too few to show", and anonymous members' names and answers are never
printed or exported. The operator acts as the system actor
by default; ``--as-user NAME`` acts as that account with exactly its roles.
"""

from __future__ import annotations

import argparse
from datetime import date

from sqlalchemy import Engine

from cli.commands.questionnaire import problems_error
from cli.context import as_user_option, command_language, object_id, out_file, run_as, write_out
from cli.main import CLIError
from i18n import t
from privacy.parameters import MAX_RELEASE_EPSILON, MIN_RELEASE_EPSILON
from problems import Problem, shown
from services.access import Actor
from services.associations import (
    DEFAULT_MIN_GROUP,
    MIN_GROUP_FLOOR,
    create_association,
    get_association,
    list_administered,
    set_min_group_size,
    set_release_epsilon,
)
from services.benchmark_workbooks import benchmark_xlsx, peer_xlsx
from services.peer_comparison import SEGMENTS
from services.releases import publish_release, round_ledger
from services.round_dashboard import round_dashboard
from services.rounds import RoundView, close_round, list_rounds, open_round, reopen_round


def register(sub: argparse._SubParsersAction) -> None:
    who = as_user_option()

    ex = sub.add_parser("export", help="export benchmark workbooks (.xlsx)")
    exsub = ex.add_subparsers(dest="what", metavar="WHAT")
    exsub.required = True
    b = exsub.add_parser("benchmark", parents=[who], help="the association's benchmark workbook of a round")
    b.add_argument("--round", type=object_id("round"), required=True, metavar="ID",
                   help="round id (see `aigov round list`)")
    b.add_argument("--out", required=True, metavar="FILE.xlsx", help="where to write the workbook")
    b.add_argument("--lang", default="zh", choices=["zh", "en"], help="language of the workbook (default zh)")
    b.set_defaults(func=_export_benchmark)
    p = exsub.add_parser("peer", parents=[who], help="a member's one-page peer comparison workbook")
    p.add_argument("--assessment", type=object_id("assessment"), required=True, metavar="ID", help="the member's assessment in a round")
    p.add_argument("--out", required=True, metavar="FILE.xlsx", help="where to write the workbook")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="language of the workbook (default zh)")
    p.add_argument("--segment", default="auto", choices=list(SEGMENTS), help="comparison group (default auto)")
    p.set_defaults(func=_export_peer)

    rd = sub.add_parser("round", help="benchmarking rounds (测评轮次) of an association")
    rsub = rd.add_subparsers(dest="action", metavar="ACTION")
    rsub.required = True
    o = rsub.add_parser("open", parents=[who], help="open a round on the current questionnaire version")
    o.add_argument("--association", type=object_id("association"), required=True, metavar="ID")
    o.add_argument("--name", required=True, help="round name, e.g. '2026 年度测评'")
    o.add_argument("--deadline", metavar="YYYY-MM-DD", help="deadline shown to members (optional)")
    o.set_defaults(func=_round_open)
    for name, helptext in (("close", "close a round (no new submissions)"), ("reopen", "reopen a closed round")):
        c = rsub.add_parser(name, parents=[who], help=helptext)
        c.add_argument("round", type=object_id("round"), metavar="ROUND_ID")
        c.set_defaults(func=_round_status, status_action=name)
    pb = rsub.add_parser("publish", parents=[who], help="publish an interim release of an open round's statistics")
    pb.add_argument("round", type=object_id("round"), metavar="ROUND_ID")
    pb.set_defaults(func=_round_publish)
    lg = rsub.add_parser("ledger", parents=[who], help="a round's releases and the privacy budget (ε) they spent")
    lg.add_argument("round", type=object_id("round"), metavar="ROUND_ID")
    lg.set_defaults(func=_round_ledger)
    ls = rsub.add_parser("list", parents=[who], help="rounds with participation counts")
    ls.add_argument("--association", type=object_id("association"), metavar="ID", help="one association (default: all you administer)")
    ls.set_defaults(func=_round_list)

    a = sub.add_parser("association", help="industry associations that benchmark their members")
    asub = a.add_subparsers(dest="action", metavar="ACTION")
    asub.required = True
    cr = asub.add_parser("create", parents=[who], help="create an association (platform administrators)")
    cr.add_argument("--name", required=True)
    cr.add_argument("--description", default="")
    cr.add_argument("--admin", metavar="USERNAME", help="an existing account to administer the association")
    cr.add_argument("--min-group", type=int, default=DEFAULT_MIN_GROUP, metavar="N",
                    help=f"smallest group shown (default {DEFAULT_MIN_GROUP}, never below {MIN_GROUP_FLOOR})")
    cr.set_defaults(func=_association_create)
    th = asub.add_parser("threshold", parents=[who], help="set the smallest group shown (never below 3)")
    th.add_argument("association", type=object_id("association"), metavar="ID")
    th.add_argument("value", type=int, metavar="N")
    th.set_defaults(func=_association_threshold)
    ep = asub.add_parser("epsilon", parents=[who],
                         help=f"set the privacy budget ε of each release ({MIN_RELEASE_EPSILON:g} to {MAX_RELEASE_EPSILON:g})")
    ep.add_argument("association", type=object_id("association"), metavar="ID")
    ep.add_argument("value", type=float, metavar="EPSILON")
    ep.set_defaults(func=_association_epsilon)
    al = asub.add_parser("list", parents=[who], help="associations you administer, with invitation codes")
    al.set_defaults(func=_association_list)


# --- export ----------------------------------------------------------------------------------------

def _export_benchmark(args: argparse.Namespace) -> int:
    path = out_file(args.out, "benchmark.xlsx", args.lang)

    def body(engine: Engine, actor: Actor) -> int:
        dash = round_dashboard(engine, actor, args.round)  # read once: the summary and the workbook agree
        s, release = dash.stats, dash.release
        if s is None or release is None:
            raise CLIError(t("cli.errors.nothing_released", args.lang, round=args.round))
        write_out(path, benchmark_xlsx(engine, actor, args.round, args.lang, dashboard=dash), args.lang)
        state = "too few to show" if s.suppressed else f"{s.participation.submitted} submitted"
        error = "" if s.typical_error is None else f", typical error of a round median ±{s.typical_error:.2f}"
        print(f"wrote {path}: round {dash.round.id} '{dash.round.name}' release #{release.seq} "
              f"({state}; {len(s.identified)} identified members; smallest group shown {s.min_group_size}; "
              f"privacy-protected estimates at ε = {release.epsilon:g}{error})")
        return 0

    return run_as(args, body)


def _export_peer(args: argparse.Namespace) -> int:
    path = out_file(args.out, "peer-comparison.xlsx", args.lang)

    def body(engine: Engine, actor: Actor) -> int:
        write_out(path, peer_xlsx(engine, actor, args.assessment, args.lang, args.segment), args.lang)
        print(f"wrote {path}: peer comparison of assessment {args.assessment}")
        return 0

    return run_as(args, body)


# --- rounds ----------------------------------------------------------------------------------------

def _deadline(raw: str | None, lang: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise problems_error([Problem("deadline_not_date", {"value": shown(raw)}, field="deadline")], lang) from None


def _round_line(r: RoundView) -> str:
    deadline = r.deadline.strftime("%Y-%m-%d") if r.deadline else "-"
    return f"round {r.id} '{r.name}' ({r.status}, deadline {deadline}, {r.questionnaire_id} v{r.questionnaire_version})"


def _round_open(args: argparse.Namespace) -> int:
    deadline = _deadline(args.deadline, command_language(args))

    def body(engine: Engine, actor: Actor) -> int:
        print("opened " + _round_line(open_round(engine, actor, args.association, args.name, deadline=deadline)))
        return 0

    return run_as(args, body)


def _round_status(args: argparse.Namespace) -> int:
    change = close_round if args.status_action == "close" else reopen_round

    def body(engine: Engine, actor: Actor) -> int:
        print(f"{'closed' if args.status_action == 'close' else 'reopened'} " + _round_line(change(engine, actor, args.round)))
        return 0

    return run_as(args, body)


def _round_publish(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        ledger = round_ledger(engine, actor, args.round)
        if not ledger.is_open:  # the service says so, with its code: a closed round's final release stands
            publish_release(engine, actor, args.round)
        if not ledger.affordable:
            raise CLIError(t("cli.errors.budget_spent", command_language(args), round=args.round,
                             remaining=f"{ledger.remaining:.2f}", budget=f"{ledger.budget:g}",
                             epsilon=f"{ledger.release_epsilon:g}"))
        if ledger.new_independent < ledger.needed:
            raise CLIError(t("cli.errors.too_few_new", command_language(args), round=args.round, needed=ledger.needed,
                             new=ledger.new_independent))
        done = publish_release(engine, actor, args.round)
        e = done.release.entry
        print(f"published release #{e.seq} of round {args.round} (ε spent {e.spent:.2f})")
        return 0

    return run_as(args, body)


def _round_ledger(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        ledger = round_ledger(engine, actor, args.round)
        print(f"round {args.round}: ε spent {ledger.spent:.2f} of {ledger.budget:g} ({ledger.remaining:.2f} left); "
              f"next release at ε = {ledger.release_epsilon:g}")
        print(f"  {'SEQ':>3}  {'KIND':<7}  {'PUBLISHED (UTC)':<16}  {'EPSILON':>7}  {'SPENT':>6}")
        for e in ledger.releases:
            print(f"  {e.seq:>3}  {e.kind:<7}  {e.published_at:%Y-%m-%d %H:%M}  {e.epsilon:>7g}  {e.spent:>6.2f}")
        if not ledger.releases:
            print("  no releases yet")
        return 0

    return run_as(args, body)


def _round_list(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        ids = [args.association] if args.association is not None else [a.id for a in list_administered(engine, actor)]
        if not ids:
            print("no associations")
        for aid in ids:
            a = get_association(engine, actor, aid)
            print(f"association {a.id} '{a.name}': {a.member_count} members, smallest group shown {a.min_group_size}")
            rounds = list_rounds(engine, actor, aid)
            if not rounds:
                print("  no rounds")
            print(f"  {'ID':>5}  {'STATUS':<7} {'DEADLINE':<10} {'INVITED':>7} {'STARTED':>7} {'SUBMITTED':>9}  NAME")
            for s in rounds:
                r = s.round
                deadline = r.deadline.strftime("%Y-%m-%d") if r.deadline else "-"
                print(f"  {r.id:>5}  {r.status:<7} {deadline:<10} {s.invited:>7} {s.started:>7} {s.submitted:>9}  {r.name}")
        return 0

    return run_as(args, body)


# --- associations ----------------------------------------------------------------------------------

def _association_create(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        a = create_association(engine, actor, args.name, description=args.description,
                                  min_group_size=args.min_group, admin_username=args.admin)
        print(f"created association {a.id} '{a.name}'; invitation code {a.invite_code}; "
              f"smallest group shown {a.min_group_size}")
        return 0

    return run_as(args, body)


def _association_epsilon(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        a = set_release_epsilon(engine, actor, args.association, args.value)
        print(f"association {a.id} '{a.name}': each release now spends at most ε = {a.release_epsilon:g}")
        return 0

    return run_as(args, body)


def _association_threshold(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        a = set_min_group_size(engine, actor, args.association, args.value)
        print(f"association {a.id} '{a.name}': smallest group shown is now {a.min_group_size}")
        return 0

    return run_as(args, body)


def _association_list(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        rows = list_administered(engine, actor)
        if not rows:
            print("no associations")
        for a in rows:
            print(f"{a.id:>4}  {a.name}  members {a.member_count}  smallest group {a.min_group_size}  "
                  f"code {a.invite_code}")
        return 0

    return run_as(args, body)
