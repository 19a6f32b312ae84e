"""Fault harness: kill workers and Redis while articles drain, then count what went wrong.

It starts its own Redis (with or without an append-only file), a scratch PostgreSQL database,
`dyad web` and `dyad worker --beat`, all on loopback. It submits N articles, a third as single
POSTs and the rest in batches, each request with an Idempotency-Key, and retries a request that
got no answer with the same key. While they drain it SIGKILLs a pool child three times and the
whole worker process group three times (restarting it), and SIGKILLs and restarts Redis once. A
poller reads every job and article throughout. At the end it compares each article's events
with the coder's own output for the same text (the fault-free run), and prints one table.

    python bench/chaos.py --articles 300             # both Redis modes, as CI runs it
    python bench/chaos.py --articles 5000 --write RELIABILITY.md

The exit code is 1 when anything was lost, duplicated or changed, or the API answered 5xx, or
a status went backwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_service import (
    HOST,
    START_TIMEOUT,
    article,
    free_port,
    machine,
    pg_connect,
    scratch_database,
    seed_articles,
    start_dyad,
    stop,
)
from sections import write_section

API = "/api/v1"
BATCH_SIZE = 20
TERMINAL_ARTICLE = frozenset(("coded", "failed"))
TERMINAL_JOB = frozenset(("done", "partial", "failed"))
# Faults in the order they are injected while the articles drain.
FAULTS = ("child", "group", "redis", "child", "group", "child", "group")
MODES = ("aof", "none")
# Short leases, so that a lost execution is noticed within the run.
SETTINGS = {
    "DYAD_RECONCILE_INTERVAL": "1",
    "DYAD_TASK_TIME_LIMIT": "20",
    "DYAD_LEASE_SECONDS": "25",
    "DYAD_VISIBILITY_TIMEOUT": "60",
    "DYAD_BROKER_TIMEOUT": "1",
    "DYAD_MAX_ATTEMPTS": "5",
}
REQUEST_RETRY_SECONDS = 0.5
POLL_PAUSE = 0.2
PROGRESS_PAUSE = 0.25
FAULT_GAP = 2.0
# About how long one article takes to drain with the faults, on 2 cores.
DRAIN_SECONDS_PER_ARTICLE = 0.06
# Redis stays down this long, so that some submissions meet it down.
REDIS_DOWN_SECONDS = 3.0
# The share of the articles submitted before Redis is killed; the rest go while it is down.
BEFORE_REDIS = 2 / 3
# The fields that make an event the same event in two runs.
COMPARED = ("event_id", "sentence_index", "source_code", "target_code", "event_code", "date",
            "location_name")  # fmt: skip
RECONCILED = re.compile(r"reconciler: re-published (\d+) of")


# --- figures ----------------------------------------------------------------------------------


@dataclass
class Fault:
    """One injected fault and how long the work it interrupted took to finish."""

    kind: str
    at: float
    # The articles it interrupted: those running (for Redis, every unfinished one).
    watched: set[int]
    recovered_after: float | None = None


@dataclass
class Run:
    """Everything one run counted."""

    mode: str
    articles: int
    accepted: set[int] = field(default_factory=set)
    server_errors: int = 0
    retried_requests: int = 0
    regressions: int = 0
    polls: int = 0
    faults: list[Fault] = field(default_factory=list)
    # Times the worker's main process exited on its own and was started again, as a process
    # supervisor (systemd, `restart:` in compose) would.
    supervisor_restarts: int = 0
    outcome: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def failures(self) -> list[str]:
        """Return what must be zero and is not."""
        musts = {"lost": self.outcome.get("lost", 0),
                 "duplicate event rows": self.outcome.get("duplicates", 0),
                 "mismatched articles": self.outcome.get("mismatched", 0),
                 "inconsistent job counts": self.outcome.get("bad_counts", 0),
                 "API 5xx": self.server_errors, "status regressions": self.regressions}  # fmt: skip
        return [f"{name} = {count}" for name, count in musts.items() if count]


# --- processes --------------------------------------------------------------------------------


@dataclass
class Stack:
    """The processes of one run and where they log."""

    folder: Path
    database: str
    redis_port: int
    web_port: int
    mode: str
    # An operator sets it above the time the backlog takes to drain (see the README), or the
    # reconciler re-publishes articles whose messages are only waiting their turn.
    queued_lease: int
    redis: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    web: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        """Return the environment of the `dyad` processes."""
        return {**os.environ, **SETTINGS, "DYAD_QUEUED_LEASE_SECONDS": str(self.queued_lease),
                "DYAD_DATABASE_URL": self.database,
                "DYAD_BROKER_URL": f"redis://{HOST}:{self.redis_port}/0",
                "DYAD_DATA_DIR": str(self.folder / "data")}  # fmt: skip

    def spawn(self, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        """Start `dyad <args>` in its own process group, appending to a log."""
        return start_dyad(args, self.environment(), self.folder / log_name)

    def start_redis(self) -> None:
        """Start Redis with this run's persistence, and wait until it answers."""
        persistence = (["--appendonly", "yes", "--appendfsync", "everysec"] if self.mode == "aof"
                       else ["--appendonly", "no"])  # fmt: skip
        command = ["redis-server", "--port", str(self.redis_port), "--bind", HOST,
                   "--save", "", "--dir", str(self.folder), "--daemonize", "no",
                   "--logfile", str(self.folder / "redis.log"), *persistence]  # fmt: skip
        self.redis = subprocess.Popen(command, start_new_session=True)
        wait_until(lambda: redis_answers(self.redis_port), "Redis did not start")

    def start_worker(self) -> None:
        """Start `dyad worker --beat` with two pool processes."""
        self.worker = self.spawn(["worker", "--beat", "--concurrency=2", "--loglevel=WARNING"],
                                 "worker.log")  # fmt: skip

    def start_web(self) -> None:
        """Start `dyad web` and wait until it is ready."""
        args = ["web", "--host", HOST, "--port", str(self.web_port), "--web-workers", "2"]
        self.web = self.spawn(args, "web.log")
        wait_until(lambda: get_status(self.web_port, "/readyz") == 200, "dyad web did not start")

    def pool_children(self) -> list[int]:
        """Return the pids of the worker's pool processes (not its beat process)."""
        if self.worker is None or self.worker.poll() is not None:
            return []
        return [pid for pid in children(self.worker.pid) if b"ForkPoolWorker" in cmdline(pid)]

    def stop_all(self) -> None:
        """Stop every process of the run."""
        for process in (self.web, self.worker):
            if process is not None and process.poll() is None:
                stop(process)
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            self.redis.wait(30)


