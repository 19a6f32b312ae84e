"""The API: blueprints, the OpenAPI document and one JSON error format for every failure."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify
from flask_smorest import Api
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from service.storage.engine import get_engine

log = logging.getLogger(__name__)


def init_api(app: Flask) -> Api:
    """Register the blueprints and the error handlers on `app`."""
    from service.api import articles, codebook, events, exports, health, jobs

    api = Api(app)
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
