"""`dyad export`: stored events to a file, stdout or a citable bundle, and a chart."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest

from coder.layouts import GDELT_COLUMNS, GDELT_MENTION_COLUMNS, LAYOUTS, column_codebook
from service.cli import main
from tests.support import code_with, record


@pytest.fixture
def stored(app, client, monkeypatch):
    """Two outlets report one call; `dyad export` reads the same database."""
    monkeypatch.setenv("DYAD_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("DYAD_DATA_DIR", app.config["DATA_DIR"])
    posted = client.post("/api/v1/jobs", json={"articles": [
        {"text": "one", "source": "AP", "url": "http://ap/1", "published_at": "2021-12-07"},
        {"text": "two", "source": "TASS", "url": "http://tass/1", "published_at": "2021-12-08"},
    ]})  # fmt: skip
    first, second = posted.get_json()["article_ids"]
    call = {"event_code": "040", "event_base_code": "040", "event_root_code": "04"}
    code_with(app, first, [record(1, date="2021-12-07", **call)])
    code_with(app, second, [record(2, date="2021-12-08", source_code="USAGOV",
                                   target_code="RUSGOV", **call)])  # fmt: skip
    return posted.get_json()["job_id"]


def test_exports_a_layout_to_stdout(stored, capsysbinary):
    assert main(["export", "--layout", "gdelt", "--format", "tsv", "--job-id", stored]) == 0
    lines = capsysbinary.readouterr().out.decode("utf-8").splitlines()
    assert lines[0].split("\t") == list(GDELT_COLUMNS) and len(lines) == 3


def test_a_bundle_holds_data_codebook_and_provenance(stored, tmp_path):
    target = tmp_path / "call.zip"
    assert main(["export", "--layout", "gdelt", "--dedup", "cluster", "--bundle",
                 str(target)]) == 0  # fmt: skip
    with zipfile.ZipFile(target) as bundle:
        names = set(bundle.namelist())
        assert names == {"events.gdelt.csv", "events.gdelt_mentions.csv", "codebook.md",
                         "codebook.json", "provenance.json"}  # fmt: skip
        events = list(csv.DictReader(io.StringIO(bundle.read("events.gdelt.csv").decode())))
        mentions = list(csv.DictReader(io.StringIO(
            bundle.read("events.gdelt_mentions.csv").decode())))  # fmt: skip
        provenance = json.loads(bundle.read("provenance.json"))
        codebook = json.loads(bundle.read("codebook.json"))
        markdown = bundle.read("codebook.md").decode()
        data = {name: bundle.read(name) for name in names}
    assert len(events) == 1 and events[0]["NumArticles"] == "2"
    assert list(mentions[0]) == list(GDELT_MENTION_COLUMNS) and len(mentions) == 2
    assert {m["GLOBALEVENTID"] for m in mentions} == {events[0]["GLOBALEVENTID"]}
    assert provenance["dedup"] == "cluster" and provenance["layout"] == "gdelt"
    for name in ("events.gdelt.csv", "events.gdelt_mentions.csv"):
        facts = provenance["files"][name]
        assert facts["sha256"] == hashlib.sha256(data[name]).hexdigest()
    assert provenance["files"]["events.gdelt.csv"]["rows"] == 1
    assert provenance["coded_with"] == [{"coder_version": "0.1.0", "dictionary_version": "abc"}]
    assert [c["name"] for c in codebook["files"][0]["columns"]] == list(GDELT_COLUMNS)
    assert "| `SQLDATE` |" in markdown


def test_a_chart_of_events_per_day(stored, tmp_path):
    chart = tmp_path / "days.png"
    out = tmp_path / "events.parquet"
    assert main(["export", "--format", "parquet", "--output", str(out), "--plot",
                 str(chart)]) == 0  # fmt: skip
    assert chart.read_bytes().startswith(b"\x89PNG") and out.stat().st_size > 0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--format", "parquet"], "--output"),
        (["--date-from", "2021-13"], "--date-from"),
        (["--job-id", "nope"], "--job-id"),
    ],
)
def test_bad_options_get_one_line_and_status_2(stored, capsys, options, message):
    assert main(["export", *options]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_has_a_codebook_entry_for_every_column(layout):
    entries = column_codebook(LAYOUTS[layout])
    assert [entry["name"] for entry in entries] == list(LAYOUTS[layout].columns)
    assert all(entry["type"] and entry["description"].endswith(".") for entry in entries)
