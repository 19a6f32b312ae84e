"""Liveness and readiness probes."""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import text

from service.api import engine

blp = Blueprint("health", __name__, description="Liveness and readiness probes.")


@blp.route("/healthz")
@blp.route("/api/v1/healthz", endpoint="healthz_v1")
class Health(MethodView):
    @blp.response(200)
    def get(self):
        """Answer while the process is alive."""
        return {"status": "ok"}


@blp.route("/readyz")
@blp.route("/api/v1/readyz", endpoint="readyz_v1")
class Ready(MethodView):
    @blp.response(200)
    @blp.alt_response(503, description="The database or the broker cannot be reached.")
    def get(self):
        """Check that the database and the broker can be reached."""
        checks = {"database": database_check(), "broker": broker_check()}
        ready = all(value == "ok" for value in checks.values())
        headers = {} if ready else {"Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"])}
        body = {"status": "ok" if ready else "unavailable", **checks}
        return body, 200 if ready else 503, headers


def database_check() -> str:
    """Run a trivial query; return "ok" or the reason it failed."""
    try:
        with engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        return f"unreachable: {type(error).__name__}"
    return "ok"


def broker_check() -> str:
    """Connect to the broker (or check the queue folder); return "ok" or the reason."""
    celery_app = current_app.extensions["celery"]
    if current_app.config["BROKER_URL"].startswith("filesystem"):
        folder = Path(celery_app.conf.broker_transport_options["data_folder_in"])
        return "ok" if folder.is_dir() else "queue folder missing"
    timeout = current_app.config["BROKER_TIMEOUT"]
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as error:
        return f"unreachable: {type(error).__name__}"
    return "ok"
