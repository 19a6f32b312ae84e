"""The upgrade path: a database filled at the first revision keeps every row up to the newest."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from service.storage import migrate
from service.storage.engine import get_engine
from tests.support import code_with, record

FIRST, *LATER = migrate.revisions()
JOB_DONE = "3f2c0d9e8b7a6f5e4d3c2b1a09876543"
JOB_QUEUED = "0badc0ffee0ddf00d5eed5a1ad0b0a75"


@pytest.fixture(params=["sqlite", "postgresql"])
def first_revision_url(request, tmp_path) -> str:
    """Return a fresh database migrated to the first revision only."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        url = request.getfixturevalue("scratch_postgres_url")
    migrate.upgrade(url, FIRST)
    return url


def stamp(url: str, moment: str) -> str:
    """Write a UTC timestamp the way SQLAlchemy stores one in this database."""
    return f"{moment}.000000" if url.startswith("sqlite") else f"{moment}+00"


def old_articles(url: str) -> list[dict[str, Any]]:
    """Articles in each state, with the columns of the first revision."""
    common = {"source": None, "published_at": None, "language": None, "metadata": None,
              "title": None, "url": None, "client_id": None, "lease_token": None,
              "error": None, "n_events": None, "started_at": None, "finished_at": None,
              "attempts": 1, "publishes": 1, "created_at": stamp(url, "2021-12-07 10:00:00"),
              "lease_expires_at": stamp(url, "2021-12-07 10:06:00")}  # fmt: skip
    coded = {"status": "coded", "started_at": stamp(url, "2021-12-07 10:00:01"),
             "finished_at": stamp(url, "2021-12-07 10:00:02")}  # fmt: skip
    return [
        {**common, **coded, "content_hash": "a" * 64, "client_id": "story-1", "n_events": 2,
         "title": "Путин и Байден", "url": "https://tass.ru/1", "source": "TASS",
         "published_at": "2021-12-07", "language": "en", "metadata": '{"desk": "Москва"}',
         "text": "Russian President Vladimir Putin spoke with US President Joe Biden.",
         "lease_token": "f" * 32},
        {**common, **coded, "content_hash": "b" * 64, "n_events": 1, "published_at": "2021-12",
         "text": "Biden said he would meet Putin."},
        {**common, "content_hash": "c" * 64, "status": "failed", "attempts": 3, "publishes": 3,
         "error": "coder error: ValueError: bad input", "text": "Nothing here.",
         "finished_at": stamp(url, "2021-12-07 10:30:00")},
        {**common, "content_hash": "d" * 64, "status": "queued", "attempts": 0,
         "text": "Waiting for a worker."},
    ]  # fmt: skip


def old_jobs(url: str) -> list[dict[str, Any]]:
    """A finished batch (with a refused item) and a queued one."""
    return [
        {"id": JOB_DONE, "created_at": stamp(url, "2021-12-07 10:00:00"), "n_articles": 3,
         "n_rejected": 1, "rejected": '[{"index": 3, "reason": {"text": ["Empty."]}}]',
         "n_running": 0, "n_coded": 2, "n_failed": 1, "n_events": 3,
         "started_at": stamp(url, "2021-12-07 10:00:01"),
         "finished_at": stamp(url, "2021-12-07 10:30:00")},
        {"id": JOB_QUEUED, "created_at": stamp(url, "2021-12-08 09:00:00"), "n_articles": 2,
         "n_rejected": 0, "rejected": "[]", "n_running": 0, "n_coded": 1, "n_failed": 0,
         "n_events": 2, "started_at": None, "finished_at": None},
    ]  # fmt: skip


def old_event(article_id: int, n: int, **values: Any) -> dict[str, Any]:
    """An event with the columns of the first revision only."""
    wanted = ("event_id", "sentence_index", "sentence", "source_code", "source_name",
              "source_text", "target_code", "target_name", "target_text", "event_code",
              "event_base_code", "event_root_code", "quad_class", "goldstein", "event_text",
              "negated", "hypothetical", "future", "confidence", "date", "location_name",
              "coder_version", "dictionary_version")  # fmt: skip
    full = record(n, **values)
    return {"article_id": article_id, **{name: full[name] for name in wanted}}


def insert(connection, table: str, row: dict[str, Any], returning: str | None = None) -> Any:
    """Insert one row with plain SQL; return the `returning` column's value."""
    columns = ", ".join(row)
    values = ", ".join(f":{name}" for name in row)
    suffix = f" RETURNING {returning}" if returning else ""
    result = connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({values}){suffix}"),
                                row)  # fmt: skip
    return result.scalar_one() if returning else None


