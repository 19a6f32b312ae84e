"""GET /events filters and cursors, and the streamed CSV exports."""

from __future__ import annotations

import csv
import gzip
import io

import pytest

from coder.record import RECORD_FIELDS
from tests.support import code_with, record


@pytest.fixture
def app(app_on_each_database):
    """Run on SQLite, then on PostgreSQL (which exports through COPY)."""
    return app_on_each_database


@pytest.fixture
def stored(client, app):
    """Two jobs with coded events: job A (two articles) and job B (one)."""
    job_a = client.post("/api/v1/jobs", json={"articles": [{"text": "a1"}, {"text": "a2"}]})
    job_b = client.post("/api/v1/jobs", json={"articles": [{"text": "b1"}]})
    a1, a2 = job_a.get_json()["article_ids"]
    (b1,) = job_b.get_json()["article_ids"]
    code_with(app, a1, [
        record(1),
        record(2, event_code="190", event_base_code="190", event_root_code="19", quad_class=4,
               goldstein=-10.0, source_code="UKRMIL", target_code="RUSMIL", date="2022-02-24"),
    ])  # fmt: skip
    code_with(app, a2, [
        record(3, event_code="1953", event_base_code="195", event_root_code="19", quad_class=4,
               goldstein=-10.0, source_code="RUS", target_code="UKR", date="2022-03-01"),
    ])  # fmt: skip
    code_with(app, b1, [
        record(4, event_code="036", event_base_code="036", event_root_code="03",
               source_code="CHNGOV", target_code="IGOUNO", date="2021-06-16"),
    ])  # fmt: skip
    return {
        "a": job_a.get_json()["job_id"], "b": job_b.get_json()["job_id"],
        "a1": a1, "a2": a2, "b1": b1,
    }  # fmt: skip


def event_ids(client, query: str) -> list[str]:
    """Return the event ids of GET /events?query (first page)."""
    response = client.get(f"/api/v1/events?{query}")
    assert response.status_code == 200, response.get_json()
    return [event["event_id"] for event in response.get_json()["events"]]


def test_events_carry_the_full_record(client, stored):
    events = client.get("/api/v1/events").get_json()["events"]
    assert [tuple(event) for event in events] == [RECORD_FIELDS] * 4
    assert events[0]["article_id"] == stored["a1"] and events[0]["event_code"] == "010"


def test_events_filter_on_every_field(client, stored):
    assert event_ids(client, f"job_id={stored['a']}") == ["e00001", "e00002", "e00003"]
    assert event_ids(client, f"article_id={stored['b1']}") == ["e00004"]
    assert event_ids(client, "event_code=19") == ["e00002", "e00003"]
    assert event_ids(client, "event_code=195") == ["e00003"]
    assert event_ids(client, "event_code=01") == ["e00001"]
    assert event_ids(client, "source=RUS") == ["e00001", "e00003"]
    assert event_ids(client, "source=RUSGOV") == ["e00001"]
    assert event_ids(client, "target=IGO") == ["e00004"]
    assert event_ids(client, "quad_class=4") == ["e00002", "e00003"]
    assert event_ids(client, "country=UKR") == ["e00002", "e00003"]
    assert event_ids(client, "date_from=2022-01-01") == ["e00002", "e00003"]
    assert event_ids(client, "date_to=2021-12-07") == ["e00001", "e00004"]
    assert event_ids(client, "date_from=2022-02&date_to=2022-02") == ["e00002"]
    assert event_ids(client, "source=RUS&quad_class=4&date_to=2022") == ["e00003"]


def test_the_cursor_walks_every_event_once(client, stored):
    seen, url = [], "/api/v1/events?limit=3"
    while url:
        page = client.get(url).get_json()
        seen += [event["event_id"] for event in page["events"]]
        url = page["links"].get("next")
    assert seen == ["e00001", "e00002", "e00003", "e00004"]
    filtered = client.get("/api/v1/events?limit=1&event_code=19").get_json()
    second = client.get(filtered["links"]["next"]).get_json()
    assert [event["event_id"] for event in second["events"]] == ["e00003"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "query",
    [
        "source=rus", "source=R%25", "event_code=1a", "event_code=12345", "quad_class=5",
        "country=RU", "date_from=2022-02-30x", "date_from=2022-03-01&date_to=2022-01-01",
        "cursor=abc", f"cursor={10**30}", "limit=0", "limit=5000", "job_id=zz",
        f"article_id={10**30}",
    ],
)  # fmt: skip
def test_bad_event_filters_are_422(client, query):
    response = client.get(f"/api/v1/events?{query}")
    assert response.status_code == 422
    assert response.get_json()["errors"]


