"""Alembic environment: batch mode on SQLite, type comparison on, models' naming convention."""

from __future__ import annotations

import warnings

from alembic import context
from sqlalchemy import Connection

from db.engine import database_url
from db.models import Base

# SQLite cannot reflect expression indexes (lower(username)); the migration creates it explicitly,
# so the comparison that autogenerate/check skips is not a drift.
warnings.filterwarnings("ignore", message=".*expression-based index.*")

config = context.config
target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    # Run from the alembic command line: the same locked, single transaction as `aigov db upgrade`.
    from db.migrate import migration_connection

    with migration_connection(config.get_main_option("sqlalchemy.url") or database_url()) as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
