"""Tasks: thin shells that load ids, call the coder and write results to SQL."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app
from sqlalchemy.exc import DBAPIError

from service.storage import work
from service.storage.engine import get_engine

log = logging.getLogger(__name__)

RETRY_LIMIT = 5
DISPATCH_CHUNK = 500


def _engine():
    """Return this process's engine for the configured database."""
    return get_engine(current_app.config["DATABASE_URL"])


@shared_task(bind=True, name="dyad.code_article", max_retries=RETRY_LIMIT)
def code_article(self: Any, article_id: int) -> str:
    """Code one stored article and replace its events; a duplicate delivery changes nothing."""
    config = current_app.config
    try:
        held = work.claim(_engine(), article_id, config["LEASE_SECONDS"], config["MAX_ATTEMPTS"])
    except DBAPIError as error:
        raise self.retry(exc=error, countdown=2**self.request.retries) from error
    if held is None:
        return "skipped"
    return run_claim(self, held)


def run_claim(task: Any, held: work.Claim) -> str:
    """Run the coder under a lease and store the outcome."""
    engine, config = _engine(), current_app.config
    try:
        records = code_text(held)
    except SoftTimeLimitExceeded:
        reason = f"coding took longer than {config['TASK_TIME_LIMIT']} s"
        # A machine short of CPU makes any article slow: try again, within the attempts.
        if held.attempt < config["MAX_ATTEMPTS"]:
            work.release(engine, held, reason, 0)
            return "released"
        work.fail(engine, held, reason)
        return "failed"
    except Exception as error:
        # The coder is deterministic: the same text would fail again, so fail it for good.
        log.exception("coding article %s failed", held.article_id)
        work.fail(engine, held, f"coder error: {type(error).__name__}: {error}"[:2000])
        return "failed"
    try:
        saved = work.save_events(engine, held, records)
    except DBAPIError as error:
        work.release(engine, held, f"database error: {error.orig}"[:2000], 0)
        raise task.retry(exc=error, countdown=2**task.request.retries) from error
    return "coded" if saved else "superseded"


def code_text(held: work.Claim) -> list[dict[str, Any]]:
    """Run the coder over the article's text and return its records as dicts."""
    # Imported here so that the web process, which publishes these tasks, never loads spaCy.
    from coder.pipeline import code_article as run_coder

    events = run_coder(held.text, published=held.published_at, article_id=str(held.article_id))
    return [event.to_dict() for event in events]


@shared_task(name="dyad.reconcile")
def reconcile() -> dict[str, int]:
    """Re-publish articles stuck past their lease and fail those out of attempts."""
    config = current_app.config
    outcome = work.reconcile(_engine(), config["QUEUED_LEASE_SECONDS"], config["MAX_ATTEMPTS"])
    published = publish(outcome.republish)
    # An export whose message was lost (broker down at POST, a flushed queue) is sent again.
    from service.storage.exports import requeue_stalled_exports, waiting_exports

    stalled = requeue_stalled_exports(_engine(), config["LEASE_SECONDS"])
    send(build_export.name, stalled + waiting_exports(_engine(), config["QUEUED_LEASE_SECONDS"]))
    delete_expired_bundles(config["EXPORT_RETENTION_HOURS"])
    if outcome.republish or outcome.failed:
        log.warning(
            "reconciler: re-published %d of %d stuck articles, failed %d",
            published, len(outcome.republish), len(outcome.failed),
        )  # fmt: skip
    return {"republished": published, "failed": len(outcome.failed)}


def delete_expired_bundles(retention_hours: float) -> None:
    """Expire the bundles built longer ago than the retention time, and delete their files."""
    from service.storage.exports import expire_exports

    # The row is marked first: a download already under way keeps reading the deleted file.
    for export_id in expire_exports(_engine(), retention_hours):
        bundle_path(export_id).unlink(missing_ok=True)


@shared_task(name="dyad.export")
def build_export(export_id: str) -> str:
    """Build a bundle export into DATA_DIR/exports/<id>.zip; a second delivery does nothing."""
    from service.storage.exports import claim_export, fail_export

    engine = _engine()
    if not claim_export(engine, export_id):
        return "skipped"
    try:
        return write_export_bundle(engine, export_id)
    except Exception as error:
        log.exception("export %s failed", export_id)
        fail_export(engine, export_id, f"{type(error).__name__}: {error}")
        return "failed"


def write_export_bundle(engine: Any, export_id: str) -> str:
    """Write a claimed export's bundle (through a .part file) and mark it done."""
    from service.exporting import ExportRequest, write_bundle
    from service.storage.events import EventFilter
    from service.storage.exports import finish_export, get_export

    options = dict(get_export(engine, export_id)["request"])
    where = options.pop("where")
    if where.get("bbox"):
        where["bbox"] = tuple(where["bbox"])
    request = ExportRequest(EventFilter(**where), **options)
    target = bundle_path(export_id)
    partial = target.with_suffix(".part")
    try:
        provenance = write_bundle(engine, request, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    rows = provenance["files"][request.filename]["rows"]
    finish_export(engine, export_id, rows, target.stat().st_size)
    return "done"


def bundle_path(export_id: str) -> Path:
    """Return where an export's bundle is kept."""
    folder = Path(current_app.config["DATA_DIR"]) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{export_id}.zip"


def enqueue(article_ids: Iterable[int]) -> list[int]:
    """Hand new articles to the broker and return those it did not take.

    A few articles get their own task at once. A large batch goes out as dispatch tasks that
    each publish DISPATCH_CHUNK article tasks from a worker: one broker round trip per article
    is the slowest part of accepting a batch, and the web process should not pay it.
    """
    ids = list(article_ids)
    if len(ids) < current_app.config["DISPATCH_THRESHOLD"]:
        return ids[publish(ids) :]
    chunks = [ids[start : start + DISPATCH_CHUNK] for start in range(0, len(ids), DISPATCH_CHUNK)]
    sent = send(dispatch.name, chunks)
    return [article_id for chunk in chunks[sent:] for article_id in chunk]


@shared_task(name="dyad.dispatch")
def dispatch(article_ids: list[int]) -> int:
    """Publish one coding task per article of a large batch; unsent ones become due at once."""
    sent = publish(article_ids)
    if sent < len(article_ids):
        work.due_now(_engine(), article_ids[sent:])
    return sent


def publish(article_ids: Iterable[int]) -> int:
    """Send one task per article; return how many reached the broker (the rest stay queued)."""
    return send(code_article.name, list(article_ids))


def send(task_name: str, arguments: list[Any]) -> int:
    """Send one `task_name` message per argument, in order; return how many reached the broker."""
    if not arguments:
        return 0
    sent = 0
    # The Flask app's own Celery app, not Celery's "current" one: a process may hold several.
    celery_app = current_app.extensions["celery"]
    try:
        with celery_app.producer_or_acquire() as producer:
            task = celery_app.tasks[task_name]
            for argument in arguments:
                task.apply_async((argument,), producer=producer)
                sent += 1
    except Exception as error:  # kombu raises several types for a broker that is down
        log.warning("broker unreachable, %d %s tasks not sent: %s", len(arguments) - sent,
                    task_name, error)  # fmt: skip
    return sent
