"""A benchmark table (:mod:`benchmarking.tables`) on a page: each cell's text under the table's headers.

The tables are defined once and the workbooks write the same ones, so this only lays them out; a table
without rows says its own ``empty`` words instead of showing an empty grid.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from benchmarking.tables import Table


def table_frame(table: Table) -> pd.DataFrame:
    """The table as text, exactly as the page shows it."""
    return pd.DataFrame([[cell.text for cell in row] for row in table.rows], columns=table.titles)


def show_table(table: Table, *, key: str | None = None) -> None:
    if not table.rows and table.empty:
        st.info(table.empty)
        return
    st.dataframe(table_frame(table), hide_index=True, width="stretch", key=key)
