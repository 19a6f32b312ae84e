"""Database engines: one per process and URL, SQLite tuned for concurrent readers and writers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "dyad_write"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for a bare postgresql:// URL, the form docker images and PaaS hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@cache
def get_engine(url: str) -> Engine:
    """Return this process's engine for `url`, creating it (and a SQLite file's folder) once."""
    # Never evicted: an engine dropped from the cache would leave its pool's connections open.
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return sqlite_engine(url)
    # No pre-ping: it costs a round trip per request. A connection that died with a restarted
    # server fails one request with a 503 (see service/api) and is then replaced.
    return create_engine(url, pool_size=5, max_overflow=10)


def sqlite_engine(url: str) -> Engine:
    """Create a SQLite engine in WAL mode with a busy timeout, so web and workers can share it."""
    database = url.split("///", 1)[1] if "///" in url else ""
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(connection: Connection) -> None:
    """Begin a transaction; a write takes its lock up front (see `write_transaction`)."""
    # A deferred transaction that upgrades to a write can fail at once with "database is
    # locked", busy timeout or not; IMMEDIATE waits for the lock instead.
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Turn on WAL, the busy timeout and foreign keys for a new SQLite connection."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """Open a connection in a transaction that will write, committed on success."""
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin():
            yield connection


def read_connection(engine: Engine) -> Connection:
    """Open a connection for reads that need no transaction: no BEGIN, no ROLLBACK round trip."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection.execution_options(isolation_level="AUTOCOMMIT")
    return connection
