"""Shared fixtures: paths to the repo, its seeds, and the shared gold data beside it."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import drain_tasks

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


# --- the local servers (.ci/run starts them): skip what needs one that is down ----------------

HOST = "127.0.0.1"
POSTGRES_PORT = 5432
REDIS_PORT = 6379


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    """Tell whether a TCP connection to host:port succeeds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require(port: int, name: str) -> None:
    """Skip the test when a server is not listening on the local port."""
    if not reachable(HOST, port):
        pytest.skip(f"{name} is not reachable on {HOST}:{port}")


@pytest.fixture(scope="session")
def redis_reachable() -> None:
    """Skip the test when Redis is not listening on the local port."""
    require(REDIS_PORT, "Redis")


# --- PostgreSQL: one fresh, migrated database per session ------------------------------------


def postgres_admin() -> Any:
    """Connect to the `postgres` database in autocommit, as `postgres` or else the OS user."""
    import psycopg

    failures = []
    for user in ("postgres", None):
        try:
            return psycopg.connect(
                host=HOST, port=POSTGRES_PORT, dbname="postgres", user=user,
                autocommit=True, connect_timeout=5,
            )  # fmt: skip
        except psycopg.OperationalError as error:
            failures.append(f"{user or 'default user'}: {error}".strip())
    pytest.skip("cannot connect to PostgreSQL: " + "; ".join(failures))


def drop_database(admin: Any, name: str, url: str) -> None:
    """Close this process's engine on the database, end other sessions on it, and drop it."""
    from service.storage.engine import get_engine

    get_engine(url).dispose()
    get_engine.cache_clear()
    end_sessions_and_drop(admin, name)


def end_sessions_and_drop(admin: Any, name: str) -> None:
    """End every other session on a database, then drop it."""
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        (name,),
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def new_database(prefix: str) -> tuple[Any, str, str]:
    """Create an empty database; return the admin connection, its name and its URL."""
    require(POSTGRES_PORT, "PostgreSQL")
    admin = postgres_admin()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    return admin, name, f"postgresql+psycopg://{admin.info.user}@{HOST}:{POSTGRES_PORT}/{name}"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """Create and migrate a database for this session; drop it at the end."""
    from service.storage.migrate import upgrade

    admin, name, url = new_database("dyad_it")
    try:
        upgrade(url)
        yield url
    finally:
        drop_database(admin, name, url)
        admin.close()


@pytest.fixture
def scratch_postgres_url() -> Iterator[str]:
    """Create an empty database for one test (never migrated); drop it afterwards."""
    from service.storage.engine import get_engine

    admin, name, url = new_database("dyad_scratch")
    try:
        yield url
    finally:
        # Only this database's engine: clearing the whole cache would orphan other pools.
        get_engine(url).dispose()
        end_sessions_and_drop(admin, name)
        admin.close()


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
    from service.storage.engine import get_engine
    from service.storage.migrate import upgrade

    urls = set()

    def make(**overrides: object):
        app = create_app(service_config(tmp_path, **overrides))
        upgrade(app.config["DATABASE_URL"])
        urls.add(app.config["DATABASE_URL"])
        drain_tasks(app)
        return app

    yield make
    for url in urls:  # close the pooled connections; the engines themselves stay cached
        get_engine(url).dispose()


@pytest.fixture
def app(make_app):
    """Return an app on a fresh database with an empty queue."""
    return make_app()


@pytest.fixture(params=["sqlite", "postgresql"])
def app_on_each_database(request, make_app):
    """Return an empty app on SQLite, then on PostgreSQL (skipped when it is unreachable)."""
    if request.param == "sqlite":
        return make_app()
    from sqlalchemy import text

    from service.storage.engine import get_engine
    from service.storage.tables import metadata

    url = request.getfixturevalue("postgres_url")
    with get_engine(url).begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(metadata.tables)} RESTART IDENTITY CASCADE"))
    return make_app(DATABASE_URL=url)


@pytest.fixture
def client(app):
    """Return a test client of `app`."""
    return app.test_client()


@pytest.fixture
def queued(app):
    """Return a function that drains and returns the article ids published so far."""

    def take() -> list[int]:
        return [args[0] for name, args in drain_tasks(app) if name == "dyad.code_article"]

    return take


# --- the hostile-input suite's figures --------------------------------------------------------


def pytest_terminal_summary(terminalreporter) -> None:
    """Report how many requests the hostile suite sent and how many were server errors."""
    from tests.hostile import TALLY

    if TALLY.requests:
        modules = ", ".join(f"{count} {module}" for module, count in sorted(TALLY.sent.items()))
        terminalreporter.write_line(f"hostile input: {TALLY.requests} requests ({modules}), "
                                    f"{len(TALLY.server_errors)} server errors")  # fmt: skip
