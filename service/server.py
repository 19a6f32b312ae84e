"""gunicorn, run from code so that `dyad web` and `dyad serve` need no config file."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

# Threads let a slow CSV download and quick status polls share a process.
THREADS_PER_WORKER = 8


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


def serve_forever(app: Flask, bind: str, workers: int) -> None:
    """Serve `app` on `bind` with `workers` processes until a signal stops gunicorn."""
    options = {
        "bind": bind,
        "workers": workers,
        "worker_class": "gthread",
        "threads": THREADS_PER_WORKER,
        # A streamed CSV of millions of rows may take minutes; don't kill its worker.
        "timeout": 0,
        "graceful_timeout": 30,
        "accesslog": "-",
        # gunicorn's control socket sits at one path per user: a second server would take it.
        "control_socket_disable": True,
    }
    FlaskServer(app, options).run()
