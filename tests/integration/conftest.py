"""Integration fixtures: a throwaway PostgreSQL database, a Redis database and real workers.

Every test gets empty tables, an empty Redis database, in-process apps made by
`service.create_app` (real PostgreSQL and Redis behind a Flask test client) and, on request,
`dyad worker` subprocesses that are stopped when the test ends. Tests that need the servers
are skipped when PostgreSQL or Redis cannot be reached.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from service.cli import stop_process

REPO = Path(__file__).resolve().parents[2]
SEED_ARTICLES = REPO / "seeds" / "articles.jsonl"
HOST = "127.0.0.1"
REDIS_PORT = 6379
REDIS_LOCK_KEY = "dyad-integration-owner"
# Short leases and a fast reconciler, so that recoveries happen within a test's patience.
SETTINGS: dict[str, Any] = {
    "RECONCILE_INTERVAL": 1,
    "QUEUED_LEASE_SECONDS": 30,
    "TASK_TIME_LIMIT": 60,
    "LEASE_SECONDS": 90,
    "MAX_ATTEMPTS": 3,
    "BROKER_TIMEOUT": 2.0,
}
TABLES = "job_articles, events, jobs, articles, idempotency_keys"
FINISHED = frozenset(("done", "partial", "failed"))
WORKER_STOP_GRACE = 20
LOG_TAIL_LINES = 200


# --- Redis: one empty database number, claimed for the session -------------------------------


@pytest.fixture(scope="session")
def redis_db(redis_reachable: None) -> Iterator[int]:
    """Claim an empty Redis database among 1..15 for this session; flush it at the end."""
    import redis

    token = uuid.uuid4().hex
    for number in random.sample(range(1, 16), 15):
        client = redis.Redis(host=HOST, port=REDIS_PORT, db=number, socket_connect_timeout=2)
        if client.dbsize() == 0 and client.set(REDIS_LOCK_KEY, token, nx=True):
            try:
                yield number
            finally:
                client.flushdb()
                client.close()
            return
        client.close()
    pytest.skip("no empty Redis database among 1..15")


# --- workers and apps ------------------------------------------------------------------------


@dataclass
class Worker:
    """A `dyad worker` subprocess and its log file."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        """Return everything the worker has written so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """Return the end of the worker's log."""
        return "\n".join(self.log().splitlines()[-lines:])

    def check_alive(self) -> None:
        """Fail with the worker's log if it has exited."""
        code = self.process.poll()
        if code is not None:
            raise AssertionError(f"the worker exited with {code}:\n{self.log_tail()}")

    def stop(self, grace: float = WORKER_STOP_GRACE) -> None:
        """Warm-shut the worker down with SIGTERM; kill its process group after `grace` s."""
        stop_process(self.process, grace, whole_group=True)


