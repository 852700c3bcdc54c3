"""Association dashboard: rounds, members, participation and the privacy-preserving benchmark.

Everything shown comes from ``services.round_dashboard.round_dashboard`` — aggregates that passed the
suppression rule and the scores of members that chose to be identified. The page never lists
member organisations by name: the association sees counts, not who answered anonymously. The one
exception is the result table of a bulk import, which echoes the names in the files just uploaded.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import pandas as pd
import streamlit as st

from app_pages.benchmark_tables import show_table
from app_pages.common import (
    PDF_MIME,
    XLSX_MIME,
    actor,
    attempt,
    deferred_download,
    engine,
    fmt_pct,
    fmt_score,
    guarded,
    lang,
    qt,
    query_int,
    questionnaire,
    tr,
    tr_plain,
)
from benchmarking.labels import (
    estimate_note,
    segment_field_name,
    segment_value_name,
    unit_label,
)
from benchmarking.statistics import SEGMENT_FIELDS, DashboardStats
from benchmarking.tables import distribution_table, gaps_table, identified_table, segment_table, trend_table
from charts.benchmark import Box, band_radar, quartile_boxes, segment_heatmap
from charts.figures import trend
from enums import AssessmentStatus, Sharing
from excel.safety import MAX_UPLOAD_MB
from i18n import LANGUAGE_NAMES, LANGUAGES
from privacy.parameters import MAX_RELEASE_EPSILON, MIN_RELEASE_EPSILON
from privacy.utility import typical_median_error
from questionnaires import Questionnaire
from services.access import Actor
from services.association_members import create_member_organisation
from services.associations import (
    MAX_MIN_GROUP,
    MIN_GROUP_FLOOR,
    AssociationView,
    list_administered,
    rotate_invite_code,
    set_min_group_size,
    set_release_epsilon,
)
from services.benchmark_workbooks import benchmark_xlsx
from services.errors import NotFound
from services.exports import file_label, template_filename, template_xlsx
from services.member_imports import MemberImportReport, import_member_workbooks
from services.releases import publish_release, round_ledger
from services.round_dashboard import RoundDashboard, round_dashboard
from services.round_members import SHARING
from services.round_report import round_report_pdf
from services.rounds import (
    RoundSummary,
    RoundView,
    close_round,
    get_round,
    list_rounds,
    open_round,
    reopen_round,
)

IMPORT_RESULTS = "member_import_results"  # (association id, reports) of the last bulk import
IMPORT_GENERATION = "member_import_generation"  # bumped after an import to clear the uploader
EXPORT = "benchmark_xlsx"  # (stamp, workbook bytes) of the last prepared benchmark workbook



def _label(q: Questionnaire, unit: str) -> str:
    """A unit on a chart axis: its name alone (the rule in Questionnaire.unit_labels)."""
    return unit_label(q, unit, lang(), with_code=False)


def _url_id(name: str) -> int | None:
    """An id from the URL, or None when absent; a malformed one is "not found" (never guessed at)."""
    if st.query_params.get(name) is None:
        return None
    value = query_int(name)
    if value is None:
        raise NotFound(object=name, id=str(st.query_params.get(name)))
    return value


def _pick_association(who: Actor, url_round: RoundView | None) -> AssociationView | None:
    """The association to show: the URL's (round's) if the actor administers it, else NotFound."""
    wanted = url_round.association_id if url_round else _url_id("association")
    assocs = list_administered(engine(), who)
    ids = [a.id for a in assocs]
    if wanted is not None and wanted not in ids:
        raise NotFound(object="association", id=wanted)
    if not assocs:
        st.info(tr("benchmark.assoc.none"))
        return None
    if len(assocs) == 1:
        chosen = ids[0]
    else:
        if st.session_state.get("assoc_pick") not in ids or (wanted is not None and "assoc_pick" not in st.session_state):
            st.session_state["assoc_pick"] = wanted if wanted is not None else ids[0]
        names = {a.id: a.name for a in assocs}
        picked = st.selectbox(tr("benchmark.assoc.pick"), ids, format_func=names.__getitem__, key="assoc_pick")
        chosen = ids[0] if picked is None else picked
    if url_round is not None and url_round.association_id != chosen:
        st.query_params.pop("round", None)  # the user picked another association: its rounds, not the URL's
    st.query_params["association"] = str(chosen)
    return assocs[ids.index(chosen)]


def _settings(who: Actor, a: AssociationView) -> None:
    with st.expander(tr("benchmark.assoc.settings_heading")):
        left, right = st.columns(2)
        with left:
            st.markdown(f"**{tr('benchmark.assoc.invite_code')}**")
            st.code(a.invite_code or "", language=None)
            st.caption(tr("benchmark.assoc.invite_help"))
            if st.button(tr("benchmark.assoc.rotate"), key="rotate_code") and \
                    attempt(lambda: rotate_invite_code(engine(), who, a.id)) is not None:
                st.rerun()
        with right, st.form("threshold", enter_to_submit=False):
            k = st.number_input(tr("benchmark.assoc.min_group"), min_value=MIN_GROUP_FLOOR,
                                max_value=MAX_MIN_GROUP, value=a.min_group_size, step=1, key="threshold_k")
            st.caption(tr("benchmark.assoc.min_group_help", floor=MIN_GROUP_FLOOR))
            if st.form_submit_button(tr("common.save")) and \
                    attempt(lambda: set_min_group_size(engine(), who, a.id, int(k))) is not None:
                st.success(tr("benchmark.assoc.threshold_saved", k=int(k)))
        _epsilon_form(who, a)
    with st.expander(tr("benchmark.assoc.add_member_heading")):
        _add_member_form(who, a)
    last = st.session_state.get(IMPORT_RESULTS)
    with st.expander(tr("benchmark.import.heading"), expanded=bool(last and last[0] == a.id)):
        _import_members(who, a)


def _add_member_form(who: Actor, a: AssociationView) -> None:
    q = questionnaire()
    st.caption(tr("benchmark.assoc.add_member_help"))
    with st.form("add_member", enter_to_submit=False, clear_on_submit=True):
        name = st.text_input(tr("benchmark.assoc.member_name"), key="member_name")
        profile: dict[str, object] = {}
        cols = st.columns(2)
        for i, f in enumerate(q.profile.fields):
            box = cols[i % 2]
            label = qt(f.label)
            names = {o.id: qt(o.label) for o in f.options}  # labels fixed for this run (format_func is re-called)
            if f.type == "multi":
                profile[f.id] = box.multiselect(label, f.option_ids(), default=f.default or [],
                                                format_func=names.__getitem__, key=f"member_{f.id}")
            elif f.type == "single":
                opts = f.option_ids()
                profile[f.id] = box.selectbox(label, opts, index=opts.index(f.default) if f.default in opts else 0,
                                              format_func=names.__getitem__, key=f"member_{f.id}")
            else:
                profile[f.id] = box.checkbox(label, value=bool(f.default), key=f"member_{f.id}")
        admin = st.text_input(tr("benchmark.assoc.member_admin"), key="member_admin")
        if st.form_submit_button(tr("benchmark.assoc.add_button")) and attempt(lambda: create_member_organisation(
                engine(), who, a.id, name, profile, admin_username=admin.strip() or None)) is not None:
            st.success(tr("benchmark.assoc.member_added"))


def _import_members(who: Actor, a: AssociationView) -> None:
    """Bulk registration from filled templates: each file all or nothing, a result row per file."""
    st.caption(tr("benchmark.import.help"))
    st.caption(tr("benchmark.import.privacy"))
    for column, code in zip(st.columns(len(LANGUAGES)), LANGUAGES, strict=True):
        column.download_button(tr("benchmark.import.template", lang=LANGUAGE_NAMES[code]),
                               data=partial(template_xlsx, code),  # built on click, not on every rerun
                               file_name=template_filename(code), mime=XLSX_MIME, key=f"member_template_{code}",
                               icon=":material/download:")
    # Labels fixed for this run: format_func is called again outside it (AppTest), where tr() has no language.
    rounds: dict[int | None, str] = {None: tr("benchmark.import.round_none")}
    rounds |= {r.round.id: r.round.name for r in list_rounds(engine(), who, a.id) if r.round.is_open}
    round_id = st.selectbox(tr("benchmark.import.round"), list(rounds), key="member_import_round",
                            format_func=rounds.__getitem__)
    modes = {x: tr(f"benchmark.import.sharing_{x}") for x in SHARING}
    sharing = st.radio(tr("benchmark.import.sharing"), list(modes), key="member_import_sharing",
                       format_func=modes.__getitem__, disabled=round_id is None)
    submit = st.checkbox(tr("benchmark.import.submit"), key="member_import_submit", disabled=round_id is None)
    generation = st.session_state.get(IMPORT_GENERATION, 0)
    uploaded = st.file_uploader(tr("benchmark.import.upload"), type=["xlsx"], accept_multiple_files=True,
                                max_upload_size=MAX_UPLOAD_MB, key=f"member_upload_{generation}")
    if uploaded and st.button(tr("benchmark.import.button"), type="primary", key="member_import",
                              icon=":material/upload_file:"):
        in_round = round_id is not None
        reports = attempt(lambda: import_member_workbooks(
            engine(), who, a.id, [(f.name, f.getvalue()) for f in uploaded], round_id=round_id,
            sharing=sharing if in_round else Sharing.ANONYMOUS, submit=in_round and submit))
        if reports is not None:
            st.session_state[IMPORT_RESULTS] = (a.id, reports)
            st.session_state[IMPORT_GENERATION] = generation + 1
            st.rerun()
    last = st.session_state.get(IMPORT_RESULTS)
    if last and last[0] == a.id:
        _import_results(last[1])


def _import_results(reports: list[MemberImportReport]) -> None:
    ok = sum(r.ok for r in reports)
    (st.success if ok == len(reports) else st.warning)(tr("benchmark.import.done", ok=ok, total=len(reports)))
    rows = []
    for r in reports:
        if r.ok:
            outcome = tr("benchmark.import.created" if r.created else "benchmark.import.updated")
            status = tr("benchmark.import.status_submitted" if r.status == AssessmentStatus.SUBMITTED else "benchmark.import.status_draft")
            result = f"{outcome} · {status}"
            answers = tr("benchmark.import.answers_value", answered=r.answered, na=r.na, changed=r.changed)
        else:
            result, answers = tr("benchmark.import.rejected"), "—"
        rows.append([r.file, r.organisation or "—", result, answers, "\n".join(r.messages(lang())) or "—"])
    st.dataframe(pd.DataFrame(rows, columns=[tr(f"benchmark.import.col_{c}") for c in
                                             ("file", "organisation", "result", "answers", "problems")]),
                 hide_index=True, width="stretch", key="member_import_table")


def _open_round(who: Actor, a: AssociationView) -> None:
    with st.expander(tr("benchmark.assoc.open_heading")), st.form("open_round", enter_to_submit=False):
        name = st.text_input(tr("benchmark.assoc.round_name"), key="round_name",
                             placeholder=tr("benchmark.assoc.round_placeholder", year=date.today().year))
        deadline = st.date_input(tr("benchmark.assoc.deadline"), value=date.today() + timedelta(days=30),
                                 min_value=date.today(), key="round_deadline")
        if st.form_submit_button(tr("benchmark.assoc.open_button"), type="primary") and \
                (r := attempt(lambda: open_round(engine(), who, a.id, name, deadline=deadline))) is not None:
            st.session_state["round_pick"] = r.id
            st.success(tr("benchmark.assoc.opened", name=r.name))


def _status_text(r: RoundView) -> str:
    return tr(f"benchmark.status.{r.status}")


def _pick_round(who: Actor, a: AssociationView) -> RoundSummary | None:
    rounds = list_rounds(engine(), who, a.id)
    if not rounds:
        st.info(tr("benchmark.assoc.no_rounds"))
        return None
    by_id = {r.round.id: r for r in rounds}
    ids = list(by_id)
    wanted = query_int("round")
    if st.session_state.get("round_pick") not in ids or (wanted in ids and st.session_state.get("round_url") != wanted):
        st.session_state["round_pick"] = wanted if wanted in ids else ids[0]
    st.session_state["round_url"] = wanted
    labels = {i: tr_plain("benchmark.assoc.round_label", name=r.round.name, status=_status_text(r.round),
                          submitted=r.submitted, invited=r.invited) for i, r in by_id.items()}
    chosen = st.selectbox(tr("benchmark.assoc.round_pick"), ids, key="round_pick", format_func=labels.__getitem__)
    if chosen is None:
        return None
    st.query_params["round"] = str(chosen)
    return by_id[chosen]


def _round_actions(who: Actor, r: RoundView) -> None:
    deadline = r.deadline.strftime("%Y-%m-%d") if r.deadline else "—"
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.caption(tr("benchmark.assoc.round_caption", status=_status_text(r), deadline=deadline,
                    questionnaire=f"{r.questionnaire_id} v{r.questionnaire_version}"))
    if r.is_open:
        if right.button(tr("benchmark.assoc.close_round"), key="close_round", icon=":material/lock:") and \
                attempt(lambda: close_round(engine(), who, r.id)) is not None:
            st.rerun()
    elif right.button(tr("benchmark.assoc.reopen_round"), key="reopen_round", icon=":material/lock_open:") and \
            attempt(lambda: reopen_round(engine(), who, r.id)) is not None:
        st.rerun()


def _epsilon_form(who: Actor, a: AssociationView) -> None:
    """The association's ε per release, within the documented bounds, with the typical error it buys."""
    with st.form("release_epsilon", enter_to_submit=False):
        eps = st.number_input(tr("benchmark.release.epsilon"), min_value=MIN_RELEASE_EPSILON,
                              max_value=MAX_RELEASE_EPSILON, value=float(a.release_epsilon), step=0.5,
                              key="release_epsilon")
        errors = {n: typical_median_error(n, float(eps)) for n in (30, 100, 1000)}
        st.caption(tr("benchmark.release.epsilon_help", min=f"{MIN_RELEASE_EPSILON:g}", max=f"{MAX_RELEASE_EPSILON:g}",
                      e30=fmt_score(errors[30]), e100=fmt_score(errors[100]), e1000=fmt_score(errors[1000])))
        if st.form_submit_button(tr("common.save")) and \
                attempt(lambda: set_release_epsilon(engine(), who, a.id, float(eps))) is not None:
            st.success(tr("benchmark.release.epsilon_saved", epsilon=f"{float(eps):g}"))


