"""A job's running counts always equal a recount of its articles, whatever moves them."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import case, func, select, update

from service.storage import work
from service.storage.clock import now
from service.storage.engine import get_engine
from service.storage.tables import articles, job_articles, jobs
from tests.support import record

TEXTS = [f"Story {n} about a summit." for n in range(8)]


def recount(engine) -> dict[str, tuple[int, int, int, int]]:
    """Count each job's articles by state from the articles themselves."""

    def count(status: str):
        return func.sum(case((articles.c.status == status, 1), else_=0))

    query = (
        select(
            job_articles.c.job_id,
            count("running"),
            count("coded"),
            count("failed"),
            func.sum(func.coalesce(articles.c.n_events, 0)),
        )
        .join(articles, articles.c.id == job_articles.c.article_id)
        .group_by(job_articles.c.job_id)
    )
    with engine.connect() as connection:
        return {row[0]: tuple(int(value) for value in row[1:]) for row in connection.execute(query)}


def stored_counts(engine) -> dict[str, tuple[int, int, int, int]]:
    """Read each job's running counts."""
    query = select(jobs.c.id, jobs.c.n_running, jobs.c.n_coded, jobs.c.n_failed, jobs.c.n_events)
    with engine.connect() as connection:
        return {row[0]: tuple(row[1:]) for row in connection.execute(query)}


def expire(engine, article_id: int) -> None:
    """Let an article's lease run out."""
    with engine.begin() as connection:
        connection.execute(
            update(articles)
            .where(articles.c.id == article_id)
            .values(lease_expires_at=now() - timedelta(seconds=1))
        )


def step(rng: random.Random, client, engine, held: dict[int, work.Claim], known: set[int]):
    """Make one random move: submit, claim, save, fail, release, or expire and reconcile."""
    move = rng.choice(["submit", "claim", "claim", "save", "fail", "release", "reconcile"])
    if move == "submit" or not known:
        batch = [{"text": rng.choice(TEXTS)} for _ in range(rng.randint(1, 4))]
        answer = client.post("/api/v1/jobs", json={"articles": batch}).get_json()
        known.update(answer["article_ids"])
    elif move == "claim":
        article_id = rng.choice(sorted(known))
        if claim := work.claim(engine, article_id, 60, 3):
            held[article_id] = claim
    elif held and move in ("save", "fail", "release"):
        claim = held.pop(rng.choice(sorted(held)))
        if move == "save":
            count = rng.randint(0, 3)
            records = [record(n, event_id=f"{claim.article_id}-{n}") for n in range(count)]
            work.save_events(engine, claim, records)
        elif move == "fail":
            work.fail(engine, claim, "boom")
        else:
            work.release(engine, claim, "database hiccup", 60)
    elif move == "reconcile":
        expire(engine, rng.choice(sorted(known)))
        work.reconcile(engine, 60, 3)


@pytest.fixture
def app(app_on_each_database):
    """Run on SQLite and on PostgreSQL."""
    return app_on_each_database


@pytest.mark.parametrize("seed", range(6))
def test_counts_match_a_recount_after_random_moves(client, app, seed):
    engine = get_engine(app.config["DATABASE_URL"])
    rng, held, known = random.Random(seed), {}, set()
    for _ in range(120):
        step(rng, client, engine, held, known)
        assert stored_counts(engine) == recount(engine)
    statuses = {job["status"] for job in client.get("/api/v1/jobs?limit=1000").get_json()["jobs"]}
    assert statuses & {"running", "done", "failed", "partial"}