def children(pid: int) -> list[int]:
    """Return a process's child pids."""
    try:
        return [int(child) for child in
                Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]  # fmt: skip
    except OSError:
        return []


def cmdline(pid: int) -> bytes:
    """Return a process's command line (its title, once setproctitle has changed it)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def redis_answers(port: int) -> bool:
    """Tell whether Redis answers PING."""
    import redis

    try:
        return bool(redis.Redis(host=HOST, port=port, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def wait_until(ready: Any, message: str) -> None:
    """Poll `ready()` until it is true, or fail after START_TIMEOUT."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.2)
    raise SystemExit(message)


# --- HTTP -------------------------------------------------------------------------------------


def get_status(port: int, path: str) -> int | None:
    """GET a path on a fresh connection; return the status, or None without an answer."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


class Client:
    """A keep-alive connection that reconnects, and counts 5xx answers."""

    def __init__(self, port: int, run: Run) -> None:
        self.port, self.run = port, run
        self.connection = http.client.HTTPConnection(HOST, port, timeout=30)

    def send(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, bytes] | None:  # fmt: skip
        """Send one request; return (status, body), or None when no answer came."""
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            status, data = response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            return None
        if status >= 500:
            self.run.server_errors += 1
        return status, data

    def post_until_answered(self, path: str, body: bytes, key: str) -> dict[str, Any]:
        """POST with an Idempotency-Key, retrying with the same key until it is accepted."""
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        while True:
            answer = self.send("POST", path, body, headers)
            if answer is not None and answer[0] == 202:
                return json.loads(answer[1])
            if answer is not None and answer[0] < 500 and answer[0] != 409:
                raise SystemExit(f"POST {path} answered {answer[0]}: {answer[1][:300]!r}")
            self.run.retried_requests += 1
            time.sleep(REQUEST_RETRY_SECONDS)


# --- submitting and polling -------------------------------------------------------------------


@dataclass
class Submitted:
    """What the client was told: job ids and single article ids, as they came back."""

    jobs: list[str] = field(default_factory=list)
    singles: list[int] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    redis_down: threading.Event = field(default_factory=threading.Event)


def submit_all(stack: Stack, run: Run, submitted: Submitted, tag: str) -> None:
    """Submit the run's articles, a third one by one and the rest in batches; hold the last
    third back until Redis is down."""
    client = Client(stack.web_port, run)
    seeds = seed_articles()
    singles = run.articles // 3
    requests = [(f"{API}/articles", [index]) for index in range(singles)]
    requests += [(f"{API}/jobs", list(range(start, min(start + BATCH_SIZE, run.articles))))
                 for start in range(singles, run.articles, BATCH_SIZE)]  # fmt: skip
    for path, indexes in requests:
        if indexes[0] >= run.articles * BEFORE_REDIS and not submitted.redis_down.is_set():
            submitted.redis_down.wait()
        items = [article(seeds, index, tag) for index in indexes]
        single = path.endswith("/articles")
        body = json.dumps(items[0] if single else {"articles": items}).encode()
        answer = client.post_until_answered(path, body, f"{tag}-{indexes[0]}")
        if single:
            run.accepted.add(answer["article_id"])
            submitted.singles.append(answer["article_id"])
        else:
            run.accepted.update(answer["article_ids"])
            submitted.jobs.append(answer["job_id"])
    submitted.done.set()


def poll_all(stack: Stack, run: Run, submitted: Submitted, stop_polling: threading.Event) -> None:
    """Read every job and single article over and over; count statuses that go backwards."""
    client = Client(stack.web_port, run)
    last: dict[str, str] = {}
    while not stop_polling.is_set():
        paths = [f"{API}/jobs/{job}" for job in list(submitted.jobs)]
        paths += [f"{API}/articles/{number}" for number in list(submitted.singles)]
        for path in paths:
            answer = client.send("GET", path)
            if answer is None or answer[0] != 200:
                continue
            run.polls += 1
            status = json.loads(answer[1])["status"]
            before = last.get(path)
            if before in TERMINAL_ARTICLE | TERMINAL_JOB and status != before:
                run.regressions += 1
            last[path] = status
        time.sleep(POLL_PAUSE)


# --- faults -----------------------------------------------------------------------------------


def article_states(database: str) -> dict[int, str]:
    """Return every article's status."""
    with pg_connect(database) as connection:
        return dict(connection.execute("SELECT id, status FROM articles").fetchall())


