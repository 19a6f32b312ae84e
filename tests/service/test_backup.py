"""`dyad db backup` and `dyad db restore`: every row comes back, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import delete, inspect, select, text, update

from service.cli import main
from service.storage import migrate
from service.storage.backup import libpq_connection
from service.storage.engine import get_engine, write_transaction
from service.storage.tables import articles, events, metadata
from tests.support import code_with, record

TABLES = tuple(metadata.tables)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, monkeypatch) -> str:
    """Return an empty database's URL (a scratch database on PostgreSQL) that `dyad` uses."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dyad.sqlite3'}"
    else:
        if shutil.which("pg_dump") is None:
            pytest.skip("pg_dump is not installed")
        url = request.getfixturevalue("scratch_postgres_url")
    use_database(monkeypatch, tmp_path, url)
    return url


def use_database(monkeypatch, tmp_path: Path, url: str) -> None:
    """Point the `dyad` command at `url`."""
    monkeypatch.setenv("DYAD_DATABASE_URL", url)
    monkeypatch.setenv("DYAD_DATA_DIR", str(tmp_path))


def every_row(url: str) -> dict[str, list[tuple]]:
    """Read every row of every table, in primary-key order."""
    with get_engine(url).connect() as connection:
        return {
            name: [tuple(row) for row in connection.execute(
                select(table).order_by(*table.primary_key.columns))]
            for name, table in metadata.tables.items()
        }  # fmt: skip


def fill(app) -> str:
    """Store what a working service holds: jobs, articles in every state, events, a key, an
    export. Return the batch's job id."""
    client = app.test_client()
    posted = client.post("/api/v1/jobs", json={"articles": [
        {"text": "Putin met Xi in Beijing.", "source": "TASS", "url": "http://tass/1",
         "published_at": "2022-02-04", "metadata": {"desk": "Пекин"}},
        {"text": "Biden called Putin.", "title": "The call", "published_at": "2021-12-07"},
        {"text": "Still waiting.", "id": "mine-3"},
        {"text": ""},
    ]})  # fmt: skip
    assert posted.status_code == 202
    first, second, _queued = sorted(posted.get_json()["article_ids"])
    code_with(app, first, [
        record(1, latitude=39.9, longitude=116.4, geonameid=1816670, location_country="CN",
               location_name="Beijing", location_precision="city", location_reason="clause"),
        record(2, event_code="040", event_base_code="040", event_root_code="04", goldstein=1.0),
    ])  # fmt: skip
    code_with(app, second, [record(3, negated=True, goldstein=-10.0, source_start=None)])
    keyed = client.post("/api/v1/articles", json={"text": "Keyed."},
                        headers={"Idempotency-Key": "story-42"})  # fmt: skip
    assert keyed.status_code == 202
    assert client.post("/api/v1/exports", json={"layout": "gdelt"}).status_code == 202
    from service.storage.engine import get_engine
    from service.storage.keys import create_key

    create_key(get_engine(app.config["DATABASE_URL"]), "Lab A")  # only its hash is stored
    return posted.get_json()["job_id"]


def counts_of(rows: dict[str, list[tuple]]) -> dict[str, int]:
    """Count the rows of each table."""
    return {name: len(table_rows) for name, table_rows in rows.items()}


def summary_line(capsys) -> str:
    """Return the one line `dyad` printed, checking that nothing went to stderr."""
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def failure_line(capsys) -> str:
    """Return the one error line `dyad` printed, checking that it printed nothing else."""
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("dyad: "), lines
    return lines[0]


def test_a_restore_brings_back_every_row(database_url, make_app, capsys, tmp_path):
    app = make_app(DATABASE_URL=database_url)
    job_id = fill(app)
    before = every_row(database_url)
    assert counts_of(before) == {"jobs": 2, "articles": 4, "job_articles": 4, "events": 3,
                                 "exports": 1, "idempotency_keys": 1,
                                 "api_keys": 1}  # fmt: skip
    backup_file = tmp_path / "dyad.backup"

    assert main(["db", "backup", str(backup_file)]) == 0
    head = migrate.head_revision()
    assert f"to {backup_file}: revision {head}; rows: jobs 2, articles 4," in summary_line(capsys)

    # The accident: events deleted, articles overwritten, and a job the backup never saw.
    with get_engine(database_url).begin() as connection:
        connection.execute(delete(events))
        connection.execute(update(articles).values(status="failed", error="overwritten"))
    client = app.test_client()
    assert client.post("/api/v1/jobs", json={"articles": [{"text": "Later."}]}).status_code == 202
    assert every_row(database_url) != before

    assert main(["db", "restore", str(backup_file)]) == 0
    assert "rows: jobs 2, articles 4, job_articles 4, events 3," in summary_line(capsys)
    assert every_row(database_url) == before
    # The service carries on from the restored state: counts read back, fresh ids are new.
    job = client.get(f"/api/v1/jobs/{job_id}").get_json()
    assert job["counts"] == {"articles": 3, "queued": 1, "running": 0, "coded": 2,
                             "failed": 0, "rejected": 1, "events": 3}  # fmt: skip
    later = client.post("/api/v1/articles", json={"text": "After the restore."})
    assert later.status_code == 202
    assert later.get_json()["article_id"] > max(row[0] for row in before["articles"])
    code_with(app, later.get_json()["article_id"], [record(4)])


