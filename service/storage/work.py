"""The workers' side of the state machine: claim an article, write its events, reconcile."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, case, delete, func, or_, select, update

from service.storage.clock import later, now
from service.storage.engine import write_transaction
from service.storage.tables import EVENT_COLUMNS, articles, events, job_articles, jobs

RECONCILE_BATCH = 1000


@dataclass(frozen=True)
class Claim:
    """A lease on one article: only the holder of `token` may write its results."""

    article_id: int
    token: str
    text: str
    published_at: str | None
    attempt: int


def _locked(connection: Any, query: Any) -> Any:
    """Lock the selected rows on PostgreSQL; SQLite's write lock already serialises us."""
    if connection.dialect.name == "postgresql":
        return query.with_for_update()
    return query


def claim(engine: Engine, article_id: int, lease_seconds: float, max_attempts: int) -> Claim | None:
    """Take the lease on an article that is waiting, or whose last lease ran out."""
    with write_transaction(engine) as connection:
        query = select(articles).where(articles.c.id == article_id)
        row = connection.execute(_locked(connection, query)).first()
        if row is None or not _claimable(row):
            return None
        if row.attempts >= max_attempts:
            _give_up(connection, row)
            return None
        token = uuid.uuid4().hex
        move(
            connection,
            article_id,
            row.status,
            "running",
            attempts=row.attempts + 1,
            lease_token=token,
            lease_expires_at=later(lease_seconds),
            started_at=row.started_at or now(),
        )
    return Claim(article_id, token, row.text, row.published_at, row.attempts + 1)


def _claimable(row: Any) -> bool:
    """Tell whether an article may be (re)started: queued, or running on an expired lease."""
    if row.status == "queued":
        return True
    return row.status == "running" and _expired(row.lease_expires_at)


def _expired(moment: Any) -> bool:
    """Tell whether a stored lease time has passed (SQLite returns it naive, in UTC)."""
    current = now()
    if moment.tzinfo is None:
        current = current.replace(tzinfo=None)
    return moment <= current


def _give_up(connection: Any, row: Any) -> None:
    """Mark an article failed once it has used all its attempts."""
    reason = f"gave up after {row.attempts} attempts"
    if row.error:
        reason += f"; last error: {row.error}"
    move(connection, row.id, row.status, "failed", **finished(reason))


def save_events(engine: Engine, held: Claim, records: Iterable[dict[str, Any]]) -> bool:
    """Replace the article's events and mark it coded, in one transaction, if still leased."""
    rows = _unique_rows(held.article_id, records)
    with write_transaction(engine) as connection:
        previous = _held_row(connection, held)
        if previous is None:
            # Another execution took the lease over; its results are the ones that count.
            return False
        events_added = len(rows) - (previous.n_events or 0)
        move(
            connection,
            held.article_id,
            previous.status,
            "coded",
            events_added,
            n_events=len(rows),
            **finished(None),
        )
        connection.execute(delete(events).where(events.c.article_id == held.article_id))
        if rows:
            connection.execute(events.insert(), rows)
    return True