def test_an_article_shows_its_events(client, stored):
    article = client.get(f"/api/v1/articles/{stored['a1']}").get_json()
    assert article["status"] == "coded" and article["n_events"] == 2
    assert [event["event_id"] for event in article["events"]] == ["e00001", "e00002"]


def read_csv(response) -> list[list[str]]:
    """Parse a CSV download."""
    return list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))


def test_the_job_csv_streams_its_events_with_a_header(client, stored):
    response = client.get(f"/api/v1/jobs/{stored['a']}/events.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    assert tuple(rows[0]) == RECORD_FIELDS
    assert [row[1] for row in rows[1:]] == ["e00001", "e00002", "e00003"]
    assert rows[1][RECORD_FIELDS.index("event_code")] == "010"  # leading zero kept
    assert float(rows[2][RECORD_FIELDS.index("goldstein")]) == -10.0  # a number, not neutralised
    assert rows[1][RECORD_FIELDS.index("negated")] == "false"


def test_the_csv_takes_the_same_filters(client, stored):
    rows = read_csv(client.get("/api/v1/events.csv?event_code=19&country=RUS"))
    assert [row[1] for row in rows[1:]] == ["e00002", "e00003"]
    empty = read_csv(client.get("/api/v1/events.csv?source=ZZZ"))
    assert empty == [list(RECORD_FIELDS)]
    assert client.get("/api/v1/events.csv?event_code=x").status_code == 422


def test_csv_cells_survive_quotes_newlines_and_formulas(client, app):
    job = client.post("/api/v1/jobs", json={"articles": [{"text": "f"}]}).get_json()
    hostile = {
        "sentence": '=HYPERLINK("http://evil","click"), with "quotes"\nand a newline',
        "source_text": "@SUM(A1:A9)", "target_text": "\t=1+1", "event_text": "+cmd",
        "target_name": "-2+3", "location_name": "\rbad", "source_name": "Zürich, «Genève»",
    }  # fmt: skip
    code_with(app, job["article_ids"][0], [record(9, **hostile)])
    header, row = read_csv(client.get(job["links"]["events_csv"]))
    cells = dict(zip(header, row, strict=True))
    assert cells["sentence"] == "'" + hostile["sentence"]
    for name in ("source_text", "target_text", "event_text", "target_name", "location_name"):
        assert cells[name] == "'" + hostile[name]
    assert cells["source_name"] == "Zürich, «Genève»"


def test_the_csv_can_come_gzipped(client, stored):
    plain = client.get("/api/v1/events.csv").get_data()
    packed = client.get("/api/v1/events.csv?gzip=true")
    assert packed.mimetype == "application/gzip"
    assert packed.headers["Content-Disposition"].endswith('.csv.gz"')
    assert gzip.decompress(packed.get_data()) == plain


def test_events_filter_on_their_place(client, app):
    job = client.post("/api/v1/jobs", json={"articles": [{"text": "placed"}]}).get_json()
    geneva = {"location_name": "Geneva", "location_country": "CH", "admin1": "GE",
              "latitude": 46.2, "longitude": 6.15, "geonameid": 2660646,
              "location_precision": "city", "location_reason": "clause"}  # fmt: skip
    code_with(app, job["article_ids"][0], [record(20, **geneva), record(21)])
    assert event_ids(client, "location_country=CH") == ["e00020"]
    assert event_ids(client, "bbox=5.9,45.8,10.5,47.8") == ["e00020"]
    assert event_ids(client, "bbox=-10,35,-5,40") == []
    for bad in ("location_country=che", "bbox=1,2,3", "bbox=10,0,5,1", "bbox=a,b,c,d"):
        assert client.get(f"/api/v1/events?{bad}").status_code == 422
    row = client.get("/api/v1/events?location_country=CH").get_json()["events"][0]
    assert (row["latitude"], row["geonameid"]) == (46.2, 2660646)


def test_the_summary_counts_events_by_day_and_quad_class_and_names_the_busiest_dyads(
    client, stored
):
    summary = client.get("/api/v1/events/summary").get_json()
    assert (summary["total"], summary["dated_to_the_day"]) == (4, 4)
    by_day = {day["date"]: day["quad_classes"] for day in summary["by_day"]}
    assert by_day["2022-02-24"] == {"1": 0, "2": 0, "3": 0, "4": 1}
    assert by_day["2021-06-16"]["1"] == 1
    assert list(by_day) == sorted(by_day)
    assert summary["top_dyads"][0]["events"] == 1 and len(summary["top_dyads"]) == 4
    narrowed = client.get(f"/api/v1/events/summary?job_id={stored['a']}&top=1").get_json()
    assert narrowed["total"] == 3 and len(narrowed["top_dyads"]) == 1
    assert client.get("/api/v1/events/summary?top=0").status_code == 422
