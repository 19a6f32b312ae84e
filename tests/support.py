"""Helpers the tests share: read the in-memory queue, force states, build event records."""

from __future__ import annotations

from typing import Any


def drain_tasks(app) -> list[tuple[str, list]]:
    """Take every message off the in-memory queues: (task name, args), control queue first."""
    if app.config["BROKER_URL"] != "memory://":
        return []
    from workers import CONTROL_QUEUE, TASK_QUEUE

    celery_app = app.extensions["celery"]
    taken = []
    with celery_app.connection_for_read() as connection:
        for name in (CONTROL_QUEUE, TASK_QUEUE):
            queue = connection.SimpleQueue(name)
            while True:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    break
                taken.append((message.headers["task"], list(message.decode()[0])))
                message.ack()
            queue.close()
    return taken


def force_state(engine, article_id: int, status: str, **values: Any) -> None:
    """Put an article in a state, as a crash or a test would, keeping its jobs' counts true."""
    from sqlalchemy import select

    from service.storage.tables import articles
    from service.storage.work import move

    with engine.begin() as connection:
        old = connection.execute(select(articles.c.status).where(articles.c.id == article_id))
        move(connection, article_id, old.scalar_one(), status, **values)


def record(n: int, **values) -> dict:
    """Return a complete event record, numbered `n`, with `values` overriding."""
    base = {
        "article_id": "0", "event_id": f"e{n:05d}", "sentence_index": n,
        "sentence": f"Sentence {n}.", "source_code": "RUSGOV", "source_name": "Russia",
        "source_text": "Russia", "source_start": 0, "source_end": 6, "target_code": "USAGOV",
        "target_name": "United States", "target_text": "Washington", "target_start": 16,
        "target_end": 26, "event_code": "010", "event_base_code": "010",
        "event_root_code": "01", "quad_class": 1, "goldstein": 0.0, "event_text": "said",
        "event_start": 7, "event_end": 11,
        "negated": False, "hypothetical": False, "future": False, "confidence": 0.7,
        "date": "2021-12-07", "date_precision": "day", "date_text": "",
        "date_source": "publication", "location_name": "", "location_country": "",
        "admin1": "", "latitude": None, "longitude": None, "geonameid": None,
        "location_precision": "", "location_reason": "", "coder_version": "0.1.0",
        "dictionary_version": "abc",
    }  # fmt: skip
    return {**base, **values}


ROLES = ("source", "target", "event")


def spans_read_back(text: str, events: list) -> int:
    """Assert that text[start:end] is each cited span; return how many spans were checked."""
    checked = 0
    for event in events:
        for role in ROLES:
            start, end = getattr(event, f"{role}_start"), getattr(event, f"{role}_end")
            words = getattr(event, f"{role}_text")
            if not words:  # an actor the coder could not find is cited nowhere
                assert start is None and end is None, event
                continue
            assert start is not None, (role, event)
            assert text[start:end] == words, (role, text[start:end], event)
            checked += 1
    return checked


def code_with(app, article_id: int, records: list[dict]) -> None:
    """Store `records` as an article's events, through the worker's own write path."""
    from service.storage import work
    from service.storage.engine import get_engine

    engine = get_engine(app.config["DATABASE_URL"])
    held = work.claim(engine, article_id, 60, 3)
    assert held is not None
    assert work.save_events(engine, held, records)
