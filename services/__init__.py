"""Application services: the one place where database access, authorisation and scoring meet.

Pages (``app_pages/``) and the CLI (``cli/``) call these functions and nothing below them, so the
app, the exports and the command line cannot disagree. Every function that touches a tenant's
object takes an :class:`~services.access.Actor` and raises :class:`~services.errors.NotFound`
for objects the actor may not see, exactly as for objects that do not exist.
"""
