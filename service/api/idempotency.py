"""The Idempotency-Key header: a retried POST gets the first answer back, not a second job."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Request
from flask_smorest import abort
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from schemas.fields import check_storable
from service.storage.clock import now
from service.storage.engine import write_transaction
from service.storage.tables import idempotency_keys

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
# status_code of a key whose request is still running.
PENDING = 0
# A key pending this long belongs to a request that died; the next one may take it over.
ABANDONED_AFTER = 60
Answer = tuple[dict[str, Any], int]


def request_fingerprint(request: Request) -> str:
    """Hash what makes two requests the same: method, path, content type and body."""
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.content_type or ""):
        digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def idempotent(engine: Engine, request: Request, handle: Callable[[], Answer]) -> Answer:
    """Run `handle` once per Idempotency-Key and replay its answer for a repeated key."""
    key = request.headers.get(HEADER)
    if key is None:
        return handle()
    check_key(key)
    key = scoped(key)
    fingerprint = request_fingerprint(request)
    if not claim(engine, key, fingerprint):
        return replay(find(engine, key), fingerprint)
    try:
        body, status = handle()
    except BaseException:
        forget(engine, key)  # refused or failed: the same key may be sent again
        raise
    remember(engine, key, body, status)
    return body, status


def scoped(key: str) -> str:
    """Give each API key its own Idempotency-Keys, so that one never replays another's job."""
    from service.api.access import requester

    owner = requester()
    if owner is None:
        return key
    return "key:" + hashlib.sha256(f"{owner}\x00{key}".encode("utf-8", "surrogatepass")).hexdigest()


def check_key(key: str) -> None:
    """Refuse an empty, overlong or unstorable key."""
    try:
        check_storable(key)
    except Exception:
        abort(422, errors={"headers": {HEADER: ["Contains characters that cannot be stored."]}})
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        abort(422, errors={"headers": {HEADER: [f"Must be 1 to {MAX_KEY_LENGTH} characters."]}})


def claim(engine: Engine, key: str, fingerprint: str) -> bool:
    """Take the key before running the request, so that a concurrent twin cannot run too."""
    try:
        with write_transaction(engine) as connection:
            connection.execute(
                idempotency_keys.insert().values(
                    key=key,
                    request_hash=fingerprint,
                    status_code=PENDING,
                    response="",
                    created_at=now(),
                )
            )
        return True
    except IntegrityError:
        return take_over_abandoned(engine, key, fingerprint)


def take_over_abandoned(engine: Engine, key: str, fingerprint: str) -> bool:
    """Take a key whose first request died before answering (pending for too long)."""
    with write_transaction(engine) as connection:
        result = connection.execute(
            update(idempotency_keys)
            .where(
                idempotency_keys.c.key == key,
                idempotency_keys.c.status_code == PENDING,
                idempotency_keys.c.request_hash == fingerprint,
                idempotency_keys.c.created_at < now() - timedelta(seconds=ABANDONED_AFTER),
            )
            .values(created_at=now())
        )
    return result.rowcount == 1


def find(engine: Engine, key: str) -> Any:
    """Return the stored answer for `key`, if any."""
    with engine.connect() as connection:
        return connection.execute(
            select(idempotency_keys).where(idempotency_keys.c.key == key)
        ).first()


def replay(stored: Any, fingerprint: str) -> Answer:
    """Return the stored answer, or refuse a key reused for another request or still running."""
    if stored is None or stored.status_code == PENDING:
        abort(409, message=f"A request with this {HEADER} is still being handled; retry.")
    if stored.request_hash != fingerprint:
        abort(409, message=f"This {HEADER} was already used for a different request.")
    return json.loads(stored.response), stored.status_code


def remember(engine: Engine, key: str, body: dict[str, Any], status: int) -> None:
    """Store the answer for `key`."""
    with write_transaction(engine) as connection:
        connection.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.key == key)
            .values(status_code=status, response=json.dumps(body, default=str))
        )


def forget(engine: Engine, key: str) -> None:
    """Release a key whose request was refused or failed."""
    with write_transaction(engine) as connection:
        connection.execute(delete(idempotency_keys).where(idempotency_keys.c.key == key))
