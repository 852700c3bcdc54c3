"""Application services: the one place where database access, authorisation and scoring meet.

Pages (``app_pages/``) and the CLI (``cli/``) read and change stored data only through these
functions (pages never import ``db/``: tests/test_layers.py), so the app, the exports and the
command line cannot disagree. What they import from the pure packages below (questionnaire
texts, number formats, charts, workbook writers) only presents what a service returned; the one
exception is ``aigov score``, which scores an answers file with no database at all. Every function that touches a tenant's
object takes an :class:`~services.access.Actor` and raises :class:`~services.errors.NotFound`
for objects the actor may not see, exactly as for objects that do not exist.
"""
