"""The task bodies, called directly: coding, idempotent writes, leases and the reconciler."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import func, select, update

from service.storage import work
from service.storage.clock import now
from service.storage.engine import get_engine
from service.storage.tables import articles, events
from tests.support import drain_tasks, force_state
from workers import tasks

STORY = (
    "Russian President Vladimir Putin and U.S. President Joe Biden held a video call on "
    "Tuesday. Putin criticized NATO. Biden warned Russia against an invasion of Ukraine."
)


@pytest.fixture
def engine(app):
    """Return the app's engine."""
    return get_engine(app.config["DATABASE_URL"])


@pytest.fixture
def article_id(client, queued) -> int:
    """Submit the story and return its article id, with the queue drained."""
    body = client.post("/api/v1/articles", json={"text": STORY, "published_at": "2021-12-07"})
    queued()
    return body.get_json()["article_id"]


def state(engine, article_id: int):
    """Return an article's row."""
    with engine.connect() as connection:
        return connection.execute(select(articles).where(articles.c.id == article_id)).one()


def stored_events(engine, article_id: int) -> list[tuple]:
    """Return an article's event rows without their row ids, in order."""
    columns = [column for column in events.columns if column.name != "id"]
    query = select(*columns).where(events.c.article_id == article_id).order_by(events.c.id)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def set_values(engine, article_id: int, **values) -> None:
    """Overwrite an article's columns, as a crash or a stale lease would leave them."""
    with engine.begin() as connection:
        connection.execute(update(articles).where(articles.c.id == article_id).values(**values))


def test_a_task_codes_the_article_and_stores_its_events(app, engine, article_id):
    assert tasks.code_article(article_id) == "coded"
    row = state(engine, article_id)
    assert row.status == "coded" and row.attempts == 1 and row.lease_token is None
    rows = stored_events(engine, article_id)
    assert len(rows) == row.n_events > 0
    sources = {r[events.c.keys().index("source_code") - 1] for r in rows}
    assert any(code.startswith("RUS") for code in sources)
    client = app.test_client()
    job_id = client.get("/api/v1/jobs").get_json()["jobs"][0]["job_id"]
    job = client.get(f"/api/v1/jobs/{job_id}").get_json()
    assert job["status"] == "done" and job["counts"]["events"] == row.n_events


def test_the_served_events_cite_their_spans_in_the_submitted_text(app, engine, article_id):
    tasks.code_article(article_id)
    client = app.test_client()
    served = client.get("/api/v1/events").get_json()["events"]
    assert served
    for event in served:
        for role in ("source", "target", "event"):
            start, end = event[f"{role}_start"], event[f"{role}_end"]
            assert STORY[start:end] == event[f"{role}_text"], (role, event)
    header = client.get("/api/v1/events.csv").get_data(as_text=True)
    assert "source_start,source_end" in header.splitlines()[0]


def test_the_fields_the_csv_trusts_have_their_fixed_form(engine, article_id):
    from service.storage.export import GENERATED_TEXT

    tasks.code_article(article_id)
    forms = {
        "event_id": r"[0-9a-f]+", "event_code": r"\d{2,4}", "event_base_code": r"\d{2,3}",
        "event_root_code": r"\d{2}", "date": r"\d{4}(-\d{2}){0,2}",
        "date_precision": r"day|week|month|year|decade",
        "date_source": r"text|dateline|publication|ingested",
        "location_country": r"([A-Z]{2})?", "location_precision": r"(city|admin1|country)?",
        "location_reason": r"(clause|sentence|dateline)?",
        "coder_version": r"\d+\.\d+\.\d+", "dictionary_version": r"[0-9a-f]+",
    }  # fmt: skip
    assert set(forms) == GENERATED_TEXT
    names = [column.name for column in events.columns if column.name != "id"]
    for row in stored_events(engine, article_id):
        for name, form in forms.items():
            assert re.fullmatch(form, row[names.index(name)]), (name, row)


def test_a_second_delivery_of_a_coded_article_changes_nothing(engine, article_id):
    tasks.code_article(article_id)
    before = stored_events(engine, article_id)
    assert tasks.code_article(article_id) == "skipped"
    assert stored_events(engine, article_id) == before


