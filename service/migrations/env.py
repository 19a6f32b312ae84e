"""Alembic environment: migrate the database named in the config, with our naming rules."""

from __future__ import annotations

from typing import Any

from alembic import context

from service.storage.engine import get_engine
from service.storage.tables import metadata


def run_migrations_online() -> None:
    """Run the pending migrations inside one connection."""
    engine = get_engine(context.config.get_main_option("sqlalchemy.url"))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        if sqlite:
            # Batch mode rebuilds a table by dropping it, and with foreign keys on, SQLite
            # deletes the rows that point at it first (every job_articles row, were `jobs`
            # rebuilt). Off for the migration (outside any transaction, or SQLite ignores it);
            # the keys are checked before the commit instead.
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                # SQLite cannot ALTER most things in place; batch mode copies the table.
                render_as_batch=sqlite,
            )
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    check_foreign_keys(connection)
            connection.commit()
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys=ON")


def check_foreign_keys(connection: Any) -> None:
    """Refuse to commit a migration that left a row pointing at nothing."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")


run_migrations_online()
