"""The service against real PostgreSQL and Redis, with `dyad worker` processes doing the coding."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import timedelta

import pytest

from coder.record import RECORD_FIELDS
from service.storage.clock import now
from tests.support import force_state

pytestmark = pytest.mark.integration

CLOSED_BROKER = "redis://127.0.0.1:1/0"
ONE_ARTICLE = {
    "id": "putin-xi",
    "published_at": "2022-02-04",
    "text": "Russian President Vladimir Putin met Chinese President Xi Jinping in Beijing on"
    " Friday. Putin praised China for its support.",
}


def ndjson(*articles: dict) -> bytes:
    """Encode articles as an NDJSON body."""
    return "".join(json.dumps(article) + "\n" for article in articles).encode()


def read_csv(body: str) -> tuple[list[str], list[dict[str, str]]]:
    """Parse a CSV download into its header and rows."""
    reader = csv.reader(io.StringIO(body, newline=""))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def event_rows(stack) -> list[tuple]:
    """Return every stored event as (row id, article id, event id), in row order."""
    rows = stack.sql("SELECT id, article_id, event_id FROM events ORDER BY id")
    return [tuple(row) for row in rows]


def article_states(stack) -> dict[int, tuple]:
    """Return each article's (status, attempts, n_events, finished_at) by id."""
    rows = stack.sql("SELECT id, status, attempts, n_events, finished_at FROM articles")
    return {row.id: tuple(row)[1:] for row in rows}


