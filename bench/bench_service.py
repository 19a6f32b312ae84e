"""Measure the HTTP service on PostgreSQL and Redis: ingest, end-to-end coding, polls, CSV export.

Every figure comes from real processes: `dyad web` (gunicorn) and `dyad worker` subprocesses on
a scratch PostgreSQL database (created, then dropped) and an empty Redis database (flushed at
the end). Requests go out from this process over keep-alive `http.client` connections.

    python bench/bench_service.py [--quick] [--write BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sections import write_section

from schemas.events import CSV_COLUMNS
from service.cli import stop_process

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds" / "articles.jsonl"
HOST = "127.0.0.1"
POSTGRES_PORT = 5432
REDIS_PORT = 6379
REDIS_DB = 14
# The integration tests claim Redis databases with this key; holding it keeps them off ours.
REDIS_LOCK_KEY = "dyad-integration-owner"
TABLES = "job_articles, events, jobs, articles, idempotency_keys"
FINISHED = frozenset(("done", "partial", "failed"))
API = "/api/v1"
READ_CHUNK = 1 << 20
EVENTS_PER_ARTICLE = 10
COPY_ROWS = 50_000
START_TIMEOUT = 60.0
STOP_GRACE = 30.0

# Targets from the issue, on this 2-core machine.
INGEST_TARGET = 1_000.0
POLL_P99_TARGET_MS = 50.0
EXPORT_TARGET = 100_000.0
RSS_GROWTH_TARGET_MB = 50.0

PHASES = ("ingest", "jobs", "export")


@dataclass(frozen=True)
class Sizes:
    """How much work each measurement does."""

    batches: int
    batch_size: int
    e2e_articles: int
    clients: int
    poll_seconds: float
    export_sizes: tuple[int, ...]


FULL = Sizes(10, 1000, 1000, 20, 10.0, (100_000, 1_000_000))
QUICK = Sizes(2, 1000, 100, 20, 5.0, (10_000, 100_000))


@dataclass
class Figures:
    """Everything measured, for the report."""

    ingest: dict[str, Any] = field(default_factory=dict)
    e2e: dict[str, Any] = field(default_factory=dict)
    poll: dict[str, Any] = field(default_factory=dict)
    exports: list[dict[str, Any]] = field(default_factory=list)
    # The 1-minute load average before each phase: other work on the machine skews figures.
    load: dict[str, float] = field(default_factory=dict)


# --- the scratch database and Redis ---------------------------------------------------------


def admin_connection() -> Any:
    """Connect to the `postgres` database in autocommit."""
    import psycopg

    return psycopg.connect(
        host=HOST, port=POSTGRES_PORT, dbname="postgres", user="postgres", autocommit=True
    )


@contextmanager
def scratch_database() -> Iterator[str]:
    """Create and migrate a fresh database; drop it at the end."""
    from service.storage.migrate import upgrade

    name = f"dyad_bench_{uuid.uuid4().hex[:8]}"
    with admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        url = f"postgresql+psycopg://postgres@{HOST}:{POSTGRES_PORT}/{name}"
        try:
            upgrade(url)
            yield url
        finally:
            _dispose_engines()
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def _dispose_engines() -> None:
    """Close the engines the migration left in this process."""
    from service.storage.engine import get_engine

    get_engine.cache_clear()


@contextmanager
def scratch_redis() -> Iterator[str]:
    """Claim an empty Redis database (14 first) and flush it at the end."""
    import redis

    token = uuid.uuid4().hex
    for number in (REDIS_DB, *range(15, 0, -1)):
        client = redis.Redis(host=HOST, port=REDIS_PORT, db=number)
        if client.dbsize() == 0 and client.set(REDIS_LOCK_KEY, token, nx=True):
            try:
                yield f"redis://{HOST}:{REDIS_PORT}/{number}"
            finally:
                client.flushdb()
                client.close()
            return
        client.close()
    raise SystemExit("no empty Redis database among 1..15")


def flush_queue(broker: str) -> None:
    """Drop queued tasks from the broker, keeping the claim key."""
    import redis

    client = redis.Redis.from_url(broker)
    for key in client.scan_iter():
        if key.decode() != REDIS_LOCK_KEY:
            client.delete(key)
    client.close()


def pg_connect(url: str) -> Any:
    """Open a psycopg connection (autocommit) on the bench database."""
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def empty_tables(url: str) -> None:
    """Remove every row of the service's tables."""
    with pg_connect(url) as connection:
        connection.execute(f"TRUNCATE {TABLES} RESTART IDENTITY")


