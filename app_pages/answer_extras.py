"""What the questionnaire shows beside an answer besides the answer itself (not a page).

* the organisation's actions on the question completed since its previous assessment;
* the answer's evidence files: list, download, attach (drafts only), remove (uploader or
  organisation administrator).

Read with the answers, once per run for the whole assessment (:func:`load_extras` takes them from the
page's state), drawn per question by :meth:`QuestionExtras.render` inside the question's box. File names and action titles are user
text: shown with ``st.text`` and in labels, never as Markdown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import streamlit as st

from app_pages.action_plan import done_since_lines, show_done_since
from app_pages.assessment_context import fmt_time
from app_pages.common import engine, lang, tr, tr_plain
from i18n import file_size
from services.access import Actor
from services.assessments import AssessmentState
from services.errors import InvalidInput, ServiceError, StateError, problem_text
from services.evidence import (
    EvidenceView,
    download_evidence,
    limits,
    remove_evidence,
    upload_evidence,
)

_MESSAGES = "evidence_messages"  # question id → (kind, text) shown on the next run
_UPLOADS = "evidence_upload_round"  # question id → counter (a new uploader widget after each upload)


@dataclass
class QuestionExtras:
    who: Actor
    assessment_id: int
    organisation_id: int
    done_since: dict[str, list[str]] = field(default_factory=dict)
    evidence: dict[str, list[EvidenceView]] = field(default_factory=dict)

    def render(self, qid: str, read_only: bool) -> None:
        show_done_since(self.done_since.get(qid, []))
        files = self.evidence.get(qid, [])
        message = st.session_state.get(_MESSAGES, {}).pop(qid, None)
        if read_only and not files:
            return
        with st.expander(tr("evidence.count", n=len(files)), icon=":material/attach_file:",
                         expanded=message is not None):
            if message is not None:  # the text names the user's file: plain text, never Markdown
                if message[0] == "ok":
                    st.success(tr("evidence.done"), icon=":material/check:")
                else:
                    st.error(tr("errors.invalid"))
                st.text(message[1])
            if not files:
                st.caption(tr("evidence.none"))
            for e in files:
                self._file(e, read_only)
            if read_only:
                st.caption(tr("evidence.frozen"))
            else:
                self._uploader(qid)

    def _file(self, e: EvidenceView, read_only: bool) -> None:
        left, mid, right = st.columns([6, 1, 1], vertical_alignment="center")
        left.text(tr_plain("evidence.file_line", file=e.filename, size=file_size(e.size), who=e.uploaded_by or "—",
                     at=fmt_time(e.uploaded_at)))
        left.caption(tr("evidence.sha256", sha=e.sha256))
        who, eid = self.who, e.id
        mid.download_button(tr("evidence.download"), lambda: download_evidence(engine(), who, eid)[1],
                            file_name=e.filename, mime=e.media_type, key=f"evidence_dl_{e.id}",
                            on_click="ignore", icon=":material/download:")
        may_remove = self.who.can_admin_org(self.organisation_id) or e.uploaded_by == self.who.username
        if not read_only and may_remove and right.button(tr("evidence.remove"), key=f"evidence_rm_{e.id}",
                                                         icon=":material/delete:"):
            self._act(e.question_id, lambda: remove_evidence(engine(), who, eid),
                      tr_plain("evidence.removed", file=e.filename))

    def _uploader(self, qid: str) -> None:
        rounds = st.session_state.setdefault(_UPLOADS, {})
        try:
            max_mb = max(1, limits().max_file_bytes // (1024 * 1024))
        except InvalidInput as exc:
            st.error("\n".join(problem_text(p, lang()) for p in exc.problems))
            return
        up = st.file_uploader(tr("evidence.upload"), key=f"evidence_up_{qid}_{rounds.get(qid, 0)}",
                              help=tr("evidence.upload_help", max_mb=max_mb), max_upload_size=max_mb)
        if up is None:
            return
        rounds[qid] = rounds.get(qid, 0) + 1
        data, name = up.getvalue(), up.name
        who, aid = self.who, self.assessment_id
        self._act(qid, lambda: upload_evidence(engine(), who, aid, qid, name, data), tr_plain("evidence.uploaded", file=name))

    def _act(self, qid: str, action: Callable[[], object], done: str) -> None:
        messages = st.session_state.setdefault(_MESSAGES, {})
        try:
            action()
        except InvalidInput as exc:
            messages[qid] = ("error", "\n".join(problem_text(p, lang()) for p in exc.problems))
        except StateError as exc:  # e.g. submitted meanwhile: which state refuses it
            messages[qid] = ("error", problem_text(exc.problem, lang()) if exc.problem else tr_plain(exc.key))
        except ServiceError as exc:
            messages[qid] = ("error", tr_plain(exc.key))
        else:
            messages[qid] = ("ok", done)
        st.rerun(scope="fragment")


def load_extras(who: Actor, state: AssessmentState) -> QuestionExtras:
    """The extras ``state`` carries (read for ``who`` with the answers: the page's one access-checked read)."""
    extras = state.extras
    if extras is None:  # a reader that leaves them out (the results page's) is not the questionnaire's
        raise RuntimeError("the questionnaire's state must come from assessment_state or save_answer_and_read")
    view = state.view
    return QuestionExtras(who, view.id, view.organisation_id, done_since_lines(extras.done_since), extras.evidence)
