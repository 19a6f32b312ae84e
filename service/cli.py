"""The `dyad` command: serve the API, run workers, migrate the database, code files offline."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from flask import Flask

# Offline coding lives in coder.cli; those commands are handed over to it unchanged.
CODER_COMMANDS = ("code", "evaluate")
DEFAULT_PORT = 8000


def build_parser() -> argparse.ArgumentParser:
    """Build the parser for the service commands (the coder's are listed for --help)."""
    parser = argparse.ArgumentParser(prog="dyad", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("code", help="code article files into CAMEO events (dyad code -h)")
    commands.add_parser("evaluate", help="score the coder on a gold file (dyad evaluate -h)")
    serve = commands.add_parser("serve", help="embedded: migrate, then run the API and a worker")
    add_bind_options(serve, "127.0.0.1")
    serve.add_argument("--concurrency", type=int, default=2, help="coding processes")
    web = commands.add_parser("web", help="run the API under gunicorn")
    add_bind_options(web, "0.0.0.0")
    worker = commands.add_parser("worker", help="run a Celery worker that codes articles")
    worker.add_argument("--concurrency", type=int, help="coding processes (default: CPUs)")
    worker.add_argument("--beat", action="store_true", help="also run the reconciler schedule")
    worker.add_argument("--loglevel", default="INFO")
    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply every pending migration")
    db_commands.add_parser("current", help="print the database's revision")
    return parser


def add_bind_options(command: argparse.ArgumentParser, host: str) -> None:
    """Add the address and process options of a web server."""
    command.add_argument("--host", default=host)
    command.add_argument("--port", type=int, default=DEFAULT_PORT)
    command.add_argument("--web-workers", type=int, default=2, help="gunicorn processes")
    command.add_argument("--threads", type=int, default=2, help="threads per gunicorn process")
    command.add_argument("--access-log", action="store_true", help="log every request")


def main(argv: list[str] | None = None) -> int:
    """Run a `dyad` command and return its exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in CODER_COMMANDS:
        from coder.cli import main as coder_main

        return coder_main(argv)
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = HANDLERS[args.command]
    try:
        return handler(args)
    except ValueError as error:  # a setting that makes no sense
        print(f"dyad: {error}", file=sys.stderr)
        return 2


def server_options(args: argparse.Namespace) -> tuple[str, int, int, bool]:
    """Return gunicorn's bind address, processes, threads and access-log switch."""
    return f"{args.host}:{args.port}", args.web_workers, args.threads, args.access_log


def load_app() -> Flask:
    """Create the app from the environment."""
    from service import create_app

    return create_app()


def run_db(args: argparse.Namespace) -> int:
    """Upgrade the database, or print its revision."""
    from service.storage.migrate import current_revision, upgrade

    url = load_app().config["DATABASE_URL"]
    if args.db_command == "upgrade":
        upgrade(url)
    print(current_revision(url) or "(empty)")
    return 0


def run_web(args: argparse.Namespace) -> int:
    """Serve the API with gunicorn in the foreground."""
    from service.server import serve_forever

    serve_forever(load_app(), *server_options(args))
    return 0


def run_worker(args: argparse.Namespace) -> int:
    """Run a Celery worker (and the reconciler's schedule with --beat) in the foreground."""
    from workers import CONTROL_QUEUE, TASK_QUEUE

    app = load_app()
    celery_app = app.extensions["celery"]
    argv = ["worker", f"--loglevel={args.loglevel}", f"--queues={CONTROL_QUEUE},{TASK_QUEUE}"]
    if args.concurrency:
        argv.append(f"--concurrency={args.concurrency}")
    if args.beat:
        argv.append("--beat")
    if app.config["BROKER_URL"].startswith("filesystem"):
        # The file transport has no broadcast: skip the start-up handshakes that need one.
        argv += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    celery_app.worker_main(argv)
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """Embedded mode: migrate, start a worker process, then serve the API until stopped."""
    from service.server import serve_forever
    from service.storage.migrate import upgrade

    app = load_app()
    upgrade(app.config["DATABASE_URL"])
    worker = start_worker_process(app, args.concurrency)
    try:
        serve_forever(app, *server_options(args))
    finally:
        stop_process(worker)
    return 0


def start_worker_process(app: Flask, concurrency: int) -> subprocess.Popen[Any]:
    """Start `dyad worker --beat` as a child process on the same data folder."""
    env = {**os.environ, "DYAD_DATA_DIR": app.config["DATA_DIR"]}
    command = [sys.executable, "-m", "service.cli", "worker", "--beat"]
    command.append(f"--concurrency={concurrency}")
    return subprocess.Popen(command, env=env)


def stop_process(
    process: subprocess.Popen[Any], grace: float = 30, whole_group: bool = False
) -> None:
    """Ask a child process to stop (warm shutdown), then kill it after `grace` seconds.

    With `whole_group`, also kill what is left of the process group it leads (a worker's pool
    children orphaned by a kill); the process must have been started in a new session.
    """
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if whole_group:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "serve": run_serve,
    "web": run_web,
    "worker": run_worker,
    "db": run_db,
}

if __name__ == "__main__":
    sys.exit(main())
