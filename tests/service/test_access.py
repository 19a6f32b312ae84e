"""API keys: 401 without a live key, no reading other keys' jobs, rate limits per key."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from service.cli import main
from service.storage.engine import get_engine
from service.storage.keys import create_key, revoke_key
from tests.support import code_with, drain_tasks, record
from workers import tasks


@pytest.fixture
def app(app_on_each_database, make_app):
    """An app with access control on, on SQLite and on PostgreSQL."""
    url = app_on_each_database.config["DATABASE_URL"]
    return make_app(DATABASE_URL=url, AUTH_REQUIRED=True)


def new_key(app, name: str, role: str = "user") -> dict[str, str]:
    """Create a key and return the header that sends it."""
    _, secret = create_key(get_engine(app.config["DATABASE_URL"]), name, role)
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def keys(app) -> dict[str, dict[str, str]]:
    """Two researchers' keys and an admin's."""
    return {"a": new_key(app, "Lab A"), "b": new_key(app, "Lab B"),
            "admin": new_key(app, "Root", "admin")}  # fmt: skip


@pytest.fixture
def lab_a(app, client, keys) -> dict:
    """Lab A's job and single article, both coded, and an export of its events."""
    job = client.post("/api/v1/jobs", headers=keys["a"],
                      json={"articles": [{"text": "a1"}, {"text": "a2"}]}).get_json()  # fmt: skip
    single = client.post("/api/v1/articles", headers=keys["a"], json={"text": "a3"}).get_json()
    for n, article_id in enumerate([*job["article_ids"], single["article_id"]]):
        code_with(app, article_id, [record(n, event_id=f"a{n:04d}")])
    export = client.post("/api/v1/exports", headers=keys["a"], json={}).get_json()
    drain_tasks(app)
    with app.app_context():
        assert tasks.build_export(export["export_id"]) == "done"
    return {"job": job["job_id"], "article": single["article_id"], "export": export["export_id"]}


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz"])
def test_a_request_without_a_live_key_is_401(client, header):
    headers = {"Authorization": header} if header else {}
    refused = client.get("/api/v1/jobs", headers=headers)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert "key" in refused.get_json()["message"]


def test_a_revoked_key_is_refused_at_once(app, client):
    engine = get_engine(app.config["DATABASE_URL"])
    key, secret = create_key(engine, "temp")
    sent = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/jobs", headers=sent).status_code == 200
    assert revoke_key(engine, key.id)
    assert client.get("/api/v1/jobs", headers=sent).status_code == 401