# --- processes ------------------------------------------------------------------------------


@dataclass
class Env:
    """Where the service processes point: database, broker and a data folder."""

    database: str
    broker: str
    data_dir: str
    port: int

    def variables(self) -> dict[str, str]:
        """Return the environment for `dyad` subprocesses."""
        return {
            **os.environ,
            "DYAD_DATABASE_URL": self.database,
            "DYAD_BROKER_URL": self.broker,
            "DYAD_DATA_DIR": self.data_dir,
        }


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def spawn(env: Env, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
    """Start `dyad <args>` in its own process group, logging to the data folder."""
    return start_dyad(args, env.variables(), Path(env.data_dir) / log_name)


def start_dyad(args: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start `dyad <args>` in its own process group, appending its output to `log`."""
    output = open(log, "ab")  # noqa: SIM115 - closed with the process
    command = [sys.executable, "-m", "service.cli", *args]
    return subprocess.Popen(command, env=environment, cwd=REPO, stdout=output, stderr=output,
                            start_new_session=True)  # fmt: skip


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process we started with SIGTERM, then its whole group (pool children too)."""
    stop_process(process, STOP_GRACE, whole_group=True)


@contextmanager
def web_server(env: Env, workers: int) -> Iterator[subprocess.Popen[bytes]]:
    """Run `dyad web` until the block ends, once /readyz answers 200."""
    args = ["web", "--host", HOST, "--port", str(env.port), "--web-workers", str(workers)]
    process = spawn(env, args, "web.log")
    try:
        wait_ready(process, env.port)
        yield process
    finally:
        stop(process)


@contextmanager
def worker(env: Env, concurrency: int) -> Iterator[subprocess.Popen[bytes]]:
    """Run `dyad worker` until the block ends."""
    args = ["worker", f"--concurrency={concurrency}", "--loglevel=WARNING"]
    process = spawn(env, args, "worker.log")
    try:
        yield process
    finally:
        stop(process)


def wait_ready(process: subprocess.Popen[bytes], port: int) -> None:
    """Poll /readyz until it answers 200; fail if the server exits or takes too long."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"dyad web exited with {process.returncode}")
        try:
            status, _ = request(connect(port), "GET", "/readyz")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("dyad web did not become ready")


def worker_pids(master: int) -> list[int]:
    """Return the pids of a gunicorn master's worker processes."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def memory_mb(pid: int) -> dict[str, float]:
    """Return a process's current (VmRSS) and peak (VmHWM) resident memory in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values


# --- HTTP -----------------------------------------------------------------------------------


def connect(port: int) -> http.client.HTTPConnection:
    """Open a keep-alive connection to the server."""
    return http.client.HTTPConnection(HOST, port, timeout=600)


def request(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, bytes]:
    """Send one request on a kept-alive connection; return its status and body."""
    headers = {"Content-Type": content_type} if body is not None else {}
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
    except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
        # gunicorn closes a connection left idle for its keep-alive time (2 s): reconnect.
        connection.close()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
    return response.status, response.read()


def get_json(connection: http.client.HTTPConnection, path: str) -> dict[str, Any]:
    """GET a JSON document, failing on any status but 200."""
    status, body = request(connection, "GET", path)
    if status != 200:
        raise SystemExit(f"GET {path} answered {status}: {body[:300]!r}")
    return json.loads(body)


def submit(connection: http.client.HTTPConnection, body: bytes) -> dict[str, Any]:
    """POST a batch to /jobs and return the 202 answer."""
    status, answer = request(connection, "POST", f"{API}/jobs", body)
    if status != 202:
        raise SystemExit(f"POST /jobs answered {status}: {answer[:300]!r}")
    return json.loads(answer)


# --- articles -------------------------------------------------------------------------------


def seed_articles() -> list[dict[str, str]]:
    """Return the seed articles."""
    return [json.loads(line) for line in SEEDS.read_text(encoding="utf-8").splitlines()]


def article(seeds: list[dict[str, str]], index: int, run: str) -> dict[str, str]:
    """Build a distinct article of 2-4 KB from a seed, with a unique closing line."""
    seed = seeds[index % len(seeds)]
    length = 2000 + (index * 397) % 2000
    text = seed["text"][:length]
    text += f"\n\nFiled as dispatch {index} of run {run}; reference {uuid.uuid4().hex}."
    return {"id": f"bench-{run}-{index}", "text": text, "published_at": seed["published_at"]}


def batch_bodies(count: int, size: int, run: str) -> list[bytes]:
    """Encode `count` POST /jobs bodies of `size` distinct articles each."""
    seeds = seed_articles()
    bodies = []
    for number in range(count):
        items = [article(seeds, number * size + i, run) for i in range(size)]
        bodies.append(json.dumps({"articles": items}).encode("utf-8"))
    return bodies


# --- ingest ---------------------------------------------------------------------------------


def measure_ingest(env: Env, sizes: Sizes) -> dict[str, Any]:
    """POST batches one after the other on one connection; return the accept rate."""
    bodies = batch_bodies(sizes.batches + 1, sizes.batch_size, uuid.uuid4().hex[:8])
    connection = connect(env.port)
    submit(connection, bodies[0])  # warm-up: first request of each code path
    seconds = []
    for body in bodies[1:]:
        start = time.perf_counter()
        answer = submit(connection, body)
        seconds.append(time.perf_counter() - start)
        if answer["accepted"] != sizes.batch_size:
            raise SystemExit(f"only {answer['accepted']} of {sizes.batch_size} accepted")
    connection.close()
    total = sizes.batches * sizes.batch_size
    return {
        "batches": sizes.batches,
        "batch_size": sizes.batch_size,
        "mb_per_batch": statistics.mean(len(body) for body in bodies) / 2**20,
        "rate": total / sum(seconds),
        "median_batch_s": statistics.median(seconds),
        "best_rate": sizes.batch_size / min(seconds),
    }


# --- end to end -----------------------------------------------------------------------------


def wait_finished(connection: http.client.HTTPConnection, job_id: str, interval: float) -> dict:
    """Poll a job until it is finished; return its last state."""
    while True:
        job = get_json(connection, f"{API}/jobs/{job_id}")
        if job["status"] in FINISHED:
            return job
        time.sleep(interval)


def measure_e2e(env: Env, sizes: Sizes) -> dict[str, Any]:
    """Time 1,000 articles from POST to `done` with a warmed-up 2-process worker."""
    run = uuid.uuid4().hex[:8]
    warm, body = batch_bodies(1, 8, run + "w")[0], batch_bodies(1, sizes.e2e_articles, run)[0]
    connection = connect(env.port)
    start = time.perf_counter()
    wait_finished(connection, submit(connection, warm)["job_id"], 0.5)
    warmup = time.perf_counter() - start
    start = time.perf_counter()
    job_id = submit(connection, body)["job_id"]
    job = wait_finished(connection, job_id, 0.25)
    seconds = time.perf_counter() - start
    connection.close()
    return {
        "articles": sizes.e2e_articles,
        "seconds": seconds,
        "rate": sizes.e2e_articles / seconds,
        "status": job["status"],
        "events": job["counts"]["events"],
        "warmup_s": warmup,
        "job_id": job_id,
    }


# --- polling a job --------------------------------------------------------------------------


def poll_client(port: int, path: str, until: float, latencies: list[float], errors: list) -> None:
    """GET `path` in a loop on one keep-alive connection until `until`."""
    connection = connect(port)
    while time.perf_counter() < until:
        start = time.perf_counter()
        try:
            status, _ = request(connection, "GET", path)
        except (OSError, http.client.HTTPException) as error:
            errors.append(repr(error))
            connection.close()
            connection = connect(port)
            continue
        latencies.append(time.perf_counter() - start)
        if status != 200:
            errors.append(status)
    connection.close()


def poll_process(port: int, path: str, until: float) -> tuple[list[float], list[Any]]:
    """Run one polling client in its own process and return its latencies and errors."""
    latencies: list[float] = []
    errors: list[Any] = []
    poll_client(port, path, until, latencies, errors)
    return latencies, errors


def measure_poll(env: Env, sizes: Sizes, job_id: str) -> dict[str, Any]:
    """Hit GET /jobs/{id} from concurrent keep-alive clients; return latency percentiles."""
    # One process per client, as real clients are: threads of one process would queue on its
    # GIL and count that wait as server latency.
    path = f"{API}/jobs/{job_id}"
    until = time.perf_counter() + sizes.poll_seconds
    with multiprocessing.get_context("fork").Pool(sizes.clients) as pool:
        results = pool.starmap(poll_process, [(env.port, path, until)] * sizes.clients)
    latencies = [latency for found, _ in results for latency in found]
    errors = [error for _, found in results for error in found]
    ordered = sorted(latencies)
    return {
        "clients": sizes.clients,
        "requests": len(ordered),
        "rate": len(ordered) / sizes.poll_seconds,
        "p50_ms": percentile(ordered, 50) * 1000,
        "p99_ms": percentile(ordered, 99) * 1000,
        "max_ms": ordered[-1] * 1000,
        "errors": len(errors),
    }


def percentile(ordered: list[float], percent: float) -> float:
    """Return the nearest-rank percentile of sorted values."""
    rank = max(1, round(percent / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


# --- synthetic events -----------------------------------------------------------------------


def seed_sentences() -> list[str]:
    """Return sentences of the seed articles, one line each, for synthetic events."""
    sentences = []
    for record in seed_articles():
        for part in record["text"].replace("\n", " ").split(". "):
            if 60 <= len(part) <= 400:
                sentences.append(part.strip() + ".")
    return sentences


ROLES = (("GOV", "government"), ("MIL", "military"), ("OPP", "opposition"), ("", ""),
         ("BUS", "business"), ("MED", "media"), ("REB", "rebels"))  # fmt: skip
CODES = (("042", "04", 1, 1.9), ("190", "19", 4, -10.0), ("036", "03", 1, 4.0),
         ("112", "11", 3, -2.0), ("057", "05", 1, 8.0), ("173", "17", 4, -5.0))  # fmt: skip
FIRST_DAY = date(2019, 1, 1)
DAYS = 1000


@lru_cache(maxsize=1)
def bench_countries() -> list[Any]:
    """Return the coder's countries in a fixed order."""
    from coder.layouts import countries

    return sorted(set(countries().values()), key=lambda country: country.iso3)


def actor(index: int) -> tuple[str, str, str]:
    """Return the code, name and text of one of about 1,750 synthetic actors."""
    nations = bench_countries()
    country = nations[index % len(nations)]
    suffix, role = ROLES[index % len(ROLES)]
    name = f"{country.name} {role}".strip()
    return f"{country.iso3}{suffix}", name, f"the {name}"


def copy_text(value: Any) -> str:
    """Escape one value for COPY's text format."""
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def event_line(index: int, sentences: list[str]) -> str:
    """Build one events row (COPY text format) for the synthetic event `index`.

    Actors, codes, days and places vary as in a real dataset (about 1,750 actor codes, 1,000
    days, 250 countries), so that nothing the export computes once per value is flattered.
    """
    source, target = actor(index), actor(index * 3 + 1)
    code, root, quad, goldstein = CODES[index % len(CODES)]
    day = FIRST_DAY + timedelta(days=index * 13 % DAYS)
    place = bench_countries()[index * 11 % len(bench_countries())]
    values = (
        index // EVENTS_PER_ARTICLE + 1, f"{index:016x}", index % 20,
        sentences[index % len(sentences)], *source, 0, 20, *target, 30, 45, code, code[:3], root,
        quad, goldstein, "met with", 21, 29, "f", "f", "t" if index % 7 == 0 else "f", 0.8,
        day.isoformat(), "day", "on Tuesday", "text", place.name, place.iso2, "",
        round(46.20222 + index % 1000 / 1000, 5), 6.14569, 2660646 + index % 250, "country",
        "sentence", "0.1.0", "bench",
    )  # fmt: skip
    return "\t".join(copy_text(value) for value in values) + "\n"


def article_line(article_id: int, moment: str) -> str:
    """Build one articles row (COPY text format) to own synthetic events."""
    values = (article_id, f"{article_id:064x}", "synthetic", "coded", 1, 1, moment, moment,
              EVENTS_PER_ARTICLE)  # fmt: skip
    return "\t".join(str(value) for value in values) + "\n"


def load_events(url: str, first: int, last: int) -> float:
    """COPY synthetic events `first`..`last`-1 and their articles in; return the seconds."""
    sentences = seed_sentences()
    moment = datetime.now(UTC).isoformat()
    articles = range(first // EVENTS_PER_ARTICLE + 1, (last - 1) // EVENTS_PER_ARTICLE + 2)
    article_columns = ("id, content_hash, text, status, attempts, publishes, lease_expires_at, "
                       "created_at, n_events")  # fmt: skip
    start = time.perf_counter()
    with pg_connect(url) as connection, connection.cursor() as cursor:
        with cursor.copy(f"COPY articles ({article_columns}) FROM STDIN") as copy:
            copy.write("".join(article_line(number, moment) for number in articles))
        with cursor.copy(f"COPY events ({', '.join(CSV_COLUMNS)}) FROM STDIN") as copy:
            for chunk in range(first, last, COPY_ROWS):
                stop_at = min(chunk + COPY_ROWS, last)
                copy.write("".join(event_line(i, sentences) for i in range(chunk, stop_at)))
        cursor.execute("ANALYZE events")
    return time.perf_counter() - start


# --- CSV export -----------------------------------------------------------------------------


# Issue 5: the GDELT layout as csv, nothing merged, at half of PostgreSQL's own COPY or better.
GDELT_EXPORT = f"{API}/events/export?layout=gdelt&format=csv"
GDELT_SHARE_TARGET = 0.5


def read_csv(port: int, path: str) -> tuple[int, int, float]:
    """GET a CSV download; return its data rows, bytes and seconds."""
    connection = connect(port)
    start = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    if response.status != 200:
        raise SystemExit(f"GET {path} answered {response.status}")
    lines = size = 0
    while chunk := response.read1(READ_CHUNK):
        lines += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.perf_counter() - start
    connection.close()
    return lines - 1, size, seconds  # the header is not a row (sentences hold no newline)


def postgres_copy(url: str) -> tuple[int, float]:
    """Time PostgreSQL's own COPY of the same columns to CSV; return rows and seconds."""
    query = f"COPY (SELECT {', '.join(CSV_COLUMNS)} FROM events ORDER BY id) TO STDOUT WITH CSV"
    lines = 0
    start = time.perf_counter()
    with pg_connect(url) as connection, connection.cursor() as cursor, cursor.copy(query) as copy:
        for data in copy:
            lines += bytes(data).count(b"\n")
    return lines, time.perf_counter() - start


def postgres_gdelt_copy(url: str) -> float:
    """Time PostgreSQL's COPY of the GDELT SELECT the service sends; return rows per second.

    The share of this rate the service reaches is the cost of serving the file over HTTP.
    """
    from sqlalchemy.dialects import postgresql

    from service.storage.events import EventFilter
    from service.storage.export import spreadsheet_safe
    from service.storage.layout_sql import gdelt_query

    query = gdelt_query(EventFilter(), lambda cell: spreadsheet_safe(cell, "postgresql"))
    compiled = query.compile(
        dialect=postgresql.dialect(),
        compile_kwargs={"literal_binds": True, "render_postcompile": True},
    )
    lines = 0
    start = time.perf_counter()
    statement = f"COPY ({compiled}) TO STDOUT WITH CSV"
    with pg_connect(url) as db, db.cursor() as cursor, cursor.copy(statement) as copy:
        for data in copy:
            lines += bytes(data).count(b"\n")
    return lines / (time.perf_counter() - start)


def measure_export(env: Env, size: int, load_seconds: float) -> dict[str, Any]:
    """Export every event as CSV from a fresh one-worker server; return rate and memory."""
    with web_server(env, 1) as server:
        (pid,) = worker_pids(server.pid)
        before = memory_mb(pid)
        rows, size_bytes, seconds = read_csv(env.port, f"{API}/events.csv")
        after = memory_mb(pid)
        gdelt_rows, gdelt_bytes, gdelt_seconds = read_csv(env.port, GDELT_EXPORT)
        after_gdelt = memory_mb(pid)
    if rows != size or gdelt_rows != size:
        raise SystemExit(f"the exports held {rows} and {gdelt_rows} rows, not {size}")
    pg_rows, pg_seconds = postgres_copy(env.database)
    return {
        "gdelt_sql_rate": postgres_gdelt_copy(env.database),
        "gdelt_rate": gdelt_rows / gdelt_seconds,
        "gdelt_mb": gdelt_bytes / 2**20,
        "gdelt_hwm_mb": after_gdelt["VmHWM"],
        "events": size,
        "load_s": load_seconds,
        "seconds": seconds,
        "rate": rows / seconds,
        "mb": size_bytes / 2**20,
        "rss_before_mb": before["VmRSS"],
        "hwm_mb": after["VmHWM"],
        "pg_rate": pg_rows / pg_seconds,
    }


def measure_exports(env: Env, sizes: Sizes) -> list[dict[str, Any]]:
    """Grow the events table to each size in turn and export it."""
    empty_tables(env.database)
    results, loaded = [], 0
    for size in sizes.export_sizes:
        load_seconds = load_events(env.database, loaded, size)
        loaded = size
        results.append(measure_export(env, size, load_seconds))
        print(f"export {size:,}: {results[-1]}", file=sys.stderr)
    return results


# --- the run and the report -----------------------------------------------------------------


def load_average() -> float:
    """Return the 1-minute load average."""
    return os.getloadavg()[0]


def note(figures: Figures, phase: str, result: Any) -> None:
    """Print a phase's raw figures to stderr as they come."""
    print(f"{phase} (load {figures.load[phase]:.1f}): {result}", file=sys.stderr)


def run_jobs(env: Env, sizes: Sizes, figures: Figures) -> None:
    """Measure end-to-end coding, then polls of the finished job, with a worker running."""
    flush_queue(env.broker)
    empty_tables(env.database)
    with web_server(env, 2), worker(env, 2):
        figures.load["jobs"] = load_average()
        figures.e2e = measure_e2e(env, sizes)
        note(figures, "jobs", figures.e2e)
        figures.poll = measure_poll(env, sizes, figures.e2e["job_id"])
        note(figures, "jobs", figures.poll)


def run(sizes: Sizes, phases: tuple[str, ...]) -> Figures:
    """Measure the chosen phases against fresh servers on a scratch database."""
    figures = Figures()
    with scratch_database() as database, scratch_redis() as broker:
        env = Env(database, broker, tempfile.mkdtemp(prefix="dyad-bench-"), free_port())
        print(f"server and worker logs in {env.data_dir}", file=sys.stderr)
        if "ingest" in phases:
            with web_server(env, 2):
                figures.load["ingest"] = load_average()
                figures.ingest = measure_ingest(env, sizes)
                note(figures, "ingest", figures.ingest)
        if "jobs" in phases:
            run_jobs(env, sizes, figures)
        if "export" in phases:
            figures.load["export"] = load_average()
            figures.exports = measure_exports(env, sizes)
    return figures


def machine() -> str:
    """Describe the machine: CPU model, cores, RAM, Python."""
    cpu = platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    python = platform.python_version()
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, Python {python}"


def verdict(ok: bool) -> str:
    """Mark a figure as meeting its target or not."""
    return "yes" if ok else "**no**"


def ingest_rows(figures: Figures) -> list[str]:
    """The table row for ingest."""
    ingest = figures.ingest
    if not ingest:
        return []
    return [
        f"| ingest, POST /jobs of {ingest['batch_size']:,} articles "
        f"({ingest['mb_per_batch']:.1f} MB), {ingest['batches']} batches, one client | "
        f"{ingest['rate']:,.0f} articles/s (best batch {ingest['best_rate']:,.0f}) | "
        f"≥ {INGEST_TARGET:,.0f} | {verdict(ingest['rate'] >= INGEST_TARGET)} |"
    ]


def job_rows(figures: Figures) -> list[str]:
    """Table rows for end-to-end coding and job polls."""
    e2e, poll = figures.e2e, figures.poll
    if not e2e:
        return []
    return [
        f"| end to end, {e2e['articles']:,} articles, `dyad worker --concurrency=2` | "
        f"{e2e['seconds']:.1f} s ({e2e['rate']:.1f} articles/s, {e2e['events']:,} events, "
        f"{e2e['status']}) | — | — |",
        f"| GET /jobs/{{id}}, {poll['clients']} clients, {poll['requests']:,} requests | "
        f"p50 {poll['p50_ms']:.1f} ms, p99 {poll['p99_ms']:.1f} ms "
        f"({poll['rate']:,.0f} req/s, {poll['errors']} errors) | "
        f"p99 < {POLL_P99_TARGET_MS:.0f} ms | {verdict(poll['p99_ms'] < POLL_P99_TARGET_MS)} |",
    ]


def gdelt_rows(figures: Figures) -> list[str]:
    """Table rows for the GDELT-layout exports against PostgreSQL's own COPY (issue 5)."""
    rows = []
    for export in figures.exports:
        share = export["gdelt_rate"] / export["pg_rate"]
        rows.append(
            f"| `GET /events/export?layout=gdelt&format=csv`, {export['events']:,} events "
            f"({export['gdelt_mb']:.0f} MB) | {export['gdelt_rate']:,.0f} rows/s, "
            f"**{share:.2f}** of PostgreSQL's COPY ({export['pg_rate']:,.0f} rows/s); worker "
            f"peak RSS {export['gdelt_hwm_mb']:.0f} MB. PostgreSQL's COPY of the GDELT SELECT "
            f"alone: {export['gdelt_sql_rate']:,.0f} rows/s | ≥ {GDELT_SHARE_TARGET} of COPY | "
            f"{verdict(share >= GDELT_SHARE_TARGET)} |"
        )
    return rows + rss_growth_row(figures, "gdelt_hwm_mb", "peak RSS growth of the GDELT export")


def export_rows(figures: Figures) -> list[str]:
    """Table rows for the CSV exports and the RSS growth between the sizes."""
    rows = []
    for export in figures.exports:
        rows.append(
            f"| GET /events.csv, {export['events']:,} events ({export['mb']:.0f} MB) | "
            f"{export['rate']:,.0f} rows/s in {export['seconds']:.1f} s; worker peak RSS "
            f"{export['hwm_mb']:.0f} MB (idle {export['rss_before_mb']:.0f} MB); "
            f"PostgreSQL COPY {export['pg_rate']:,.0f} rows/s | ≥ {EXPORT_TARGET:,.0f} rows/s | "
            f"{verdict(export['rate'] >= EXPORT_TARGET)} |"
        )
    return rows + rss_growth_row(figures, "hwm_mb", "peak RSS growth")


def rss_growth_row(figures: Figures, key: str, label: str) -> list[str]:
    """Return the table row of a peak-RSS growth from the smallest export to the largest."""
    if len(figures.exports) < 2:
        return []
    small, large = figures.exports[0], figures.exports[-1]
    growth = round(large[key] - small[key])  # an int: no "-0"
    return [
        f"| {label}, {small['events']:,} → {large['events']:,} events | "
        f"{growth:+d} MB ({small[key]:.1f} → {large[key]:.1f} MB) | "
        f"< {RSS_GROWTH_TARGET_MB:.0f} MB | {verdict(growth < RSS_GROWTH_TARGET_MB)} |"
    ]


def report(figures: Figures) -> str:
    """Render the figures as a Markdown section body."""
    loads = ", ".join(f"{phase} {load:.1f}" for phase, load in figures.load.items())
    return "\n".join(
        [
            f"Machine: {machine()}. Date: {datetime.now(UTC):%Y-%m-%d}. `dyad web` (gunicorn "
            "gthread, 2 workers of 2 threads; 1 worker for the exports, fresh per size) on "
            "PostgreSQL and "
            "Redis on the same machine; status clients are separate processes. 1-minute "
            f"load average before each phase: {loads} (anything above 0 is other work).",
            "",
            "| measurement | result | target | met |",
            "|---|---|---|---|",
            *ingest_rows(figures),
            *job_rows(figures),
            *export_rows(figures),
            *gdelt_rows(figures),
        ]
    )


def parse_args() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke test")
    parser.add_argument("--export-sizes", help="comma-separated event counts, e.g. 10000,100000")
    parser.add_argument(
        "--phases", default=",".join(PHASES), help=f"comma-separated, of {', '.join(PHASES)}"
    )
    parser.add_argument("--write", type=Path, help="update this Markdown file's Service section")
    return parser.parse_args()


def main() -> None:
    """Run the benchmark and print (and optionally write) the table."""
    args = parse_args()
    sizes = QUICK if args.quick else FULL
    if args.export_sizes:
        counts = tuple(int(count) for count in args.export_sizes.split(","))
        sizes = Sizes(**{**sizes.__dict__, "export_sizes": counts})
    phases = tuple(args.phases.split(","))
    if unknown := set(phases) - set(PHASES):
        raise SystemExit(f"unknown phases: {', '.join(sorted(unknown))}")
    body = report(run(sizes, phases))
    print(body)
    if args.write:
        write_section(args.write, "service", "Service", body)


if __name__ == "__main__":
    main()
