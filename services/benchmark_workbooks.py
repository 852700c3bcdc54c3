"""The benchmark workbooks that leave the platform: the association's and the member's one-page peer comparison."""

from __future__ import annotations

from sqlalchemy import Engine

from db.engine import write_session
from db.models import utcnow
from excel.benchmark import RoundInfo, benchmark_workbook, peer_workbook
from questionnaires import get_questionnaire
from services.access import Actor
from services.errors import InvalidInput, Problem, StateError
from services.events import log_event
from services.peer_comparison import member_comparison
from services.releases import ReleaseEntry
from services.round_dashboard import RoundDashboard, round_dashboard
from services.rounds import RoundView, get_round


def log_export(engine: Engine, actor: Actor, kind: str, object_type: str, object_id: int) -> None:
    """Record that a benchmark workbook left the platform (who, what, when)."""
    with write_session(engine) as s:
        log_event(s, actor, f"export_{kind}", object_type, object_id)


def _info(view: RoundView, release: ReleaseEntry | None) -> RoundInfo:
    """The round's facts; the workbook's date is the release's, so one release always gives the same file."""
    return RoundInfo(view.association_name, view.name, view.status, view.deadline, view.questionnaire_id,
                     view.questionnaire_version, release.published_at if release else utcnow(),
                     release.seq if release else None, release.epsilon if release else None)


def benchmark_xlsx(engine: Engine, actor: Actor, round_id: int, lang: str, *,
                   dashboard: RoundDashboard | None = None) -> bytes:
    """The association's benchmark workbook of the round's current release (the dashboard's data).

    The same release always gives the same bytes. StateError while nothing is released.

    ``dashboard``: the round's :func:`round_dashboard`, already built for ``actor`` (the page and
    the command print it too), so the round is not scored twice; the actor's rights are checked
    either way.
    """
    if dashboard is None:
        dashboard = round_dashboard(engine, actor, round_id)
    else:
        get_round(engine, actor, round_id)  # NotFound for anyone but the round's administrators
        if dashboard.round.id != round_id:
            raise InvalidInput(problems=[Problem("dashboard_round", {"built": dashboard.round.id, "asked": round_id})])
    if dashboard.stats is None:
        raise StateError(reason="nothing_released", object="round", id=round_id)
    data = benchmark_workbook(get_questionnaire(dashboard.round.questionnaire_id, dashboard.round.questionnaire_version),
                              _info(dashboard.round, dashboard.release), dashboard.stats, lang)
    log_export(engine, actor, "benchmark", "round", round_id)
    return data


def peer_xlsx(engine: Engine, actor: Actor, assessment_id: int, lang: str, segment: str = "auto") -> bytes:
    """A member's one-page peer comparison workbook."""
    comp = member_comparison(engine, actor, assessment_id, segment)
    data = peer_workbook(get_questionnaire(comp.round.questionnaire_id, comp.round.questionnaire_version), _info(comp.round, comp.release),
                         comp.organisation_name,
                         comp.assessment_status, comp.stats, comp.min_group_size, lang)
    log_export(engine, actor, "peer", "assessment", assessment_id)
    return data

