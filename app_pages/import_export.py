"""Excel import/export: download the offline template, import a filled one, export an assessment summary.

An upload is validated in full before anything is offered for import: every problem is listed at
once with its sheet and cell, and nothing is stored until the user confirms a valid file. A file
downloaded from the chosen draft whose rows would overwrite answers changed in the app since the
download is refused, with a checkbox to overwrite them deliberately; for any other file the stored
answers it would replace are listed before the import button. A workbook filled on an older questionnaire
version chosen for a draft on a newer one is previewed through the declared mapping first: every mapped answer
with its step (reworded, split, merged) and whether it is to confirm, the dropped answers and the new questions.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from app_pages.common import (
    XLSX_MIME,
    actor,
    current_org_id,
    current_org_name,
    deferred_download,
    engine,
    flash,
    guarded,
    lang,
    show_error,
    show_flash,
    tr,
    tr_plain,
)
from enums import AssessmentStatus
from excel.safety import MAX_UPLOAD_MB
from i18n import LANGUAGE_NAMES, LANGUAGES
from services.access import Actor
from services.assessments import AssessmentView, list_assessments
from services.errors import ServiceError
from services.exports import org_template_xlsx, summary_filename, summary_xlsx, template_filename
from services.imports import CONFLICT, ImportReport, check_workbook, import_workbook

UPLOAD_GENERATION = "excel_upload_generation"  # bumped after an import to clear the uploader
SUMMARY = "excel_summary"  # (assessment id, language, bytes) prepared for download
# The checkbox "overwrite answers changed in the app since the download": its key names the file, the
# target and the conflicts shown, so that a tick given for one file never carries over to another upload
# or another draft, and a tick agrees to exactly the answers listed: one changed after it was given
# shows a new, unticked box.
OVERWRITE = "excel_overwrite_newer"


def _box(data: bytes, target: int | None, conflicts: tuple[str, ...]) -> str:
    shown = hashlib.sha256(",".join(sorted(conflicts)).encode()).hexdigest()[:12]
    return f"{OVERWRITE}_{hashlib.sha256(data).hexdigest()[:16]}_{target}_{shown}"


def _label(view: AssessmentView) -> str:
    return f"#{view.id} {view.title or tr('assessments.untitled')} · {tr(f'common.{view.status}')}"


def _templates(who: Actor, org_id: int, drafts: list[AssessmentView]) -> None:
    st.subheader(tr("excel.page.template_header"))
    st.caption(tr("excel.page.template_help"))
    names = {a.id: _label(a) for a in drafts}
    prefill = st.selectbox(tr("excel.page.prefilled"), [None, *names], key="excel_prefill",
                           format_func=lambda i: tr("excel.page.prefilled_none") if i is None else names[i])
    for column, code in zip(st.columns(len(LANGUAGES)), LANGUAGES, strict=True):
        column.download_button(
            tr(f"excel.page.template_{code}"), data=org_template_xlsx(engine(), who, org_id, code, assessment_id=prefill),
            file_name=template_filename(code, organisation=current_org_name()), mime=XLSX_MIME, key=f"excel_template_{code}", icon=":material/download:")


def _problem_table(report: ImportReport) -> None:
    st.error(tr("excel.page.check_failed", count=len(report.problems)))
    st.dataframe(pd.DataFrame([{tr("excel.page.problem_where"): p.location(lang()) or "—",
                                tr("excel.page.problem_message"): p.message(lang())} for p in report.problems]),
                 hide_index=True, width="stretch", key="excel_problems")


def _ids(ids: tuple[str, ...]) -> str:
    return ", ".join(ids)


def _only_conflicts(report: ImportReport) -> bool:
    """Every problem is an answer changed in the app since the download (the user may overwrite them)."""
    return bool(report.problems) and all(p.code == CONFLICT for p in report.problems)


def _conflicts(report: ImportReport, key: str) -> bool:
    """The refusal for answers changed in the app since the download, and the box to overwrite them; its value."""
    st.warning(tr("excel.page.conflicts_found", count=len(report.conflicts)))
    _problem_table(report)
    return st.checkbox(tr("excel.page.overwrite_newer"), key=key, help=tr("excel.page.overwrite_help"))


def _answer(level: int | None, na: bool) -> str:
    if na:
        return tr_plain("excel.answer.na")
    return tr_plain("excel.answer.note_only") if level is None else tr_plain("excel.answer.level", level=level)


def _mapping(report: ImportReport) -> None:
    """What the declared mapping makes of a workbook filled on an older version, before anything is stored."""
    pending = set(report.to_confirm)
    st.info(tr("excel.page.mapped_intro", questionnaire=report.questionnaire_id, old=report.mapped_from,
               new=report.mapped_to, confirm=len(pending), dropped=len(report.dropped), count=len(report.new),
               ids=_ids(report.new) or "—"))
    if report.dropped:
        st.warning(tr("excel.page.mapped_dropped", new=report.mapped_to, ids=", ".join(
            f"{d.question_id} ({_answer(d.level, d.na)})" for d in report.dropped)))
    status = {True: tr_plain("excel.page.map_to_confirm"), False: tr_plain("excel.page.map_identical")}
    st.dataframe(pd.DataFrame([{
        tr("excel.page.map_question"): x.question_id,
        tr("excel.page.map_kind"): tr_plain(f"questionnaire.carried_kind_{x.kind}"),
        tr("excel.page.map_from"): ", ".join(x.from_ids),
        tr("excel.page.map_answer"): _answer(x.level, x.na),
        tr("excel.page.map_status"): status[x.question_id in pending] if x.confirm
        else tr_plain("excel.page.map_note_only" if x.note_only else "excel.page.map_as_is")} for x in report.carried]),
        hide_index=True, width="stretch", key="excel_mapping")


def _import(who: Actor, org_id: int, drafts: list[AssessmentView]) -> None:
    st.subheader(tr("excel.page.import_header"))
    generation = st.session_state.get(UPLOAD_GENERATION, 0)
    uploaded = st.file_uploader(tr("excel.page.upload"), type=["xlsx"], max_upload_size=MAX_UPLOAD_MB,
                                key=f"excel_upload_{generation}")
    names = {a.id: _label(a) for a in drafts}
    target = st.selectbox(tr("excel.page.target"), [None, *names], key="excel_target",
                          format_func=lambda i: tr("excel.page.target_new") if i is None else names[i])
    update_profile = st.checkbox(tr("excel.page.update_profile"), key="excel_update_profile",
                                 disabled=not who.can_admin_org(org_id))
    if uploaded is None:
        return
    data = uploaded.getvalue()
    report = check_workbook(engine(), who, org_id, data, assessment_id=target, update_profile=update_profile)
    overwrite: frozenset[str] = frozenset()  # the conflicts the user was shown and agreed to overwrite
    if _only_conflicts(report):
        if not _conflicts(report, _box(data, target, report.conflicts)):
            return
        overwrite = frozenset(report.conflicts)
        report = check_workbook(engine(), who, org_id, data, assessment_id=target, update_profile=update_profile,
                                overwrite_newer=overwrite)
    if not report.ok:
        _problem_table(report)
        return
    st.success(tr("excel.page.check_ok", answered=report.answered, na=report.na, blank=report.blank))
    if report.mapped_from:
        _mapping(report)
    if overwrite and report.conflicts:
        st.warning(tr("excel.page.will_overwrite", count=len(report.conflicts), ids=_ids(report.conflicts)))
    if report.replaces:
        st.warning(tr("excel.page.will_replace", count=len(report.replaces), ids=_ids(report.replaces)))
    st.caption(tr("excel.page.blank_rows_note"))
    if st.button(tr("excel.page.import_button"), type="primary", key="excel_import"):
        try:
            done = import_workbook(engine(), who, org_id, data, assessment_id=target, update_profile=update_profile,
                                   title=tr_plain("excel.page.new_title", file=uploaded.name), overwrite_newer=overwrite)
        except ServiceError as exc:
            show_error(exc)
            return
        if not done.ok:  # changed between the check and the click (e.g. the draft was submitted)
            if _only_conflicts(done):  # an answer was saved in the app meanwhile: offer to overwrite it
                _conflicts(done, _box(data, target, done.conflicts))
            else:
                _problem_table(done)
            return
        message = tr("excel.page.imported_new" if done.created else "excel.page.imported_existing",
                     id=done.assessment_id, changed=done.changed)
        if done.conflicts:
            message += " " + tr("excel.page.overwrote", count=len(done.conflicts))
        if done.profile_updated:
            message += " " + tr("excel.page.profile_updated")
        if done.to_confirm:
            message += " " + tr("excel.page.imported_to_confirm", count=len(done.to_confirm))
        flash(message)
        st.session_state[UPLOAD_GENERATION] = generation + 1
        st.rerun()


def _export(who: Actor, rows: list[AssessmentView]) -> None:
    st.subheader(tr("excel.page.export_header"))
    st.caption(tr("excel.page.export_help"))
    if not rows:
        st.info(tr("excel.page.no_assessments"))
        return
    names = {a.id: _label(a) for a in rows}
    chosen = st.selectbox(tr("excel.page.choose_assessment"), list(names), format_func=names.__getitem__,
                          key="excel_export_assessment")
    code = st.radio(tr("excel.page.export_lang"), LANGUAGES, index=LANGUAGES.index(lang()), horizontal=True,
                    format_func=LANGUAGE_NAMES.__getitem__, key="excel_export_lang")
    deferred_download(tr("excel.page.export_button"), lambda: summary_xlsx(engine(), who, chosen, code), key=SUMMARY,
                      file_name=summary_filename(engine(), who, chosen), mime=XLSX_MIME)


def _page() -> None:
    who = actor()
    st.title(tr("nav.import_export"))
    st.caption(tr("excel.page.intro"))
    org_id = current_org_id()
    if org_id is None:
        st.info(tr("common.no_org"))
        return
    show_flash()
    rows = list_assessments(engine(), who, org_id)
    drafts = [a for a in rows if a.status == AssessmentStatus.DRAFT]
    _templates(who, org_id, drafts)
    st.divider()
    _import(who, org_id, drafts)
    st.divider()
    _export(who, rows)


guarded(_page)