def _releases(who: Actor, dash: RoundDashboard) -> None:
    """The current release, the round's ε ledger and the interim-release button (with why it is disabled)."""
    r = dash.round
    ledger = round_ledger(engine(), who, r.id)
    st.subheader(tr("benchmark.release.heading"))
    if dash.release is not None:
        st.caption(tr("benchmark.release.latest", seq=dash.release.seq, kind=tr(f"benchmark.release.kind_{dash.release.kind}"),
                      date=dash.release.published_at.strftime("%Y-%m-%d %H:%M"), epsilon=f"{dash.release.epsilon:g}"))
    st.caption(tr("benchmark.release.ledger", spent=f"{ledger.spent:.2f}", budget=f"{ledger.budget:g}",
                  remaining=f"{ledger.remaining:.2f}"))
    if ledger.releases:
        st.dataframe(pd.DataFrame(
            [[e.seq, tr(f"benchmark.release.kind_{e.kind}"), e.published_at.strftime("%Y-%m-%d %H:%M"), f"{e.epsilon:g}",
              f"{e.spent:.2f}"] for e in ledger.releases],
            columns=[tr(f"benchmark.release.col_{c}") for c in ("seq", "kind", "date", "epsilon", "spent")]),
            hide_index=True, width="stretch", key="release_ledger")
    if not r.is_open:
        st.caption(tr("benchmark.release.closed"))
        return
    if not ledger.affordable:
        st.caption(tr("benchmark.release.no_budget", epsilon=f"{ledger.release_epsilon:g}"))
    elif ledger.new_independent < ledger.needed:
        st.caption(tr("benchmark.release.need_more", needed=ledger.needed, new=ledger.new_independent))
    if st.button(tr("benchmark.release.publish"), key="publish_release", disabled=not ledger.can_publish,
                 icon=":material/publish:") and \
            (done := attempt(lambda: publish_release(engine(), who, r.id))) is not None:
        st.success(tr("benchmark.release.published", seq=done.release.entry.seq))
        st.rerun()


