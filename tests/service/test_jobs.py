"""POST /jobs in every format, GET /jobs/{id} through its states, and GET /jobs."""

from __future__ import annotations

import io
import json

import pytest

from service.storage.clock import now
from service.storage.engine import get_engine
from tests.support import force_state


def texts(count: int) -> list[dict]:
    """Return `count` distinct articles."""
    return [{"text": f"Article number {n} about talks.", "id": str(n)} for n in range(count)]


def post_json(client, body, **kwargs):
    """POST a JSON batch."""
    return client.post("/api/v1/jobs", json=body, **kwargs)


def set_status(app, article_ids, status, error=None):
    """Put articles in a state, as a worker would."""
    finished = now() if status in ("coded", "failed") else None
    engine = get_engine(app.config["DATABASE_URL"])
    for article_id in article_ids:
        force_state(engine, article_id, status, error=error, finished_at=finished)


def test_a_json_batch_accepts_the_good_and_lists_the_bad(client, queued):
    batch = [*texts(3), {"title": "no text"}, "not an object", {"text": "ok", "bogus": 1}]
    response = post_json(client, {"articles": batch})
    assert response.status_code == 202
    body = response.get_json()
    assert body["accepted"] == 3 and len(body["article_ids"]) == 3
    assert [item["index"] for item in body["rejected"]] == [3, 4, 5]
    assert "text" in body["rejected"][0]["reason"]
    assert "bogus" in body["rejected"][2]["reason"]
    assert sorted(queued()) == sorted(body["article_ids"])
    job = client.get(body["links"]["self"]).get_json()
    assert job["status"] == "queued"
    assert job["counts"] | {"events": 0} == {
        "articles": 3, "queued": 3, "running": 0, "coded": 0, "failed": 0, "rejected": 3,
        "events": 0,
    }  # fmt: skip
    assert job["rejected"] == body["rejected"]


def test_ndjson_lines_are_articles_and_bad_lines_are_listed(client):
    lines = [json.dumps(item) for item in texts(2)]
    data = "\n".join([lines[0], "{oops", "", lines[1], "[1]"]) + "\n"
    response = client.post("/api/v1/jobs", data=data, content_type="application/x-ndjson")
    assert response.status_code == 202
    body = response.get_json()
    assert body["accepted"] == 2
    assert [item["index"] for item in body["rejected"]] == [1, 3]
    assert "malformed" in body["rejected"][0]["reason"]


def test_the_seed_file_posts_as_one_job(client, repo):
    data = (repo / "seeds" / "articles.jsonl").read_bytes()
    response = client.post("/api/v1/jobs", data=data, content_type="application/x-ndjson")
    assert response.status_code == 202
    assert response.get_json()["accepted"] == 5 and response.get_json()["rejected"] == []


