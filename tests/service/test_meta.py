"""The codebook, the probes, the OpenAPI document and the error format."""

from __future__ import annotations

import subprocess
import sys

import pytest

from coder.dictionaries import DATA_DIR, load_cameo

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"
CLOSED_PORT_DATABASE = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"


def test_the_codebook_lists_every_cameo_code(client):
    codes = client.get("/api/v1/codebook/events").get_json()["codes"]
    by_code = {entry["code"]: entry for entry in codes}
    assert len(by_code) == len(codes) == len(load_cameo(DATA_DIR / "cameo.txt"))
    assert by_code["010"] == {
        "code": "010", "name": "Make statement", "root": "01", "quad_class": 1, "goldstein": 0.0,
    }  # fmt: skip
    assert by_code["190"]["quad_class"] == 4 and by_code["190"]["goldstein"] == -10.0
    assert {entry["quad_class"] for entry in codes} == {1, 2, 3, 4}


def test_liveness_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/api/v1/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_readiness_is_503_when_the_broker_is_down(make_app):
    client = make_app(BROKER_URL=CLOSED_PORT_BROKER, BROKER_TIMEOUT=0.5).test_client()
    response = client.get("/readyz")
    assert response.status_code == 503 and response.headers["Retry-After"]
    body = response.get_json()
    assert body["database"] == "ok" and body["broker"].startswith("unreachable")


def test_readiness_is_503_when_the_database_is_down(app):
    app.config["DATABASE_URL"] = CLOSED_PORT_DATABASE
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"].startswith("unreachable")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/articles", {"text": "a"}),
        ("post", "/api/v1/jobs", {"articles": [{"text": "a"}]}),
        ("get", "/api/v1/jobs/" + "0" * 32, None),
        ("get", "/api/v1/jobs", None),
        ("get", "/api/v1/events", None),
        ("get", "/api/v1/events.csv", None),
        ("get", "/api/v1/articles/1", None),
    ],
)
def test_a_database_outage_is_503_with_retry_after(app, method, path, body):
    app.config["DATABASE_URL"] = CLOSED_PORT_DATABASE
    response = getattr(app.test_client(), method)(path, json=body)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(app.config["RETRY_AFTER_SECONDS"])
    assert response.get_json()["code"] == 503


def test_a_broker_outage_still_accepts_and_leaves_the_article_due(make_app):
    from sqlalchemy import select

    from service.storage import work
    from service.storage.engine import get_engine
    from service.storage.tables import articles

    app = make_app(BROKER_URL=CLOSED_PORT_BROKER, BROKER_TIMEOUT=0.5)
    response = app.test_client().post("/api/v1/articles", json={"text": "kept"})
    assert response.status_code == 202
    engine = get_engine(app.config["DATABASE_URL"])
    with engine.connect() as connection:
        row = connection.execute(select(articles.c.status)).one()
    assert row.status == "queued"
    # The reconciler's next pass picks it up at once.
    assert work.reconcile(engine, 60, 3).republish == [response.get_json()["article_id"]]


def test_unknown_routes_and_methods_answer_json(client):
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.get_json()["code"] == 404
    wrong = client.delete("/api/v1/jobs")
    assert wrong.status_code == 405 and wrong.get_json()["code"] == 405


def test_the_openapi_document_covers_every_endpoint(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    paths = set(spec["paths"])
    assert {
        "/api/v1/articles", "/api/v1/articles/{article_id}", "/api/v1/jobs",
        "/api/v1/jobs/{job_id}", "/api/v1/jobs/{job_id}/events.csv", "/api/v1/events",
        "/api/v1/events.csv", "/api/v1/codebook/events", "/healthz", "/readyz",
    } <= paths  # fmt: skip
    post_jobs = spec["paths"]["/api/v1/jobs"]["post"]
    assert set(post_jobs["requestBody"]["content"]) == {
        "application/json", "application/x-ndjson", "multipart/form-data",
    }  # fmt: skip
    assert {"202", "400", "413", "415", "422"} <= set(post_jobs["responses"])
    event_params = {p["name"] for p in spec["paths"]["/api/v1/events"]["get"]["parameters"]}
    assert {"job_id", "source", "target", "event_code", "quad_class", "country"} <= event_params


def test_serving_requests_never_loads_the_coding_pipeline(tmp_path):
    script = f"""
import sys
from service import create_app
from service.storage.migrate import upgrade
app = create_app({{"DATA_DIR": {str(tmp_path)!r}, "BROKER_URL": "memory://",
    "DATABASE_URL": "sqlite:///{tmp_path}/d.sqlite3"}})
upgrade(app.config["DATABASE_URL"])
client = app.test_client()
assert client.post("/api/v1/articles", json={{"text": "a b"}}).status_code == 202
assert client.get("/api/v1/codebook/events").status_code == 200
assert client.get("/api/v1/events.csv").status_code == 200
loaded = [name for name in ("coder.pipeline", "spacy") if name in sys.modules]
print(",".join(loaded))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_each_app_publishes_through_its_own_broker(make_app, queued):
    good = make_app()
    make_app(BROKER_URL=CLOSED_PORT_BROKER, BROKER_TIMEOUT=0.5)  # created last: Celery's current
    response = good.test_client().post("/api/v1/articles", json={"text": "routed"})
    assert queued() == [response.get_json()["article_id"]]