def _unique_rows(article_id: int, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep one row per event id, with the stored article id."""
    rows: dict[str, dict[str, Any]] = {}
    for record in records:
        row = {name: record[name] for name in EVENT_COLUMNS if name != "article_id"}
        rows.setdefault(row["event_id"], {**row, "article_id": article_id})
    return list(rows.values())


def fail(engine: Engine, held: Claim, reason: str) -> bool:
    """Mark a leased article failed for good, with the reason."""
    return _move_held(engine, held, "failed", **finished(reason))


def release(engine: Engine, held: Claim, reason: str, queued_lease: float) -> bool:
    """Put a leased article back to `queued` after a transient error, keeping the reason."""
    return _move_held(
        engine,
        held,
        "queued",
        error=reason,
        lease_token=None,
        lease_expires_at=later(queued_lease),
    )


def move(
    connection: Any, article_id: int, old: str, new: str, events: int = 0, **values: Any
) -> None:
    """Set an article's state (and other columns), moving the counts of the jobs that hold it."""
    connection.execute(
        update(articles).where(articles.c.id == article_id).values(status=new, **values)
    )
    move_counts(connection, article_id, old, new, events)


def finished(error: str | None) -> dict[str, Any]:
    """Return the columns of an article that is done with, for good or ill."""
    return {"error": error, "finished_at": now(), "lease_token": None}


def _move_held(engine: Engine, held: Claim, new: str, **values: Any) -> bool:
    """Move a leased article to `new` if `held` still owns its lease."""
    with write_transaction(engine) as connection:
        previous = _held_row(connection, held)
        if previous is None:
            return False
        move(connection, held.article_id, previous.status, new, **values)
    return True


def _held_row(connection: Any, held: Claim) -> Any:
    """Lock and return the article if `held` still owns its lease, else None."""
    query = select(articles.c.status, articles.c.n_events).where(
        articles.c.id == held.article_id, articles.c.lease_token == held.token
    )
    return connection.execute(_locked(connection, query)).first()


COUNTED = {"running": jobs.c.n_running, "coded": jobs.c.n_coded, "failed": jobs.c.n_failed}


def move_counts(connection: Any, article_id: int, old: str, new: str, events: int = 0) -> None:
    """Move one article from state `old` to `new` in the counts of every job that holds it."""
    if old == new and not events:
        return
    # An article may sit at several positions of one job; each position counts.
    positions = (
        select(func.count())
        .where(job_articles.c.job_id == jobs.c.id, job_articles.c.article_id == article_id)
        .scalar_subquery()
    )
    counts: dict[str, Any] = dict(COUNTED)
    if old in counts:
        counts[old] = counts[old] - positions
    if new in counts:
        counts[new] = counts[new] + positions
    values = {COUNTED[state].name: counts[state] for state in {old, new} & COUNTED.keys()}
    finished = counts["coded"] + counts["failed"] >= jobs.c.n_articles
    values["n_events"] = jobs.c.n_events + events * positions
    values["finished_at"] = case((finished, func.coalesce(jobs.c.finished_at, now())), else_=None)
    if new == "running":
        values["started_at"] = func.coalesce(jobs.c.started_at, now())
    holders = select(job_articles.c.job_id).where(job_articles.c.article_id == article_id)
    if connection.dialect.name == "postgresql":
        # Lock the jobs in id order first: two workers updating the same jobs in different
        # orders would deadlock.
        locking = select(jobs.c.id).where(jobs.c.id.in_(holders)).order_by(jobs.c.id)
        connection.execute(locking.with_for_update()).all()
    connection.execute(update(jobs).where(jobs.c.id.in_(holders)).values(**values))


@dataclass
class Reconciled:
    """What one reconciler pass did."""

    republish: list[int]
    failed: list[int]


def reconcile(engine: Engine, queued_lease: float, max_attempts: int) -> Reconciled:
    """Re-queue articles whose lease ran out, and fail those that used every attempt."""
    outcome = Reconciled([], [])
    with write_transaction(engine) as connection:
        query = (
            select(articles.c.id, articles.c.status, articles.c.attempts, articles.c.error)
            .where(
                or_(articles.c.status == "queued", articles.c.status == "running"),
                articles.c.lease_expires_at <= now(),
            )
            .order_by(articles.c.id)
            .limit(RECONCILE_BATCH)
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        for row in connection.execute(query).all():
            if row.status == "running" and row.attempts >= max_attempts:
                _give_up(connection, row)
                outcome.failed.append(row.id)
            else:
                _requeue(connection, row, queued_lease)
                outcome.republish.append(row.id)
    return outcome


def _requeue(connection: Any, row: Any, queued_lease: float) -> None:
    """Reset an article to `queued` with a fresh lease, counting the new publish."""
    values: dict[str, Any] = {
        "lease_token": None,
        "lease_expires_at": later(queued_lease),
        "publishes": articles.c.publishes + 1,
    }
    if row.status == "running":
        values["error"] = f"attempt {row.attempts} ran past its lease (worker lost?)"
    move(connection, row.id, row.status, "queued", **values)


def due_now(engine: Engine, article_ids: list[int]) -> None:
    """Make queued articles due for the reconciler at once (their publish failed)."""
    with write_transaction(engine) as connection:
        for start in range(0, len(article_ids), 500):
            chunk = article_ids[start : start + 500]
            connection.execute(
                update(articles)
                .where(articles.c.id.in_(chunk), articles.c.status == "queued")
                .values(lease_expires_at=now())
            )
