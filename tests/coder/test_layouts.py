"""Export layouts and formats, read back with real readers: csv, pandas and pyarrow."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from coder.formats import FORMATS, text_chunks, write_parquet
from coder.layouts import LAYOUTS, ActorCode, plover_event, quad_class
from coder.pipeline import code_article
from tests.support import record as make_record

COLUMN_COUNTS = {"gdelt": 61, "gdelt_mentions": 16, "phoenix": 26, "icews": 20, "petrarch": 8}
HOSTILE_TEXT = 'Putin, "the" leader\nof Ünïcödé'
FORMULAS = ("=HYPERLINK(\"http://x\")", "@SUM(A1:A9)", "\t=1+1", "+cmd", "-2+3")


def hostile_records() -> list[dict]:
    """Return records whose text cells hold commas, quotes, newlines, non-ASCII and formulas."""
    records = []
    for n, formula in enumerate(FORMULAS):
        records.append(make_record(
            n, article_id=str(n), source_name=HOSTILE_TEXT, source_text=formula,
            target_name=formula, sentence=f"{formula}, {HOSTILE_TEXT}", event_code="010",
            event_base_code="010", event_root_code="01", location_name=HOSTILE_TEXT,
            location_country="CH", location_precision="city", latitude=46.2, longitude=6.15,
            geonameid=2660646, admin1="GE", goldstein=-2.0, event_text=formula,
        ))  # fmt: skip
    return records


@pytest.fixture(scope="module")
def records() -> list[dict]:
    """Return real coded records of a short story plus the hostile ones."""
    story = (
        "GENEVA, June 16 (Reuters) - Russian President Vladimir Putin met U.S. President Joe "
        "Biden in Geneva on Wednesday. Putin accused NATO of expanding east. Biden said on "
        "Tuesday that he would visit Kyiv."
    )
    coded = [event.to_dict() for event in code_article(story, published="2021-06-17")]
    assert coded
    return coded + hostile_records()


def written(fmt: str, layout: str, records: list[dict], tmp_path) -> tuple[list[str], list[dict]]:
    """Write the records in a layout and format, read them back; return columns and rows."""
    chosen = LAYOUTS[layout]
    rows = [row for r in records if (row := chosen.row(r)) is not None]
    path = tmp_path / f"{layout}.{fmt}"
    if fmt == "parquet":
        write_parquet(chosen.columns, rows, str(path), chosen.types)
        table = pq.read_table(path)
        return table.column_names, table.to_pylist()
    path.write_text("".join(text_chunks(fmt, chosen.columns, rows)), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    if fmt in ("csv", "tsv"):
        delimiter = "," if fmt == "csv" else "\t"
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
        read = list(reader)
        frame = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False)
        assert list(frame.columns) == list(reader.fieldnames or [])
        assert frame.to_dict("records") == read  # pandas and the csv module agree
        return list(reader.fieldnames or []), read
    if fmt == "jsonl":
        read = [json.loads(line) for line in text.splitlines()]
        frame = pd.read_json(io.StringIO(text), lines=True, dtype=False)
        assert len(frame) == len(read)
    else:
        read = json.loads(text)
    return (list(read[0]) if read else list(chosen.columns)), read


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_every_layout_and_format_reads_back_with_its_columns_in_order(
    layout, fmt, records, tmp_path
):
    columns, rows = written(fmt, layout, records, tmp_path)
    chosen = LAYOUTS[layout]
    assert columns == list(chosen.columns)
    assert len(columns) == COLUMN_COUNTS.get(layout, len(chosen.columns))
    expected_rows = sum(1 for r in records if chosen.row(r) is not None)
    assert len(rows) == expected_rows > 0


def cells(rows: list[dict], column: str) -> list:
    return [row[column] for row in rows]


@pytest.mark.parametrize("fmt", FORMATS)
def test_codes_keep_their_leading_zeros(fmt, records, tmp_path):
    _, gdelt = written(fmt, "gdelt", records, tmp_path)
    assert "010" in cells(gdelt, "EventCode") and "01" in cells(gdelt, "EventRootCode")
    _, phoenix = written(fmt, "phoenix", records, tmp_path)
    assert "010" in cells(phoenix, "EventCode")
    _, icews = written(fmt, "icews", records, tmp_path)
    assert "010" in cells(icews, "CAMEO Code")


@pytest.mark.parametrize("fmt", FORMATS)
def test_text_survives_and_formulas_are_neutralised_only_in_spreadsheet_formats(
    fmt, records, tmp_path
):
    _, rows = written(fmt, "native", records, tmp_path)
    hostile = rows[-len(FORMULAS):]
    for formula, row in zip(FORMULAS, hostile, strict=True):
        expected = "'" + formula if fmt in ("csv", "tsv") else formula
        assert row["source_text"] == expected
        assert row["source_name"] == HOSTILE_TEXT
        assert row["sentence"] == f"{expected if fmt in ('csv', 'tsv') else formula}, " \
            f"{HOSTILE_TEXT}"
    # Numbers are numbers, never prefixed: a negative Goldstein weight reads back as -2.
    assert {float(row["goldstein"]) for row in hostile} == {-2.0}


def test_gdelt_fills_dates_actors_and_the_action_place(records):
    row = dict(zip(LAYOUTS["gdelt"].columns, LAYOUTS["gdelt"].row(records[0]), strict=True))
    assert (row["SQLDATE"], row["MonthYear"], row["Year"]) == ("20210616", "202106", 2021)
    assert row["Actor1Code"] == "RUSGOV" and row["Actor1CountryCode"] == "RUS"
    assert row["Actor1Type1Code"] == "GOV" and row["Actor1Type2Code"] is None
    assert (row["QuadClass"], row["NumMentions"], row["IsRootEvent"]) == (1, 1, 1)
    assert (row["ActionGeo_Type"], row["ActionGeo_CountryCode"]) == (4, "SZ")
    assert row["ActionGeo_FullName"] == "Geneva, Switzerland"
    assert row["ActionGeo_FeatureID"] == 2660646


def test_gdelt_mentions_carry_the_offsets(records):
    row = dict(zip(LAYOUTS["gdelt_mentions"].columns, LAYOUTS["gdelt_mentions"].row(records[0]),
                   strict=True))  # fmt: skip
    assert row["Actor1CharOffset"] == records[0]["source_start"]
    assert row["ActionCharOffset"] == records[0]["event_start"]
    assert row["SentenceID"] == records[0]["sentence_index"] + 1


def test_phoenix_splits_actor_codes_and_uses_penta_classes(records):
    sanction = make_record(1, source_code="USAGOVMIL", event_code="172", event_base_code="172",
                           event_root_code="17")  # fmt: skip
    row = dict(zip(LAYOUTS["phoenix"].columns, LAYOUTS["phoenix"].row(sanction), strict=True))
    assert (row["SourceActorEntity"], row["SourceActorRole"]) == ("USA", "GOV")
    assert row["SourceActorAttribute"] == "MIL"
    assert row["PentaClass"] == 4
    assert row["SentenceID"] == "0_2"


def test_merged_events_join_their_ids_urls_and_sources():
    merged = make_record(
        1, sentence_ids=["a_1", "b_3"], urls=["http://a", "http://b"], sources=["AP", "TASS"],
        num_mentions=2, num_articles=2, num_sources=2,
    )  # fmt: skip
    petrarch = dict(zip(LAYOUTS["petrarch"].columns, LAYOUTS["petrarch"].row(merged), strict=True))
    assert (petrarch["ids"], petrarch["url"]) == ("a_1;b_3", "http://a;http://b")
    gdelt = dict(zip(LAYOUTS["gdelt"].columns, LAYOUTS["gdelt"].row(merged), strict=True))
    assert (gdelt["NumMentions"], gdelt["NumArticles"], gdelt["NumSources"]) == (2, 2, 2)


def test_icews_writes_names_sectors_and_countries():
    row = dict(zip(LAYOUTS["icews"].columns, LAYOUTS["icews"].row(make_record(
        1, location_name="Geneva", location_country="CH", location_precision="city",
        event_code="042", event_base_code="042", event_root_code="04")), strict=True))  # fmt: skip
    assert (row["Source Sectors"], row["Source Country"]) == ("Government", "Russia")
    assert row["Event Text"] == "Make a visit"
    assert (row["City"], row["Country"]) == ("Geneva", "Switzerland")


def test_quad_class_schemes():
    standard = [quad_class(f"{root:02d}") for root in range(1, 21)]
    assert standard == [1] * 5 + [2] * 3 + [3] * 5 + [4] * 7
    penta = [quad_class(f"{root:02d}", "phoenix") for root in range(1, 21)]
    assert penta == [0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 3, 4, 4, 4, 4]


def test_plover_maps_through_the_crosswalk_and_leaves_out_what_it_has_no_category_for():
    assert plover_event("042").event == "CONSULT" and plover_event("042").mode == "visit"
    assert plover_event("0311").event == "AGREE"
    assert plover_event("010") is None
    visit = make_record(1, event_code="042", event_base_code="042", event_root_code="04")
    row = dict(zip(LAYOUTS["plover"].columns, LAYOUTS["plover"].row(visit), strict=True))
    assert row["actor"] == [{"actorText": "Russia", "code": "RUSGOV", "sector": "GOV"}]
    assert row["event"] == "CONSULT"
    assert LAYOUTS["plover"].row(make_record(2)) is None  # 010: PLOVER has no statements


def test_actor_codes_split_into_root_and_agents():
    assert ActorCode("IGOUNOHRI").agents == ["UNO", "HRI"]
    assert ActorCode("---GOV").country is None and ActorCode("CHN").agents == []
