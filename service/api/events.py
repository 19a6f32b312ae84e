"""Events: filtered JSON pages and streamed CSV downloads."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from coder.formats import MEDIA_TYPES
from schemas.events import (
    CSV_COLUMNS,
    CsvQuery,
    EventPage,
    EventPageQuery,
    ExportQuery,
    JobCsvQuery,
    JobExportQuery,
    MentionsOut,
    MentionsQuery,
    SummaryOut,
    SummaryQuery,
)
from service.api import engine
from service.api.access import visible_owner
from service.api.export import csv_response, file_response
from service.api.jobs import JOB_ID
from service.exporting import ExportRequest, export_chunks
from service.storage.events import EventFilter, page_events, summarise
from service.storage.export import csv_stream, mention_group, merged_page
from service.storage.jobs import job_exists

blp = Blueprint("events", __name__, description="Coded events, as JSON pages or CSV.")

# ?gzip=true answers application/gzip, whatever the format inside.
GZIP = {"application/gzip": {"schema": {"type": "string", "format": "binary"}}}
CSV_DOC = {
    "responses": {
        "200": {
            "description": "The events as CSV with a header row (gzip with ?gzip=true).",
            "content": {"text/csv": {"schema": {"type": "string"}}, **GZIP},
        }
    }
}
# What a query may filter on; the owner comes from the request's API key, never the query.
FILTERS = tuple(name for name in EventFilter.__dataclass_fields__ if name != "owner")
MAX_CURSOR = 2**63 - 1
EVENT_ID = re.compile(r"[0-9a-zA-Z_-]{1,32}")


def event_filter(args: dict[str, Any], **fixed: Any) -> EventFilter:
    """Build the storage filter from validated query arguments."""
    values = {name: args[name] for name in FILTERS if args.get(name) is not None}
    return EventFilter(**{**values, "owner": visible_owner(), **fixed})


def refuse_cursor() -> None:
    """Answer 422 for a cursor this service did not make."""
    abort(422, errors={"query": {"cursor": ["Not a cursor this service returned."]}})


def known_job(job_id: str) -> str:
    """Return a job id that exists, answering 404 otherwise."""
    # Another key's job is answered as one that does not exist.
    if not JOB_ID.fullmatch(job_id) or not job_exists(engine(), job_id, visible_owner()):
        abort(404, message=f"No job {job_id}.")
    return job_id


def decode_cursor(cursor: str | None) -> int:
    """Turn a cursor into the last id seen, answering 422 for one we did not make."""
    if cursor is None:
        return 0
    if not cursor.isascii() or not cursor.isdigit() or int(cursor) > MAX_CURSOR:
        refuse_cursor()
    return int(cursor)


def encode_key_cursor(key: list[Any]) -> str:
    """Write a merged page's sort key as an opaque, URL-safe cursor."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_key_cursor(cursor: str | None) -> list[Any] | None:
    """Read a merged page's cursor back, answering 422 for one we did not make."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        key = None
    valid = isinstance(key, list) and all(isinstance(v, str | int) for v in key) and key
    if not valid:
        refuse_cursor()
    return key


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(EventPageQuery, location="query")
    @blp.response(200, EventPage)
    def get(self, args: dict[str, Any]):
        """List events matching the filters, a page at a time (keyset cursor)."""
        if args["dedup"] == "none":
            after = decode_cursor(args.get("cursor"))
            rows, next_id = page_events(engine(), event_filter(args), after, args["limit"])
            next_cursor = None if next_id is None else str(next_id)
        else:
            key = decode_key_cursor(args.get("cursor"))
            try:
                rows, next_key = merged_page(engine(), event_filter(args), args["dedup"], key,
                                             args["limit"])  # fmt: skip
            except ValueError:
                refuse_cursor()
            next_cursor = None if next_key is None else encode_key_cursor(next_key)
        links = {}
        if next_cursor:
            query = {name: value for name, value in args.items() if name != "cursor"}
            links["next"] = url_for("events.Events", **query, cursor=next_cursor)
        return {"events": rows, "next_cursor": next_cursor, "links": links}


@blp.route("/events.csv")
class EventsCsv(MethodView):
    @blp.arguments(CsvQuery, location="query")
    @blp.doc(**CSV_DOC)
    def get(self, args: dict[str, Any]):
        """Download every event matching the filters as CSV, streamed."""
        return stream_csv(event_filter(args), "events.csv", args["gzip"], args["dedup"])


@blp.route("/jobs/<string:job_id>/events.csv")
class JobEventsCsv(MethodView):
    @blp.arguments(JobCsvQuery, location="query")
    @blp.doc(**CSV_DOC)
    @blp.alt_response(404, description="Unknown job.")
    def get(self, args: dict[str, Any], job_id: str):
        """Download a job's events as CSV, streamed."""
        known_job(job_id)
        where = event_filter(args, job_id=job_id)
        return stream_csv(where, f"job-{job_id}.csv", args["gzip"], args["dedup"])