def test_an_older_backup_comes_back_at_its_revision_and_upgrades(database_url, capsys, tmp_path):
    older = migrate.revisions()[-2]
    migrate.upgrade(database_url, older)
    with get_engine(database_url).begin() as connection:
        connection.execute(text(
            "INSERT INTO jobs (id, created_at, n_articles, n_rejected, rejected, n_running,"
            " n_coded, n_failed, n_events) VALUES ('0123456789abcdef0123456789abcdef',"
            " '2021-12-07 10:00:00.000000', 0, 0, '[]', 0, 0, 0, 0)"))  # fmt: skip
    backup_file = tmp_path / "older.backup"
    assert main(["db", "backup", str(backup_file)]) == 0
    assert f"revision {older};" in summary_line(capsys)
    migrate.upgrade(database_url)
    added = set(inspect(get_engine(database_url)).get_table_names())

    assert main(["db", "restore", str(backup_file)]) == 0
    line = summary_line(capsys)
    assert line.endswith(f"; run `dyad db upgrade` to bring it to {migrate.head_revision()}")
    assert migrate.current_revision(database_url) == older
    # Tables of later revisions go too, or `dyad db upgrade` could not create them again.
    restored = set(inspect(get_engine(database_url)).get_table_names())
    assert restored < added
    assert main(["db", "upgrade"]) == 0
    assert summary_line(capsys) == migrate.head_revision()
    assert counts_of(every_row(database_url))["jobs"] == 1


def test_a_sqlite_backup_taken_during_a_write_holds_only_what_was_committed(
    make_app, monkeypatch, capsys, tmp_path
):
    app = make_app()
    url = app.config["DATABASE_URL"]
    use_database(monkeypatch, tmp_path, url)
    fill(app)
    committed = every_row(url)
    with write_transaction(get_engine(url)) as writer:
        writer.execute(delete(events))
        assert main(["db", "backup", str(tmp_path / "busy.backup")]) == 0
    summary_line(capsys)
    assert every_row(url)["events"] == []

    assert main(["db", "restore", str(tmp_path / "busy.backup")]) == 0
    summary_line(capsys)
    assert every_row(url) == committed


@pytest.fixture
def sqlite_service(make_app, monkeypatch, tmp_path) -> str:
    """Return the URL of a SQLite database holding a service's data, used by `dyad`."""
    app = make_app()
    fill(app)
    use_database(monkeypatch, tmp_path, app.config["DATABASE_URL"])
    return app.config["DATABASE_URL"]


def sqlite_file(path: Path, *statements: str) -> Path:
    """Create a SQLite database at `path` by running `statements`."""
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)
    connection.close()
    return path


@pytest.mark.parametrize(
    ("make_file", "action", "message"),
    [
        (lambda d: d / "missing.backup", "restore", "no such file: "),
        (lambda d: d / "notes.txt", "restore", "is not a Dyad backup (neither SQLite nor"),
        (lambda d: sqlite_file(d / "other.sqlite3", "CREATE TABLE t (x)"), "restore",
         "is not a Dyad backup: it has no Alembic revision"),
        (lambda d: d / "fake.dump", "restore",
         "is a PostgreSQL backup (pg_dump), but the configured database is SQLite"),
        (lambda d: d, "restore", "cannot read"),
        (lambda d: d / "no" / "such" / "folder.backup", "backup",
         "cannot write {path}: No such file or directory"),
        (lambda d: d / "notes.txt" / "x.backup", "backup", "cannot write {path}: Not a directory"),
        (lambda d: d, "backup", "is a directory: give the backup a file name"),
        (lambda d: d / "dyad.sqlite3", "backup", "is the database itself"),
    ],
)  # fmt: skip
def test_bad_input_gets_one_line_and_changes_nothing(
    sqlite_service, tmp_path, capsys, make_file, action, message
):
    (tmp_path / "notes.txt").write_text("not a backup\n")
    (tmp_path / "fake.dump").write_bytes(b"PGDMP\x01\x0e\x00" + bytes(64))
    path = make_file(tmp_path)
    before = every_row(sqlite_service)

    assert main(["db", action, str(path)]) == 1
    assert message.format(path=path) in failure_line(capsys)
    assert every_row(sqlite_service) == before
    assert not list(tmp_path.glob("**/.*.partial"))


def test_a_backup_from_a_newer_dyad_is_refused(sqlite_service, tmp_path, capsys):
    backup_file = tmp_path / "newer.backup"
    assert main(["db", "backup", str(backup_file)]) == 0
    summary_line(capsys)
    sqlite_file(backup_file, "UPDATE alembic_version SET version_num = '9999'")
    with get_engine(sqlite_service).begin() as connection:
        connection.execute(delete(events))

    assert main(["db", "restore", str(backup_file)]) == 1
    assert "at revision 9999, which this version of Dyad does not know" in failure_line(capsys)
    assert every_row(sqlite_service)["events"] == []


