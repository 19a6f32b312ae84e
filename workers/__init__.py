"""Celery: the app bound to Flask's config, and the tasks that run the coder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery, Task
from flask import Flask

TASK_QUEUE = "dyad"
# The reconciler and the fan-out of large batches: kept off the coding queue, so that a backlog
# of articles does not hold them up.
CONTROL_QUEUE = "dyad-control"


def celery_init_app(app: Flask) -> Celery:
    """Attach a Celery app that runs every task inside the Flask app context."""

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_settings(app.config))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app


def celery_settings(config: dict[str, Any]) -> dict[str, Any]:
    """Translate Dyad's settings into Celery's: ids in, SQL state out, no result backend."""
    limit = config["TASK_TIME_LIMIT"]
    return {
        "broker_url": config["BROKER_URL"],
        "broker_transport_options": transport_options(config),
        "broker_connection_timeout": config["BROKER_TIMEOUT"],
        "broker_connection_retry_on_startup": True,
        # A publish that fails leaves the article `queued`; the reconciler sends it later.
        "task_publish_retry": False,
        "task_ignore_result": True,
        "result_backend": None,
        "task_default_queue": TASK_QUEUE,
        "task_routes": {
            "dyad.reconcile": {"queue": CONTROL_QUEUE},
            "dyad.dispatch": {"queue": CONTROL_QUEUE},
        },
        # At-least-once: acknowledge after the task, give a lost worker's task to another.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": limit,
        "task_soft_time_limit": max(limit - 10, limit * 0.9),
        "include": ["workers.tasks"],
        "beat_schedule": {
            "reconcile": {"task": "dyad.reconcile", "schedule": config["RECONCILE_INTERVAL"]}
        },
        "beat_schedule_filename": str(Path(config["DATA_DIR"]) / "celerybeat-schedule"),
        "worker_hijack_root_logger": False,
    }


def transport_options(config: dict[str, Any]) -> dict[str, Any]:
    """Return the broker's options: a folder for the file queue, timeouts for Redis."""
    if config["BROKER_URL"].startswith("filesystem"):
        folder = Path(config["QUEUE_DIR"])
        for sub in ("messages", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(folder / "messages"),
            "data_folder_out": str(folder / "messages"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    early = {"unacked_restore_interval": 1, "unacked_restore_throttle": 1}
    return {
        **(early if config["ALLOW_EARLY_REDELIVERY"] else {}),
        "visibility_timeout": config["VISIBILITY_TIMEOUT"],
        "socket_connect_timeout": config["BROKER_TIMEOUT"],
        # One try: a retry would add kombu's 2 s interval to every POST while Redis is down.
        "max_retries": 0,
    }
