"""GET /events/export: every layout and format, deduplication, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import gzip
import io
import json

import pyarrow.parquet as pq
import pytest

from coder.formats import FORMATS
from coder.layouts import GDELT_COLUMNS, LAYOUTS, MERGE_FIELDS
from coder.record import RECORD_FIELDS
from tests.support import code_with, record


@pytest.fixture
def app(app_on_each_database):
    """Run on SQLite, then on PostgreSQL."""
    return app_on_each_database


def call(n: int, day: str, **values) -> dict:
    """Return a Putin-Biden call mention (CAMEO 040)."""
    return record(n, event_code="040", event_base_code="040", event_root_code="04",
                  date=day, **values)  # fmt: skip


@pytest.fixture
def outlets(client, app):
    """Three outlets report the call; one also reports an accusation with a formula in it."""
    posted = client.post("/api/v1/jobs", json={"articles": [
        {"text": "ap", "source": "AP", "url": "http://ap/1", "published_at": "2021-12-07"},
        {"text": "tass", "source": "TASS", "url": "http://tass/1", "published_at": "2021-12-08"},
        {"text": "yna", "source": "Yonhap", "url": "http://yna/1", "published_at": "2021-12-08"},
    ]})  # fmt: skip
    ap, tass, yna = posted.get_json()["article_ids"]
    code_with(app, ap, [call(1, "2021-12-07")])
    code_with(app, tass, [
        call(2, "2021-12-07", source_code="USAGOV", target_code="RUSGOV"),
        record(3, event_code="112", event_base_code="112", event_root_code="11",
               source_text="=HYPERLINK(\"x\")", date="2021-12-08"),
    ])  # fmt: skip
    code_with(app, yna, [call(4, "2021-12-08", source_code="RUS", target_code="USA")])
    return posted.get_json()["job_id"]


def download(client, query: str) -> bytes:
    """GET /events/export?query and return the body."""
    response = client.get(f"/api/v1/events/export?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_and_format_downloads(client, outlets, layout, fmt, tmp_path):
    body = download(client, f"layout={layout}&format={fmt}")
    columns = list(LAYOUTS[layout].columns)
    if fmt == "parquet":
        path = tmp_path / "events.parquet"
        path.write_bytes(body)
        assert pq.read_table(path).column_names == columns
    elif fmt in ("csv", "tsv"):
        reader = csv.reader(io.StringIO(body.decode("utf-8")), delimiter="," if fmt == "csv"
                            else "\t")  # fmt: skip
        assert next(reader) == columns
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in body.decode("utf-8").splitlines()]
        assert rows and list(rows[0]) == columns
    else:
        rows = json.loads(body)
        assert rows and list(rows[0]) == columns


def test_gdelt_csv_keeps_codes_as_strings_and_neutralises_formulas(client, outlets):
    text = download(client, "layout=gdelt&format=csv").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(GDELT_COLUMNS) and len(rows) == 4
    assert {row["EventCode"] for row in rows} == {"040", "112"}
    native = list(csv.DictReader(io.StringIO(download(client, "format=csv").decode("utf-8"))))
    assert "'=HYPERLINK(\"x\")" in {row["source_text"] for row in native}


def test_cluster_merges_the_outlets_reporting_the_call(client, outlets):
    body = download(client, f"job_id={outlets}&format=jsonl&dedup=cluster")
    rows = [json.loads(line) for line in body.decode("utf-8").splitlines()]
    assert list(rows[0]) == [*RECORD_FIELDS, *MERGE_FIELDS]
    calls = [row for row in rows if row["event_code"] == "040"]
    assert len(calls) == 1 and len(rows) == 2
    call_row = calls[0]
    counts = (call_row["num_mentions"], call_row["num_articles"], call_row["num_sources"])
    assert counts == (3, 3, 3)
    assert call_row["sources"] == ["AP", "TASS", "Yonhap"]
    assert call_row["event_id"] == "e00001"  # the earliest mention stands for the event
    assert sorted(call_row["mention_ids"]) == ["e00001", "e00002", "e00004"]


def test_day_and_story_modes(client, outlets):
    day = download(client, "format=jsonl&dedup=day").decode("utf-8").splitlines()
    assert len(day) == 4  # the mentions differ in date or in actor codes
    story = download(client, "format=jsonl&dedup=story").decode("utf-8").splitlines()
    assert len(story) == 4


def test_a_jobs_export_is_gzipped_on_request_and_an_unknown_job_is_404(client, outlets):
    response = client.get(f"/api/v1/jobs/{outlets}/events/export?layout=phoenix&format=tsv"
                          "&gzip=true")  # fmt: skip
    assert response.status_code == 200
    lines = gzip.decompress(response.get_data()).decode("utf-8").splitlines()
    assert lines[0].split("\t")[:3] == ["EventID", "Date", "Year"] and len(lines) == 5
    assert client.get(f"/api/v1/jobs/{'0' * 32}/events/export").status_code == 404


@pytest.mark.parametrize(
    "query", ["layout=excel", "format=xlsx", "dedup=weekly", "quad_scheme=five", "gzip=maybe"]
)
def test_bad_export_options_are_422(client, query):
    response = client.get(f"/api/v1/events/export?{query}")
    assert response.status_code == 422
    assert response.get_json()["errors"]


def test_the_mentions_of_a_clustered_event_list_every_merged_mention(client, outlets):
    body = client.get("/api/v1/events/e00002/mentions?dedup=cluster")
    assert body.status_code == 200, body.get_json()
    found = body.get_json()
    assert (found["num_mentions"], found["num_articles"]) == (3, 3)
    mentions = found["mentions"]
    assert [m["event_id"] for m in mentions] == ["e00001", "e00002", "e00004"]
    assert [m["source"] for m in mentions] == ["AP", "TASS", "Yonhap"]
    assert {"sentence", "source_start", "target_end", "event_start"} <= set(mentions[0])
    # Under one-a-day the 7 December mentions still differ in actor codes: each is alone.
    alone = client.get("/api/v1/events/e00002/mentions?dedup=day").get_json()
    assert [m["event_id"] for m in alone["mentions"]] == ["e00002"]


@pytest.mark.parametrize("event_id", ["e99999", "e0000%2F1", "x" * 40])
def test_mentions_of_an_unknown_event_are_404(client, outlets, event_id):
    assert client.get(f"/api/v1/events/{event_id}/mentions").status_code == 404


def test_postgresql_writes_the_same_gdelt_cells_as_the_reference_layout(app, client, outlets):
    from coder.formats import text_chunks
    from service.storage.engine import get_engine
    from service.storage.events import EventFilter
    from service.storage.export import copies_layout, gdelt_copy_stream, record_stream

    engine = get_engine(app.config["DATABASE_URL"])
    # Only PostgreSQL writes exports itself; SQLite always takes the reference path.
    assert copies_layout(engine, "gdelt", "csv", "none") == (engine.dialect.name == "postgresql")
    assert not copies_layout(engine, "gdelt", "csv", "cluster")
    if engine.dialect.name != "postgresql":
        return
    placed = client.post("/api/v1/articles", json={"text": "geneva", "url": "=cmd|x"})
    code_with(app, placed.get_json()["article_id"], [
        record(9, location_name="Geneva", location_country="CH", location_precision="city",
               admin1="GE", latitude=46.2, longitude=6.15, geonameid=2660646,
               source_code="IGOUNOHRI", target_code="---GOV", date="2021-06", sentence_index=5,
               goldstein=-10.0),
        record(10, location_name="Texas", location_country="US", location_precision="admin1",
               date="2014", source_code="USAMILGOVREB", target_code="", target_name=""),
    ])  # fmt: skip
    chunks, close = gdelt_copy_stream(engine, EventFilter(), "csv")
    copied = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8"))))
    close()
    records, close = record_stream(engine, EventFilter(), "none")
    layout = LAYOUTS["gdelt"]
    text = "".join(text_chunks("csv", layout.columns, (layout.row(r) for r in records)))
    close()
    reference = list(csv.reader(io.StringIO(text)))
    assert copied[0] == reference[0] == list(GDELT_COLUMNS)
    assert len(copied) == len(reference) == 7

    def same(name: str, left: str, right: str) -> bool:
        """Compare cells as text; coordinates by value (SQL writes 46 where Python writes 46.0)."""
        if left == right:
            return True
        return name.startswith("ActionGeo_L") and left and right and float(left) == float(right)

    for ours, theirs in zip(copied[1:], reference[1:], strict=True):
        differing = [(name, a, b) for name, a, b in zip(GDELT_COLUMNS, ours, theirs, strict=True)
                     if not same(name, a, b)]  # fmt: skip
        assert not differing, differing


def test_json_pages_of_merged_events_follow_their_cursor_to_the_end(client, outlets):
    merged = [json.loads(line) for line in
              download(client, "format=jsonl&dedup=cluster").decode().splitlines()]  # fmt: skip
    seen, url = [], "/api/v1/events?dedup=cluster&limit=1"
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.get_json()
        body = page.get_json()
        assert len(body["events"]) <= 1
        seen += body["events"]
        url = body["links"].get("next")
    assert [(e["event_id"], e["num_mentions"]) for e in seen] == [
        (e["event_id"], e["num_mentions"]) for e in merged
    ]
    assert seen[0]["mention_ids"] and "article_ids" in seen[0]
    plain = client.get("/api/v1/events").get_json()["events"]
    assert len(plain) == 4 and "num_mentions" not in plain[0]


def test_the_csv_endpoints_merge_when_asked(client, outlets):
    rows = list(csv.DictReader(io.StringIO(
        client.get("/api/v1/events.csv?dedup=cluster").get_data(as_text=True))))  # fmt: skip
    assert len(rows) == 2 and {row["num_mentions"] for row in rows} == {"1", "3"}
    job = client.get(f"/api/v1/jobs/{outlets}/events.csv?dedup=story").get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(job)))) == 4


@pytest.mark.parametrize("cursor", ["e30", "bm90IGpzb24", "W10", "W3siYSI6MX1d", "%00"])
def test_a_merged_page_cursor_we_did_not_make_is_422(client, cursor):
    response = client.get(f"/api/v1/events?dedup=day&cursor={cursor}")
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("cursor", "status"),
    [
        ("WzEsIDIsIDNd", 422),  # [1, 2, 3]: not the cluster order's length
        ("WyJhIiwgImEiLCAiYSIsICJhIiwgImEiLCAiYSIsICJhIl0", 422),  # text where numbers go
        ("WzEsIDEsIDEsIDEsIDEsIDEsIDFd", 422),  # numbers where text goes
        ("WyJhIiwgImIiLCAiMDQiLCAiMCIsICJ4IiwgInkiLCA1XQ", 422),
        ("WyJhIiwgImIiLCAiMDQiLCAwLCAiMjAyMS0xMi0wNyIsICIyMDIxLTEyLTA3IiwgNV0", 200),
    ],
)
def test_a_crafted_merged_cursor_is_422_never_a_server_error(client, outlets, cursor, status):
    assert client.get(f"/api/v1/events?dedup=cluster&cursor={cursor}").status_code == status


def test_paging_many_merged_groups_closes_each_pages_cursor(app, client):
    """More groups than a page holds: the server-side cursor must be closed mid-stream."""
    posted = client.post("/api/v1/articles", json={"text": "many days"}).get_json()
    code_with(app, posted["article_id"],
              [record(n, date=f"2021-12-{n:02d}") for n in range(1, 8)])  # fmt: skip
    seen, url = 0, "/api/v1/events?dedup=day&limit=2"
    while url:
        body = client.get(url).get_json()
        seen += len(body["events"])
        url = body["links"].get("next")
    assert seen == 7


@pytest.mark.parametrize("key", [2**70, -(2**70)])
def test_a_cursor_with_an_impossible_number_is_422(client, key):
    import base64

    values = ["2021-12-07", "RUSGOV", "040", "USAGOV", "2021-12-07", key]
    cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    assert client.get(f"/api/v1/events?dedup=day&cursor={cursor}").status_code == 422


def test_a_cursor_with_a_nul_is_422(client):
    import base64

    values = ["2021-12-07\x00", "RUSGOV", "040", "USAGOV", "2021-12-07", 1]
    cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")
    assert client.get(f"/api/v1/events?dedup=day&cursor={cursor}").status_code == 422
