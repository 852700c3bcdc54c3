"""``aigov users``: accounts, roles, the audit history of answers and security events.

The operator running ``aigov`` owns the database and acts as the system actor (a platform
administrator) by default. ``--as-user NAME`` makes a command act as that account instead, with
exactly its roles, so it sees and may change only what that user could in the app; objects of
other tenants are "not found". Passwords are never taken from the command line (they would land
in the shell history and the process list): they are asked for twice on a terminal, or read from
the first line of standard input with ``--password-stdin``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Engine

from cli.context import as_user_option, object_id, run_as
from cli.main import CLIError
from enums import AnswerSource, OrgRole
from excel.audit_csv import history_csv, history_headers, history_rows
from services import account_admin, association_admins, audit, invitations, members
from services.access import Actor

DESCRIPTION = (
    "Accounts, roles, the audit history of answers and security events. The operator acts as the system "
    "(a platform administrator); --as-user NAME acts as that account with exactly its roles, and objects "
    "of other tenants are then 'not found'. Passwords are asked for on a terminal or read from standard "
    "input with --password-stdin, never taken as arguments.")



def register(sub: argparse._SubParsersAction) -> None:
    who = as_user_option()
    p = sub.add_parser("users", help="accounts, roles, audit history of answers, security events",
                       description=DESCRIPTION)
    usub = p.add_subparsers(dest="action", metavar="ACTION")
    usub.required = True

    ls = usub.add_parser("list", parents=[who], help="list accounts, or the members of one organisation")
    ls.add_argument("--org", type=object_id("organisation"), metavar="ID", help="list this organisation's members and roles")
    ls.add_argument("--search", default="", help="only accounts whose name or e-mail contains this")
    ls.set_defaults(func=_list)

    cr = usub.add_parser("create", parents=[who], help="create an account")
    cr.add_argument("username")
    cr.add_argument("--display-name", default="")
    cr.add_argument("--email")
    cr.add_argument("--platform-admin", action="store_true", help="make the account a platform administrator")
    cr.add_argument("--sso-only", action="store_true", help="no password: the account signs in by single sign-on")
    cr.add_argument("--org", type=object_id("organisation"), metavar="ID", help="also make the account a member of this organisation")
    cr.add_argument("--role", choices=list(OrgRole), default=OrgRole.RESPONDENT, help="role in --org (default respondent)")
    cr.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    cr.set_defaults(func=_create)

    pw = usub.add_parser("passwd", parents=[who], help="set a new password for an account (lifts a lock-out)")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    pw.set_defaults(func=_passwd)

    for name, helptext in (("grant", "give an account a role"), ("revoke", "take a role away from an account")):
        g = usub.add_parser(name, parents=[who], help=helptext)
        g.add_argument("username")
        target = g.add_mutually_exclusive_group(required=True)
        target.add_argument("--org", type=object_id("organisation"), metavar="ID", help="a role in this organisation")
        target.add_argument("--association", type=object_id("association"), metavar="ID", help="administrator of this association")
        target.add_argument("--platform-admin", action="store_true", help="platform administrator")
        if name == "grant":
            g.add_argument("--role", choices=list(OrgRole), default=OrgRole.RESPONDENT, help="role in --org")
        g.set_defaults(func=_role, grant=name == "grant")

    for name, active in (("deactivate", False), ("activate", True)):
        d = usub.add_parser(name, parents=[who], help=f"{name} an account")
        d.add_argument("username")
        d.set_defaults(func=_set_active, active=active)

    h = usub.add_parser("history", parents=[who], help="the audit history of an assessment's answers")
    h.add_argument("assessment", type=object_id("assessment"), metavar="ASSESSMENT_ID")
    h.add_argument("--question", action="append", default=[], metavar="ID", help="only this question (repeatable)")
    h.add_argument("--user", action="append", default=[], metavar="NAME", help="only changes by this user")
    h.add_argument("--source", action="append", default=[], choices=list(AnswerSource), help="only this channel")
    h.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of headers and labels")
    h.add_argument("--csv", metavar="FILE", help="write CSV (UTF-8 with BOM) to FILE, or - for standard output")
    h.set_defaults(func=_history)

    inv = usub.add_parser("invitations", parents=[who],
                          help="pending invitations of the account given with --as-user (into organisations)")
    inv.set_defaults(func=_invitations)
    for name, accept in (("accept", True), ("decline", False)):
        a = usub.add_parser(name, parents=[who], help=f"{name} an invitation of the account given with --as-user")
        a.add_argument("invitation", type=object_id("invitation"), metavar="INVITATION_ID")
        a.set_defaults(func=_answer, accept=accept)

    ev = usub.add_parser("events", parents=[who], help="recent security events (sign-ins, lock-outs, role changes)")
    ev.add_argument("--limit", type=int, default=50, help=f"how many, newest first (at most {audit.EVENT_LIMIT})")
    ev.add_argument("--action", action="append", default=[], help="only this kind of event (repeatable)")
    ev.set_defaults(func=_events)


# --- plumbing --------------------------------------------------------------------------------------

def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line.strip():
            raise CLIError("--password-stdin: standard input is empty; pipe the password in (one line)")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise CLIError("no password given: run in a terminal to be asked, or pipe it in with --password-stdin")
    first = getpass.getpass("New password: ")
    if first != getpass.getpass("Repeat the password: "):
        raise CLIError("the two passwords differ; nothing was changed")
    return first


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")


def _table(header: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
    """Tab-separated, one line per row (tabs and line breaks inside a value escaped as \\t, \\n)."""
    print("\t".join(header))
    for row in rows:
        print("\t".join(_cell(v) for v in row))


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else ""


# --- commands --------------------------------------------------------------------------------------

def _list(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        if args.org is not None:
            _table(("username", "display_name", "email", "role", "active", "last_sign_in_utc"),
                   ((m.username, m.display_name, m.email, m.role, "yes" if m.is_active else "no",
                     _when(m.last_login_at)) for m in members.list_members(engine, actor, args.org)))
            return 0
        _table(("username", "display_name", "email", "platform_admin", "active", "sign_in", "organisations",
                "associations"),
               ((u.username, u.display_name, u.email, "yes" if u.is_platform_admin else "no",
                 "yes" if u.is_active else "no", "password" if u.has_password else "sso",
                 "; ".join(f"{n} ({r})" for n, r in u.organisations), "; ".join(u.associations))
                for u in account_admin.list_users(engine, actor, args.search)))
        return 0
    return run_as(args, body)


def _create(args: argparse.Namespace) -> int:
    if args.org is not None and (args.sso_only or args.email or args.platform_admin):
        raise CLIError("--org creates a colleague's account with a password only (no --email, --sso-only or "
                     "--platform-admin); create the account without --org, then `aigov users grant NAME --org ID`")
    password = None if args.sso_only else _password(args)

    def body(engine: Engine, actor: Actor) -> int:
        if args.org is not None:
            m = members.create_colleague(engine, actor, args.org, args.username, password or "", role=args.role,
                                       display_name=args.display_name)
            print(f"created {m.username} ({m.role} of organisation {args.org})")
            return 0
        account_admin.create_account(engine, actor, args.username, password, display_name=args.display_name,
                                     email=args.email, platform_admin=args.platform_admin)
        print(f"created {args.username.strip()}" + (" (platform administrator)" if args.platform_admin else ""))
        return 0
    return run_as(args, body)


def _passwd(args: argparse.Namespace) -> int:
    password = _password(args)

    def body(engine: Engine, actor: Actor) -> int:
        account_admin.reset_password(engine, actor, account_admin.user_id_for(engine, actor, args.username), password)
        print(f"password of {args.username} set; any lock-out is lifted")
        return 0
    return run_as(args, body)


def _invitations(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        _table(("id", "organisation_id", "organisation", "role", "invited_by", "time_utc"),
               ((i.id, i.organisation_id, i.organisation_name, i.role, i.invited_by or "", _when(i.created_at))
                for i in invitations.my_invitations(engine, actor)))
        return 0
    return run_as(args, body)


def _answer(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        invitations.answer_invitation(engine, actor, args.invitation, accept=args.accept)
        print(f"invitation {args.invitation} {'accepted' if args.accept else 'declined'}")
        return 0
    return run_as(args, body)


def _role(args: argparse.Namespace) -> int:
    """``users grant`` and ``users revoke`` (``args.grant``): one role of an account, in the one place it is named."""
    def body(engine: Engine, actor: Actor) -> int:
        if args.org is not None:
            print(_grant_in_org(engine, actor, args) if args.grant else _revoke_in_org(engine, actor, args))
        elif args.association is not None:
            change = association_admins.add_association_admin if args.grant else association_admins.remove_association_admin
            change(engine, actor, args.association, args.username)
            print(f"{args.username} {'administers' if args.grant else 'no longer administers'} association {args.association}")
        else:
            account_admin.set_platform_admin(engine, actor, account_admin.user_id_for(engine, actor, args.username),
                                             args.grant)
            print(f"{args.username} is {'a' if args.grant else 'no longer a'} platform administrator")
        return 0
    return run_as(args, body)


def _grant_in_org(engine: Engine, actor: Actor, args: argparse.Namespace) -> str:
    if not actor.is_platform_admin:  # an organisation administrator invites; the owner of the account accepts
        invitations.invite_member(engine, actor, args.org, args.username, args.role)
        return (f"if an account named {args.username.strip()} exists and is not a member yet, its owner now has "
                f"an invitation to organisation {args.org} as {args.role} (aigov users invitations --as-user NAME)")
    m = members.add_member(engine, actor, args.org, args.username, args.role)
    return f"{m.username} is {m.role} of organisation {args.org}"


def _revoke_in_org(engine: Engine, actor: Actor, args: argparse.Namespace) -> str:
    current = {m.username.lower(): m for m in members.list_members(engine, actor, args.org)}
    m = current.get(args.username.strip().lower())
    if m is None:
        raise CLIError(f"{args.username} is not a member of organisation {args.org}")
    members.remove_member(engine, actor, args.org, m.user_id)
    return f"{m.username} removed from organisation {args.org}"


def _set_active(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        account_admin.set_active(engine, actor, account_admin.user_id_for(engine, actor, args.username), args.active)
        print(f"{args.username} {'activated' if args.active else 'deactivated'}")
        return 0
    return run_as(args, body)


def _history(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        changes = audit.filter_changes(audit.audit_history(engine, actor, args.assessment),
                                       question_ids=args.question, users=args.user, sources=args.source)
        if args.csv:
            data = history_csv(changes, audit.question_texts(engine, actor, args.assessment, args.lang), args.lang)
            if args.csv == "-":
                sys.stdout.write(data.decode("utf-8"))
            else:
                Path(args.csv).write_bytes(data)
                print(f"{len(changes)} change(s) written to {args.csv}", file=sys.stderr)
            return 0
        headers = history_headers(args.lang)
        rows = history_rows(changes, audit.question_texts(engine, actor, args.assessment, args.lang), args.lang)
        _table(headers.values(), (r.values() for r in rows))
        return 0
    return run_as(args, body)


def _events(args: argparse.Namespace) -> int:
    def body(engine: Engine, actor: Actor) -> int:
        _table(("time_utc", "user", "action", "object", "detail"),
               ((_when(e.at), e.user or "", e.action, f"{e.object_type} {e.object_id}" if e.object_type else "",
                 ", ".join(f"{k}={v}" for k, v in e.detail.items()))
                for e in audit.recent_events(engine, actor, limit=args.limit, actions=args.action)))
        return 0
    return run_as(args, body)
