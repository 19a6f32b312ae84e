"""Access control: API keys sent as `Authorization: Bearer …`, owners, and rate limits per key.

Off in the embedded default (`DYAD_AUTH_REQUIRED` false): every request may read everything.
On, every API request needs a live key; a job or export belongs to the key that created it, and
another key asking for it gets 404, as for an id that does not exist. An admin key reads all.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_smorest import abort

from service.storage.keys import ApiKey, find_key

# Health checks and the API's description are open: load balancers and clients need them.
# (/healthz and /readyz themselves are outside /api/, where no key is ever asked for.)
PUBLIC_PATHS = frozenset(("/api/v1/healthz", "/api/v1/readyz", "/api/v1/openapi.json"))


def init_access(app: Flask) -> Limiter:
    """Check keys before every request, then count it against its key's rate limit."""
    # Registered before the limiter's own hook, so that the limit is counted per key.
    app.before_request(authenticate)
    # Limits are per key; with access control off there are no keys, and no limits.
    limited = bool(app.config["AUTH_REQUIRED"] and app.config["RATE_LIMIT"])
    limits = [app.config["RATE_LIMIT"]] if limited else []
    return Limiter(
        enabled=limited,
        key_func=limit_key,
        app=app,
        default_limits=limits,
        default_limits_exempt_when=is_public,
        storage_uri=limit_storage(app.config),
        # Redis down: count in this process's memory rather than refuse or fail requests.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
        headers_enabled=True,
    )


def limit_storage(config: dict[str, Any]) -> str:
    """Keep the counts in Redis when the broker is Redis (shared by every web process)."""
    if config["RATE_LIMIT_STORAGE"]:
        return config["RATE_LIMIT_STORAGE"]
    broker = config["BROKER_URL"]
    return broker if broker.startswith(("redis://", "rediss://")) else "memory://"


def is_public() -> bool:
    """Tell whether the request is for a path anyone may call."""
    return request.path in PUBLIC_PATHS or not request.path.startswith("/api/")


def authenticate() -> None:
    """Find the request's key, answering 401 when one is required and missing or not live."""
    g.api_key = None
    if not current_app.config["AUTH_REQUIRED"] or is_public():
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        refuse("Send an API key: `Authorization: Bearer <key>` (see `dyad keys create`).")
    from service.api import engine

    key = find_key(engine(), secret.strip())
    if key is None:
        refuse("This API key is unknown or was revoked.")
    g.api_key = key


def refuse(message: str) -> None:
    """Answer 401, saying which scheme to use."""
    abort(401, message=message, headers={"WWW-Authenticate": 'Bearer realm="dyad"'})


def limit_key() -> str:
    """Count requests per API key, or per client address when there is none."""
    key = current_key()
    return f"key:{key.id}" if key else f"address:{get_remote_address()}"


def current_key() -> ApiKey | None:
    """Return the request's API key; None without one, and outside a request (the CLI is run
    by the operator, who may read everything)."""
    return g.get("api_key") if has_request_context() else None


def requester() -> str | None:
    """Return the id of the key making the request: the owner of what it creates."""
    key = current_key()
    return key.id if key else None


def visible_owner() -> str | None:
    """Return the key whose jobs the request may read, or None when it may read every job."""
    key = current_key()
    return None if key is None or key.admin else key.id


def may_read(owner: str | None) -> bool:
    """Tell whether the request may read a job or export created by `owner`."""
    allowed = visible_owner()
    return allowed is None or owner == allowed
