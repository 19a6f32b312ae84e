"""The HTTP service: a Flask app factory with flask-smorest blueprints under /api/v1."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from service.config import check_config, default_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the app: defaults, then DYAD_* environment variables, then `test_config`."""
    app = Flask(__name__)
    data_dir = Path(os.environ.get("DYAD_DATA_DIR", Path.cwd() / "data")).resolve()
    if test_config and "DATA_DIR" in test_config:
        data_dir = Path(test_config["DATA_DIR"]).resolve()
    app.config.from_mapping(default_config(data_dir))
    app.config.from_prefixed_env("DYAD")
    if test_config:
        app.config.from_mapping(test_config)
    check_config(app.config)
    # The beat schedule, export bundles and the file queue live here; beat dies without it.
    Path(app.config["DATA_DIR"]).mkdir(parents=True, exist_ok=True)

    from service.api import init_api
    from workers import celery_init_app

    init_api(app)
    celery_init_app(app)
    return app
