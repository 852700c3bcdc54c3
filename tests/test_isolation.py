"""The isolation matrix: nobody outside the owning tenant gets anything but "not found".

For each kind of object (organisation, assessment, answers, exports, association dashboard, round)
and each role outside its tenant (organisation administrator, respondent, association
administrator, an account without roles), every service function, every page (id in the query
parameters) and every command that takes an id (``--as-user``) answers "not found", and nothing
of the other tenant (name, assessment title, notes, justifications) appears in what it shows.

The association administrator of X may see identified member B's name and scores on the round
dashboard, but never an assessment itself, and never anything of anonymous member A.

To cover a new service function, add one ``Case`` to ``SERVICE_CASES``; a new page is covered
automatically (it is in ``app.PAGES``), and says which query parameter it reads in ``ADDRESSES``.
"""

from __future__ import annotations

import argparse
import io
import json
import re
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import text_format
from streamlit.testing.v1 import AppTest

from app import PAGES
from enums import AnswerSource
from i18n import t
from questionnaires import get_questionnaire
from services import (
    account_admin,
    actions,
    assessment_titles,
    assessments,
    association_admins,
    association_members,
    associations,
    audit,
    benchmark_workbooks,
    comparison,
    evidence,
    exports,
    imports,
    invitations,
    member_imports,
    members,
    organisations,
    peer_comparison,
    releases,
    reports,
    results,
    results_page,
    round_dashboard,
    round_members,
    round_report,
    rounds,
)
from services.access import Actor
from services.assessments import AnswerInputData
from services.association_members import create_member_organisation
from services.associations import (
    get_association,
    join_association,
    leave_association,
    member_associations,
    rotate_invite_code,
    set_min_group_size,
    set_release_epsilon,
)
from services.benchmark_workbooks import benchmark_xlsx, peer_xlsx
from services.errors import NotFound, ServiceError
from services.peer_comparison import member_comparison, peer_summary
from services.round_dashboard import round_dashboard as round_dashboard_of
from services.round_members import member_rounds, set_sharing, start_round_assessment, submit_to_round
from services.rounds import close_round, get_round, list_rounds, open_round, reopen_round
from tests.support.apptest import app_test, page_texts
from tests.support.tenants import ANSWER_SECRETS, SECRETS, World, world_copy, world_template

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def world(tmp_path_factory: pytest.TempPathFactory, _template_dir: Path, tmp_path: Path,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = world_copy(world_template(tmp_path_factory, _template_dir), tmp_path, monkeypatch)
    yield w
    w.engine.dispose()

# Who is outside each tenant. "A" is anonymous in round R of association X, "B" identified.
OUTSIDERS = {
    "A": ("admin_b", "resp_b", "admin_c", "admin_x", "admin_y", "nobody"),
    "B": ("admin_a", "resp_a", "admin_c", "admin_x", "admin_y", "nobody"),
    "X": ("admin_a", "resp_a", "admin_b", "resp_b", "admin_c", "admin_y", "nobody"),
}
MEMBERS_OF_X = {"admin_a", "resp_a", "admin_b", "resp_b"}  # members see their own rounds on the peers page
OWNER = {"A": "admin_a", "B": "admin_b", "X": "admin_x"}


TENANT_OF = {"admin_a": "A", "resp_a": "A", "resp_a2": "A", "admin_b": "B", "resp_b": "B", "admin_c": "C"}


def secrets_for(w: World, tenant: str, viewer: str) -> list[str]:
    """What ``viewer`` must never see of ``tenant``.

    The round dashboard of X names identified member B to X's administrator; members of X see
    neither each other nor X's invitation code.
    """
    if tenant == "B" and viewer == "admin_x":
        return ANSWER_SECRETS["B"] + [SECRETS["B"][3]]
    if tenant == "X":
        return [s for t_ in ("A", "B") if t_ != TENANT_OF.get(viewer) for s in SECRETS[t_]] + [w.invite_codes["X"]]
    return SECRETS[tenant]


# --- services --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    """One service entry point applied to one kind of object of the target tenant."""

    name: str
    kind: str  # organisation | assessment | answers | export | association | round
    call: Callable[[World, Actor, str], Any]  # (world, actor, target tenant "A" | "B" | "X")


def _org(w: World, t_: str) -> int:
    return w.orgs[t_]


def _asm(w: World, t_: str) -> int:
    return w.assessments[t_]


def _gap(w: World, t_: str) -> str:
    """The question of the tenant's action: a gap of its assessment."""
    return next(v for v in actions.list_actions(w.engine, Actor.system(), w.orgs[t_])
                if v.id == w.actions[t_]).question_ids[0]


def _own_org(w: World, a: Actor, t_: str) -> int:
    """An organisation the actor may use as its own (for calls that mix own and foreign ids)."""
    return a.org_ids[0] if a.org_ids else w.orgs[t_]


def _template() -> bytes:
    return exports.template_xlsx("zh")


ORG_CASES = [
    Case("get_organisation", "organisation", lambda w, a, t_: organisations.get_organisation(w.engine, a, _org(w, t_))),
    Case("update_organisation", "organisation",
         lambda w, a, t_: organisations.update_organisation(w.engine, a, _org(w, t_), name="被改名 renamed")),
    Case("list_assessments", "organisation", lambda w, a, t_: assessments.list_assessments(w.engine, a, _org(w, t_))),
    Case("create_assessment", "organisation",
         lambda w, a, t_: assessments.create_assessment(w.engine, a, _org(w, t_), title="intruder")),
    Case("list_members", "organisation", lambda w, a, t_: members.list_members(w.engine, a, _org(w, t_))),
    Case("add_member", "organisation",
         lambda w, a, t_: members.add_member(w.engine, a, _org(w, t_), "nobody", "org_admin")),
    Case("invite_member", "organisation",
         lambda w, a, t_: invitations.invite_member(w.engine, a, _org(w, t_), "nobody", "org_admin")),
    Case("set_member_role", "organisation",
         lambda w, a, t_: members.set_member_role(w.engine, a, _org(w, t_), w.users[f"resp_{t_.lower()}"], "org_admin")),
    Case("remove_member", "organisation",
         lambda w, a, t_: members.remove_member(w.engine, a, _org(w, t_), w.users[f"resp_{t_.lower()}"])),
    Case("create_colleague", "organisation",
         lambda w, a, t_: members.create_colleague(w.engine, a, _org(w, t_), "mole", "a-long-password-1",
                                                 role="org_admin")),
    Case("member_associations", "organisation",
         lambda w, a, t_: member_associations(w.engine, a, _org(w, t_))),
    Case("member_rounds", "organisation", lambda w, a, t_: member_rounds(w.engine, a, _org(w, t_))),
    Case("join_association", "organisation",
         lambda w, a, t_: join_association(w.engine, a, _org(w, t_), w.invite_codes["Y"])),
    Case("leave_association", "organisation",
         lambda w, a, t_: leave_association(w.engine, a, _org(w, t_), w.associations["X"])),
    Case("start_round_assessment", "organisation",
         lambda w, a, t_: start_round_assessment(w.engine, a, _org(w, t_), w.rounds["X"])),
    Case("org_template_xlsx", "export", lambda w, a, t_: exports.org_template_xlsx(w.engine, a, _org(w, t_), "zh")),
    Case("check_workbook", "organisation",
         lambda w, a, t_: imports.check_workbook(w.engine, a, _org(w, t_), _template())),
    Case("import_workbook", "answers",
         lambda w, a, t_: imports.import_workbook(w.engine, a, _org(w, t_), _template())),
    Case("list_actions", "actions", lambda w, a, t_: actions.list_actions(w.engine, a, _org(w, t_))),
    Case("create_action", "actions",
         lambda w, a, t_: actions.create_action(w.engine, a, _org(w, t_), title="intruder action")),
]

ASSESSMENT_CASES = [
    Case("get_assessment", "assessment", lambda w, a, t_: assessments.get_assessment(w.engine, a, _asm(w, t_))),
    Case("load_answers", "answers", lambda w, a, t_: assessments.load_answers(w.engine, a, _asm(w, t_))),
    Case("assessment_state", "answers", lambda w, a, t_: assessments.assessment_state(w.engine, a, _asm(w, t_))),
    Case("assessment_record", "export", lambda w, a, t_: assessments.assessment_record(w.engine, a, _asm(w, t_))),
    Case("carry_report", "answers", lambda w, a, t_: assessments.carry_report(w.engine, a, _asm(w, t_))),
    Case("results_page", "answers", lambda w, a, t_: results_page.results_page(w.engine, a, _asm(w, t_))),
    Case("carry_forward", "answers", lambda w, a, t_: assessments.carry_forward(w.engine, a, _asm(w, t_))),
    Case("confirm_carried", "answers",
         lambda w, a, t_: assessments.confirm_carried(w.engine, a, _asm(w, t_), [w.questions[0]])),
    Case("save_answer_and_read", "answers",
         lambda w, a, t_: assessments.save_answer_and_read(w.engine, a, _asm(w, t_),
                                                           AnswerInputData(w.questions[0], level=0), expected_revision=1)),
    Case("save_answers_bulk", "answers",
         lambda w, a, t_: assessments.save_answers_bulk(w.engine, a, _asm(w, t_),
                                                        [AnswerInputData(w.questions[5], level=5)], source=AnswerSource.IMPORT)),
    Case("history", "answers", lambda w, a, t_: assessments.history(w.engine, a, _asm(w, t_))),
    Case("audit_history", "answers", lambda w, a, t_: audit.audit_history(w.engine, a, _asm(w, t_))),
    Case("question_texts", "assessment", lambda w, a, t_: audit.question_texts(w.engine, a, _asm(w, t_), "en")),
    Case("submit", "assessment", lambda w, a, t_: assessments.submit(w.engine, a, _asm(w, t_))),
    Case("reopen", "assessment", lambda w, a, t_: assessments.reopen(w.engine, a, _asm(w, t_))),
    Case("delete_assessment", "assessment", lambda w, a, t_: assessments.delete_assessment(w.engine, a, _asm(w, t_))),
    Case("carry_forward_from", "answers",
         lambda w, a, t_: assessments.create_assessment(w.engine, a, _own_org(w, a, t_),
                                                        carry_forward_from=_asm(w, t_))),
    Case("assessment_result", "assessment", lambda w, a, t_: results.assessment_result(w.engine, a, _asm(w, t_))),
    Case("summary_xlsx", "export", lambda w, a, t_: exports.summary_xlsx(w.engine, a, _asm(w, t_), "zh")),
    Case("summary_filename", "export", lambda w, a, t_: exports.summary_filename(w.engine, a, _asm(w, t_))),
    Case("org_template_with_answers", "export",
         lambda w, a, t_: exports.org_template_xlsx(w.engine, a, _own_org(w, a, t_), "zh", assessment_id=_asm(w, t_))),
    Case("import_into_assessment", "answers",
         lambda w, a, t_: imports.import_workbook(w.engine, a, _own_org(w, a, t_), _template(),
                                                  assessment_id=_asm(w, t_))),
    Case("set_sharing", "assessment", lambda w, a, t_: set_sharing(w.engine, a, _asm(w, t_), "identified")),
    Case("submit_to_round", "assessment", lambda w, a, t_: submit_to_round(w.engine, a, _asm(w, t_))),
    Case("member_comparison", "assessment",
         lambda w, a, t_: member_comparison(w.engine, a, _asm(w, t_))),
    Case("peer_summary", "assessment", lambda w, a, t_: peer_summary(w.engine, a, _asm(w, t_))),
    Case("peer_xlsx", "export", lambda w, a, t_: peer_xlsx(w.engine, a, _asm(w, t_), "zh")),
    Case("create_action_from_foreign_assessment", "actions",
         lambda w, a, t_: actions.create_action(w.engine, a, _own_org(w, a, t_), title="from their gap",
                                                question_ids=[_gap(w, t_)], from_assessment=_asm(w, t_))),
    Case("list_evidence", "evidence", lambda w, a, t_: evidence.list_evidence(w.engine, a, _asm(w, t_))),
    Case("evidence_names", "evidence", lambda w, a, t_: evidence.evidence_names(w.engine, a, _asm(w, t_))),
    Case("upload_evidence", "evidence",
         lambda w, a, t_: evidence.upload_evidence(w.engine, a, _asm(w, t_), w.questions[0], "planted.txt",
                                                   b"planted by an outsider\n")),
    Case("compare", "answers", lambda w, a, t_: comparison.compare(w.engine, a, _asm(w, t_))),
    Case("rename_assessment", "assessment",
         lambda w, a, t_: assessment_titles.rename_assessment(w.engine, a, _asm(w, t_), "renamed by an intruder")),
    Case("management_report_data", "answers",
         lambda w, a, t_: reports.management_report_data(w.engine, a, _asm(w, t_), "zh")),
    Case("management_report_pdf", "export",
         lambda w, a, t_: reports.management_report_pdf(w.engine, a, _asm(w, t_), "zh")),
]

# Objects addressed by their own ids: an action of the plan, an evidence file.
OBJECT_CASES = [
    Case("update_action", "actions",
         lambda w, a, t_: actions.update_action(w.engine, a, w.actions[t_], title="hijacked", status="done")),
    Case("delete_action", "actions", lambda w, a, t_: actions.delete_action(w.engine, a, w.actions[t_])),
    Case("download_evidence", "evidence",
         lambda w, a, t_: evidence.download_evidence(w.engine, a, w.evidence[t_])),
    Case("remove_evidence", "evidence", lambda w, a, t_: evidence.remove_evidence(w.engine, a, w.evidence[t_])),
]

ASSOCIATION_CASES = [
    Case("get_association", "association",
         lambda w, a, t_: get_association(w.engine, a, w.associations["X"])),
    Case("set_min_group_size", "association",
         lambda w, a, t_: set_min_group_size(w.engine, a, w.associations["X"], 3)),
    Case("rotate_invite_code", "association",
         lambda w, a, t_: rotate_invite_code(w.engine, a, w.associations["X"])),
    Case("set_release_epsilon", "association",
         lambda w, a, t_: set_release_epsilon(w.engine, a, w.associations["X"], 1.0)),
    Case("list_rounds", "association", lambda w, a, t_: list_rounds(w.engine, a, w.associations["X"])),
    Case("open_round", "association",
         lambda w, a, t_: open_round(w.engine, a, w.associations["X"], "rogue round", deadline=None)),
    Case("create_member_organisation", "association",
         lambda w, a, t_: create_member_organisation(w.engine, a, w.associations["X"], "傀儡 Puppet",
                                                               get_questionnaire().default_profile())),
    Case("add_association_admin", "association",
         lambda w, a, t_: association_admins.add_association_admin(w.engine, a, w.associations["X"], "nobody")),
    Case("remove_association_admin", "association",
         lambda w, a, t_: association_admins.remove_association_admin(w.engine, a, w.associations["X"], "admin_x")),
    Case("get_round", "round", lambda w, a, t_: get_round(w.engine, a, w.rounds["X"])),
    Case("round_dashboard", "round", lambda w, a, t_: round_dashboard_of(w.engine, a, w.rounds["X"])),
    Case("round_report_data", "round", lambda w, a, t_: round_report.round_report_data(w.engine, a, w.rounds["X"], "zh")),
    Case("round_report_pdf", "export", lambda w, a, t_: round_report.round_report_pdf(w.engine, a, w.rounds["X"], "zh")),
    Case("close_round", "round", lambda w, a, t_: close_round(w.engine, a, w.rounds["X"])),
    Case("reopen_round", "round", lambda w, a, t_: reopen_round(w.engine, a, w.rounds["X"])),
    Case("benchmark_xlsx", "export", lambda w, a, t_: benchmark_xlsx(w.engine, a, w.rounds["X"], "zh")),
    Case("publish_release", "round", lambda w, a, t_: releases.publish_release(w.engine, a, w.rounds["X"])),
    Case("round_ledger", "round", lambda w, a, t_: releases.round_ledger(w.engine, a, w.rounds["X"])),
    Case("get_published_release", "round",
         lambda w, a, t_: releases.get_published_release(w.engine, a, w.rounds["X"])),
    Case("import_member_workbooks", "association",
         lambda w, a, t_: member_imports.import_member_workbooks(w.engine, a, w.associations["X"], [])),
]

SERVICE_PARAMS = (
    [pytest.param(c, tenant, id=f"{c.name}-{tenant}") for c in ORG_CASES + ASSESSMENT_CASES + OBJECT_CASES
     for tenant in ("A", "B")]
    + [pytest.param(c, "X", id=f"{c.name}-X") for c in ASSOCIATION_CASES]
)


def _blob(value: Any) -> str:
    """Everything a returned value holds, as text (to search for leaked secrets)."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return repr(value)


@pytest.mark.parametrize(("case", "tenant"), SERVICE_PARAMS)
def test_service_refuses_outsiders_with_not_found(world: World, case: Case, tenant: str) -> None:
    for name in OUTSIDERS[tenant]:
        actor = world.actor(name)
        with pytest.raises(NotFound):
            leaked = case.call(world, actor, tenant)
            pytest.fail(f"{case.name} gave {name} {tenant}'s {case.kind}: {_blob(leaked)[:200]}")
    # The same call by the owner reaches the object (so the refusal above is not a broken call).
    owner = world.actor(OWNER[tenant])
    try:
        case.call(world, owner, tenant)
    except NotFound as exc:
        pytest.fail(f"{case.name}: the owner {OWNER[tenant]} got NotFound too ({exc.values}); the case is broken")
    except ServiceError:
        pass  # e.g. the last administrator cannot be demoted: the object was found


def test_registry_covers_every_public_service_function() -> None:
    """A new service function that takes an object id must be added to the matrix (or listed here)."""
    import inspect

    covered = {c.name for c in ORG_CASES + ASSESSMENT_CASES + ASSOCIATION_CASES + OBJECT_CASES}
    aliases = {"org_template_xlsx", "import_workbook", "create_assessment"}
    not_tenant_objects = {
        # global or own-account functions, or functions that take an already authorised value
        "list_organisations", "create_organisation", "validate_profile", "list_administered", "create_association",
        "validate_answer", "questionnaire_for", "template_xlsx", "template_filename", "log_export",
        "load_submissions", "load_answers_frame", "effective_profile", "effective_preset", "history_rows",
        "history_csv", "history_headers", "filter_changes", "list_users", "create_account", "user_id_for",
        "set_active", "reset_password", "set_platform_admin", "list_all_organisations", "association_admins",
        "recent_events", "event_actions",
        "answer_invitation",  # one's own invitations only; others' are NotFound (tests/test_invitations.py)
    }
    missing = []
    for module in (organisations, assessments, results, results_page, members, invitations, account_admin,
                   association_admins, audit, associations, association_members, rounds, round_members,
                   round_dashboard, peer_comparison, releases, benchmark_workbooks, exports, imports, member_imports,
                   actions, evidence, comparison, assessment_titles, reports, round_report):
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or fname.startswith("_"):
                continue
            params = list(inspect.signature(fn).parameters)
            if params[:2] != ["engine", "actor"] or len(params) < 3:
                continue
            if fname not in covered | aliases | not_tenant_objects:
                missing.append(f"{module.__name__}.{fname}")
    assert not missing, f"add these to the isolation matrix: {missing}"


def test_association_admin_cannot_read_anonymous_member_assessment(world: World) -> None:
    """The association sees A only as part of aggregates: not its assessment, answers, export or name."""
    x = world.actor("admin_x")
    aid = world.assessments["A"]
    for fn in (assessments.get_assessment, assessments.load_answers, assessments.history, results.assessment_result,
               member_comparison):
        with pytest.raises(NotFound):
            fn(world.engine, x, aid)
    with pytest.raises(NotFound):
        exports.summary_xlsx(world.engine, x, aid, "zh")
    # Its own dashboard works, and names only the identified member (the round's final release).
    close_round(world.engine, x, world.rounds["X"])
    dash = round_dashboard_of(world.engine, x, world.rounds["X"])
    text = repr(dash)
    assert not any(s in text for s in SECRETS["A"]), "anonymous member A leaked into the dashboard"
    workbook = benchmark_xlsx(world.engine, x, world.rounds["X"], "zh")
    assert not any(s.encode() in _unzipped(workbook) for s in SECRETS["A"])


def _unzipped(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return b"".join(z.read(n) for n in z.namelist())


def test_platform_admin_reaches_every_tenant(world: World) -> None:
    p = world.actor("platform")
    for tenant in ("A", "B"):
        assert assessments.get_assessment(world.engine, p, world.assessments[tenant]).organisation_id == world.orgs[tenant]
    assert get_round(world.engine, p, world.rounds["X"]).id == world.rounds["X"]


# --- pages -----------------------------------------------------------------------------------------

# Pages that address an object by a query parameter must answer a foreign id with "not found".
ADDRESSES: dict[str, tuple[str, ...]] = {
    "questionnaire.py": ("assessment",),
    "results.py": ("assessment",),
    "members.py": ("assessment",),
    "association.py": ("round", "association"),
    "peers.py": ("round",),
}
BUILT = [p for p in PAGES if (ROOT / "app_pages" / p.file).exists()]


def everything(at: AppTest) -> str:
    """All text an app run rendered: labels, values, options, tables, chart data."""
    parts = [page_texts(at)]
    stack: list[Any] = [at._tree]
    while stack:
        node = stack.pop()
        stack.extend(getattr(node, "children", {}).values())
        kind = getattr(node, "type", "")
        if kind in ("dataframe", "arrow_data_frame", "table"):
            with suppress(Exception):  # a table element without a frame
                parts.append(node.value.to_csv())
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        if kind == "plotly_chart":
            parts.append(json.dumps(json.loads(proto.spec), ensure_ascii=False))
        else:
            try:
                parts.append(text_format.MessageToString(proto, as_utf8=True))
            except Exception:
                parts.append(str(proto))
    return "\n".join(parts)


def _query(w: World, tenant: str) -> dict[str, str]:
    if tenant == "X":
        return {"association": str(w.associations["X"]), "round": str(w.rounds["X"])}
    return {"assessment": str(w.assessments[tenant]), "org": str(w.orgs[tenant])}


PAGE_PARAMS = [pytest.param(name, tenant, id=f"{name}-{tenant}") for tenant in ("A", "B", "X")
               for name in OUTSIDERS[tenant] if name != "resp_b"]


@pytest.mark.parametrize(("viewer", "tenant"), PAGE_PARAMS)
def test_pages_show_not_found_for_foreign_ids(world: World, viewer: str, tenant: str) -> None:
    actor = world.actor(viewer)
    at = app_test(world.users[viewer], lang="zh", org_id=actor.org_ids[0] if actor.org_ids else None).run()
    assert not at.exception, at.exception
    not_found = t("errors.not_found", "zh")
    query = _query(world, tenant)
    forbidden = secrets_for(world, tenant, viewer)
    for spec in BUILT:
        at.query_params.clear()
        at.query_params.update(query)
        try:
            at.switch_page(f"app_pages/{spec.file}")
        except ValueError:  # not in this user's navigation: Streamlit never runs it for them
            continue
        at.run()
        assert not at.exception, f"{spec.file} as {viewer} with {query}: {at.exception}"
        text = everything(at)
        leaked = [s for s in forbidden if s in text]
        assert not leaked, f"{spec.file} as {viewer} with {query} shows {tenant}'s {leaked}"
        wanted = ADDRESSES.get(spec.file, ())
        if spec.file == "peers.py" and viewer in MEMBERS_OF_X:
            continue  # round R is theirs too (as members)
        if any(k in query for k in wanted):
            assert not_found in text, f"{spec.file} as {viewer} with {query} does not say 'not found'"


# --- command line ----------------------------------------------------------------------------------

def _cli(argv: list[str]) -> tuple[int, str, str]:
    from cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


Argv = Callable[[World, str, Path], list[str]]  # (world, target tenant, a template file to import)
CLI_CASES: list[tuple[str, Argv, tuple[str, ...]]] = [
    ("users history", lambda w, t_, f: ["users", "history", str(w.assessments[t_])], ("A", "B")),
    ("users history --csv", lambda w, t_, f: ["users", "history", str(w.assessments[t_]), "--csv", "-"], ("A", "B")),
    ("users list --org", lambda w, t_, f: ["users", "list", "--org", str(w.orgs[t_])], ("A", "B")),
    ("users grant --org", lambda w, t_, f: ["users", "grant", "nobody", "--org", str(w.orgs[t_]),
                                            "--role", "org_admin"], ("A", "B")),
    ("users revoke --org", lambda w, t_, f: ["users", "revoke", f"resp_{t_.lower()}", "--org", str(w.orgs[t_])],
     ("A", "B")),
    ("users create --org", lambda w, t_, f: ["users", "create", "mole", "--org", str(w.orgs[t_]),
                                             "--password-stdin"], ("A", "B")),
    ("users grant --association", lambda w, t_, f: ["users", "grant", "nobody", "--association",
                                                    str(w.associations["X"])], ("X",)),
    ("import --org", lambda w, t_, f: ["import", str(f), "--org", str(w.orgs[t_])], ("A", "B")),
    ("import --assessment", lambda w, t_, f: ["import", str(f), "--org", str(w.orgs[t_]),
                                              "--assessment", str(w.assessments[t_])], ("A", "B")),
    ("template --org", lambda w, t_, f: ["template", "--org", str(w.orgs[t_]),
                                         "--out", str(f.with_name("prefilled.xlsx"))], ("A", "B")),
    ("template --assessment", lambda w, t_, f: ["template", "--org", str(w.orgs[t_]), "--assessment",
                                                str(w.assessments[t_]), "--out", str(f.with_name("prefilled.xlsx"))],
     ("A", "B")),
]
CLI_CASES += [
    ("export benchmark", lambda w, t_, f: ["export", "benchmark", "--round", str(w.rounds["X"]),
                                           "--out", str(f.with_name("bench.xlsx"))], ("X",)),
    ("export peer", lambda w, t_, f: ["export", "peer", "--assessment", str(w.assessments[t_]),
                                      "--out", str(f.with_name("peer.xlsx"))], ("A", "B")),
    ("round open", lambda w, t_, f: ["round", "open", "--association", str(w.associations["X"]), "--name", "rogue"],
     ("X",)),
    ("round close", lambda w, t_, f: ["round", "close", str(w.rounds["X"])], ("X",)),
    ("round reopen", lambda w, t_, f: ["round", "reopen", str(w.rounds["X"])], ("X",)),
    ("report --assessment", lambda w, t_, f: ["report", "--assessment", str(w.assessments[t_]),
                                              "--out", str(f.with_name("report.pdf"))], ("A", "B")),
    ("report --round", lambda w, t_, f: ["report", "--round", str(w.rounds["X"]),
                                         "--out", str(f.with_name("round.pdf"))], ("X",)),
    ("round list", lambda w, t_, f: ["round", "list", "--association", str(w.associations["X"])], ("X",)),
    ("association threshold", lambda w, t_, f: ["association", "threshold", str(w.associations["X"]), "3"], ("X",)),
    ("association epsilon", lambda w, t_, f: ["association", "epsilon", str(w.associations["X"]), "1"], ("X",)),
    ("round publish", lambda w, t_, f: ["round", "publish", str(w.rounds["X"])], ("X",)),
    ("round ledger", lambda w, t_, f: ["round", "ledger", str(w.rounds["X"])], ("X",)),
    ("assessment list --org", lambda w, t_, f: ["assessment", "list", "--org", str(w.orgs[t_])], ("A", "B")),
    ("assessment carry", lambda w, t_, f: ["assessment", "carry", str(w.assessments[t_])], ("A", "B")),
    ("assessment carried", lambda w, t_, f: ["assessment", "carried", str(w.assessments[t_])], ("A", "B")),
    ("assessment confirm", lambda w, t_, f: ["assessment", "confirm", str(w.assessments[t_]), "--all"], ("A", "B")),
]
ID_OPTIONS = {"org", "assessment", "round", "association"}
# "not found" as a command says it in English or, by default and with --lang zh, in Chinese (i18n cli.errors)
NOT_FOUND = re.compile(r"not found|no such|不存在", re.I)

CLI_PARAMS = [pytest.param(label, make, tenant, viewer, id=f"{label}-{tenant}-{viewer}")
              for label, make, tenants in CLI_CASES for tenant in tenants
              for viewer in OUTSIDERS[tenant]]


@pytest.mark.parametrize(("label", "make", "tenant", "viewer"), CLI_PARAMS)
def test_commands_answer_not_found_with_as_user(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                label: str, make: Argv, tenant: str, viewer: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password-1\n"))
    template = tmp_path / "filled.xlsx"
    template.write_bytes(exports.template_xlsx("zh"))
    code, out, err = _cli([*make(world, tenant, template), "--as-user", viewer])
    assert "unrecognized arguments: --as-user" not in err, (
        f"aigov {label} has no --as-user: every command that takes an id must accept it "
        "(services.access.actor_for_cli) so that it can be run with a user's rights")
    assert code == 2, f"aigov {label} --as-user {viewer}: exit {code}\n{out}\n{err}"
    assert NOT_FOUND.search(err), f"aigov {label} --as-user {viewer}: {err}"
    leaked = [s for s in secrets_for(world, tenant, viewer) if s in out + err]
    assert not leaked, f"aigov {label} --as-user {viewer} printed {leaked}"
    # The owner running the same command reaches the object (so the refusal is not a broken command).
    code, out, err = _cli([*make(world, tenant, template), "--as-user", OWNER[tenant]])
    assert not NOT_FOUND.search(err), f"aigov {label} --as-user {OWNER[tenant]}: {err}"


def _leaf_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[
        tuple[str, argparse.ArgumentParser]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield " ".join(path), parser
    for action in subs:
        for name, child in action.choices.items():
            yield from _leaf_parsers(child, (*path, name))


def test_every_command_taking_an_id_is_in_the_matrix_and_accepts_as_user() -> None:
    from cli.main import build_parser

    covered = {label.split(" --")[0] for label, _, _ in CLI_CASES}
    problems = []
    for command, parser in _leaf_parsers(build_parser()):
        dests = {a.dest for a in parser._actions}
        if not dests & ID_OPTIONS:
            continue
        if "as_user" not in dests:
            problems.append(f"aigov {command}: takes an id but has no --as-user")
        if command not in covered:
            problems.append(f"aigov {command}: takes an id but is not in CLI_CASES")
    assert not problems, problems


def test_command_line_owner_sees_own_history(world: World) -> None:
    code, out, err = _cli(["users", "history", str(world.assessments["A"]), "--as-user", "admin_a", "--lang", "en"])
    assert code == 0, err
    assert "ALPHA-NOTE-5531" in out and "resp_a" in out
