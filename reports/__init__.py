"""PDF reports: the management report of an assessment and the association's round report.

Pure presentation: services gather the numbers (the same functions the pages call) and hand them
over; this package words them in the reader's language, draws the charts as SVG with matplotlib
and lays out HTML that WeasyPrint turns into PDF with the Noto CJK fonts. Nothing here reads the
database, and nothing fetches from the network (render.py refuses every URL but ``data:``).
"""