def _participation(s: DashboardStats) -> None:
    p = s.participation
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(tr("benchmark.invited"), p.invited)
    c2.metric(tr("benchmark.started"), p.started)
    c3.metric(tr("benchmark.submitted"), p.submitted)
    c4.metric(tr("benchmark.assoc.response_rate"), fmt_pct(p.submitted / p.invited if p.invited else None))


def _distributions(q: Questionnaire, s: DashboardStats) -> None:
    st.subheader(tr("benchmark.assoc.distribution_heading"))
    st.caption(tr("benchmark.assoc.distribution_help"))
    units = ["overall", *s.dimension_ids]
    boxes = [Box(_label(q, u), s.units[u].p25, s.units[u].median, s.units[u].p75) for u in units]
    left, right = st.columns(2)
    left.plotly_chart(quartile_boxes(boxes, name=tr("benchmark.assoc.distribution_heading"),
                                     too_few=tr("benchmark.too_few")), width="stretch", key="dist_boxes")
    dims = list(s.dimension_ids)
    right.plotly_chart(band_radar(
        [_label(q, d) for d in dims], median=[s.units[d].median for d in dims], p25=[s.units[d].p25 for d in dims],
        p75=[s.units[d].p75 for d in dims], title=tr("benchmark.assoc.radar_heading"), too_few=tr("benchmark.too_few"),
        names={"band": tr("benchmark.band"), "median": tr("benchmark.stat.median"), "p75": tr("benchmark.stat.p75"),
               "own": ""}), width="stretch", key="median_radar")
    with st.expander(tr("benchmark.assoc.distribution_table")):
        show_table(distribution_table(q, s, lang()), key="distribution_table")


