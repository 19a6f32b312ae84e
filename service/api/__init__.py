"""The API: blueprints, the OpenAPI document and one JSON error format for every failure."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify
from flask_smorest import Api
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from service.storage.engine import get_engine

log = logging.getLogger(__name__)
# The error body's fields, in the README's order.
ERROR_KEYS = ("code", "status", "message", "errors")
INVALID = "Invalid input: see errors."


class DyadApi(Api):
    """flask-smorest's Api, whose error answers always carry a message and their own headers."""

    def handle_http_exception(self, error: HTTPException):
        """Answer as flask-smorest does, adding Werkzeug's description and headers."""
        payload, code, headers = super().handle_http_exception(error)
        # Refused fields come with errors by field and no message; an unknown path, a wrong
        # method or an oversized body is raised by Werkzeug, whose description says what it is.
        payload.setdefault("message", INVALID if "errors" in payload else error.description)
        body = {key: payload[key] for key in ERROR_KEYS if key in payload}
        # A 405 must list the allowed methods (RFC 9110); flask-smorest drops Werkzeug's headers.
        own = {name: value for name, value in error.get_headers() if name != "Content-Type"}
        return body, code, {**own, **(headers or {})}


def init_api(app: Flask) -> Api:
    """Register the blueprints and the error handlers on `app`."""
    from schemas.fields import ClientId
    from service.api import articles, codebook, events, exports, health, jobs
    from service.api.access import init_access

    init_access(app)
    api = DyadApi(app)
    if app.config["AUTH_REQUIRED"]:
        api.spec.components.security_scheme("apiKey", {"type": "http", "scheme": "bearer"})
        api.spec.options["security"] = [{"apiKey": []}]
    # A client id may be a string or an integer: the field documents both (anyOf), not a type.
    api.register_field(ClientId, None, None)
    for module in (articles, jobs, events, exports, codebook):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    api.register_blueprint(health.blp)
    app.register_error_handler(OperationalError, database_unavailable)
    # Every pooled connection busy for the pool's whole timeout: the database is saturated.
    app.register_error_handler(PoolTimeout, database_unavailable)
    app.register_error_handler(DBAPIError, database_error)
    app.json.sort_keys = False
    return api


def engine() -> Engine:
    """Return this process's engine for the app's database."""
    return get_engine(current_app.config["DATABASE_URL"])


def database_unavailable(error: Exception):
    """Answer 503 with Retry-After when the database cannot be reached (or is locked)."""
    log.warning("database unavailable: %s", error)
    response = jsonify(
        code=503, status="Service Unavailable", message="The database is unavailable; retry."
    )
    response.status_code = 503
    response.headers["Retry-After"] = str(current_app.config["RETRY_AFTER_SECONDS"])
    return response


def database_error(error: DBAPIError):
    """Treat a lost connection as unavailability; anything else is our bug, logged as a 500."""
    if error.connection_invalidated:
        return database_unavailable(error)
    log.error("database error", exc_info=error)
    response = jsonify(code=500, status="Internal Server Error", message="Database error.")
    response.status_code = 500
    return response