EXPORT_DOC = {
    "responses": {
        "200": {
            "description": "The events in the chosen layout and format, streamed (gzip with "
            "?gzip=true). csv and tsv have a header row; formula-like text cells get a leading "
            "apostrophe.",
            "content": {**{media.split(";")[0]: {"schema": {"type": "string"}}
                           for media in MEDIA_TYPES.values()},
                        # ?format=json is one array of rows, an object each.
                        "application/json": {"schema": {"type": "array",
                                                        "items": {"type": "object"}}},
                        **GZIP},
        }
    }
}  # fmt: skip


@blp.route("/events/export")
class EventsExport(MethodView):
    @blp.arguments(ExportQuery, location="query")
    @blp.doc(**EXPORT_DOC)
    def get(self, args: dict[str, Any]):
        """Download the matching events in a peer layout and format, deduplicated as asked."""
        return stream_export(event_filter(args), args, "events")


@blp.route("/jobs/<string:job_id>/events/export")
class JobEventsExport(MethodView):
    @blp.arguments(JobExportQuery, location="query")
    @blp.doc(**EXPORT_DOC)
    @blp.alt_response(404, description="Unknown job.")
    def get(self, args: dict[str, Any], job_id: str):
        """Download a job's events in a peer layout and format, deduplicated as asked."""
        known_job(job_id)
        return stream_export(event_filter(args, job_id=job_id), args, f"job-{job_id}")


@blp.route("/events/summary")
class EventsSummary(MethodView):
    @blp.arguments(SummaryQuery, location="query")
    @blp.response(200, SummaryOut)
    def get(self, args: dict[str, Any]):
        """Count the matching events by day and quad class, and name the busiest dyads."""
        return summarise(engine(), event_filter(args), args["top"])


@blp.route("/events/<string:event_id>/mentions")
class EventMentions(MethodView):
    @blp.arguments(MentionsQuery, location="query")
    @blp.response(200, MentionsOut)
    @blp.alt_response(404, description="No event with that id matches the filters.")
    def get(self, args: dict[str, Any], event_id: str):
        """List the mentions merged into an event under a deduplication mode, earliest first."""
        if not EVENT_ID.fullmatch(event_id):
            abort(404, message=f"No event {event_id}.")
        mode = args["dedup"]
        group = mention_group(engine(), event_id, mode, event_filter(args))
        if group is None:
            abort(404, message=f"No event {event_id}.")
        return {
            "event_id": event_id, "dedup": mode, "num_mentions": len(group),
            "num_articles": len({mention["article_id"] for mention in group}),
            "mentions": group,
        }  # fmt: skip


def stream_export(where: EventFilter, args: dict[str, Any], stem: str):
    """Answer with the matching events as a streamed file in the asked layout and format."""
    request = ExportRequest(where, args["layout"], args["format"], args["dedup"],
                            args.get("quad_scheme"))  # fmt: skip
    chunks, close = export_chunks(engine(), request)
    filename = f"{stem}.{request.layout}.{request.fmt}"
    return file_response(chunks, close, filename, MEDIA_TYPES[request.fmt], args["gzip"])


def stream_csv(where: EventFilter, filename: str, compress: bool, dedup: str = "none"):
    """Answer with the matching events as a streamed CSV download, merged when asked."""
    if dedup == "none":
        chunks, close = csv_stream(engine(), where, CSV_COLUMNS)
    else:
        chunks, close = export_chunks(engine(), ExportRequest(where, "native", "csv", dedup))
    return csv_response(chunks, close, filename, compress)
