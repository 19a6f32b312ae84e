"""Articles and jobs: what a client submits and what it reads back."""

from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from schemas.events import EventOut
from schemas.fields import ClientId, PublishedAt, Text, check_storable

JOB_STATUSES = ("queued", "running", "done", "failed", "partial")
ARTICLE_STATUSES = ("queued", "running", "coded", "failed")


class ArticleIn(Schema):
    """One article as submitted."""

    class Meta:
        unknown = RAISE

    text = Text(required=True, validate=validate.Length(min=1))
    title = Text(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    url = Text(load_default=None, allow_none=True, validate=validate.Length(max=4000))
    source = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))
    published_at = PublishedAt(load_default=None, allow_none=True)
    language = Text(load_default=None, allow_none=True, validate=validate.Length(max=20))
    id = ClientId(load_default=None, allow_none=True, validate=validate.Length(max=200),
                  metadata={"anyOf": [{"type": "string"}, {"type": "integer"}]})  # fmt: skip
    metadata = fields.Dict(keys=fields.String(), load_default=None, allow_none=True)

    @validates("text")
    def _has_words(self, value: str, **_: object) -> None:
        """Refuse a text that is only whitespace."""
        if not value.strip():
            raise ValidationError("Text is empty.")

    @validates("metadata")
    def _storable_keys(self, value: dict | None, **_: object) -> None:
        """Refuse metadata keys no UTF-8 store can hold (values are stored escaped)."""
        for key in value or {}:
            check_storable(key)


class BatchIn(Schema):
    """A JSON batch: {"articles": [...]}; each item is checked on its own."""

    class Meta:
        unknown = RAISE

    articles = fields.List(fields.Raw(), required=True)


class Links(Schema):
    """Links to related resources."""

    self = fields.String()
    job = fields.String()
    article = fields.String()
    events = fields.String()
    events_csv = fields.String()
    next = fields.String(allow_none=True)


class AcceptedArticle(Schema):
    """The answer to POST /articles."""

    article_id = fields.Integer()
    job_id = fields.String()
    status = fields.String(metadata={"enum": list(ARTICLE_STATUSES)})
    existing = fields.Boolean(metadata={"description": "The same text and url were stored."})
    links = fields.Nested(Links)


class Rejection(Schema):
    """An item of a batch that was refused, and why."""

    index = fields.Integer(metadata={"description": "Position in the request, from 0."})
    file = fields.String(metadata={"description": "The uploaded file it came from."})
    reason = fields.Raw(metadata={"description": "A message, or messages by field."})


class AcceptedJob(Schema):
    """The answer to POST /jobs."""

    job_id = fields.String()
    status = fields.String(metadata={"enum": list(JOB_STATUSES)})
    accepted = fields.Integer()
    rejected = fields.List(fields.Nested(Rejection))
    article_ids = fields.List(fields.Integer())
    links = fields.Nested(Links)


class JobCounts(Schema):
    """How many of a job's articles are in each state, and its events."""

    articles = fields.Integer()
    queued = fields.Integer()
    running = fields.Integer()
    coded = fields.Integer()
    failed = fields.Integer()
    rejected = fields.Integer()
    events = fields.Integer()


class ArticleError(Schema):
    """An article that failed (or is being retried), with the reason."""

    article_id = fields.Integer()
    id = fields.String(allow_none=True)
    status = fields.String()
    error = fields.String()


class JobOut(Schema):
    """A job's state."""

    job_id = fields.String()
    status = fields.String(metadata={"enum": list(JOB_STATUSES)})
    counts = fields.Nested(JobCounts)
    progress = fields.Float()
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    errors = fields.List(fields.Nested(ArticleError))
    rejected = fields.List(fields.Nested(Rejection))
    links = fields.Nested(Links)


class JobQuery(Schema):
    """Filters and paging for GET /jobs."""

    status = fields.String(validate=validate.OneOf(JOB_STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))
    cursor = fields.String(validate=validate.Length(max=200))


class JobPage(Schema):
    """A page of jobs."""

    jobs = fields.List(fields.Nested(JobOut))
    next_cursor = fields.String(allow_none=True)
    links = fields.Nested(Links)


class ArticleOut(Schema):
    """A stored article: its fields (not its text), its state and its events."""

    article_id = fields.Integer()
    id = fields.String(allow_none=True, metadata={"description": "The client's own id."})
    title = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    published_at = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    metadata = fields.Dict(allow_none=True)
    status = fields.String(metadata={"enum": list(ARTICLE_STATUSES)})
    attempts = fields.Integer()
    error = fields.String(allow_none=True)
    n_events = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    events = fields.List(fields.Nested(EventOut))
