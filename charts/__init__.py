"""Plotly figure builders shared by the results page, the exports and the tests.

Pure functions: labels and series names arrive already translated, so this package knows
nothing about Streamlit, the database or the current language. Every series is told apart
by line style and marker shape as well as colour (colour is never the only signal).
"""

from charts.figures import (
    CJK_FONT,
    SeriesStyle,
    radar,
    stage_bars,
    trend,
)

__all__ = ["CJK_FONT", "SeriesStyle", "radar", "stage_bars", "trend"]
