"""Persistence: the SQLAlchemy models (tables and their CHECK constraints), the engine and session
factories, and the Alembic migrations.

Queries live in :mod:`services`, next to the authorisation check and the transaction they belong
to; this package holds no query functions. Pages never import it (tests/test_layers.py); the command
line uses it only for what concerns the database itself (its URL, ``aigov db`` migrations and checks,
the values a CHECK constraint allows).
"""
