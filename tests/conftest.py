"""Shared fixtures: paths to the repo, its seeds, and the shared gold data beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def repo() -> Path:
    """Return the repository root."""
    return REPO


@pytest.fixture(scope="session")
def shared() -> Path:
    """Return ../shared, skipping the test when it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


# --- the service, on a temporary SQLite database and Celery's in-memory broker ---------------


def service_config(tmp_path: Path, **overrides: object) -> dict[str, object]:
    """Return a test config: SQLite and an in-memory broker under `tmp_path`."""
    return {
        "TESTING": True,
        "DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dyad.sqlite3'}",
        "BROKER_URL": "memory://",
        **overrides,
    }


@pytest.fixture
def make_app(tmp_path: Path):
    """Return a factory of migrated apps; keyword arguments override the test config."""
    from service import create_app
    from service.storage.migrate import upgrade

    def make(**overrides: object):
        app = create_app(service_config(tmp_path, **overrides))
        upgrade(app.config["DATABASE_URL"])
        drain_tasks(app)
        return app

    return make


@pytest.fixture
def app(make_app):
    """Return an app on a fresh database with an empty queue."""
    return make_app()


@pytest.fixture
def client(app):
    """Return a test client of `app`."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """Return a CLI runner of `app`."""
    return app.test_cli_runner()


def drain_tasks(app) -> list[tuple[str, list]]:
    """Take every message off the in-memory queue: (task name, args) in publish order."""
    if app.config["BROKER_URL"] != "memory://":
        return []
    celery_app = app.extensions["celery"]
    taken = []
    with celery_app.connection_for_read() as connection:
        queue = connection.SimpleQueue("dyad")
        while True:
            try:
                message = queue.get(block=False)
            except queue.Empty:
                break
            args = message.decode()[0]
            taken.append((message.headers["task"], list(args)))
            message.ack()
        queue.close()
    return taken


@pytest.fixture
def queued(app):
    """Return a function that drains and returns the article ids published so far."""

    def take() -> list[int]:
        return [args[0] for name, args in drain_tasks(app) if name == "dyad.code_article"]

    return take
