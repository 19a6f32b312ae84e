"""The embedded deployment: `dyad serve` on SQLite and a file queue, no servers needed."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from coder.record import RECORD_FIELDS
from service.cli import stop_process

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SEED_ARTICLES = REPO / "seeds" / "articles.jsonl"
NEW_ARTICLE = {
    "id": "putin-xi",
    "published_at": "2022-02-04",
    "text": "Russian President Vladimir Putin met Chinese President Xi Jinping in Beijing on"
    " Friday. Putin praised China for its support.",
}
FINISHED = frozenset(("done", "partial", "failed"))
# `dyad serve` gives its worker 30 s to finish on SIGTERM; allow a little more.
STOP_GRACE = 40
LOG_TAIL_LINES = 200


def dyad_command() -> list[str]:
    """Return the installed `dyad` script beside this Python, or `python -m service.cli`."""
    script = shutil.which("dyad", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "service.cli"]


def free_port() -> int:
    """Return a local TCP port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(
    url: str, body: bytes | None = None, content_type: str | None = None
) -> tuple[int, str, bytes]:
    """Send a GET (or a POST with `body`); return the status, content type and body."""
    headers = {"Content-Type": content_type} if content_type else {}
    call = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=30) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get_content_type(), error.read()


class Server:
    """A `dyad serve` or `dyad web` process on a data folder, logging to a file."""

    def __init__(self, command: str, data_dir: Path, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.log_path = data_dir / f"{command}-{time.monotonic_ns()}.log"
        env = {name: value for name, value in os.environ.items() if not name.startswith("DYAD_")}
        env["DYAD_DATA_DIR"] = str(data_dir)
        argv = [*dyad_command(), command, "--host=127.0.0.1", f"--port={port}", "--web-workers=1"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                argv, cwd=data_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip

    def log_tail(self) -> str:
        """Return the end of the server's log."""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-LOG_TAIL_LINES:])

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float) -> None:
        """Poll `condition` until true; fail after `timeout` s or if the server exits."""
        deadline = time.monotonic() + timeout
        while not condition():
            code = self.process.poll()
            if code is not None:
                raise AssertionError(f"the server exited with {code}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.2)

    def wait_healthy(self, timeout: float = 60) -> None:
        """Wait until /healthz answers."""

        def healthy() -> bool:
            try:
                return request(self.base + "/healthz")[0] == 200
            except OSError:
                return False

        self.wait_until(healthy, f"{self.base}/healthz", timeout)

    def get_json(self, path: str) -> Any:
        """GET a JSON document, expecting 200."""
        status, _, body = request(self.base + path)
        assert status == 200, body
        return json.loads(body)

    def submit(self, body: bytes) -> dict[str, Any]:
        """POST an NDJSON batch to /api/v1/jobs and return the 202 answer."""
        status, _, answer = request(self.base + "/api/v1/jobs", body, "application/x-ndjson")
        assert status == 202, answer
        return json.loads(answer)

    def wait_for_job(self, job_id: str, timeout: float = 120) -> dict[str, Any]:
        """Poll a job until it is finished and return it."""
        job: dict[str, Any] = {}

        def finished() -> bool:
            job.update(self.get_json(f"/api/v1/jobs/{job_id}"))
            return job["status"] in FINISHED

        self.wait_until(finished, f"job {job_id} to finish (last: {job})", timeout)
        return job

    def stop(self) -> int:
        """Stop with SIGTERM and return the exit code (killed after a grace)."""
        stop_process(self.process, STOP_GRACE)
        return self.process.returncode

    def leftovers(self, patience: float = 10) -> list[int]:
        """Return the live processes left in the server's group after `patience` s; kill them."""
        deadline = time.monotonic() + patience
        while (alive := live_group_members(self.process.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in alive:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return alive


def live_group_members(group: int) -> list[int]:
    """Return the processes of a process group that are not zombies (Linux /proc)."""
    members: list[int] = []
    if not Path("/proc/self/stat").is_file():
        return members
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
        state, _parent, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == group and state != "Z":
            members.append(int(entry.name))
    return members


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[[str], Server]]:
    """Return a starter of `dyad serve`/`dyad web` on tmp_path; stop them all at the end."""
    started: list[Server] = []
    port = free_port()

    def start(command: str) -> Server:
        server = Server(command, tmp_path, port)
        started.append(server)
        server.wait_healthy()
        return server

    yield start
    for server in started:
        server.stop()
        server.leftovers()
        print(f"--- {server.log_path.name} (tail) ---\n{server.log_tail()}")


def read_csv(body: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Parse a CSV download into its header and rows."""
    reader = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def queued_messages(data_dir: Path) -> list[Path]:
    """Return the message files waiting in the embedded file queue."""
    return [path for path in (data_dir / "queue" / "messages").iterdir() if path.is_file()]


def test_serve_codes_a_batch_and_a_queued_article_survives_a_restart(start_server, tmp_path):
    """`dyad serve` codes the seeds; an article queued by `dyad web` alone is coded later."""
    serve = start_server("serve")
    accepted = serve.submit(SEED_ARTICLES.read_bytes())
    assert accepted["accepted"] == 5
    job = serve.wait_for_job(accepted["job_id"])
    assert job["status"] == "done", job
    assert job["counts"]["coded"] == 5
    assert job["counts"]["events"] > 0

    status, content_type, body = request(
        serve.base + f"/api/v1/jobs/{accepted['job_id']}/events.csv"
    )
    assert (status, content_type) == (200, "text/csv")
    header, rows = read_csv(body)
    assert tuple(header) == RECORD_FIELDS
    assert len(rows) == job["counts"]["events"]
    assert any(
        row["source_code"].startswith("RUS") and row["target_code"].startswith("USA")
        for row in rows
    )
    # Embedded defaults: everything lives in the data folder.
    assert (tmp_path / "dyad.sqlite3").is_file()
    assert serve.get_json("/readyz")["status"] == "ok"

    assert serve.stop() == 0, serve.log_tail()
    assert serve.leftovers() == [], "`dyad serve` left processes (its worker?) running"

    # Only the API runs: the article waits in the file queue.
    web = start_server("web")
    waiting = web.submit(json.dumps(NEW_ARTICLE).encode() + b"\n")
    assert web.get_json(f"/api/v1/jobs/{waiting['job_id']}")["status"] == "queued"
    assert len(queued_messages(tmp_path)) == 1
    web.stop()
    assert web.leftovers() == []

    serve = start_server("serve")
    job = serve.wait_for_job(waiting["job_id"], timeout=60)
    assert job["status"] == "done", job
    assert job["counts"]["coded"] == 1
    assert queued_messages(tmp_path) == []
