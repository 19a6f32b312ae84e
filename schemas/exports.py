"""Bundle exports: what POST /exports takes and what GET /exports/{id} answers."""

from __future__ import annotations

from marshmallow import Schema, fields

from schemas.events import ExportQuery


class ExportIn(ExportQuery):
    """The filters and options of a bundle: the events endpoints' own, as a JSON body."""

    class Meta:
        exclude = ("gzip",)


class ExportLinks(Schema):
    """Where to poll an export and where to download its bundle."""

    self = fields.String()
    bundle = fields.String()


class ExportOut(Schema):
    """A bundle export and its state: queued, running, done or failed."""

    export_id = fields.String()
    status = fields.String(metadata={"enum": ["queued", "running", "done", "failed", "expired"]})
    request = fields.Dict(metadata={"description": "The filters and options it was made with."})
    rows = fields.Integer(allow_none=True, metadata={"description": "Rows of the data file."})
    bytes = fields.Integer(allow_none=True, metadata={"description": "Size of the bundle."})
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    links = fields.Nested(ExportLinks)
