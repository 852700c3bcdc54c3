"""About: the framework, the maturity scale and the scoring method, from the questionnaire data."""

from __future__ import annotations

import streamlit as st

from app_pages.common import qt, questionnaire, tr
from services.database import backend_name

BACKENDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}  # the database products by their names

q = questionnaire()
st.title(tr("about.heading"))
st.write(qt(q.meta.description))

st.subheader(tr("about.framework"))
src = q.meta.source
st.markdown(f"**{qt(src.title)}** — {qt(src.publisher)}, {src.date}")
if src.note:
    st.caption(qt(src.note))

st.subheader(tr("about.scale"))
st.table({tr("common.level"): [s.level for s in q.meta.scale],
          tr("common.status"): [qt(s.name) for s in q.meta.scale],
          "": [qt(s.description) for s in q.meta.scale]})

st.subheader(tr("about.method"))
st.write(tr("about.method_text"))
st.caption(tr("about.crosswalk_note"))

st.subheader(tr("about.version"))
backend = backend_name()
st.write(f"{q.id} v{q.version} · {BACKENDS.get(backend, backend)}")
