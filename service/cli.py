"""The `dyad` command: serve the API, run workers, migrate the database, code files offline."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
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
    export = commands.add_parser(
        "export", help="export stored events in a peer layout, or as a citable bundle"
    )
    add_export_options(export)
    db = commands.add_parser("db", help="database migrations, backups and restores")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply every pending migration")
    db_commands.add_parser("current", help="print the database's revision")
    backup = db_commands.add_parser(
        "backup", help="copy the database to FILE (SQLite's backup API, or pg_dump)"
    )
    backup.add_argument("file", metavar="FILE", type=Path)
    restore = db_commands.add_parser(
        "restore", help="replace the database with a backup made by `dyad db backup`"
    )
    restore.add_argument("file", metavar="FILE", type=Path)
    add_key_commands(commands)
    return parser


def add_key_commands(commands: Any) -> None:
    """Add `dyad keys create|list|revoke`."""
    keys = commands.add_parser("keys", help="API keys: create, list and revoke them")
    key_commands = keys.add_subparsers(dest="key_command", required=True, metavar="ACTION")
    create = key_commands.add_parser("create", help="make a key and print its secret once")
    create.add_argument("--name", required=True, help="whose key it is, for the listing")
    create.add_argument("--admin", action="store_true", help="may read every job")
    key_commands.add_parser("list", help="list the keys (never their secrets)")
    revoke = key_commands.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("key_id", metavar="ID")


# Query options of `dyad export`, validated by the API's own schema (flag -> query field).
EXPORT_FILTERS = ("job_id", "article_id", "date_from", "date_to", "source", "target",
                  "event_code", "quad_class", "country", "location_country", "bbox")  # fmt: skip


def add_export_options(command: argparse.ArgumentParser) -> None:
    """Add the layout, format, deduplication, filter and output options of `dyad export`."""
    from coder.dedup import MODES
    from coder.formats import FORMATS
    from coder.layouts import LAYOUTS, QUAD_SCHEMES

    command.add_argument("--layout", choices=sorted(LAYOUTS), default="native")
    command.add_argument("--format", choices=FORMATS, default="csv")
    command.add_argument("--dedup", choices=MODES, default="none")
    command.add_argument("--quad-scheme", choices=sorted(QUAD_SCHEMES))
    for name in EXPORT_FILTERS:
        command.add_argument(f"--{name.replace('_', '-')}", dest=name, metavar=name.upper())
    output = command.add_mutually_exclusive_group()
    output.add_argument("--output", "-o", help="write the data file here (default: stdout)")
    output.add_argument("--bundle", metavar="FILE.zip", help="write a bundle: data, codebook, "
                        "provenance")  # fmt: skip
    command.add_argument(
        "--plot", metavar="FILE.png", help="also draw the events per day by quad class"
    )


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
    """Upgrade the database or print its revision; back it up or restore it."""
    from service.storage.migrate import current_revision, upgrade

    url = load_app().config["DATABASE_URL"]
    if args.db_command in ("backup", "restore"):
        return run_backup(args.db_command, url, args.file)
    if args.db_command == "upgrade":
        upgrade(url)
    print(current_revision(url) or "(empty)")
    return 0


def run_backup(action: str, url: str, path: Path) -> int:
    """Back the database up to `path`, or restore it from there, and print what was copied."""
    from service.storage.backup import BackupError, backup, restore

    try:
        summary = backup(url, path) if action == "backup" else restore(url, path)
    except BackupError as error:
        print(f"dyad: {error}", file=sys.stderr)
        return 1
    print(f"dyad: {summary}")
    return 0


def run_keys(args: argparse.Namespace) -> int:
    """Create, list or revoke API keys in the configured database."""
    from service.storage.engine import get_engine
    from service.storage.keys import create_key, list_keys, revoke_key

    engine = get_engine(load_app().config["DATABASE_URL"])
    if args.key_command == "create":
        key, secret = create_key(engine, args.name, "admin" if args.admin else "user")
        print(f"created {key.role} key {key.id} for {key.name}; its secret, shown only now:")
        print(secret)
        return 0
    if args.key_command == "revoke":
        if not revoke_key(engine, args.key_id):
            print(f"dyad: no live key {args.key_id}", file=sys.stderr)
            return 1
        print(f"revoked key {args.key_id}")
        return 0
    for key in list_keys(engine):
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "live"
        print(f"{key.id}  {key.prefix}…  {key.role:5}  {state:22}  {key.name}")
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


def export_request(args: argparse.Namespace) -> Any:
    """Validate the export options with the API's schema and build the request."""
    from marshmallow import ValidationError

    from schemas.events import ExportQuery
    from service.api.events import event_filter
    from service.exporting import ExportRequest

    query = {name: getattr(args, name) for name in EXPORT_FILTERS if getattr(args, name)}
    query.update(layout=args.layout, format=args.format, dedup=args.dedup)
    if args.quad_scheme:
        query["quad_scheme"] = args.quad_scheme
    try:
        loaded = ExportQuery().load(query)
    except ValidationError as error:
        field, messages = next(iter(error.normalized_messages().items()))
        raise ValueError(f"--{field.replace('_', '-')}: {' '.join(map(str, messages))}") from None
    return ExportRequest(event_filter(loaded), args.layout, args.format, args.dedup,
                         args.quad_scheme)  # fmt: skip


def run_export(args: argparse.Namespace) -> int:
    """Export stored events to a file, stdout or a bundle, and draw them when asked."""
    from service.exporting import export_chunks, write_bundle
    from service.storage.engine import get_engine

    request = export_request(args)
    if request.fmt == "parquet" and not (args.output or args.bundle):
        raise ValueError("parquet is a binary format: give a file with --output")
    engine = get_engine(load_app().config["DATABASE_URL"])
    if args.bundle:
        provenance = write_bundle(engine, request, Path(args.bundle))
        rows = ", ".join(f"{name}: {f['rows']:,} rows" for name, f in provenance["files"].items())
        print(f"dyad: wrote {args.bundle} ({rows})", file=sys.stderr)
    else:
        chunks, close = export_chunks(engine, request)
        try:
            with open_output(args.output) as handle:
                for chunk in chunks:
                    handle.write(chunk)
        finally:
            close()
    if args.plot:
        from service.plots import plot_events_per_day
        from service.storage.events import summarise

        plot_events_per_day(summarise(engine, request.where, 10), Path(args.plot))
    return 0


@contextlib.contextmanager
def open_output(path: str | None) -> Iterator[Any]:
    """Open a file for bytes, or stdout's byte stream."""
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    with Path(path).open("wb") as handle:
        yield handle


HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "export": run_export,
    "serve": run_serve,
    "web": run_web,
    "worker": run_worker,
    "db": run_db,
    "keys": run_keys,
}

if __name__ == "__main__":
    sys.exit(main())
