"""Bundle exports: a worker builds the .zip, the client polls it and downloads it when done."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from flask import current_app, request, send_file, url_for
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from marshmallow import ValidationError

from schemas.exports import ExportIn, ExportOut
from service.api import engine
from service.api.access import may_read, requester
from service.api.events import event_filter
from service.api.ingest import json_body
from service.api.jobs import JOB_ID
from service.storage.clock import as_utc
from service.storage.exports import create_export, get_export
from workers.tasks import build_export, send

blp = Blueprint("exports", __name__, description="Citable dataset bundles, built by a worker.")
BUNDLE_DOC = {
    "responses": {
        "200": {
            "description": "The bundle.",
            "content": {"application/zip": {"schema": {"type": "string"}}},
        }
    }
}


def described(row: dict[str, Any]) -> dict[str, Any]:
    """Return an export's row as the API shows it."""
    export_id = row["id"]
    return {
        "export_id": export_id, "status": row["status"], "request": row["request"],
        "rows": row["rows"], "bytes": row["bytes"], "error": row["error"],
        "created_at": as_utc(row["created_at"]), "started_at": as_utc(row["started_at"]),
        "finished_at": as_utc(row["finished_at"]),
        "links": {"self": url_for("exports.Export", export_id=export_id),
                  "bundle": url_for("exports.ExportBundle", export_id=export_id)},
    }  # fmt: skip


def found(export_id: str) -> dict[str, Any]:
    """Return an export's row, answering 404 for an id that is not one."""
    row = get_export(engine(), export_id) if JOB_ID.fullmatch(export_id) else None
    if row is None or not may_read(row["owner"]):  # another key's export is not found
        abort(404, message=f"No export {export_id}.")
    return row


def export_body() -> dict[str, Any]:
    """Read and check the request's JSON body, answering 415, 400 or 422 as POST /articles does."""
    # Not webargs' reader: it takes a body of another type for {} and lets a deeply nested
    # one raise RecursionError (a 500).
    try:
        return ExportIn().load(json_body(request))
    except ValidationError as error:
        abort(422, errors={"json": error.messages})
    raise AssertionError("unreachable")


@blp.route("/exports")
class Exports(MethodView):
    @blp.doc(requestBody={"content": {"application/json": {"schema": ExportIn}}, "required": True})
    @blp.response(202, ExportOut)
    @blp.alt_response(400, description="Malformed JSON or not UTF-8.")
    @blp.alt_response(415, description="Not application/json.")
    @blp.alt_response(422, description="Invalid fields.")
    def post(self):
        """Ask for a bundle: the data file, its codebook and its provenance, as a .zip."""
        body = export_body()
        where = asdict(event_filter(body))
        options = {"where": where, "layout": body["layout"], "fmt": body["format"],
                   "dedup": body["dedup"], "scheme": body.get("quad_scheme")}  # fmt: skip
        export_id = create_export(engine(), options, owner=requester())
        # A message the broker does not take is sent again by the reconciler: nothing is lost.
        send(build_export.name, [export_id])
        response = described(found(export_id))
        return response, 202, {"Location": response["links"]["self"]}


@blp.route("/exports/<string:export_id>")
class Export(MethodView):
    @blp.response(200, ExportOut)
    @blp.alt_response(404, description="Unknown export.")
    def get(self, export_id: str):
        """Show an export's state; its bundle link works once it is done."""
        return described(found(export_id))


@blp.route("/exports/<string:export_id>/bundle.zip")
class ExportBundle(MethodView):
    @blp.doc(**BUNDLE_DOC)
    @blp.alt_response(404, description="Unknown export.")
    @blp.alt_response(409, description="The bundle is not built (yet, or it failed).")
    @blp.alt_response(410, description="The bundle expired, or its file is gone.")
    def get(self, export_id: str):
        """Download a finished bundle."""
        row = found(export_id)
        if row["status"] == "expired":
            hours = current_app.config["EXPORT_RETENTION_HOURS"]
            abort(410, message=f"The bundle of export {export_id} was deleted {hours} hours "
                  "after it was built; POST the same request to /exports again.")  # fmt: skip
        if row["status"] != "done":
            detail = f": {row['error']}" if row["error"] else ""
            abort(409, message=f"Export {export_id} is {row['status']}{detail}.")
        path = Path(current_app.config["DATA_DIR"]) / "exports" / f"{export_id}.zip"
        if not path.is_file():  # removed, or built on a host that does not share DATA_DIR
            abort(410, message=f"The bundle of export {export_id} is no longer available.")
        return send_file(path, mimetype="application/zip", as_attachment=True,
                         download_name=f"dyad-export-{export_id}.zip")  # fmt: skip