def inject(stack: Stack, kind: str, submitted: Submitted) -> None:
    """SIGKILL a pool child, the worker's whole process group, or Redis; restart what died."""
    if kind == "child":
        wait_until(stack.pool_children, "the worker has no pool process to kill")
        os.kill(stack.pool_children()[0], signal.SIGKILL)
    elif kind == "group":
        os.killpg(stack.worker.pid, signal.SIGKILL)
        stack.worker.wait(30)
        stack.start_worker()
    else:
        stack.redis.kill()
        stack.redis.wait(30)
        submitted.redis_down.set()
        time.sleep(REDIS_DOWN_SECONDS)
        stack.start_redis()


def drain_with_faults(stack: Stack, run: Run, submitted: Submitted, deadline: float) -> None:
    """Inject the faults as the work drains, then wait until every article is finished."""
    pending = list(FAULTS)
    started = last_fault = time.monotonic()
    while time.monotonic() < deadline:
        states = article_states(stack.database)
        finished = sum(state in TERMINAL_ARTICLE for state in states.values())
        note_recoveries(run, states, time.monotonic() - started)
        if stack.worker.poll() is not None:
            stack.start_worker()
            run.supervisor_restarts += 1
        if submitted.done.is_set() and not pending and finished >= len(run.accepted):
            return
        # Spread the faults over the drain: the k-th when k/(faults + 2) of the work is done.
        share = (len(FAULTS) - len(pending) + 1) / (len(FAULTS) + 2)
        if pending and finished >= run.articles * share and \
                time.monotonic() - last_fault >= FAULT_GAP:  # fmt: skip
            kind = pending.pop(0)
            watched = {n for n, state in states.items() if state not in TERMINAL_ARTICLE
                       and (kind == "redis" or state == "running")}  # fmt: skip
            inject(stack, kind, submitted)
            last_fault = time.monotonic()
            run.faults.append(Fault(kind, last_fault - started, watched))
        time.sleep(PROGRESS_PAUSE)


def note_recoveries(run: Run, states: dict[int, str], elapsed: float) -> None:
    """Note when the articles a fault interrupted have all finished."""
    for fault in run.faults:
        if fault.recovered_after is None and all(
            states.get(number) in TERMINAL_ARTICLE for number in fault.watched
        ):
            fault.recovered_after = elapsed - fault.at


# --- checking the outcome ---------------------------------------------------------------------


