"""Reading one article with its state."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select

from service.storage.clock import as_utc
from service.storage.engine import read_connection
from service.storage.tables import articles

PUBLIC_COLUMNS = (
    "id", "client_id", "title", "url", "source", "published_at", "language", "metadata",
    "status", "attempts", "error", "n_events", "created_at", "started_at", "finished_at",
)  # fmt: skip


def get_article(engine: Engine, article_id: int) -> dict[str, Any] | None:
    """Return an article's fields and state (not its text), or None if unknown."""
    columns = [articles.c[name] for name in PUBLIC_COLUMNS]
    with read_connection(engine) as connection:
        row = connection.execute(select(*columns).where(articles.c.id == article_id)).first()
    if row is None:
        return None
    article = dict(row._mapping)
    article["article_id"] = article.pop("id")
    article["id"] = article.pop("client_id")
    article["metadata"] = None if article["metadata"] is None else json.loads(article["metadata"])
    for name in ("created_at", "started_at", "finished_at"):
        article[name] = as_utc(article[name])
    return article
