"""Bundle export jobs: created by the API, built by a worker, downloaded when done."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from service.storage.clock import as_utc, now
from service.storage.engine import read_connection, write_transaction
from service.storage.tables import exports


def create_export(engine: Engine, request: dict[str, Any], owner: str | None = None) -> str:
    """Store a queued export of `request` (its filters and options), asked for by the API key
    `owner`, and return its id."""
    export_id = uuid.uuid4().hex
    with write_transaction(engine) as connection:
        connection.execute(exports.insert().values(
            id=export_id, status="queued", request=json.dumps(request), created_at=now(),
            owner=owner,
        ))  # fmt: skip
    return export_id


def get_export(engine: Engine, export_id: str) -> dict[str, Any] | None:
    """Return an export's row (its request decoded), or None."""
    with read_connection(engine) as connection:
        row = connection.execute(select(exports).where(exports.c.id == export_id)).mappings()
        found = row.first()
    return {**found, "request": json.loads(found["request"])} if found else None


def claim_export(engine: Engine, export_id: str) -> bool:
    """Move a queued export to running; False when another delivery already took it."""
    with write_transaction(engine) as connection:
        moved = connection.execute(
            update(exports)
            .where(exports.c.id == export_id, exports.c.status == "queued")
            .values(status="running", started_at=now())
        )
    return moved.rowcount == 1


def finish_export(engine: Engine, export_id: str, rows: int, size: int) -> None:
    """Mark a running export done with its row count and size."""
    with write_transaction(engine) as connection:
        connection.execute(
            update(exports).where(exports.c.id == export_id)
            .values(status="done", rows=rows, bytes=size, finished_at=now())
        )  # fmt: skip


def fail_export(engine: Engine, export_id: str, error: str) -> None:
    """Mark an export failed with the reason."""
    with write_transaction(engine) as connection:
        connection.execute(
            update(exports).where(exports.c.id == export_id)
            .values(status="failed", error=error[:2000], finished_at=now())
        )  # fmt: skip


def waiting_exports(engine: Engine, older_than_seconds: float) -> list[str]:
    """Return the exports still queued after this long (their message may have been lost)."""
    cutoff = now().timestamp() - older_than_seconds
    with read_connection(engine) as connection:
        rows = connection.execute(
            select(exports.c.id, exports.c.created_at).where(exports.c.status == "queued")
        ).all()
    return [row.id for row in rows if as_utc(row.created_at).timestamp() <= cutoff]


def expire_exports(engine: Engine, retention_hours: float) -> list[str]:
    """Mark `expired`, and return, the exports built longer ago than the retention time."""
    cutoff = now() - timedelta(hours=retention_hours)
    return move_older(engine, "done", exports.c.finished_at, cutoff, {"status": "expired"})


def requeue_stalled_exports(engine: Engine, lease_seconds: float) -> list[str]:
    """Put back in the queue, and return, the exports running longer than a lease (their
    worker died mid-build)."""
    cutoff = now() - timedelta(seconds=lease_seconds)
    moved = {"status": "queued", "started_at": None}
    return move_older(engine, "running", exports.c.started_at, cutoff, moved)


def move_older(
    engine: Engine, status: str, moment: Any, cutoff: Any, values: dict[str, Any]
) -> list[str]:
    """Set `values` on the exports in `status` whose `moment` is before `cutoff`; return them."""
    with write_transaction(engine) as connection:
        ids = [row.id for row in connection.execute(
            select(exports.c.id).where(exports.c.status == status, moment < cutoff)
        )]  # fmt: skip
        if ids:
            # The status is checked again: a row that moved on meanwhile is left alone.
            connection.execute(
                update(exports).where(exports.c.id.in_(ids), exports.c.status == status)
                .values(values)
            )  # fmt: skip
    return ids
