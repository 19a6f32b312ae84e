"""Alembic: the migrations build exactly the tables the code uses, and unwind cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from service.cli import main
from service.storage import migrate
from service.storage.engine import get_engine
from service.storage.tables import metadata


def test_the_migrations_match_the_table_definitions(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate.upgrade(url)
    with get_engine(url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
    assert migrate.current_revision(url) == migrate.head_revision()


def test_downgrading_to_base_drops_every_table(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    assert set(inspect(get_engine(url)).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(url)
    assert set(metadata.tables) <= set(inspect(get_engine(url)).get_table_names())


def test_dyad_db_upgrade_migrates_the_configured_database(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DYAD_DATABASE_URL", url)
    monkeypatch.setenv("DYAD_DATA_DIR", str(tmp_path))
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out.strip() == migrate.head_revision()
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out.strip() == migrate.head_revision()