def test_running_an_article_twice_leaves_one_copy_of_its_events(engine, article_id):
    tasks.code_article(article_id)
    first = stored_events(engine, article_id)
    force_state(engine, article_id, "queued")  # as if it had to be coded again
    assert tasks.code_article(article_id) == "coded"
    assert stored_events(engine, article_id) == first
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(events)).scalar_one()
    assert total == len(first)


def test_a_stale_execution_cannot_overwrite_the_current_one(engine, article_id):
    stale = work.claim(engine, article_id, 60, 3)
    set_values(engine, article_id, lease_expires_at=now() - timedelta(seconds=1))
    current = work.claim(engine, article_id, 60, 3)
    assert stale and current and stale.token != current.token
    assert work.save_events(engine, current, []) is True
    assert work.save_events(engine, stale, []) is False
    assert state(engine, article_id).status == "coded"
    assert state(engine, article_id).n_events == 0


def test_an_article_held_by_a_live_lease_is_not_started_again(engine, article_id):
    assert work.claim(engine, article_id, 60, 3) is not None
    assert tasks.code_article(article_id) == "skipped"
    assert state(engine, article_id).attempts == 1


def test_a_coder_error_fails_the_article_with_its_reason(monkeypatch, engine, article_id):
    def broken(_held):
        raise RuntimeError("boom")

    monkeypatch.setattr(tasks, "code_text", broken)
    assert tasks.code_article(article_id) == "failed"
    row = state(engine, article_id)
    assert row.status == "failed" and row.error == "coder error: RuntimeError: boom"


def test_a_task_past_its_soft_time_limit_is_retried_then_failed(monkeypatch, app, engine,
                                                                 article_id):  # fmt: skip
    def slow(_held):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(tasks, "code_text", slow)
    # Slowness may be the machine's (a CPU starved by other work): it is retried...
    for _ in range(app.config["MAX_ATTEMPTS"] - 1):
        assert tasks.code_article(article_id) == "released"
        row = state(engine, article_id)
        assert row.status == "queued" and "longer than" in row.error
    # ... until the article has used every attempt.
    assert tasks.code_article(article_id) == "failed"
    assert "longer than" in state(engine, article_id).error


def test_an_article_out_of_attempts_is_failed_not_run(app, engine, article_id):
    expired = now() - timedelta(seconds=1)
    force_state(engine, article_id, "running", attempts=3, lease_expires_at=expired)
    assert tasks.code_article(article_id) == "skipped"
    row = state(engine, article_id)
    assert row.status == "failed" and row.error.startswith("gave up after 3 attempts")


def test_the_reconciler_requeues_expired_leases_and_caps_attempts(client, engine, queued):
    ids = client.post(
        "/api/v1/jobs", json={"articles": [{"text": f"story {n}"} for n in range(4)]}
    ).get_json()["article_ids"]
    queued()
    past = now() - timedelta(seconds=1)
    force_state(engine, ids[0], "running", attempts=1, lease_expires_at=past)
    force_state(engine, ids[1], "running", attempts=3, lease_expires_at=past)
    set_values(engine, ids[2], status="queued", lease_expires_at=past)
    # ids[3] is queued with a lease still running: left alone.
    assert tasks.reconcile() == {"republished": 2, "failed": 1}
    assert sorted(queued()) == sorted([ids[0], ids[2]])
    assert state(engine, ids[0]).status == "queued"
    assert "ran past its lease" in state(engine, ids[0]).error
    assert state(engine, ids[1]).status == "failed"
    assert state(engine, ids[2]).publishes == 2
    assert tasks.reconcile() == {"republished": 0, "failed": 0}


def test_a_large_batch_is_fanned_out_by_dispatch_tasks(make_app):
    app = make_app(DISPATCH_THRESHOLD=10)
    articles_in = [{"text": f"story {n}"} for n in range(1200)]
    ids = app.test_client().post("/api/v1/jobs", json={"articles": articles_in}).get_json()
    ids = ids["article_ids"]
    messages = drain_tasks(app)
    assert [name for name, _ in messages] == ["dyad.dispatch"] * 3
    assert [article for _, (chunk,) in messages for article in chunk] == ids
    with app.app_context():
        assert tasks.dispatch(ids[:500]) == 500
    assert [args[0] for _, args in drain_tasks(app)] == ids[:500]
