"""Numbers as people read them: the same digits Excel shows for the ``0.00`` and ``0.0%`` formats.

Scores are kept at full precision and rounded only for display. Python's ``f"{x:.2f}"`` rounds the
exact binary value half to even, so 2.675 (stored as 2.67499…) shows as 2.67 and 2.125 as 2.12,
while Excel, which the summary workbook is read in, shows 2.68 and 2.13: it first reduces a number
to 15 significant digits and then rounds half away from zero. These functions do the same, so the
app, the command line and the workbook agree to the last digit. ``None`` (not scored) becomes the
caller's marker: each caller decides its own word or dash.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from i18n import t

if TYPE_CHECKING:
    from scoring.readiness import Citation

SCORE_PLACES = 2  # Excel format 0.00
PERCENT_PLACES = 1  # Excel format 0.0%
EXCEL_DIGITS = 15  # significant digits Excel keeps of a double before formatting it


def _excel_decimal(x: float) -> Decimal:
    """``x`` reduced to 15 significant digits, as Excel does before applying a number format."""
    if not math.isfinite(x):
        raise ValueError(f"{x!r} cannot be shown as a number; scores are finite or None")
    return Decimal(f"{x + 0.0:.{EXCEL_DIGITS}g}")  # + 0.0: a cell cannot hold -0, so neither do we


def _rounded(value: Decimal, places: int) -> str:
    # ROUND_HALF_UP in decimal means ties away from zero (-2.125 → -2.13), as Excel rounds.
    return format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")


def format_score(x: float | None, none: str = "—") -> str:
    """A score with two decimals as Excel's ``0.00`` shows it (2.125 → "2.13"); ``none`` for None."""
    return none if x is None else _rounded(_excel_decimal(x), SCORE_PLACES)


def format_percent(x: float | None, none: str = "—") -> str:
    """A share 0–1 as a percentage with one decimal, as Excel's ``0.0%`` shows it (0.1225 → "12.3%")."""
    return none if x is None else _rounded(_excel_decimal(x).scaleb(2), PERCENT_PLACES) + "%"


def level_text(score: float | None, level: int | None, names: dict[int, str], lang: str, not_scored: str) -> str:
    """A unit's maturity level in words that a manager will not misread.

    The level is the whole part of the score, so 0.93 is level 0, "未开展 / Not performed", although
    the answers behind it were at levels 1–2. Shown alone that reads as "nothing done"; so a score
    between two levels says which level it has reached and which it is part of the way to:
    0.93 → "部分达到 1 初始级", 2.40 → "2 受管理级，部分达到 3 已定义级"; a whole score is its level.
    The app, the command line and the summary workbook all use this one wording.
    """
    if score is None or level is None:
        return not_scored
    reached = f"{level} {names[level]}" if level in names else str(level)
    if score - level <= 1e-9 or level + 1 not in names:
        return reached
    partial = t("common.level_partial", lang, level=f"{level + 1} {names[level + 1]}")
    return partial if level == 0 else t("common.level_between", lang, reached=reached, partial=partial)


def format_delta(x: float | None, none: str = "—") -> str:
    """A change of score with its sign and two decimals as Excel shows them (0.125 → "+0.13")."""
    if x is None:
        return none
    shown = format_score(abs(x))
    return shown if float(shown) == 0 else ("+" if x > 0 else "−") + shown


def citations_text(citations: Iterable[Citation], lang: str) -> str:
    """The questions citing a framework item, each with its relationship to the item and its level, as the
    results page, the Excel summary and the management report show them: "GOV-EXT-02 (same as this item, 1),
    GOV-CHN-04 (covers all of it and more, —)" ("—": no level, i.e. unanswered, N/A or not applicable)."""
    return ", ".join(f"{c.question_id} ({t(f'questionnaire.relation_{c.relation}', lang)}, "
                     f"{'—' if c.level is None else c.level})" for c in citations)


def readiness_band_key(band: str) -> str:
    """The message key naming a framework item's readiness band (scoring.readiness.BANDS); an item no question
    covers is named by its coverage, "not covered by any question"."""
    return "excel.summary.readiness_none" if band == "not_covered" else f"excel.summary.readiness_{band}"
