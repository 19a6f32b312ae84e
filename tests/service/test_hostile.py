"""Hostile input anywhere gets a 4xx with a JSON body: never a 500, never a traceback."""

from __future__ import annotations

import io
import json

import pytest

JSON = "application/json"
DEEP = b'{"text": "a", "metadata": {"x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}}"
CASES = [
    ("post", "/api/v1/articles", b'{"text": "a", "id": 1e999}', "application/json"),
    ("post", "/api/v1/articles", b'{"text": "a", "id": ' + b"9" * 5000 + b"}", "application/json"),
    ("post", "/api/v1/articles", DEEP, "application/json"),
    ("post", "/api/v1/articles", b'{"text": "a", "metadata": {"\\u0000": 1}}', "application/json"),
    ("post", "/api/v1/articles", b'{"text": "a", "published_at": "0000-00"}', "application/json"),
    ("post", "/api/v1/articles", b'{"text": "a", "published_at": 20211207}', "application/json"),
    ("post", "/api/v1/articles", b'{"text": {"nested": "object"}}', "application/json"),
    ("post", "/api/v1/articles", b'{"text": "\\udfff\\ud800"}', "application/json"),
    ("post", "/api/v1/articles", "{\"text\": \"caf\u00e9\"}".encode("latin-1"), "application/json"),
    ("post", "/api/v1/jobs", b'{"articles": "not a list"}', "application/json"),
    ("post", "/api/v1/jobs", b'{"articles": [' + b"[" * 5000 + b"]" * 5000 + b"]}", JSON),
    ("post", "/api/v1/jobs", b'{"text": "\\u0000"}\n\xff\xfe\n', "application/x-ndjson"),
    ("post", "/api/v1/jobs", b"--x\r\nbroken multipart", "multipart/form-data; boundary=x"),
    ("post", "/api/v1/jobs", b"", "multipart/form-data"),
    ("get", "/api/v1/events?source=%00", None, None),
    ("get", "/api/v1/events?cursor=%F0%9F%92%A9", None, None),
    ("get", "/api/v1/events?date_from=2021-99-99", None, None),
    ("get", "/api/v1/events.csv?quad_class=1e9", None, None),
    ("get", "/api/v1/jobs?cursor=" + "A" * 150, None, None),
    ("get", "/api/v1/jobs/%00", None, None),
    ("get", "/api/v1/jobs/" + "f" * 32 + "/events.csv?gzip=maybe", None, None),
    ("get", "/api/v1/articles/-1", None, None),
    ("put", "/api/v1/articles", b"{}", "application/json"),
]


@pytest.mark.parametrize(("method", "path", "data", "content_type"), CASES)
def test_hostile_requests_get_a_4xx_json_answer(client, method, path, data, content_type):
    response = getattr(client, method)(path, data=data, content_type=content_type)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert body["code"] == response.status_code
    assert "Traceback" not in json.dumps(body)


def test_an_upload_with_hostile_files_keeps_the_good_ones(client):
    files = {
        "files": [
            (io.BytesIO(b"Good text."), "ok.txt"),
            (io.BytesIO(b"text\n\x00nul in a cell\n"), "nul.csv"),
            (io.BytesIO(b"[" * 5000), "deep.json"),
            (io.BytesIO(b"text,text\nduplicate,columns\n"), "dup.csv"),
            (io.BytesIO(b"x"), "name\x00with-nul.txt"),
        ]
    }
    response = client.post("/api/v1/jobs", data=files, content_type="multipart/form-data")
    assert response.status_code == 202
    body = response.get_json()
    assert body["accepted"] >= 1
    assert {item["file"] for item in body["rejected"]} >= {"nul.csv", "deep.json"}