@pytest.mark.parametrize(
    ("make_target", "message"),
    [
        (lambda d: sqlite_file(d / "theirs.sqlite3", "CREATE TABLE theirs (x)",
                               "INSERT INTO theirs VALUES (1)"),
         "holds tables but is not a Dyad database: not overwriting it"),
        (lambda d: d / "notes.txt", "is not a SQLite database: not overwriting it"),
    ],
)  # fmt: skip
def test_a_restore_never_overwrites_what_is_not_a_dyad_database(
    sqlite_service, tmp_path, monkeypatch, capsys, make_target, message
):
    backup_file = tmp_path / "dyad.backup"
    assert main(["db", "backup", str(backup_file)]) == 0
    summary_line(capsys)
    (tmp_path / "notes.txt").write_text("my notes\n")
    target = make_target(tmp_path)
    original = target.read_bytes()
    use_database(monkeypatch, tmp_path, f"sqlite:///{target}")

    assert main(["db", "restore", str(backup_file)]) == 1
    assert message in failure_line(capsys)
    assert target.read_bytes() == original


def test_a_backup_needs_a_dyad_database(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "data" / "missing.sqlite3"
    use_database(monkeypatch, tmp_path, f"sqlite:///{missing}")
    assert main(["db", "backup", str(tmp_path / "b.backup")]) == 1
    assert f"no database at {missing}" in failure_line(capsys)
    assert not missing.exists() and not (tmp_path / "b.backup").exists()

    other = sqlite_file(tmp_path / "other.sqlite3", "CREATE TABLE t (x)")
    use_database(monkeypatch, tmp_path, f"sqlite:///{other}")
    assert main(["db", "backup", str(tmp_path / "b.backup")]) == 1
    assert "is not a Dyad database: it has no Alembic revision" in failure_line(capsys)


# --- PostgreSQL's own failures ------------------------------------------------------------------

UNREACHABLE = "postgresql+psycopg://dyad:s3cret%20pa%40ss@127.0.0.1:9/dyad"


def test_a_sqlite_backup_is_not_restored_into_postgresql(tmp_path, monkeypatch, capsys):
    backup_file = sqlite_file(tmp_path / "dyad.backup", "CREATE TABLE t (x)")
    use_database(monkeypatch, tmp_path, UNREACHABLE)
    assert main(["db", "restore", str(backup_file)]) == 1
    line = failure_line(capsys)
    assert "is a SQLite backup, but the configured database is PostgreSQL" in line


@pytest.mark.parametrize(("action", "program"), [("backup", "pg_dump"), ("restore", "pg_restore")])
def test_without_the_client_tools_postgresql_backups_fail_clearly(
    tmp_path, monkeypatch, capsys, action, program
):
    (tmp_path / "dyad.dump").write_bytes(b"PGDMP\x01\x0e\x00" + bytes(64))
    empty = tmp_path / "bin"
    empty.mkdir()
    use_database(monkeypatch, tmp_path, UNREACHABLE)
    monkeypatch.setenv("PATH", str(empty))
    assert main(["db", action, str(tmp_path / "dyad.dump")]) == 1
    assert f"dyad: {program} is not on PATH" in failure_line(capsys)


def test_the_password_goes_to_libpq_through_the_environment_only():
    conninfo, environment = libpq_connection(UNREACHABLE + "?sslmode=disable")
    assert "s3cret" not in conninfo
    assert environment["PGPASSWORD"] == "s3cret pa@ss"
    assert conninfo.split() == ["host=127.0.0.1", "port=9", "dbname=dyad", "user=dyad",
                                "sslmode=disable"]  # fmt: skip


def test_an_unreachable_server_is_one_line_without_the_password(tmp_path, monkeypatch, capsys):
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    use_database(monkeypatch, tmp_path, UNREACHABLE)
    assert main(["db", "backup", str(tmp_path / "dyad.dump")]) == 1
    line = failure_line(capsys)
    assert "postgresql+psycopg://dyad:***@127.0.0.1:9/dyad" in line and "s3cret" not in line


def test_postgresql_refuses_databases_that_are_not_dyad_s(
    scratch_postgres_url, tmp_path, monkeypatch, capsys
):
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    url = scratch_postgres_url
    use_database(monkeypatch, tmp_path, url)
    with get_engine(url).begin() as connection:
        connection.execute(text("CREATE TABLE theirs (x integer)"))
        connection.execute(text("INSERT INTO theirs VALUES (1)"))
    assert main(["db", "backup", str(tmp_path / "theirs.dump")]) == 1
    assert "is not a Dyad database" in failure_line(capsys)

    migrate.upgrade(url)
    assert main(["db", "backup", str(tmp_path / "dyad.dump")]) == 0
    summary_line(capsys)
    with get_engine(url).begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
    assert main(["db", "restore", str(tmp_path / "dyad.dump")]) == 1
    assert "holds tables but is not a Dyad database" in failure_line(capsys)
    with get_engine(url).connect() as connection:
        assert connection.execute(text("SELECT x FROM theirs")).scalar_one() == 1