def test_seed_batch_is_coded_by_workers_and_exported_as_csv(stack, seed_batch):
    """The acceptance flow: NDJSON in, workers code it, the job's CSV has every event."""
    service = stack.service()
    stack.start_worker()

    accepted = service.submit(seed_batch)
    assert accepted["accepted"] == 5
    assert accepted["rejected"] == []
    assert len(set(accepted["article_ids"])) == 5

    job = service.wait_for_job(accepted["job_id"])
    assert job["status"] == "done", job
    assert job["counts"]["coded"] == 5
    assert job["counts"]["failed"] == 0
    assert job["counts"]["events"] > 0
    assert job["errors"] == []

    response = service.client.get(f"/api/v1/jobs/{accepted['job_id']}/events.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    header, rows = read_csv(response.get_data(as_text=True))
    assert tuple(header) == RECORD_FIELDS
    assert len(rows) == job["counts"]["events"]
    assert {int(row["article_id"]) for row in rows} <= set(accepted["article_ids"])
    assert any(
        row["source_code"].startswith("RUS") and row["target_code"].startswith("USA")
        for row in rows
    ), "no Russia → United States event in the Putin-Biden seeds"
    stored = stack.sql("SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM events")[0]
    assert stored.n == stored.ids == len(rows)


def test_resubmitted_and_redelivered_articles_are_not_coded_twice(stack, seed_batch):
    """Re-uploads reuse coded articles; duplicate deliveries are skipped; re-coding replaces."""
    service = stack.service()
    worker = stack.start_worker()
    first = service.submit(seed_batch)
    job = service.wait_for_job(first["job_id"])
    assert job["status"] == "done", job
    events_before, states_before = event_rows(stack), article_states(stack)
    assert len(events_before) == job["counts"]["events"] > 0

    # The same batch again: the same articles, already coded, and nothing is published.
    second = service.submit(seed_batch)
    assert second["job_id"] != first["job_id"]
    assert second["article_ids"] == first["article_ids"]
    again = service.job(second["job_id"])
    assert again["status"] == "done"
    assert again["counts"]["events"] == job["counts"]["events"]

    # At-least-once delivery: duplicate tasks for coded articles change nothing.
    assert service.publish(first["article_ids"]) == 5
    stack.wait_until(
        lambda: worker.log().count("'skipped'") >= 5, "the duplicate tasks to be skipped"
    )
    assert event_rows(stack) == events_before
    assert article_states(stack) == states_before

    # An article whose lease ran out is coded again: its events are replaced, not doubled.
    recoded = first["article_ids"][0]
    old_ids = sorted(event for _, article, event in events_before if article == recoded)
    force_state(stack.engine, recoded, "running", lease_expires_at=now() - timedelta(seconds=1))
    assert service.publish([recoded]) == 1
    stack.wait_until(
        lambda: stack.article(recoded).status == "coded", f"article {recoded} to be re-coded"
    )
    events_after = event_rows(stack)
    assert len(events_after) == len(events_before)
    new_ids = sorted(event for _, article, event in events_after if article == recoded)
    assert new_ids == old_ids
    assert stack.article(recoded).attempts == states_before[recoded][1] + 1
    stored = stack.sql("SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM events")[0]
    assert stored.n == stored.ids == len(events_before)


def test_article_submitted_while_the_broker_is_down_is_recovered_by_the_reconciler(stack):
    """A publish that fails leaves the article queued and due; the reconciler sends it later."""
    offline = stack.service(BROKER_URL=CLOSED_BROKER)
    ready = offline.client.get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["broker"].startswith("unreachable")

    started = time.monotonic()
    accepted = offline.submit(ndjson(ONE_ARTICLE))
    assert time.monotonic() - started < 10, "the submit waited too long for the broker"
    (article_id,) = accepted["article_ids"]
    article = stack.article(article_id)
    assert article.status == "queued"
    assert article.attempts == 0
    due = stack.sql(
        "SELECT lease_expires_at <= now() AS due FROM articles WHERE id = :id", id=article_id
    )
    assert due[0].due, "an unpublished article should be due for the reconciler at once"
    assert offline.job(accepted["job_id"])["status"] == "queued"

    # No beat: only the reconciler pass run below can send the task.
    stack.start_worker(beat=False)
    online = stack.service()
    assert online.reconcile() == {"republished": 1, "failed": 0}
    job = online.wait_for_job(accepted["job_id"], timeout=60)
    assert job["status"] == "done", job
    article = stack.article(article_id)
    assert article.status == "coded"
    assert article.attempts == 1
    assert article.publishes == 2


def test_reconciler_republishes_articles_whose_messages_were_lost(stack):
    """Flushing Redis loses a queued task; the worker's beat re-publishes it after its lease."""
    lease = 2
    service = stack.service(QUEUED_LEASE_SECONDS=lease)
    accepted = service.submit(ndjson(ONE_ARTICLE))
    (article_id,) = accepted["article_ids"]
    client = stack.redis()
    try:
        assert client.llen("dyad") == 1, "the task should wait in Redis: no worker runs yet"
    finally:
        client.close()
    stack.flush_redis()

    stack.start_worker(QUEUED_LEASE_SECONDS=lease)
    job = service.wait_for_job(accepted["job_id"], timeout=60)
    assert job["status"] == "done", job
    article = stack.article(article_id)
    assert article.status == "coded"
    assert article.publishes >= 2, "only the reconciler could have sent the lost task again"


def test_article_out_of_attempts_is_failed_by_the_reconciler(stack):
    """A running article whose lease ran out on its last attempt fails, and its job shows why."""
    service = stack.service()
    max_attempts = service.app.config["MAX_ATTEMPTS"]
    accepted = service.submit(ndjson(ONE_ARTICLE))
    (article_id,) = accepted["article_ids"]
    force_state(
        stack.engine, article_id, "running", attempts=max_attempts, lease_token="lost",
        started_at=now(), lease_expires_at=now() - timedelta(seconds=1),
    )  # fmt: skip

    assert service.reconcile() == {"republished": 0, "failed": 1}
    article = stack.article(article_id)
    assert article.status == "failed"
    assert f"{max_attempts} attempts" in article.error
    assert article.lease_token is None
    assert article.finished_at is not None

    job = service.job(accepted["job_id"])
    assert job["status"] == "failed"
    assert job["counts"]["failed"] == 1
    assert job["finished_at"] is not None
    assert [error["article_id"] for error in job["errors"]] == [article_id]
    assert f"{max_attempts} attempts" in job["errors"][0]["error"]
    assert service.reconcile() == {"republished": 0, "failed": 0}, "a failed article stays failed"


def test_tasks_delivered_twice_leave_no_duplicate_rows_and_the_same_results(stack, seed_batch):
    """A visibility timeout and a lease below the task time: tasks are really run twice."""
    from coder.pipeline import code_article

    seeds = [json.loads(line) for line in seed_batch.decode().splitlines()]
    # Long enough (about 20 seed articles each) that coding one takes several seconds.
    long_articles = [{"id": f"long-{n}", "published_at": seed["published_at"],
                      "text": "\n\n".join([seed["text"]] * 20) + f"\n\nCopy {n}."}
                     for n, seed in enumerate(seeds[:4])]  # fmt: skip
    early = {"ALLOW_EARLY_REDELIVERY": True, "VISIBILITY_TIMEOUT": 1, "LEASE_SECONDS": 2,
             "MAX_ATTEMPTS": 10}
    service = stack.service(**early)
    stack.start_worker(**early)
    accepted = service.submit(ndjson(*long_articles))
    job = service.wait_for_job(accepted["job_id"], timeout=300)
    assert job["status"] == "done", job
    attempts = stack.sql("SELECT sum(attempts) AS n FROM articles")[0].n
    assert attempts > len(long_articles), "no task was executed twice: the test proves nothing"

    stored = stack.sql("SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM events")[0]
    assert stored.n == stored.ids == job["counts"]["events"]
    for article_id, sent in zip(accepted["article_ids"], long_articles, strict=True):
        rows = stack.sql("SELECT event_id, event_code FROM events WHERE article_id = :a",
                         a=article_id)  # fmt: skip
        expected = {(e.event_id, e.event_code) for e in code_article(
            sent["text"], published=sent["published_at"], article_id=str(article_id))}  # fmt: skip
        assert {tuple(row) for row in rows} == expected
