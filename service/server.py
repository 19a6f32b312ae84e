"""gunicorn, run from code so that `dyad web` and `dyad serve` need no config file."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

# Two threads per process let a long CSV download and status polls share it. More threads
# contend for the GIL and stretch the tail: with 20 clients polling, p99 was ~45 ms with 2,
# ~100 ms with 4 and ~130 ms with 8 (BENCHMARKS.md); queued requests wait their turn instead.
DEFAULT_THREADS = 2


class FlaskServer(BaseApplication):
    """A gunicorn application serving one Flask app."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """Copy our options into gunicorn's settings."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """Return the app to serve."""
        return self.application


def serve_forever(
    app: Flask,
    bind: str,
    workers: int,
    threads: int = DEFAULT_THREADS,
    access_log: bool = False,
) -> None:
    """Serve `app` on `bind` with `workers` processes until a signal stops gunicorn."""
    options = {
        "bind": bind,
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        # A streamed CSV of millions of rows may take minutes; don't kill its worker.
        "timeout": 0,
        "graceful_timeout": 30,
        # No access log by default: under 20 polling clients its shared lock and writes cost
        # ~15% of a request. `--access-log` (or a proxy in front) logs requests.
        "accesslog": "-" if access_log else None,
        # gunicorn's control socket sits at one path per user: a second server would take it.
        "control_socket_disable": True,
    }
    FlaskServer(app, options).run()
