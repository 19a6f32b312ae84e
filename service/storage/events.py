"""Event queries: filters, keyset pages and streamed rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from service.storage.engine import read_connection
from service.storage.tables import EVENT_COLUMNS, events, job_articles, jobs


@dataclass(frozen=True)
class EventFilter:
    """The filters every events endpoint accepts; code prefixes are checked by the schema."""

    job_id: str | None = None
    article_id: int | None = None
    date_from: str | None = None
    date_to: str | None = None
    source: str | None = None
    target: str | None = None
    event_code: str | None = None
    quad_class: int | None = None
    country: str | None = None
    location_country: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    # The API key whose jobs' events are visible; None sees every event (an admin key, or
    # access control off).
    owner: str | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        """Translate the filters into WHERE clauses."""
        clauses: list[ColumnElement[bool]] = []
        if self.owner is not None:
            clauses.append(events.c.article_id.in_(owned_articles(self.owner)))
        if self.job_id is not None:
            in_job = select(job_articles.c.article_id).where(job_articles.c.job_id == self.job_id)
            clauses.append(events.c.article_id.in_(in_job))
        if self.article_id is not None:
            clauses.append(events.c.article_id == self.article_id)
        if self.date_from:
            clauses.append(events.c.date >= self.date_from)
        if self.date_to:
            # "2021-12-07" <= "2021-12-07~" keeps every event of the last day, however precise.
            clauses.append(events.c.date <= self.date_to + "~")
        for column, prefix in (
            (events.c.source_code, self.source),
            (events.c.target_code, self.target),
            (events.c.event_code, self.event_code),
        ):
            if prefix:
                clauses.append(column.startswith(prefix, autoescape=True))
        if self.quad_class is not None:
            clauses.append(events.c.quad_class == self.quad_class)
        if self.location_country:
            clauses.append(events.c.location_country == self.location_country)
        if self.bbox:
            west, south, east, north = self.bbox
            clauses += [
                events.c.longitude.between(west, east),
                events.c.latitude.between(south, north),
            ]
        if self.country:
            clauses.append(
                or_(
                    events.c.source_code.startswith(self.country, autoescape=True),
                    events.c.target_code.startswith(self.country, autoescape=True),
                )
            )
        return clauses


def owned_articles(owner: str) -> Any:
    """Select the ids of the articles in the jobs an API key created."""
    return (
        select(job_articles.c.article_id)
        .join(jobs, jobs.c.id == job_articles.c.job_id)
        .where(jobs.c.owner == owner)
    )


def page_events(
    engine: Engine, where: EventFilter, after: int, limit: int
) -> tuple[list[dict[str, Any]], int | None]:
    """Return up to `limit` events after id `after`, and the cursor of the next page."""
    columns = [events.c.id, *(events.c[name] for name in EVENT_COLUMNS)]
    query = (
        select(*columns)
        .where(events.c.id > after, *where.clauses())
        .order_by(events.c.id)
        .limit(limit + 1)
    )
    with read_connection(engine) as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    next_after = rows[limit - 1]["id"] if len(rows) > limit else None
    return [_public(row) for row in rows[:limit]], next_after


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """Drop the internal row id from an event row."""
    row.pop("id")
    return row


def article_events(engine: Engine, article_id: int) -> list[dict[str, Any]]:
    """Return every event of one article, in order."""
    rows, _ = page_events(engine, EventFilter(article_id=article_id), 0, 1_000_000)
    return rows


def summarise(engine: Engine, where: EventFilter, top: int) -> dict[str, Any]:
    """Count the matching events by day and quad class, and name the busiest dyads (by root)."""
    day_precise = events.c.date_precision == "day"
    by_day = (
        select(events.c.date, events.c.quad_class, func.count().label("events"))
        .where(*where.clauses(), day_precise)
        .group_by(events.c.date, events.c.quad_class)
        .order_by(events.c.date, events.c.quad_class)
    )
    source_root = func.substr(events.c.source_code, 1, 3).label("source")
    target_root = func.substr(events.c.target_code, 1, 3).label("target")
    dyads = (
        select(source_root, target_root, func.count().label("events"))
        .where(*where.clauses())
        .group_by(source_root, target_root)
        .order_by(func.count().desc(), source_root, target_root)
        .limit(top)
    )
    totals = select(func.count(), func.count().filter(day_precise)).where(*where.clauses())
    with read_connection(engine) as connection:
        total, on_days = connection.execute(totals).one()
        days: dict[str, dict[str, int]] = {}
        for day, quad, count in connection.execute(by_day):
            days.setdefault(day, dict.fromkeys(("1", "2", "3", "4"), 0))[str(quad)] = count
        top_dyads = [dict(row) for row in connection.execute(dyads).mappings()]
    return {
        "total": total,
        "dated_to_the_day": on_days,
        "by_day": [{"date": day, "quad_classes": counts} for day, counts in days.items()],
        "top_dyads": top_dyads,
    }
