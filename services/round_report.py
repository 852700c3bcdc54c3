"""The association's round report (PDF): gathers the round's published figures and renders them.

Source of the figures: the round's published release as the association's dashboard reads it
(services.round_dashboard: the released statistics, groups below the association's minimum size
hidden, anonymous members never named); without a release the report is refused. The report takes
only aggregates from it — participation counts, quantiles per unit and segment, common-gap counts,
the trend — never the identified members' table, so the PDF names no member at all.

Only the association's administrators may generate it (another tenant's round is "not found").
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from benchmarking.statistics import SEGMENT_FIELDS, DashboardStats
from benchmarking.tables import distribution_table, gaps_table, segment_table, trend_table
from db.engine import write_session
from db.models import EventLog
from enums import RoundStatus
from questionnaires import Questionnaire, get_questionnaire
from reports.round import RoundReportData, round_pdf
from services.access import Actor
from services.actions import valid_id
from services.errors import StateError
from services.reports import check_lang
from services.round_dashboard import round_dashboard


def round_report_data(engine: Engine, actor: Actor, round_id: int, lang: str, *,
                      now: datetime | None = None) -> RoundReportData:
    check_lang(lang)
    dash = round_dashboard(engine, actor, valid_id(round_id, "round"))
    view = dash.round
    if dash.stats is None or dash.release is None:
        raise StateError(reason="nothing_released", object="round", id=round_id)
    q = get_questionnaire(view.questionnaire_id, view.questionnaire_version)
    return report_data_from(q, dash.stats, association=dash.association_name, round_name=view.name,
                            round_status=view.status, published_at=dash.release.published_at, lang=lang,
                            now=now)


def report_data_from(q: Questionnaire, s: DashboardStats, *, association: str, round_name: str, round_status: RoundStatus,
                     published_at: datetime | None, lang: str, now: datetime | None = None) -> RoundReportData:
    """The report's data from a round's statistics: the dashboard's own tables, aggregates only (the
    identified members' table is not taken), hidden groups hidden as on the page."""
    return RoundReportData(
        lang=lang, association=association, round_name=round_name, round_status=round_status,
        published_at=published_at, generated_at=(now or datetime.now(UTC)).replace(tzinfo=None, microsecond=0),
        min_group_size=s.min_group_size, questionnaire=q, invited=s.participation.invited,
        submitted=s.participation.submitted, hidden=s.suppressed,
        distribution=distribution_table(q, s, lang),
        segments=tuple(segment_table(q, s, field, lang) for field in SEGMENT_FIELDS),
        gaps=gaps_table(q, s, lang), trend=trend_table(q, s, lang),
    )


def round_report_pdf(engine: Engine, actor: Actor, round_id: int, lang: str) -> bytes:
    """The round report as PDF bytes (recorded in the event log)."""
    data = round_report_data(engine, actor, round_id, lang)
    pdf = round_pdf(data)
    with write_session(engine) as s:
        s.add(EventLog(user_id=actor.user_id, action="report_generated", object_type="round", object_id=round_id,
                       detail={"report": "round", "lang": lang}))
    return pdf