class Service:
    """A real app in this process (PostgreSQL and Redis) behind a Flask test client."""

    def __init__(self, app: Flask, stack: Stack) -> None:
        self.app = app
        self.client = app.test_client()
        self.stack = stack

    def submit(self, body: bytes, content_type: str = "application/x-ndjson") -> dict[str, Any]:
        """POST a batch to /api/v1/jobs and return the 202 answer."""
        response = self.client.post("/api/v1/jobs", data=body, content_type=content_type)
        assert response.status_code == 202, response.get_data(as_text=True)
        return response.get_json()

    def job(self, job_id: str) -> dict[str, Any]:
        """GET a job's state."""
        response = self.client.get(f"/api/v1/jobs/{job_id}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def wait_for_job(self, job_id: str, timeout: float = 120) -> dict[str, Any]:
        """Poll a job until it is finished (done, partial or failed) and return it."""
        job: dict[str, Any] = {}

        def finished() -> bool:
            job.update(self.job(job_id))
            return job["status"] in FINISHED

        self.stack.wait_until(finished, f"job {job_id} to finish (last: {job})", timeout)
        return job

    def reconcile(self) -> dict[str, int]:
        """Run one reconciler pass in this process, publishing through this app's broker."""
        # This app's own task, which runs in this app's context (a process may hold several).
        return self.app.extensions["celery"].tasks["dyad.reconcile"]()

    def publish(self, article_ids: list[int]) -> int:
        """Publish coding tasks for `article_ids` through this app's broker."""
        from workers.tasks import publish

        with self.app.app_context():
            return publish(article_ids)


@dataclass
class Stack:
    """PostgreSQL, Redis and a scratch folder for one test, with its apps and workers."""

    database_url: str
    redis_db: int
    folder: Path
    workers: list[Worker] = field(default_factory=list)

    @property
    def broker_url(self) -> str:
        """Return the Redis URL of this session's database."""
        return f"redis://{HOST}:{REDIS_PORT}/{self.redis_db}"

    def config(self, **overrides: Any) -> dict[str, Any]:
        """Return the app settings: this stack's servers, short leases, then `overrides`."""
        return {
            "DATABASE_URL": self.database_url,
            "BROKER_URL": self.broker_url,
            "DATA_DIR": str(self.folder / "web"),
            **SETTINGS,
            **overrides,
        }

    def service(self, **overrides: Any) -> Service:
        """Create a real app on this stack (its Celery app becomes the current one)."""
        from service import create_app

        return Service(create_app(self.config(**overrides)), self)

    def start_worker(self, beat: bool = True, **overrides: Any) -> Worker:
        """Start `dyad worker --concurrency=2` (with --beat) on this stack."""
        index = len(self.workers)
        data_dir = self.folder / f"worker-{index}"
        data_dir.mkdir(parents=True, exist_ok=True)
        settings = self.config(DATA_DIR=str(data_dir), **overrides)
        env = {name: value for name, value in os.environ.items() if not name.startswith("DYAD_")}
        env.update({f"DYAD_{name}": str(value) for name, value in settings.items()})
        command = [sys.executable, "-m", "service.cli", "worker", "--concurrency=2"]
        if beat:
            command.append("--beat")
        log_path = self.folder / f"worker-{index}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        worker = Worker(process, log_path)
        self.workers.append(worker)
        return worker

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
        """Poll `condition` until true; fail after `timeout` s or as soon as a worker dies."""
        deadline = time.monotonic() + timeout
        while not condition():
            for worker in self.workers:
                worker.check_alive()
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.2)

    @property
    def engine(self) -> Any:
        """Return this process's engine on the test database."""
        from service.storage.engine import get_engine

        return get_engine(self.database_url)

    def sql(self, statement: str, **params: Any) -> list[Any]:
        """Run one SQL statement on the test database and return its rows, if any."""
        from service.storage.engine import get_engine

        with get_engine(self.database_url).begin() as connection:
            result = connection.execute(text(statement), params)
            return list(result) if result.returns_rows else []

    def article(self, article_id: int) -> Any:
        """Return an article's row."""
        rows = self.sql("SELECT * FROM articles WHERE id = :id", id=article_id)
        assert rows, f"no article {article_id}"
        return rows[0]

    def redis(self) -> Any:
        """Return a Redis client on this session's database."""
        import redis

        return redis.Redis(host=HOST, port=REDIS_PORT, db=self.redis_db, socket_connect_timeout=2)

    def flush_redis(self) -> None:
        """Empty this session's Redis database (and keep our claim on it)."""
        client = self.redis()
        try:
            client.flushdb()
            client.set(REDIS_LOCK_KEY, "claimed")
        finally:
            client.close()


@pytest.fixture
def stack(postgres_url: str, redis_db: int, tmp_path: Path) -> Iterator[Stack]:
    """Return the servers with empty tables and queue; stop this test's workers at the end."""
    current = Stack(postgres_url, redis_db, tmp_path)
    current.sql(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
    current.flush_redis()
    try:
        yield current
    finally:
        for worker in current.workers:
            worker.stop()
        for index, worker in enumerate(current.workers):
            # Captured, so shown only when the test fails.
            print(f"--- worker {index} log (tail) ---\n{worker.log_tail()}")


@pytest.fixture(scope="session")
def seed_batch() -> bytes:
    """Return the seed articles as an NDJSON body."""
    return SEED_ARTICLES.read_bytes()
