"""The Idempotency-Key header: a retried POST gets the first answer back, not a second job."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Request
from flask_smorest import abort
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from schemas.fields import check_storable
from service.storage.clock import now
from service.storage.engine import write_transaction
from service.storage.tables import idempotency_keys

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
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
    fingerprint = request_fingerprint(request)
    stored = find(engine, key)
    if stored is not None:
        return replay(stored, fingerprint)
    body, status = handle()
    if status < 400:
        remember(engine, key, fingerprint, body, status)
    return body, status


def check_key(key: str) -> None:
    """Refuse an empty, overlong or unstorable key."""
    try:
        check_storable(key)
    except Exception:
        abort(422, errors={"headers": {HEADER: ["Contains characters that cannot be stored."]}})
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        abort(422, errors={"headers": {HEADER: [f"Must be 1 to {MAX_KEY_LENGTH} characters."]}})


def find(engine: Engine, key: str) -> Any:
    """Return the stored answer for `key`, if any."""
    with engine.connect() as connection:
        return connection.execute(
            select(idempotency_keys).where(idempotency_keys.c.key == key)
        ).first()


def replay(stored: Any, fingerprint: str) -> Answer:
    """Return the stored answer, or refuse a key reused for a different request."""
    if stored.request_hash != fingerprint:
        abort(409, message=f"This {HEADER} was already used for a different request.")
    return json.loads(stored.response), stored.status_code


def remember(engine: Engine, key: str, fingerprint: str, body: dict[str, Any], status: int) -> None:
    """Store the answer for `key`; a concurrent twin may have stored it first, which is fine."""
    try:
        with write_transaction(engine) as connection:
            connection.execute(
                idempotency_keys.insert().values(
                    key=key,
                    request_hash=fingerprint,
                    status_code=status,
                    response=json.dumps(body, default=str),
                    created_at=now(),
                )
            )
    except IntegrityError:
        pass