def _heatmap(q: Questionnaire, s: DashboardStats) -> None:
    st.subheader(tr("benchmark.assoc.heatmap_heading"))
    fields = {f: segment_field_name(f, lang()) for f in SEGMENT_FIELDS}
    field = st.radio(tr("benchmark.assoc.segment_by"), list(fields), horizontal=True, key="heat_field",
                     format_func=fields.get)
    rows = s.segment_rows(field)
    if not rows:
        st.info(tr("benchmark.too_few"))
        return
    if all(r.suppressed for r in rows):  # an all-grey box would say nothing: say why instead
        st.info(tr("benchmark.assoc.heatmap_all_hidden", segments=len(rows), k=s.min_group_size))
        return
    names = [segment_value_name(q, field, r.value, lang()) for r in rows]
    dims = ["overall", *s.dimension_ids]
    fig = segment_heatmap(names, [_label(q, u) for u in dims], [[r.median(u) for u in dims] for r in rows],
                          [r.suppressed for r in rows], too_few=tr("benchmark.too_few"),
                          hidden=[[r.dist(u).suppressed for u in dims] for r in rows])
    st.plotly_chart(fig, width="stretch", key="segment_heatmap")
    st.caption(tr("benchmark.assoc.segment_table_caption"))
    show_table(segment_table(q, s, field, lang()), key="segment_table")


