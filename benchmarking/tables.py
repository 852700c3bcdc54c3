"""The benchmark tables, defined once: what each row and column holds, which cells are hidden, and why.

The association dashboard (Streamlit), its workbook (openpyxl), the member's peer page and its
workbook, and the round report (PDF) all show these tables. Each output used to lay them out itself,
so they drifted apart (different headers, a hidden group "too few to show" in one and blank in
another). Here each table is built once from a release's views (:mod:`benchmarking.statistics`);
the outputs only format it: a screen shows each cell's :attr:`Cell.text`, a spreadsheet stores its
:attr:`Cell.value` with the number format of its :attr:`Cell.kind` (Excel shows the same digits:
:mod:`scoring.display`).

A hidden cell holds no value at all, only the words saying why (or nothing, when its row already
says it): a hidden group's statistic cannot reach any output by accident.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from benchmarking.labels import question_text, segment_field_name, segment_value_name, unit_label
from benchmarking.statistics import DashboardStats, Dist, MemberStats
from i18n import t
from questionnaires import Questionnaire
from scoring.display import format_percent, format_score

CellKind = Literal["text", "score", "count", "share", "date", "hidden"]


@dataclass(frozen=True)
class Cell:
    """One cell: ``value`` is what a spreadsheet stores (None: an empty cell), ``text`` what a screen shows.

    Kinds: ``score`` (0–5, two decimals), ``count`` (a whole number), ``share`` (0–1, shown as a
    percentage), ``date``, ``text`` and ``hidden`` (no value; ``text`` says why, or is empty).
    """

    kind: CellKind
    value: float | int | str | datetime | None
    text: str


@dataclass(frozen=True)
class Column:
    """A column: ``key`` names what it holds (the i18n key of its header, or a unit id); ``title`` is the header."""

    key: str
    title: str


@dataclass(frozen=True)
class Table:
    """Columns and rows of cells in one language; ``empty`` is what to say when there is no row."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    empty: str = ""

    @property
    def titles(self) -> list[str]:
        return [c.title for c in self.columns]

    def index(self, key: str) -> int:
        """The position of the column holding ``key`` (charts name their series by key, not by position)."""
        for i, c in enumerate(self.columns):
            if c.key == key:
                return i
        raise KeyError(f"no column {key!r} in this table")


# --- cells ------------------------------------------------------------------------------------------

def text(value: str | None) -> Cell:
    return Cell("text", value, "—" if value is None else value)


def score(value: float | None, lang: str) -> Cell:
    """A score; None is a unit nobody scored ("not scored"), never a hidden one."""
    return Cell("score", value, format_score(value, t("common.not_scored", lang)))


def count(value: int | None) -> Cell:
    return Cell("count", value, "—" if value is None else str(value))


def share(value: float | None) -> Cell:
    return Cell("share", value, format_percent(value))


def date(value: datetime | None) -> Cell:
    return Cell("date", value, "—" if value is None else value.strftime("%Y-%m-%d"))


def hidden(reason: str = "") -> Cell:
    return Cell("hidden", None, reason)


def _statistic(value: float | None, lang: str) -> Cell:
    """A released statistic of a shown group; a statistic the release does not publish (a segment's P25) is "—"."""
    return text(None) if value is None else score(value, lang)


def _stat_columns(lang: str, median_key: str = "benchmark.stat.median") -> list[Column]:
    return [Column("benchmark.stat.p25", t("benchmark.stat.p25", lang)), Column(median_key, t(median_key, lang)),
            Column("benchmark.stat.p75", t("benchmark.stat.p75", lang))]


def _units(q: Questionnaire, units: Sequence[str], lang: str) -> list[Column]:
    return [Column(u, unit_label(q, u, lang)) for u in units]


# --- the association's tables -------------------------------------------------------------------------

def distribution_table(q: Questionnaire, s: DashboardStats, lang: str) -> Table:
    """Per unit (overall, then each dimension): members, P25, median, P75 over the whole round."""
    too_few = t("benchmark.too_few", lang)
    rows: list[tuple[Cell, ...]] = []
    for u in ("overall", *s.dimension_ids):
        d = s.units.get(u, Dist.hidden())
        label = text(unit_label(q, u, lang))
        if d.suppressed:
            rows.append((label, hidden(too_few), hidden(), hidden(), hidden()))
        else:
            rows.append((label, count(d.count), *(_statistic(v, lang) for v in (d.p25, d.median, d.p75))))
    columns = (Column("benchmark.xlsx.unit", t("benchmark.xlsx.unit", lang)),
               Column("benchmark.stat.count", t("benchmark.stat.count", lang)), *_stat_columns(lang))
    return Table(columns, tuple(rows))


