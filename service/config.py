"""Configuration defaults; `DYAD_*` environment variables override them (see the README)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MEGABYTE = 1024 * 1024


def default_config(data_dir: Path) -> dict[str, Any]:
    """Return the embedded defaults: SQLite and a file queue under `data_dir`."""
    return {
        "DATA_DIR": str(data_dir),
        # Storage and broker. The defaults need no server; set both to reach PostgreSQL/Redis.
        "DATABASE_URL": f"sqlite:///{data_dir / 'dyad.sqlite3'}",
        "BROKER_URL": "filesystem://",
        "QUEUE_DIR": str(data_dir / "queue"),
        # Request limits: the whole body, one article's text, and one batch.
        "MAX_CONTENT_LENGTH": 64 * MEGABYTE,
        "MAX_ARTICLE_CHARS": 1_000_000,
        "MAX_BATCH_ARTICLES": 10_000,
        # Work leases. A task must finish within TASK_TIME_LIMIT; an article left `running` past
        # its lease, or `queued` past QUEUED_LEASE_SECONDS, is re-published by the reconciler.
        "TASK_TIME_LIMIT": 300,
        "LEASE_SECONDS": 360,
        "QUEUED_LEASE_SECONDS": 900,
        "MAX_ATTEMPTS": 3,
        "RECONCILE_INTERVAL": 30,
        # Redis redelivers an unacknowledged task after this long; keep it above the time limit.
        "VISIBILITY_TIMEOUT": 3600,
        # Access control: with it on, every API request needs a key (`dyad keys create`), a key
        # reads only its own jobs, and each key may make RATE_LIMIT requests (flask-limiter's
        # notation), counted in Redis when the broker is Redis, else in each process's memory.
        "AUTH_REQUIRED": False,
        "RATE_LIMIT": "1200 per minute",
        "RATE_LIMIT_STORAGE": "",
        # For fault tests only: accept a visibility timeout and a lease below the time limit,
        # and look for unacknowledged tasks every second, so that tasks are delivered twice.
        "ALLOW_EARLY_REDELIVERY": False,
        # How long a publish may wait for a broker that is down before the article is left
        # `queued` for the reconciler.
        "BROKER_TIMEOUT": 2.0,
        "RETRY_AFTER_SECONDS": 5,
        # Batches of this many new articles or more are fanned out to tasks by a worker.
        "DISPATCH_THRESHOLD": 50,
        # A built bundle's file is deleted this long after it was built; the export stays
        # listed as `expired`, and the same request can be made again.
        "EXPORT_RETENTION_HOURS": 168,
        # flask-smorest and the OpenAPI document at /api/v1/openapi.json.
        "API_TITLE": "Dyad",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }


def check_config(config: dict[str, Any]) -> None:
    """Refuse settings that would make the queue redeliver running tasks."""
    if config["ALLOW_EARLY_REDELIVERY"]:
        return
    if config["TASK_TIME_LIMIT"] >= config["VISIBILITY_TIMEOUT"]:
        raise ValueError("DYAD_TASK_TIME_LIMIT must be below DYAD_VISIBILITY_TIMEOUT")
    if config["LEASE_SECONDS"] <= config["TASK_TIME_LIMIT"]:
        raise ValueError("DYAD_LEASE_SECONDS must exceed DYAD_TASK_TIME_LIMIT")
