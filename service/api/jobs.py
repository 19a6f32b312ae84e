"""Jobs: submit a batch of articles, follow its progress, list jobs."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Any

from flask import current_app, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from schemas.articles import AcceptedJob, ArticleIn, JobOut, JobPage, JobQuery
from service.api import engine
from service.api.access import may_read, requester, visible_owner
from service.api.idempotency import idempotent
from service.api.ingest import read_batch
from service.storage import jobs as job_store
from service.storage import work
from service.storage.jobs import NewArticle, Submission
from workers.tasks import enqueue

JOB_ID = re.compile(r"[0-9a-f]{32}")

blp = Blueprint("jobs", __name__, description="Batches of articles and their progress.")

IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "Send the same key again to get the first answer back, not a second job.",
}
BATCH_BODY = {
    "description": (
        'A JSON object {"articles": [...]}, NDJSON (one article per line), or a multipart '
        "upload of .txt, .html, .json, .jsonl or .csv files (a CSV needs a `text` column)."
    ),
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["articles"],
                "properties": {"articles": {"type": "array", "items": ArticleIn}},
                "additionalProperties": False,
            }
        },
        "application/x-ndjson": {"schema": {"type": "string"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}}
                },
            }
        },
    },
}


def store_and_publish(items: list[NewArticle], rejected: list[dict[str, Any]]) -> Submission:
    """Commit the job, then enqueue its new articles; unsent ones become due at once."""
    config = current_app.config
    submission = job_store.submit(engine(), items, rejected, config["QUEUED_LEASE_SECONDS"],
                                  owner=requester())  # fmt: skip
    if unsent := enqueue(submission.new_ids):
        work.due_now(engine(), unsent)
    return submission


def job_links(job_id: str) -> dict[str, str]:
    """Return the links of a job."""
    return {
        "self": url_for("jobs.Job", job_id=job_id),
        "events": url_for("events.Events", job_id=job_id),
        "events_csv": url_for("events.JobEventsCsv", job_id=job_id),
    }


@blp.route("/jobs")
class Jobs(MethodView):
    @blp.doc(requestBody=BATCH_BODY, parameters=[IDEMPOTENCY_HEADER])
    @blp.response(202, AcceptedJob)
    @blp.alt_response(400, description="Malformed JSON or not UTF-8.")
    @blp.alt_response(409, description="The Idempotency-Key was used for another request.")
    @blp.alt_response(413, description="The body or the batch is over the limit.")
    @blp.alt_response(415, description="Unsupported content type.")
    @blp.alt_response(422, description="No article could be accepted.")
    @blp.alt_response(503, description="The database is unavailable; retry after Retry-After.")
    def post(self):
        """Submit a batch of articles; refused items are listed with their index and reason."""
        return idempotent(engine(), request, accept_batch)

    @blp.arguments(JobQuery, location="query")
    @blp.response(200, JobPage)
    def get(self, args: dict[str, Any]):
        """List jobs, newest first, optionally by status, a page at a time."""
        before = decode_job_cursor(args["cursor"]) if args.get("cursor") else None
        limit = args["limit"]
        found = job_store.list_jobs(engine(), args.get("status"), before, limit + 1,
                                    owner=visible_owner())  # fmt: skip
        page = found[:limit]
        for job in page:
            job["links"] = job_links(job["job_id"])
        next_cursor = encode_job_cursor(page[-1]) if len(found) > limit else None
        links = {"next": url_for("jobs.Jobs", **_without_cursor(args), cursor=next_cursor)}
        return {"jobs": page, "next_cursor": next_cursor, "links": links if next_cursor else {}}


def accept_batch() -> tuple[dict[str, Any], int]:
    """Read, store and publish a batch; answer 422 when nothing in it could be accepted."""
    batch = read_batch(request)
    if not batch.accepted:
        abort(422, message="No article in the request could be accepted.", errors={
            "rejected": batch.rejected or [{"index": 0, "reason": "The batch is empty."}]
        })  # fmt: skip
    submission = store_and_publish(batch.accepted, batch.rejected)
    job = job_store.get_job(engine(), submission.job_id) or {}
    body = {
        "job_id": submission.job_id,
        # Reused articles may already be coded: the job can be done from the start.
        "status": job.get("status", "queued"),
        "accepted": len(batch.accepted),
        "rejected": batch.rejected,
        "article_ids": submission.article_ids,
        "links": job_links(submission.job_id),
    }
    return AcceptedJob().dump(body), 202


def _without_cursor(args: dict[str, Any]) -> dict[str, Any]:
    """Return the query arguments without the cursor."""
    return {name: value for name, value in args.items() if name != "cursor"}


def encode_job_cursor(job: dict[str, Any]) -> str:
    """Encode the keyset position after `job`."""
    raw = f"{job['created_at'].isoformat()}|{job['job_id']}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_job_cursor(cursor: str) -> tuple[datetime, str]:
    """Decode a jobs cursor, answering 422 for one we did not make."""
    try:
        created, job_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        if JOB_ID.fullmatch(job_id):
            return datetime.fromisoformat(created), job_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    abort(422, errors={"query": {"cursor": ["Not a cursor this service returned."]}})
    raise AssertionError("unreachable")


@blp.route("/jobs/<string:job_id>")
class Job(MethodView):
    @blp.response(200, JobOut)
    @blp.alt_response(404, description="Unknown job.")
    def get(self, job_id: str):
        """Return a job's status, counts, progress, timestamps and article errors."""
        job = job_store.get_job(engine(), job_id) if JOB_ID.fullmatch(job_id) else None
        if job is None or not may_read(job["owner"]):
            abort(404, message=f"No job {job_id}.")
        job["links"] = job_links(job_id)
        return job
