"""Limits and races found in review: oversize cells, chunked bodies, keys in flight, leaks."""

from __future__ import annotations

import base64
import io
import json
from datetime import timedelta

from sqlalchemy import insert

from service.storage.clock import now
from service.storage.engine import get_engine
from service.storage.tables import idempotency_keys


def upload(client, name: str, content: bytes):
    """POST one file as a multipart upload, beside a good one."""
    data = {"files": [(io.BytesIO(b"A good article."), "good.txt"), (io.BytesIO(content), name)]}
    return client.post("/api/v1/jobs", data=data, content_type="multipart/form-data")


def test_a_csv_cell_over_the_article_limit_is_refused_not_a_500(make_app):
    client = make_app(MAX_ARTICLE_CHARS=50).test_client()
    response = upload(client, "big.csv", b"text,title\nshort text," + b"t" * 200 + b"\n")
    assert response.status_code == 202
    [refused] = response.get_json()["rejected"]
    assert refused["file"] == "big.csv" and "CSV" in refused["reason"]


def test_refused_items_count_towards_the_batch_limit(make_app):
    client = make_app(MAX_BATCH_ARTICLES=5).test_client()
    data = '{"text": "fine"}\n' + "not json\n" * 10
    response = client.post("/api/v1/jobs", data=data, content_type="application/x-ndjson")
    assert response.status_code == 413


def test_a_chunked_body_over_the_limit_is_413_not_truncated(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1000).test_client()
    lines = "".join(json.dumps({"text": f"article {n}"}) + "\n" for n in range(100))
    response = client.post(
        "/api/v1/jobs",
        input_stream=io.BytesIO(lines.encode()),
        content_type="application/x-ndjson",
        headers={"Transfer-Encoding": "chunked"},
        # What gunicorn says of a chunked body it has already de-chunked.
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413


def test_ndjson_lines_end_only_at_newlines(client):
    data = '{"text": "one \u2028 line"}\n{"text": "two \u0085 line"}\n'.encode()
    response = client.post("/api/v1/jobs", data=data, content_type="application/x-ndjson")
    assert response.get_json()["accepted"] == 2 and response.get_json()["rejected"] == []


def test_nan_and_infinity_are_not_json(client):
    for raw in (b'{"text": "a", "metadata": {"x": NaN}}', b'{"text": "a", "id": Infinity}'):
        response = client.post("/api/v1/articles", data=raw, content_type="application/json")
        assert response.status_code == 400


def test_a_key_still_in_flight_is_409(app, client):
    engine = get_engine(app.config["DATABASE_URL"])
    body = {"text": "keyed article"}
    raw = json.dumps(body).encode()
    headers = {"Idempotency-Key": "in-flight", "Content-Type": "application/json"}
    request = client.post("/api/v1/articles", data=raw, headers=headers)  # stores the key
    assert request.status_code == 202
    with engine.begin() as connection:
        for key, age in (("busy", 1),):
            connection.execute(
                insert(idempotency_keys).values(
                    key=key,
                    request_hash="x",
                    status_code=0,
                    response="",
                    created_at=now() - timedelta(seconds=age),
                )
            )
    busy = client.post("/api/v1/articles", data=raw, headers={**headers, "Idempotency-Key": "busy"})
    assert busy.status_code == 409 and "still being handled" in busy.get_json()["message"]


def test_an_abandoned_key_is_taken_over_by_the_same_request(app, client):
    from service.api.idempotency import claim

    engine = get_engine(app.config["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(
            insert(idempotency_keys).values(
                key="abandoned",
                request_hash="same",
                status_code=0,
                response="",
                created_at=now() - timedelta(seconds=600),
            )
        )
    assert claim(engine, "abandoned", "other") is False
    assert claim(engine, "abandoned", "same") is True
    assert claim(engine, "abandoned", "same") is False  # now fresh again


def test_a_job_of_finished_articles_answers_done_at_once(client, queued):
    from tests.support import force_state

    first = client.post("/api/v1/jobs", json={"articles": [{"text": "only one"}]}).get_json()
    app = client.application
    force_state(get_engine(app.config["DATABASE_URL"]), first["article_ids"][0], "coded")
    again = client.post("/api/v1/jobs", json={"articles": [{"text": "only one"}]}).get_json()
    assert again["status"] == "done"


def test_head_requests_on_the_csv_do_not_keep_connections(app, client):
    client.post("/api/v1/jobs", json={"articles": [{"text": "x"}]})
    engine = get_engine(app.config["DATABASE_URL"])
    for _ in range(20):
        response = client.head("/api/v1/events.csv")
        assert response.status_code == 200
        response.close()  # as every WSGI server does, body read or not
    assert engine.pool.checkedout() == 0


def test_a_cursor_naming_no_job_is_422(client):
    cursor = base64.urlsafe_b64encode(b"2020-01-01T00:00:00|\x00").decode()
    assert client.get(f"/api/v1/jobs?cursor={cursor}").status_code == 422


def test_filters_refuse_a_trailing_newline_and_foreign_digits(client):
    for query in ("source=RUS%0A", "country=RUS%0A", "event_code=%D9%A1%D9%A9"):
        assert client.get(f"/api/v1/events?{query}").status_code == 422


def test_an_article_reads_back_with_iso_timestamps(client):
    body = client.post("/api/v1/articles", json={"text": "timestamps"}).get_json()
    article = client.get(body["links"]["article"]).get_json()
    assert article["created_at"].startswith(str(now().year)) and "T" in article["created_at"]