def fill_first_revision(url: str) -> dict[str, list[str]]:
    """Store jobs, articles, their links, events and an idempotency key as the first revision
    had them; return each table's columns as filled."""
    with get_engine(url).begin() as connection:
        ids = [insert(connection, "articles", row, "id") for row in old_articles(url)]
        for job in old_jobs(url):
            insert(connection, "jobs", job)
        links = [(JOB_DONE, ids[0]), (JOB_DONE, ids[1]), (JOB_DONE, ids[2]),
                 (JOB_QUEUED, ids[3]), (JOB_QUEUED, ids[0])]  # fmt: skip
        for position, (job_id, article_id) in enumerate(links):
            insert(connection, "job_articles", {"job_id": job_id, "position": position,
                                                "article_id": article_id})  # fmt: skip
        the_events = [
            old_event(ids[0], 1, event_code="040", event_base_code="040", event_root_code="04",
                      goldstein=1.0, location_name="Sochi"),
            old_event(ids[0], 2, negated=True, hypothetical=True, confidence=0.45),
            old_event(ids[1], 3, date="", goldstein=-10.0, quad_class=4),  # an undated event
        ]  # fmt: skip
        for event in the_events:
            insert(connection, "events", event)
        insert(connection, "idempotency_keys", {
            "key": "story-1", "request_hash": "e" * 64, "status_code": 202,
            "response": '{"article_id": 1}', "created_at": stamp(url, "2021-12-07 10:00:00"),
        })  # fmt: skip
    return {"articles": list(old_articles(url)[0]), "jobs": list(old_jobs(url)[0]),
            "job_articles": ["job_id", "position", "article_id"],
            "events": list(the_events[0]),
            "idempotency_keys": ["key", "request_hash", "status_code", "response",
                                 "created_at"]}  # fmt: skip


ORDER = {"articles": "id", "jobs": "id", "job_articles": "job_id, position", "events": "id",
         "idempotency_keys": "key"}  # fmt: skip


def read_columns(url: str, columns: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Read the given columns of each table, ids included, in a fixed order."""
    with get_engine(url).connect() as connection:
        return {
            table: [tuple(row) for row in connection.execute(text(
                f"SELECT {', '.join(['id'] * (ORDER[table] == 'id') + names)} FROM {table}"
                f" ORDER BY {ORDER[table]}"))]
            for table, names in columns.items()
        }  # fmt: skip


def test_every_row_survives_each_migration_to_the_newest(first_revision_url, make_app):
    url = first_revision_url
    columns = fill_first_revision(url)
    before = read_columns(url, columns)
    counts = {table: len(rows) for table, rows in before.items()}
    assert counts == {"articles": 4, "jobs": 2, "job_articles": 5, "events": 3,
                      "idempotency_keys": 1}  # fmt: skip

    for revision in LATER:
        migrate.upgrade(url, revision)
        assert migrate.current_revision(url) == revision
        assert read_columns(url, columns) == before, f"rows changed by revision {revision}"

    assert migrate.current_revision(url) == migrate.head_revision()
    assert_new_columns_have_their_defaults(url)
    assert_the_service_reads_and_extends_them(make_app(DATABASE_URL=url), before)


def assert_new_columns_have_their_defaults(url: str) -> None:
    """Check what the later revisions documented for rows they did not write."""
    with get_engine(url).connect() as connection:
        added = connection.execute(text(
            "SELECT event_id, date_precision, date_source, date_text, location_country, admin1,"
            " latitude, longitude, geonameid, location_precision, location_reason,"
            " source_start, source_end, target_start, target_end, event_start, event_end"
            " FROM events ORDER BY id")).all()  # fmt: skip
        exports = connection.execute(text("SELECT count(*) FROM exports")).scalar_one()
    # 0002: events coded before it were dated by their article's publication, when dated.
    nothing_else = ("", "", "", None, None, None, "", "", None, None, None, None, None, None)
    assert [tuple(row) for row in added] == [
        ("e00001", "day", "publication", *nothing_else),
        ("e00002", "day", "publication", *nothing_else),
        ("e00003", "", "", *nothing_else),
    ]
    assert exports == 0


def assert_the_service_reads_and_extends_them(app, before: dict[str, list[tuple]]) -> None:
    """Read the upgraded rows through the API, then add an article and events after them."""
    client = app.test_client()
    job = client.get(f"/api/v1/jobs/{JOB_DONE}").get_json()
    assert job["status"] == "partial" and job["counts"]["events"] == 3
    assert job["rejected"] == [{"index": 3, "reason": {"text": ["Empty."]}}]
    listed = client.get(f"/api/v1/events?job_id={JOB_DONE}").get_json()["events"]
    assert sorted(event["event_id"] for event in listed) == ["e00001", "e00002", "e00003"]
    first_id = before["articles"][0][0]
    article = client.get(f"/api/v1/articles/{first_id}").get_json()
    assert article["title"] == "Путин и Байден" and article["metadata"] == {"desk": "Москва"}

    posted = client.post("/api/v1/articles", json={"text": "A new article after the upgrade."})
    assert posted.status_code == 202
    new_id = posted.get_json()["article_id"]
    assert new_id > max(row[0] for row in before["articles"])
    code_with(app, new_id, [record(4), record(5)])
    assert client.get(f"/api/v1/articles/{new_id}").get_json()["status"] == "coded"
