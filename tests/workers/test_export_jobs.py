"""POST /exports: a worker builds the bundle; the client polls and downloads it."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.support import code_with, drain_tasks, record
from workers import tasks


@pytest.fixture
def app(app_on_each_database):
    """Run on SQLite, then on PostgreSQL."""
    return app_on_each_database


@pytest.fixture
def stored(app, client, queued):
    """One article with two coded events."""
    posted = client.post("/api/v1/articles", json={"text": "story", "source": "AP"})
    queued()
    code_with(app, posted.get_json()["article_id"], [
        record(1), record(2, event_code="190", event_base_code="190", event_root_code="19"),
    ])  # fmt: skip


def test_an_export_is_queued_built_by_a_worker_and_downloaded(app, client, stored):
    asked = client.post("/api/v1/exports", json={"layout": "phoenix", "format": "jsonl",
                                                  "event_code": "19"})  # fmt: skip
    assert asked.status_code == 202, asked.get_json()
    export = asked.get_json()
    assert export["status"] == "queued" and asked.headers["Location"] == export["links"]["self"]
    assert client.get(export["links"]["bundle"]).status_code == 409  # not built yet
    [(name, (export_id,))] = drain_tasks(app)
    assert (name, export_id) == ("dyad.export", export["export_id"])
    with app.app_context():
        assert tasks.build_export(export_id) == "done"
        assert tasks.build_export(export_id) == "skipped"  # a second delivery does nothing
    polled = client.get(export["links"]["self"]).get_json()
    assert (polled["status"], polled["rows"]) == ("done", 1) and polled["bytes"] > 0
    with client.get(export["links"]["bundle"]) as download:
        assert download.status_code == 200 and download.mimetype == "application/zip"
        data = download.get_data()
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        rows = bundle.read("events.phoenix.jsonl").decode().splitlines()
        provenance = json.loads(bundle.read("provenance.json"))
    assert [json.loads(row)["EventCode"] for row in rows] == ["190"]
    assert provenance["filters"] == {"event_code": "19"}


def test_a_failed_export_says_why(app, client, stored, monkeypatch):
    export_id = client.post("/api/v1/exports", json={}).get_json()["export_id"]
    drain_tasks(app)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("service.exporting.write_data", broken)
    with app.app_context():
        assert tasks.build_export(export_id) == "failed"
    polled = client.get(f"/api/v1/exports/{export_id}").get_json()
    assert polled["status"] == "failed" and "disk full" in polled["error"]
    refused = client.get(f"/api/v1/exports/{export_id}/bundle.zip")
    assert refused.status_code == 409 and "disk full" in refused.get_json()["message"]


def test_the_reconciler_resends_an_export_whose_message_was_lost(make_app):
    app = make_app(QUEUED_LEASE_SECONDS=0)
    client = app.test_client()
    export_id = client.post("/api/v1/exports", json={"layout": "gdelt"}).get_json()["export_id"]
    drain_tasks(app)  # the message is lost
    with app.app_context():
        tasks.reconcile()
    assert ("dyad.export", [export_id]) in [(name, list(args)) for name, args in drain_tasks(app)]


@pytest.mark.parametrize(
    ("body", "status"),
    [({"layout": "excel"}, 422), ({"dedup": "weekly"}, 422), ({"gzip": True}, 422),
     ({"date_from": "2021-13"}, 422)],
)  # fmt: skip
def test_bad_export_requests_are_refused(client, body, status):
    assert client.post("/api/v1/exports", json=body).status_code == status


def test_unknown_exports_are_404(client):
    assert client.get(f"/api/v1/exports/{'0' * 32}").status_code == 404
    assert client.get("/api/v1/exports/nope/bundle.zip").status_code == 404


def test_an_export_whose_worker_died_mid_build_is_built_again(make_app):
    from service.storage.engine import get_engine
    from service.storage.exports import claim_export, get_export

    app = make_app()
    client = app.test_client()
    export_id = client.post("/api/v1/exports", json={}).get_json()["export_id"]
    drain_tasks(app)
    engine = get_engine(app.config["DATABASE_URL"])
    assert claim_export(engine, export_id)  # a worker took it, then was killed
    _hours_ago(app, export_id, "started_at", 1)  # ... longer ago than a lease
    with app.app_context():
        tasks.reconcile()
        assert get_export(engine, export_id)["status"] == "queued"
        assert [args[0] for name, args in drain_tasks(app) if name == "dyad.export"] == [
            export_id
        ]
        assert tasks.build_export(export_id) == "done"


def test_a_bundle_whose_file_is_gone_is_410(app, client, stored):
    from pathlib import Path

    export_id = client.post("/api/v1/exports", json={}).get_json()["export_id"]
    drain_tasks(app)
    with app.app_context():
        assert tasks.build_export(export_id) == "done"
    (Path(app.config["DATA_DIR"]) / "exports" / f"{export_id}.zip").unlink()
    gone = client.get(f"/api/v1/exports/{export_id}/bundle.zip")
    assert gone.status_code == 410 and "no longer available" in gone.get_json()["message"]


def test_the_reconciler_deletes_bundles_past_their_retention(make_app):
    from pathlib import Path

    app = make_app(EXPORT_RETENTION_HOURS=0.01)
    client = app.test_client()
    kept, old = (client.post("/api/v1/exports", json={}).get_json()["export_id"] for _ in "ab")
    drain_tasks(app)
    with app.app_context():
        assert tasks.build_export(old) == "done"
        _hours_ago(app, old, "finished_at", 1)
        assert tasks.build_export(kept) == "done"
        tasks.reconcile()
    folder = Path(app.config["DATA_DIR"]) / "exports"
    assert not (folder / f"{old}.zip").exists() and (folder / f"{kept}.zip").is_file()
    assert client.get(f"/api/v1/exports/{old}").get_json()["status"] == "expired"
    gone = client.get(f"/api/v1/exports/{old}/bundle.zip")
    assert gone.status_code == 410 and "POST the same request" in gone.get_json()["message"]
    with client.get(f"/api/v1/exports/{kept}/bundle.zip") as download:
        assert download.status_code == 200


def _hours_ago(app, export_id: str, moment: str, hours: float) -> None:
    """Set an export's `moment` (started_at, finished_at) to `hours` ago."""
    from datetime import timedelta

    from sqlalchemy import update

    from service.storage.clock import now
    from service.storage.engine import get_engine
    from service.storage.tables import exports

    with get_engine(app.config["DATABASE_URL"]).begin() as connection:
        connection.execute(update(exports).where(exports.c.id == export_id)
                           .values({moment: now() - timedelta(hours=hours)}))  # fmt: skip
