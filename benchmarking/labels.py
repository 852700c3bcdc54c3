"""Names shown for benchmark units and segments, in one language (pages, workbooks and the CLI alike)."""

from __future__ import annotations

from benchmarking.statistics import SEGMENT_PROFILE_FIELDS, MemberStats
from i18n import t
from questionnaires import Questionnaire


def unit_label(q: Questionnaire, unit: str, lang: str, *, with_code: bool = True) -> str:
    """A benchmark unit (the overall score, a dimension or a sub-dimension, keyed by id alone): "Overall", or the
    unit's label by the questionnaire's one rule (:meth:`Questionnaire.unit_labels`): tables "GOV 治理体系",
    chart axes (``with_code=False``) the name alone."""
    if unit == "overall":
        return t("benchmark.overall", lang)
    labels = q.unit_labels(lang, with_code=with_code)
    return labels.get(("dimension", unit)) or labels.get(("subdimension", unit)) or unit


def segment_field_name(field: str, lang: str) -> str:
    return t(f"benchmark.segment.{field}", lang)


def segment_value_name(q: Questionnaire, field: str, value: str | None, lang: str) -> str:
    """The questionnaire's label of a profile option (e.g. sector "finance" → 金融)."""
    if value is None:
        return t("benchmark.segment.all", lang)
    try:
        options = q.profile_field(SEGMENT_PROFILE_FIELDS[field]).options
    except KeyError:
        return str(value)
    for o in options:
        if o.id == value:
            return q.t(o.label, lang)
    return str(value)


def group_name(q: Questionnaire, stats: MemberStats, lang: str) -> str:
    """A member's comparison group: "All members", or the field and value ("Sector: Finance")."""
    group = segment_value_name(q, stats.segment, stats.segment_value, lang)
    if stats.segment == "all":
        return group
    return t("benchmark.peers.group_label", lang, field=segment_field_name(stats.segment, lang), value=group)


def close_first_help(stats: MemberStats, lang: str) -> str:
    """How the "close first" gaps were chosen: from the trend of released gaps, or this release alone."""
    key = "trend" if stats.close_first_method == "trend" else "snapshot"
    return t(f"benchmark.peers.close_first_{key}", lang)


def question_text(q: Questionnaire, qid: str, lang: str) -> str:
    try:
        return q.t(q.question(qid).text, lang)
    except KeyError:
        return qid


def estimate_note(lang: str, epsilon: float | None, error: float | None) -> str:
    """"Privacy-protected estimates …, typically within ± error" — the words every output shows with a release."""
    if epsilon is None:
        return ""
    if error is None:
        return t("benchmark.estimate_hidden", lang, epsilon=f"{epsilon:g}")
    return t("benchmark.estimate", lang, epsilon=f"{epsilon:g}", error=f"{error:.2f}")
