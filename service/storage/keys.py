"""API keys: created and revoked with `dyad keys`, stored as a hash of their secret."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from service.storage.clock import now
from service.storage.engine import read_connection, write_transaction
from service.storage.tables import api_keys

ROLES = ("user", "admin")
SECRET_PREFIX = "dyad_"
SHOWN_CHARACTERS = 12  # of the secret, kept to tell keys apart in a listing


@dataclass(frozen=True)
class ApiKey:
    """A stored key, without its secret."""

    id: str
    name: str
    prefix: str
    role: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def admin(self) -> bool:
        """Tell whether the key may read every job."""
        return self.role == "admin"


def secret_hash(secret: str) -> str:
    """Hash a secret for storage and lookup (a random 256-bit secret needs no slow hash)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def create_key(engine: Engine, name: str, role: str = "user") -> tuple[ApiKey, str]:
    """Store a new key and return it with its secret, which is never shown again."""
    if role not in ROLES:
        raise ValueError(f"a key's role is one of {', '.join(ROLES)}")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    row = {"id": uuid.uuid4().hex, "name": name, "secret_hash": secret_hash(secret),
           "prefix": secret[:SHOWN_CHARACTERS], "role": role, "created_at": now(),
           "revoked_at": None}  # fmt: skip
    with write_transaction(engine) as connection:
        connection.execute(api_keys.insert().values(**row))
    return as_key(row), secret


def list_keys(engine: Engine) -> list[ApiKey]:
    """Return every key, oldest first, revoked ones included."""
    with read_connection(engine) as connection:
        rows = connection.execute(select(api_keys).order_by(api_keys.c.created_at)).mappings()
        return [as_key(row) for row in rows]


def revoke_key(engine: Engine, key_id: str) -> bool:
    """Revoke a key; False when there is no such key or it was already revoked."""
    with write_transaction(engine) as connection:
        moved = connection.execute(
            update(api_keys)
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=now())
        )
    return moved.rowcount == 1


def find_key(engine: Engine, secret: str) -> ApiKey | None:
    """Return the live key with this secret, or None."""
    with read_connection(engine) as connection:
        row = connection.execute(
            select(api_keys).where(
                api_keys.c.secret_hash == secret_hash(secret), api_keys.c.revoked_at.is_(None)
            )
        ).mappings().first()
    return as_key(row) if row else None


def as_key(row: Any) -> ApiKey:
    """Turn a stored row into an ApiKey."""
    return ApiKey(row["id"], row["name"], row["prefix"], row["role"], row["created_at"],
                  row["revoked_at"])  # fmt: skip
