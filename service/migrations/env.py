"""Alembic environment: migrate the database named in the config, with our naming rules."""

from __future__ import annotations

from alembic import context

from service.storage.engine import get_engine
from service.storage.tables import metadata


def run_migrations_online() -> None:
    """Run the pending migrations inside one connection."""
    engine = get_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            # SQLite cannot ALTER most things in place; batch mode copies the table.
            render_as_batch=engine.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