def _gaps(q: Questionnaire, s: DashboardStats) -> None:
    st.subheader(tr("benchmark.gaps_heading"))
    st.caption(tr("benchmark.gaps_help"))
    show_table(gaps_table(q, s, lang()), key="gaps_table")


def _identified(q: Questionnaire, s: DashboardStats) -> None:
    st.subheader(tr("benchmark.identified_heading"))
    st.caption(tr("benchmark.identified_help"))
    show_table(identified_table(q, s, lang()), key="identified_table")


def _trend(q: Questionnaire, s: DashboardStats) -> None:
    st.subheader(tr("benchmark.trend_heading"))
    st.caption(tr("benchmark.trend_help"))
    units = ["overall", *s.dimension_ids]
    labels = [p.round_name for p in s.trend]
    series = [(_label(q, u), [p.units[u].median if u in p.units else None for p in s.trend]) for u in units]
    if len(s.trend) > 1:
        st.plotly_chart(trend(labels, series), width="stretch", key="round_trend")
    show_table(trend_table(q, s, lang()), key="trend_table")


def _export(who: Actor, dash: RoundDashboard) -> None:
    """The workbook of the round's current release, built when the button is clicked."""
    r = dash.round
    language = lang()
    deferred_download(tr("benchmark.assoc.download_export"), lambda: benchmark_xlsx(engine(), who, r.id, language),
                      key=EXPORT, file_name=f"{file_label(r.association_name)}-aigov-benchmark-round-{r.id}-{language}.xlsx",
                      mime=XLSX_MIME, help_text=tr("benchmark.assoc.export_help"))
    deferred_download(tr("reports.download_round_pdf"), lambda: round_report_pdf(engine(), who, r.id, language),
                      key="round_report_pdf",
                      file_name=f"{file_label(r.association_name)}-aigov-round-report-{r.id}-{language}.pdf",
                      mime=PDF_MIME, help_text=tr("reports.round_pdf_help"))


def main() -> None:
    who = actor()
    st.title(tr("benchmark.assoc.title"))
    url_round = _url_id("round")
    a = _pick_association(who, get_round(engine(), who, url_round) if url_round is not None else None)
    if a is None:
        return
    st.caption(tr("benchmark.assoc.caption", name=a.name, members=a.member_count, k=a.min_group_size))
    _settings(who, a)
    _open_round(who, a)
    summary = _pick_round(who, a)
    if summary is None:
        return
    dash = round_dashboard(engine(), who, summary.round.id)
    r, s = dash.round, dash.stats
    _round_actions(who, r)
    _releases(who, dash)
    if s is None:
        st.info(tr("benchmark.release.none_yet", k=a.min_group_size))
        return
    q = questionnaire(r.questionnaire_id, r.questionnaire_version)
    _participation(s)
    _export(who, dash)
    st.info(estimate_note(lang(), s.epsilon, s.typical_error))
    if s.suppressed:
        st.warning(tr("benchmark.assoc.round_suppressed", k=s.min_group_size))
    else:
        _distributions(q, s)
        _heatmap(q, s)
        _gaps(q, s)
    _identified(q, s)
    _trend(q, s)
    st.caption(tr("benchmark.privacy_rule", k=s.min_group_size))


guarded(main)