def test_health_and_the_api_description_need_no_key(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/readyz").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_another_key_cannot_read_or_export_a_job(client, keys, lab_a):
    job, article, export = lab_a["job"], lab_a["article"], lab_a["export"]
    for path in (f"/api/v1/jobs/{job}", f"/api/v1/jobs/{job}/events.csv",
                 f"/api/v1/jobs/{job}/events/export",
                 f"/api/v1/articles/{article}", f"/api/v1/exports/{export}",
                 f"/api/v1/exports/{export}/bundle.zip", "/api/v1/events/a0000/mentions"):
        assert status(client, path, keys["a"]) == 200, path
        assert status(client, path, keys["b"]) == 404, path  # as if it did not exist
        assert status(client, path, keys["admin"]) == 200, path


def status(client, path: str, headers: dict[str, str]) -> int:
    """GET a path and return the status, closing a streamed body."""
    with client.get(path, headers=headers) as response:
        return response.status_code


def test_event_lists_exports_and_summaries_hold_only_the_keys_own_events(client, keys, lab_a):
    mine = {e["event_id"] for e in client.get("/api/v1/events", headers=keys["a"])
            .get_json()["events"]}  # fmt: skip
    assert mine == {"a0000", "a0001", "a0002"}
    assert client.get("/api/v1/events", headers=keys["b"]).get_json()["events"] == []
    assert client.get("/api/v1/jobs", headers=keys["b"]).get_json()["jobs"] == []
    assert len(client.get("/api/v1/jobs", headers=keys["admin"]).get_json()["jobs"]) == 2
    csv_rows = client.get("/api/v1/events.csv", headers=keys["b"]).get_data(as_text=True)
    assert len(csv_rows.strip().splitlines()) == 1  # the header only
    export = client.get("/api/v1/events/export?format=jsonl", headers=keys["b"])
    assert export.status_code == 200 and export.get_data() == b""
    summary = client.get("/api/v1/events/summary", headers=keys["b"]).get_json()
    assert summary["total"] == 0 and summary["by_day"] == summary["top_dyads"] == []


def test_a_bundle_asked_for_by_another_key_holds_none_of_the_jobs_events(app, client, keys,
                                                                          lab_a):  # fmt: skip
    asked = client.post("/api/v1/exports", headers=keys["b"], json={"format": "jsonl"})
    export_id = asked.get_json()["export_id"]
    drain_tasks(app)
    with app.app_context():
        assert tasks.build_export(export_id) == "done"
    with client.get(f"/api/v1/exports/{export_id}/bundle.zip", headers=keys["b"]) as download:
        data = download.get_data()
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        provenance = json.loads(bundle.read("provenance.json"))
    assert provenance["files"]["events.native.jsonl"]["rows"] == 0
    assert "owner" not in provenance["filters"]


def test_the_same_idempotency_key_from_two_keys_makes_two_jobs(client, keys):
    body = {"articles": [{"text": "shared text"}]}
    header = {"Idempotency-Key": "batch-1"}
    first = client.post("/api/v1/jobs", headers={**keys["a"], **header}, json=body)
    second = client.post("/api/v1/jobs", headers={**keys["b"], **header}, json=body)
    assert first.status_code == second.status_code == 202
    assert first.get_json()["job_id"] != second.get_json()["job_id"]
    again = client.post("/api/v1/jobs", headers={**keys["a"], **header}, json=body)
    assert again.get_json()["job_id"] == first.get_json()["job_id"]


def test_each_key_has_its_own_rate_limit(make_app, app):
    limited = make_app(DATABASE_URL=app.config["DATABASE_URL"], AUTH_REQUIRED=True,
                       RATE_LIMIT="3 per minute")  # fmt: skip
    client, a, b = limited.test_client(), new_key(limited, "A"), new_key(limited, "B")
    assert [client.get("/api/v1/jobs", headers=a).status_code for _ in range(3)] == [200] * 3
    refused = client.get("/api/v1/jobs", headers=a)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "message" in refused.get_json()
    assert client.get("/api/v1/jobs", headers=b).status_code == 200


def test_rate_limits_fall_back_to_memory_when_their_store_is_down(make_app, app):
    limited = make_app(DATABASE_URL=app.config["DATABASE_URL"], AUTH_REQUIRED=True,
                       RATE_LIMIT="2 per minute",
                       RATE_LIMIT_STORAGE="redis://127.0.0.1:1/0")  # nothing listens there
    client, key = limited.test_client(), new_key(limited, "A")
    statuses = [client.get("/api/v1/jobs", headers=key).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_keys_are_created_listed_and_revoked_from_the_command_line(app, monkeypatch, capsys):
    monkeypatch.setenv("DYAD_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("DYAD_DATA_DIR", app.config["DATA_DIR"])
    assert main(["keys", "create", "--name", "Lab C"]) == 0
    created = capsys.readouterr().out.splitlines()
    key_id, secret = created[0].split()[3], created[1]
    assert main(["keys", "list"]) == 0
    listing = capsys.readouterr().out
    assert key_id in listing and "Lab C" in listing and secret not in listing
    client = app.test_client()
    assert client.get("/api/v1/jobs", headers={"Authorization": f"Bearer {secret}"}).status_code \
        == 200  # fmt: skip
    assert main(["keys", "revoke", key_id]) == 0
    assert client.get("/api/v1/jobs", headers={"Authorization": f"Bearer {secret}"}).status_code \
        == 401  # fmt: skip
    assert main(["keys", "revoke", key_id]) == 1
    assert "no live key" in capsys.readouterr().err