def expected_events(text: str, published_at: str | None, article_id: int) -> list[tuple]:
    """Return the coder's own events for an article: what a run without faults stores."""
    from coder.pipeline import code_article

    records = [event.to_dict() for event in code_article(text, published=published_at,
                                                         article_id=str(article_id))]  # fmt: skip
    unique = {record["event_id"]: record for record in records}  # as the worker stores them
    return sorted(tuple(record[name] for name in COMPARED) for record in unique.values())


def check_outcome(database: str, accepted: set[int]) -> dict[str, int]:
    """Count finished, lost, duplicated and changed articles, straight from SQL."""
    with pg_connect(database) as connection:
        rows = connection.execute(
            "SELECT id, status, attempts, text, published_at FROM articles").fetchall()
        duplicates = connection.execute(
            "SELECT count(*) - count(DISTINCT (article_id, sentence_index, source_code,"
            " target_code, event_code)) FROM events").fetchone()[0]
        stored: dict[int, list[tuple]] = {}
        for row in connection.execute(f"SELECT article_id, {', '.join(COMPARED)} FROM events"):
            stored.setdefault(row[0], []).append(tuple(row[1:]))
        bad_counts = connection.execute(JOB_COUNTS_DIFFER).fetchone()[0]
    by_id = {row[0]: row for row in rows}
    mismatched = sum(
        sorted(stored.get(number, [])) != expected_events(by_id[number][3], by_id[number][4],
                                                          number)
        for number in accepted if by_id.get(number) and by_id[number][1] == "coded"
    )  # fmt: skip
    statuses = [by_id[number][1] if number in by_id else "missing" for number in accepted]
    return {
        "accepted": len(accepted),
        "coded": statuses.count("coded"),
        "failed": statuses.count("failed"),
        "lost": sum(status not in TERMINAL_ARTICLE for status in statuses),
        "duplicates": duplicates,
        "mismatched": mismatched,
        "bad_counts": bad_counts,
        "redundant": sum(max(by_id[n][2] - 1, 0) for n in accepted if n in by_id),
    }


# Jobs whose running counts disagree with their articles' states and events.
JOB_COUNTS_DIFFER = """
SELECT count(*) FROM jobs j JOIN (
    SELECT ja.job_id,
           sum(CASE WHEN a.status = 'coded' THEN 1 ELSE 0 END) AS coded,
           sum(CASE WHEN a.status = 'failed' THEN 1 ELSE 0 END) AS failed,
           sum(CASE WHEN a.status = 'coded' THEN coalesce(a.n_events, 0) ELSE 0 END) AS n_events
    FROM job_articles ja JOIN articles a ON a.id = ja.article_id GROUP BY ja.job_id
) actual ON actual.job_id = j.id
WHERE j.n_coded <> actual.coded OR j.n_failed <> actual.failed OR j.n_events <> actual.n_events
"""


def reconciler_recoveries(folder: Path) -> int:
    """Sum the articles the reconciler re-published, from the worker's log."""
    text = (folder / "worker.log").read_text(errors="replace")
    return sum(int(found) for found in RECONCILED.findall(text))


def tracebacks(folder: Path) -> int:
    """Count tracebacks in the web server's log."""
    return (folder / "web.log").read_text(errors="replace").count("Traceback")


# --- one run ----------------------------------------------------------------------------------


@contextmanager
def stack_for(mode: str, articles: int) -> Iterator[Stack]:
    """Start Redis, a scratch database, the web server and a worker; stop them at the end."""
    folder = Path(tempfile.mkdtemp(prefix=f"dyad-chaos-{mode}-"))
    with scratch_database() as database:
        queued_lease = max(30, round(articles * DRAIN_SECONDS_PER_ARTICLE))
        stack = Stack(folder, database, free_port(), free_port(), mode, queued_lease)
        try:
            stack.start_redis()
            stack.start_web()
            stack.start_worker()
            yield stack
        finally:
            stack.stop_all()
    print(f"logs of the {mode} run in {folder}", file=sys.stderr)


def run_once(mode: str, articles: int, patience: float) -> Run:
    """Run the harness once with one Redis persistence mode."""
    run = Run(mode, articles)
    tag = f"chaos-{mode}-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    with stack_for(mode, articles) as stack:
        submitted, stop_polling = Submitted(), threading.Event()
        threads = [
            threading.Thread(target=submit_all, args=(stack, run, submitted, tag), daemon=True),
            threading.Thread(target=poll_all, args=(stack, run, submitted, stop_polling),
                             daemon=True),
        ]  # fmt: skip
        for thread in threads:
            thread.start()
        drain_with_faults(stack, run, submitted, started + patience)
        submitted.done.wait(max(0.0, started + patience - time.monotonic()))
        time.sleep(2 * POLL_PAUSE + 1)  # let the poller see the finished states once more
        stop_polling.set()
        for thread in threads:
            thread.join(30)
        run.seconds = time.monotonic() - started
        run.outcome = check_outcome(stack.database, run.accepted)
        run.outcome["reconciled"] = reconciler_recoveries(stack.folder)
        run.outcome["tracebacks"] = tracebacks(stack.folder)
    return run


