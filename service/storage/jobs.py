"""Submitting articles and reading job state."""

from __future__ import annotations

import hashlib
import json
import unicodedata
import uuid
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from sqlalchemy import Engine, bindparam, case, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.elements import ColumnElement

from service.storage.clock import as_utc, later, now
from service.storage.engine import read_connection, write_transaction
from service.storage.events import owned_articles
from service.storage.tables import REJECTIONS_KEPT, articles, job_articles, jobs

ARTICLE_FIELDS = ("client_id", "title", "url", "source", "published_at", "language")
ERRORS_SHOWN = 100


@dataclass(frozen=True)
class NewArticle:
    """An article as accepted from a client, before it has a row."""

    text: str
    client_id: str | None = None
    title: str | None = None
    url: str | None = None
    source: str | None = None
    published_at: str | None = None
    language: str | None = None
    metadata: dict[str, Any] | None = None

    @cached_property
    def content_hash(self) -> str:
        """Hash the normalised text and url: the same story sent twice is one article."""
        text = " ".join(unicodedata.normalize("NFC", self.text).split())
        key = f"{text}\x1f{(self.url or '').strip()}"
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Submission:
    """What a submit stored: the job, each item's article id, and the articles to publish."""

    job_id: str
    article_ids: list[int]
    new_ids: list[int] = field(default_factory=list)


def submit(
    engine: Engine,
    items: list[NewArticle],
    rejected: list[dict[str, Any]],
    queued_lease: float,
    owner: str | None = None,
) -> Submission:
    """Store a job (owned by the API key `owner`) and its articles in one transaction; existing
    articles are reused."""
    job_id = uuid.uuid4().hex
    with write_transaction(engine) as connection:
        stored, new_ids = _store_articles(connection, items, queued_lease)
        article_ids = [stored[item.content_hash].id for item in items]
        counts = _initial_counts([stored[item.content_hash] for item in items])
        connection.execute(
            jobs.insert().values(
                id=job_id,
                created_at=now(),
                n_articles=len(items),
                n_rejected=len(rejected),
                rejected=json.dumps(rejected[:REJECTIONS_KEPT]),
                owner=owner,
                **counts,
            )
        )
        connection.execute(
            job_articles.insert(),
            [
                {"job_id": job_id, "position": position, "article_id": article_id}
                for position, article_id in enumerate(article_ids)
            ],
        )
    # Publish in the order the client sent them (rows were inserted in hash order).
    created = set(new_ids)
    in_order = [article_id for article_id in dict.fromkeys(article_ids) if article_id in created]
    return Submission(job_id, article_ids, in_order)


@dataclass(frozen=True)
class Stored:
    """What a job needs to know of each of its articles when it is created."""

    id: int
    status: str = "queued"
    n_events: int | None = None
    started_at: Any = None


STATE_COLUMNS = (articles.c.id, articles.c.status, articles.c.n_events, articles.c.started_at)


def _store_articles(
    connection: Any, items: list[NewArticle], queued_lease: float
) -> tuple[dict[str, Stored], list[int]]:
    """Insert the articles not stored yet; return every item's article by hash, and new ids."""
    rows = _article_rows(items, queued_lease)
    insert = _insert_ignoring_duplicates(connection, rows)
    created = connection.execute(insert.returning(articles.c.id, articles.c.content_hash), rows)
    stored = {row.content_hash: Stored(row.id) for row in created}
    new_ids = [article.id for article in stored.values()]
    missing = [row["content_hash"] for row in rows if row["content_hash"] not in stored]
    for start in range(0, len(missing), 500):
        query = (
            select(*STATE_COLUMNS, articles.c.content_hash)
            .where(articles.c.content_hash.in_(missing[start : start + 500]))
            .order_by(articles.c.content_hash)
        )
        if connection.dialect.name == "postgresql":
            # Hold their states still until this job's rows are committed, so that a worker's
            # next move of one of them also moves this job's counts (see work.py).
            query = query.with_for_update(read=True)
        for row in connection.execute(query):
            stored[row.content_hash] = Stored(row.id, row.status, row.n_events, row.started_at)
    return stored, new_ids


def _initial_counts(members: list[Stored]) -> dict[str, Any]:
    """Count a new job's articles by state; reused articles may be running or finished."""
    statuses = [member.status for member in members]
    finished = statuses.count("coded") + statuses.count("failed") == len(members)
    starts = [member.started_at for member in members if member.started_at is not None]
    return {
        "n_running": statuses.count("running"),
        "n_coded": statuses.count("coded"),
        "n_failed": statuses.count("failed"),
        "n_events": sum(member.n_events or 0 for member in members),
        "started_at": min(starts) if starts else None,
        "finished_at": now() if finished else None,
    }


def _article_rows(items: list[NewArticle], queued_lease: float) -> list[dict[str, Any]]:
    """Build one insert row per distinct article."""
    moment, lease = now(), later(queued_lease)
    rows: dict[str, dict[str, Any]] = {}
    for item in items:
        rows.setdefault(
            item.content_hash,
            {
                **{name: getattr(item, name) for name in ARTICLE_FIELDS},
                "content_hash": item.content_hash,
                "text": item.text,
                "metadata": None if item.metadata is None else json.dumps(item.metadata),
                "status": "queued",
                "attempts": 0,
                "publishes": 1,
                "lease_expires_at": lease,
                "created_at": moment,
            },
        )
    # In hash order, so that two batches sharing articles lock them in the same order.
    return [rows[content_hash] for content_hash in sorted(rows)]