def segment_table(q: Questionnaire, s: DashboardStats, field: str, lang: str) -> Table:
    """Every value of one segment field: its released count and median per unit.

    A hidden segment says so once and leaves its other cells empty; a unit too few of a shown
    segment scored on reads "too few to show" (never "not scored"); a count that would give a
    hidden segment's count away is hidden too.
    """
    too_few = t("benchmark.too_few", lang)
    units = ("overall", *s.dimension_ids)
    rows = []
    for r in s.segment_rows(field):
        name = text(segment_value_name(q, field, r.value, lang))
        if r.suppressed:
            rows.append((name, hidden(too_few), *(hidden() for _ in units)))
            continue
        size = hidden(t("benchmark.count_hidden", lang)) if r.count is None else count(r.count)
        rows.append((name, size, *(hidden(too_few) if r.dist(u).suppressed else score(r.median(u), lang)
                                   for u in units)))
    columns = (Column(f"benchmark.segment.{field}", segment_field_name(field, lang)),
               Column("benchmark.stat.count", t("benchmark.stat.count", lang)), *_units(q, units, lang))
    return Table(columns, tuple(rows), too_few)


def gaps_table(q: Questionnaire, s: DashboardStats, lang: str) -> Table:
    """The released common gaps: question, its dimension, how many members have it high, and their share."""
    rows = tuple((text(g.question_id), text(question_text(q, g.question_id, lang)),
                  text(unit_label(q, g.dimension_id, lang)), count(g.count), share(g.share)) for g in s.gaps)
    keys = ("benchmark.col.question_id", "benchmark.col.question", "benchmark.col.dimension",
            "benchmark.col.members_high", "benchmark.col.share_high")
    empty = t("benchmark.too_few" if s.suppressed else "benchmark.gaps_none", lang)
    return Table(tuple(Column(k, t(k, lang)) for k in keys), rows, empty)


def identified_table(q: Questionnaire, s: DashboardStats, lang: str) -> Table:
    """Members that chose to be identified, by name: their submission date, scores and percent to target."""
    dims = s.dimension_ids
    rows = tuple((text(r.organisation_name), date(r.submitted_at), score(r.overall, lang),
                  *(score(r.dimensions.get(d), lang) for d in dims), share(r.percent_to_target))
                 for r in s.identified)
    columns = (Column("benchmark.col.organisation", t("benchmark.col.organisation", lang)),
               Column("benchmark.col.submitted_at", t("benchmark.col.submitted_at", lang)),
               *_units(q, ("overall", *dims), lang),
               Column("benchmark.col.percent_to_target", t("benchmark.col.percent_to_target", lang)))
    return Table(columns, rows, t("benchmark.identified_none", lang))


def trend_table(q: Questionnaire, s: DashboardStats, lang: str) -> Table:
    """The association's rounds on this questionnaire: each one's latest released count and medians."""
    too_few = t("benchmark.too_few", lang)
    units = ("overall", *s.dimension_ids)
    rows = []
    for p in s.trend:
        dists = [p.units.get(u, Dist.hidden()) for u in units]
        rows.append((text(p.round_name), hidden() if p.submitted is None else count(p.submitted),
                     *(hidden(too_few) if d.suppressed else score(d.median, lang) for d in dists)))
    columns = (Column("benchmark.col.round", t("benchmark.col.round", lang)),
               Column("benchmark.submitted", t("benchmark.submitted", lang)), *_units(q, units, lang))
    return Table(columns, tuple(rows))


# --- the member's tables --------------------------------------------------------------------------------

def position_table(q: Questionnaire, s: MemberStats, lang: str) -> Table:
    """The member's own scores against its comparison group's released figures, and where it lies among them."""
    too_few = t("benchmark.too_few", lang)
    rows = []
    for u, own in s.own.items():
        d = s.units.get(u, Dist.hidden())
        stats = [hidden(too_few)] * 3 if d.suppressed else [_statistic(v, lang) for v in (d.p25, d.median, d.p75)]
        pos = s.position.get(u)
        rows.append((text(unit_label(q, u, lang)), score(own, lang), *stats,
                     text(t(f"benchmark.position.{pos}", lang) if pos else None)))
    columns = (Column("benchmark.xlsx.unit", t("benchmark.xlsx.unit", lang)),
               Column("benchmark.peers.own", t("benchmark.peers.own", lang)),
               *_stat_columns(lang, "benchmark.peers.peer_median"),
               Column("benchmark.peers.position", t("benchmark.peers.position", lang)))
    return Table(columns, tuple(rows))


def close_first_table(q: Questionnaire, s: MemberStats, lang: str) -> Table:
    """The member's gaps that members like it most often close first (from released common gaps only)."""
    rows = tuple((text(c.question_id), text(question_text(q, c.question_id, lang)), count(c.own_level),
                  score(c.target, lang), share(c.share)) for c in s.close_first)
    keys = ("benchmark.col.question_id", "benchmark.col.question", "benchmark.peers.own_level", "common.target",
            "benchmark.peers.col_drop")
    return Table(tuple(Column(k, t(k, lang)) for k in keys), rows, t("benchmark.peers.close_first_none", lang))
