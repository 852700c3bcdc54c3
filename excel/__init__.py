"""Excel workbooks: the offline questionnaire template, its safe reader, and the assessment summary.

Pure openpyxl: no Streamlit, no database. ``services/exports.py`` and ``services/imports.py``
connect these builders and readers to stored assessments. Every text written by this package
goes through :mod:`excel.cells`, the formula-injection defence; every uploaded file passes
:mod:`excel.safety` before openpyxl parses a byte of it. The contract is documented in
docs/excel.md.
"""