def upload(client, files):
    """POST a multipart upload of (name, bytes) files."""
    data = {"files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post("/api/v1/jobs", data=data, content_type="multipart/form-data")


def test_a_multipart_upload_reads_every_file_type(client, app):
    csv_text = 'text,title,author\n"Iran, said ""no"".",T1,Ann\nSecond row text.,,Bob\n,empty,Cy\n'
    files = [
        ("a.txt", b"Plain text article."),
        ("b.html", b"<html><body><p>Some story.</p></body></html>"),
        ("c.json", json.dumps([{"text": "json one"}, {"text": "json two"}]).encode()),
        ("d.jsonl", b'{"text": "line one"}\n{"text": "line two"}\n'),
        ("e.csv", csv_text.encode()),
        ("f.pdf", b"%PDF-1.4"),
        ("g.txt", b"\xff\xfe\x00bad"),
    ]
    response = upload(client, files)
    assert response.status_code == 202
    body = response.get_json()
    assert body["accepted"] == 8
    reasons = {item["file"]: item["reason"] for item in body["rejected"]}
    assert set(reasons) == {"e.csv", "f.pdf", "g.txt"}
    assert "text" in reasons["e.csv"] and "pdf" in reasons["f.pdf"] and "UTF-8" in reasons["g.txt"]
    first_csv = client.get(f"/api/v1/articles/{body['article_ids'][6]}").get_json()
    assert first_csv["title"] == "T1" and first_csv["metadata"] == {"author": "Ann"}
    txt = client.get(f"/api/v1/articles/{body['article_ids'][0]}").get_json()
    assert txt["id"] == "a.txt"


def test_an_upload_without_files_is_422(client):
    response = client.post("/api/v1/jobs", data={"x": "y"}, content_type="multipart/form-data")
    assert response.status_code == 422


@pytest.mark.parametrize(
    "body", [{"articles": []}, {"articles": [{"title": "x"}]}, {"items": []}, [{"text": "a"}]]
)
def test_a_batch_with_nothing_acceptable_is_422(client, body, queued):
    response = post_json(client, body)
    assert response.status_code == 422
    assert queued() == []
    assert client.get("/api/v1/jobs").get_json()["jobs"] == []


def test_a_batch_over_the_limit_is_413(make_app):
    client = make_app(MAX_BATCH_ARTICLES=5).test_client()
    response = post_json(client, {"articles": texts(6)})
    assert response.status_code == 413


@pytest.mark.parametrize("content_type", ["text/csv", "application/octet-stream", None])
def test_other_batch_content_types_are_415(client, content_type):
    response = client.post("/api/v1/jobs", data=b"text\nx\n", content_type=content_type)
    assert response.status_code == 415


def test_malformed_batch_json_is_400(client):
    response = client.post("/api/v1/jobs", data=b'{"articles": [', content_type="application/json")
    assert response.status_code == 400


def test_a_repeated_article_in_a_batch_is_one_article(client, queued):
    response = post_json(client, {"articles": [{"text": "same"}, {"text": "same"}]})
    body = response.get_json()
    assert body["accepted"] == 2 and body["article_ids"][0] == body["article_ids"][1]
    assert queued() == body["article_ids"][:1]


def test_job_status_follows_its_articles(client, app):
    body = post_json(client, {"articles": texts(3)}).get_json()
    ids, url = body["article_ids"], body["links"]["self"]
    set_status(app, ids[:1], "running")
    assert client.get(url).get_json()["status"] == "running"
    set_status(app, ids[:2], "coded")
    job = client.get(url).get_json()
    assert job["status"] == "running" and job["progress"] == pytest.approx(2 / 3, abs=1e-3)
    assert job["finished_at"] is None
    set_status(app, ids[2:], "failed", error="coder error: boom")
    job = client.get(url).get_json()
    assert job["status"] == "partial" and job["finished_at"] is not None
    assert job["errors"] == [
        {"article_id": ids[2], "id": "2", "status": "failed", "error": "coder error: boom"}
    ]
    set_status(app, ids, "coded")
    assert client.get(url).get_json()["status"] == "done"
    set_status(app, ids, "failed")
    assert client.get(url).get_json()["status"] == "failed"


def test_jobs_are_listed_newest_first_filtered_and_paged(client, app):
    made = [post_json(client, {"articles": texts(n + 1)[n:]}).get_json() for n in range(5)]
    set_status(app, made[0]["article_ids"], "coded")
    seen, url = [], "/api/v1/jobs?limit=2"
    while url:
        page = client.get(url).get_json()
        seen += [job["job_id"] for job in page["jobs"]]
        url = page["links"].get("next")
    assert seen == [job["job_id"] for job in reversed(made)]
    done = client.get("/api/v1/jobs?status=done").get_json()["jobs"]
    assert [job["job_id"] for job in done] == [made[0]["job_id"]]


@pytest.mark.parametrize("query", ["status=finished", "limit=0", "cursor=%%%", "cursor=bm9wZQ"])
def test_bad_job_list_arguments_are_422(client, query):
    assert client.get(f"/api/v1/jobs?{query}").status_code == 422


@pytest.mark.parametrize("job_id", ["0" * 32, "nope", "a" * 300])
def test_an_unknown_job_is_404(client, job_id):
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}/events.csv").status_code == 404