# --- the report -------------------------------------------------------------------------------


def recovery_cell(run: Run, kind: str) -> str:
    """Return the recovery times of one kind of fault, in seconds."""
    times = [f"{fault.recovered_after:.1f}" if fault.recovered_after is not None else "never"
             for fault in run.faults if fault.kind == kind]  # fmt: skip
    return ", ".join(times) or "—"


def report(runs: list[Run]) -> str:
    """Render the runs as one Markdown table, a column per run."""
    header = "| figure | " + " | ".join(f"Redis {r.mode}, N = {r.articles:,}" for r in runs)
    rows = [
        ("accepted", lambda r: f"{r.outcome['accepted']:,}"),
        ("coded (done)", lambda r: f"{r.outcome['coded']:,}"),
        ("failed", lambda r: f"{r.outcome['failed']:,}"),
        ("**lost** (accepted, not finished by the deadline)", lambda r: r.outcome["lost"]),
        ("**duplicate event rows**", lambda r: r.outcome["duplicates"]),
        ("**mismatched articles** (events differ from the coder's own)",
         lambda r: r.outcome["mismatched"]),
        ("**job counts that disagree with their articles**", lambda r: r.outcome["bad_counts"]),
        ("redundant executions (an article coded again)", lambda r: r.outcome["redundant"]),
        ("articles re-published by the reconciler", lambda r: r.outcome["reconciled"]),
        ("worker exits restarted by the supervisor", lambda r: r.supervisor_restarts),
        ("recovery after a pool child was killed (s)", lambda r: recovery_cell(r, "child")),
        ("recovery after the worker group was killed (s)", lambda r: recovery_cell(r, "group")),
        ("recovery after Redis was killed (s)", lambda r: recovery_cell(r, "redis")),
        ("**API 5xx answers**", lambda r: r.server_errors),
        ("tracebacks in the web log", lambda r: r.outcome["tracebacks"]),
        ("requests retried with their Idempotency-Key", lambda r: r.retried_requests),
        ("**status regressions seen by the poller** (of status reads)",
         lambda r: f"{r.regressions} (of {r.polls:,})"),
        ("run time (s)", lambda r: f"{r.seconds:.0f}"),
    ]  # fmt: skip
    lines = [header + " |", "|---" * (len(runs) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(str(cell(r)) for r in runs) + " |" for name, cell in rows]
    verdict = [f"Redis {r.mode}: " + (", ".join(r.failures()) or "nothing lost, duplicated or "
                                      "changed; no 5xx; no regressions") for r in runs]  # fmt: skip
    intro = (f"Machine: {machine()}. Date: {datetime.now(UTC):%Y-%m-%d}. One `dyad web` (2 "
             "processes), one `dyad worker --beat --concurrency=2`, PostgreSQL and Redis on "
             "loopback. Faults, in order as the work drains: " + ", ".join(FAULTS) + ".")
    return "\n".join([intro, "", *lines, "", *(f"- {line}" for line in verdict)])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=300, help="articles per run")
    parser.add_argument("--redis-mode", choices=(*MODES, "both"), default="both",
                        help="Redis persistence: append-only file, none, or a run of each")
    parser.add_argument("--patience", type=float, default=None,
                        help="seconds a run may take before unfinished articles count as lost")
    parser.add_argument("--write", type=Path, help="update this Markdown file's Chaos section")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the harness and print the table; return 1 when a must-be-zero figure is not."""
    args = parse_args(argv)
    # A SIGTERM (a CI timeout) unwinds like Ctrl-C, so that every process started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("redis-server") is None:
        print("chaos: redis-server is not on PATH", file=sys.stderr)
        return 2
    modes = MODES if args.redis_mode == "both" else (args.redis_mode,)
    patience = args.patience or 240 + args.articles * 4 * DRAIN_SECONDS_PER_ARTICLE
    runs = [run_once(mode, args.articles, patience) for mode in modes]
    body = report(runs)
    print(body)
    if args.write:
        write_section(args.write, "chaos", "Fault runs", body)
    return 1 if any(run.failures() for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
