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


def test_upgrading_a_database_with_events_keeps_and_backfills_them(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate.upgrade(url, "0001")
    engine = get_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO articles (id, content_hash, text, status, attempts, publishes,"
            " lease_expires_at, created_at) VALUES (1, 'h', 't', 'coded', 1, 1,"
            " '2021-12-07 00:00:00', '2021-12-07 00:00:00')"
        )
        connection.exec_driver_sql(
            "INSERT INTO events (article_id, event_id, sentence_index, sentence, source_code,"
            " source_name, source_text, target_code, target_name, target_text, event_code,"
            " event_base_code, event_root_code, quad_class, goldstein, event_text, negated,"
            " hypothetical, future, confidence, date, location_name, coder_version,"
            " dictionary_version) VALUES (1, 'e1', 0, 's', 'RUS', 'Russia', 'Russia', 'USA',"
            " 'US', 'US', '040', '040', '04', 1, 1.0, 'met', 0, 0, 0, 0.6, '2021-12-07', '',"
            " '0.1.0', 'v')"
        )
    migrate.upgrade(url)
    with engine.connect() as connection:
        row = connection.exec_driver_sql(
            "SELECT event_id, date, date_precision, date_source, date_text FROM events"
        ).one()
    assert tuple(row) == ("e1", "2021-12-07", "day", "publication", "")


def test_sqlite_connections_keep_foreign_keys_on_after_migrating(tmp_path):
    # Migrations run with SQLite's foreign keys off, so that a table rebuild cannot cascade.
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate.upgrade(url)
    with get_engine(url).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