def _insert_ignoring_duplicates(connection: Any, rows: list[dict[str, Any]]) -> Any:
    """Return an INSERT that skips rows whose content hash is already stored."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(articles).on_conflict_do_nothing(index_elements=["content_hash"])


# --- reading job state ---------------------------------------------------------------------


def status_expression() -> ColumnElement[str]:
    """Derive a job's status from its counts, in SQL."""
    finished = jobs.c.n_coded + jobs.c.n_failed
    return case(
        (
            finished >= jobs.c.n_articles,
            case(
                (jobs.c.n_failed == 0, literal("done")),
                (jobs.c.n_coded == 0, literal("failed")),
                else_=literal("partial"),
            ),
        ),
        (finished + jobs.c.n_running > 0, literal("running")),
        else_=literal("queued"),
    )


@cache
def _jobs_query() -> Any:
    """Select jobs with their derived status (built once: building costs more than running)."""
    return select(jobs, status_expression().label("status"))


@cache
def _job_by_id() -> Any:
    """Select one job by the bound :job_id (built once, like _jobs_query)."""
    return _jobs_query().where(jobs.c.id == bindparam("job_id"))


def get_job(engine: Engine, job_id: str) -> dict[str, Any] | None:
    """Return a job's state, counts, timestamps and article errors, or None if unknown."""
    with read_connection(engine) as connection:
        row = connection.execute(_job_by_id(), {"job_id": job_id}).first()
        if row is None:
            return None
        job = _job_dict(row)
        job["errors"] = _job_errors(connection, job_id) if row.n_failed else []
    return job


def list_jobs(
    engine: Engine,
    status: str | None,
    before: tuple[str, str] | None,
    limit: int,
    owner: str | None = None,
) -> list[dict[str, Any]]:
    """Return up to `limit` jobs, newest first, after the keyset cursor `before` (only the
    API key `owner`'s when one is given)."""
    query = _jobs_query()
    if owner is not None:
        query = query.where(jobs.c.owner == owner)
    if status:
        query = query.where(status_expression() == status)
    if before:
        created, job_id = before
        query = query.where(
            (jobs.c.created_at < created) | ((jobs.c.created_at == created) & (jobs.c.id < job_id))
        )
    query = query.order_by(jobs.c.created_at.desc(), jobs.c.id.desc()).limit(limit)
    with read_connection(engine) as connection:
        return [_job_dict(row) for row in connection.execute(query)]


def _job_dict(row: Any) -> dict[str, Any]:
    """Shape a job row with its counts."""
    finished = row.n_coded + row.n_failed
    rejected = json.loads(row.rejected)
    return {
        "job_id": row.id,
        "status": row.status,
        "counts": {
            "articles": row.n_articles,
            "queued": row.n_articles - finished - row.n_running,
            "running": row.n_running,
            "coded": row.n_coded,
            "failed": row.n_failed,
            "rejected": row.n_rejected,
            "events": row.n_events,
        },
        "progress": round(finished / row.n_articles, 4) if row.n_articles else 1.0,
        "created_at": as_utc(row.created_at),
        "started_at": as_utc(row.started_at),
        "finished_at": as_utc(row.finished_at) if finished >= row.n_articles else None,
        "rejected": rejected,
        "owner": row.owner,
    }


def _job_article_ids():
    """Select the distinct article ids of a job (bound by :job_id)."""
    return select(job_articles.c.article_id).where(job_articles.c.job_id == bindparam("job_id"))


def _job_errors(connection: Any, job_id: str) -> list[dict[str, Any]]:
    """List the job's failed articles with their reasons (the first ERRORS_SHOWN)."""
    query = (
        select(articles.c.id, articles.c.client_id, articles.c.status, articles.c.error)
        .where(articles.c.id.in_(_job_article_ids()), articles.c.status == "failed")
        .order_by(articles.c.id)
        .limit(ERRORS_SHOWN)
    )
    return [
        {"article_id": r.id, "id": r.client_id, "status": r.status, "error": r.error}
        for r in connection.execute(query, {"job_id": job_id})
    ]


def job_exists(engine: Engine, job_id: str, owner: str | None = None) -> bool:
    """Tell whether a job id is known (and created by the API key `owner`, when given)."""
    query = select(jobs.c.id).where(jobs.c.id == job_id)
    if owner is not None:
        query = query.where(jobs.c.owner == owner)
    with read_connection(engine) as connection:
        found = connection.execute(query).first()
    return found is not None


def article_owned_by(engine: Engine, article_id: int, owner: str) -> bool:
    """Tell whether an article is in a job the API key `owner` created."""
    query = owned_articles(owner).where(job_articles.c.article_id == article_id).limit(1)
    with read_connection(engine) as connection:
        return connection.execute(query).first() is not None
