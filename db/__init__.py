"""Persistence: SQLAlchemy models, engine/session factories, migrations and queries.

Nothing outside this package writes SQL; pages and the CLI call the query functions here
(through :mod:`services`).
"""
