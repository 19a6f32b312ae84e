"""POST /articles and GET /articles/{id}: accepted, deduplicated, or refused properly."""

from __future__ import annotations

import json

import pytest

ARTICLE = {
    "text": "Russian President Vladimir Putin met Chinese President Xi Jinping on Tuesday.",
    "title": "Putin meets Xi",
    "url": "https://example.org/a",
    "source": "example",
    "published_at": "2022-02-04",
    "language": "en",
    "id": "client-7",
    "metadata": {"section": "world", "tags": ["summit"]},
}


def post(client, body, **kwargs):
    """POST an article as JSON."""
    return client.post("/api/v1/articles", json=body, **kwargs)


def test_an_article_is_accepted_stored_and_published(client, queued):
    response = post(client, ARTICLE)
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued" and body["existing"] is False
    assert queued() == [body["article_id"]]
    article = client.get(body["links"]["article"]).get_json()
    assert article["article_id"] == body["article_id"]
    assert article["id"] == "client-7"
    assert article["metadata"] == {"section": "world", "tags": ["summit"]}
    assert article["published_at"] == "2022-02-04"
    assert article["status"] == "queued" and article["events"] == []
    job = client.get(body["links"]["job"]).get_json()
    assert job["status"] == "queued" and job["counts"]["articles"] == 1


def test_the_same_text_and_url_return_the_stored_article(client, queued):
    first = post(client, ARTICLE).get_json()
    queued()
    # Whitespace differences do not make a new article.
    again = post(client, {**ARTICLE, "text": "  " + ARTICLE["text"].replace(" ", "\n ", 1)})
    assert again.status_code == 202
    assert again.get_json()["article_id"] == first["article_id"]
    assert again.get_json()["existing"] is True
    assert queued() == []
    other_url = post(client, {**ARTICLE, "url": "https://example.org/b"}).get_json()
    assert other_url["article_id"] != first["article_id"]


def test_a_datetime_publication_is_kept_in_iso_form(client):
    body = post(client, {"text": "x y z", "published_at": "2021-12-07T14:00:00Z"}).get_json()
    article = client.get(body["links"]["article"]).get_json()
    assert article["published_at"] == "2021-12-07T14:00:00+00:00"


def test_a_numeric_client_id_is_kept_as_text(client):
    body = post(client, {"text": "x y z", "id": 42}).get_json()
    assert client.get(body["links"]["article"]).get_json()["id"] == "42"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b'{"text": "unterminated', "application/json"),
        (b'{"text": "\xff\xfe bad bytes"}', "application/json"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (b"", "application/json"),
    ],
    ids=["malformed", "invalid-utf8", "deep-nesting", "empty"],
)
def test_unreadable_json_is_400(client, data, content_type):
    response = client.post("/api/v1/articles", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.get_json()["code"] == 400


def test_a_bom_before_the_json_is_allowed(client):
    data = "\ufeff".encode() + json.dumps({"text": "a b c"}).encode()
    response = client.post("/api/v1/articles", data=data, content_type="application/json")
    assert response.status_code == 202


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", None])
def test_other_content_types_are_415(client, content_type):
    response = client.post("/api/v1/articles", data=b'{"text": "a"}', content_type=content_type)
    assert response.status_code == 415
    assert "application/json" in response.get_json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "text"),
        ({"text": "   "}, "text"),
        ({"text": 5}, "text"),
        ({"text": "a\x00b"}, "text"),
        ({"text": "a\ud800b"}, "text"),
        ({"text": "ok", "title": "\ud83d"}, "title"),
        ({"text": "ok", "published_at": "yesterday"}, "published_at"),
        ({"text": "ok", "published_at": "2021-13-45"}, "published_at"),
        ({"text": "ok", "metadata": [1, 2]}, "metadata"),
        ({"text": "ok", "colour": "red"}, "colour"),
        ({"text": "ok", "id": "x" * 201}, "id"),
    ],
)
def test_invalid_fields_are_422_with_field_messages(client, body, field, queued):
    raw = json.dumps(body).encode()  # escapes lone surrogates as \\udXXX, as a client would
    response = client.post("/api/v1/articles", data=raw, content_type="application/json")
    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    assert queued() == []


@pytest.mark.parametrize("raw", [b'[{"text": "a"}]', b'"text"', b"7", b"null"])
def test_json_that_is_not_an_object_is_422(client, raw):
    response = client.post("/api/v1/articles", data=raw, content_type="application/json")
    assert response.status_code == 422


def test_a_text_over_the_article_limit_is_413(make_app):
    client = make_app(MAX_ARTICLE_CHARS=100).test_client()
    response = post(client, {"text": "word " * 50})
    assert response.status_code == 413
    assert "text" in response.get_json()["errors"]["json"]


def test_a_body_over_the_request_limit_is_413(make_app):
    client = make_app(MAX_CONTENT_LENGTH=1000).test_client()
    response = post(client, {"text": "word " * 500})
    assert response.status_code == 413
    assert response.get_json()["code"] == 413


@pytest.mark.parametrize("path", ["/api/v1/articles/999", f"/api/v1/articles/{10**30}"])
def test_an_unknown_article_is_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_an_idempotency_key_replays_the_first_answer(client, queued):
    headers = {"Idempotency-Key": "abc-123"}
    first = post(client, ARTICLE, headers=headers)
    second = post(client, ARTICLE, headers=headers)
    assert second.status_code == first.status_code == 202
    assert second.get_json() == first.get_json()
    assert len(queued()) == 1
    jobs = client.get("/api/v1/jobs").get_json()["jobs"]
    assert len(jobs) == 1


def test_an_idempotency_key_reused_for_another_body_is_409(client):
    headers = {"Idempotency-Key": "abc-123"}
    post(client, ARTICLE, headers=headers)
    response = post(client, {**ARTICLE, "text": "Something else entirely."}, headers=headers)
    assert response.status_code == 409


@pytest.mark.parametrize("key", ["", "k" * 201, "a\x00b"])
def test_an_unusable_idempotency_key_is_422(client, key):
    response = post(client, ARTICLE, headers={"Idempotency-Key": key})
    assert response.status_code == 422
