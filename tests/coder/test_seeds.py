"""The five seed articles: the Putin-Biden video talks, no page chrome, the flat record, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coder.dictionaries import DATA_DIR, content_hash
from coder.pipeline import code_article
from coder.record import RECORD_FIELDS, Event

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
# Words of web-page furniture that the clean-up must drop before coding.
CHROME = ("Latest Posts", "Stay in touch", "Comment", "pub-", "facebook", "twitter", "Photo:")
SUMMIT_ARTICLES = ("000", "001", "002", "003")


def seed_records() -> list[dict]:
    lines = (SEEDS / "articles.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def seeds() -> dict[str, tuple[dict, list[Event]]]:
    """Code every seed article once: id -> (record, events)."""
    coded = {}
    for record in seed_records():
        events = code_article(
            record["text"], published=record["published_at"], article_id=record["id"]
        )
        coded[record["id"]] = (record, events)
    return coded


def test_the_jsonl_carries_the_text_of_each_seed_file():
    files = {path.name.split("_")[0]: path for path in (SEEDS / "articles").glob("*.txt")}
    for record in seed_records():
        assert record["text"] == files[record["id"]].read_text(encoding="utf-8")


def test_there_are_five_seed_articles_with_dates(seeds):
    assert sorted(seeds) == ["000", "001", "002", "003", "004"]
    for record, _events in seeds.values():
        assert record["published_at"].startswith("2021-12-")


def test_the_raw_seeds_do_hold_page_chrome():
    """Guard for the chrome test below: the inputs really contain what must be dropped."""
    raw = "\n".join(record["text"] for record in seed_records()).lower()
    assert all(word.lower() in raw for word in CHROME)


@pytest.mark.parametrize("article_id", SUMMIT_ARTICLES)
def test_putin_biden_video_talks_are_coded(seeds, article_id):
    _record, events = seeds[article_id]
    talks = [
        e
        for e in events
        if {e.source_code[:3], e.target_code[:3]} == {"RUS", "USA"}
        and e.event_root_code in ("03", "04")
        and not e.negated
    ]
    assert talks, [(e.source_code, e.event_code, e.target_code) for e in events]
    # The talks were reported between the two presidents, both in office in December 2021.
    assert {(e.source_code, e.target_code) for e in talks} & {
        ("RUSGOV", "USAGOV"),
        ("USAGOV", "RUSGOV"),
    }


def test_every_seed_with_summit_news_codes_both_directions(seeds):
    for article_id in SUMMIT_ARTICLES:
        _record, events = seeds[article_id]
        pairs = {
            (e.source_code[:3], e.target_code[:3])
            for e in events
            if e.event_root_code in ("03", "04")
        }
        assert {("RUS", "USA"), ("USA", "RUS")} <= pairs, article_id


def test_no_event_comes_from_page_chrome(seeds):
    for _record, events in seeds.values():
        for e in events:
            lowered = e.sentence.lower()
            for word in CHROME:
                found = word in e.sentence if word == "Comment" else word.lower() in lowered
                assert not found, (e.article_id, word, e.sentence)


def test_every_event_is_a_complete_flat_record(seeds):
    version = content_hash(DATA_DIR)
    total = 0
    for article_id, (record, events) in seeds.items():
        for e in events:
            row = e.to_dict()
            assert tuple(row) == RECORD_FIELDS
            assert row["article_id"] == article_id
            if row["date_source"] == "publication":
                assert row["date"] == record["published_at"] and row["date_text"] == ""
            else:
                assert row["date_source"] == "text" and row["date_text"] in row["sentence"]
            assert row["dictionary_version"] == version
            assert row["coder_version"]
            assert row["event_root_code"] == row["event_code"][:2]
            assert row["event_base_code"] == row["event_code"][:3]
            assert row["sentence"] and row["event_text"]
            assert row["source_code"] and row["target_code"]
            assert row["source_code"] != row["target_code"]
            assert isinstance(row["sentence_index"], int) and row["sentence_index"] >= 0
            total += 1
    assert total >= 10


def test_seed_coding_is_deterministic(seeds):
    record, events = seeds["003"]
    again = code_article(record["text"], published=record["published_at"], article_id=record["id"])
    assert [e.to_dict() for e in again] == [e.to_dict() for e in events]


def test_cli_codes_the_seed_file(seeds):
    result = subprocess.run(
        [sys.executable, "-m", "coder.cli", "code", "seeds/articles.jsonl"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert rows
    assert all(tuple(row) == RECORD_FIELDS for row in rows)
    expected = [e.to_dict() for _record, events in seeds.values() for e in events]
    assert sorted(r["event_id"] for r in rows) == sorted(r["event_id"] for r in expected)
    assert {r["article_id"] for r in rows} <= set(seeds)


def test_the_video_call_and_the_geneva_summit_get_their_own_dates(seeds):
    """Seeds 000, 002 and 003 date the call "on the 7th" or "on Tuesday"; 000 recalls Geneva."""
    call, summit = set(), set()
    for _record, events in seeds.values():
        for e in events:
            if {e.source_code, e.target_code} != {"RUSGOV", "USAGOV"}:
                continue
            if e.date_text in ("on the 7th", "Tuesday"):
                call.add((e.date, e.date_precision))
            elif "June" in e.date_text:
                summit.add((e.date, e.date_precision))
    assert call == {("2021-12-07", "day")}
    assert summit == {("2021-06", "month")}


def test_the_summit_is_in_geneva_and_putins_end_of_the_call_in_sochi(seeds):
    places = {
        (e.location_name, e.location_country, e.location_reason)
        for _record, events in seeds.values()
        for e in events
        if {e.source_code[:3], e.target_code[:3]} == {"RUS", "USA"} and e.location_reason
    }
    assert ("Geneva", "CH", "clause") in places
    _record, events = seeds["003"]
    sochi = [e for e in events if e.location_name == "Sochi"]
    assert sochi and all(e.source_code.startswith("RUS") for e in sochi)


def test_the_annexation_of_crimea_is_dated_2014_in_a_2021_story(seeds):
    """Seed 002: "the Kremlin, which annexed the Crimean peninsula in 2014"."""
    _record, events = seeds["002"]
    annexation = [e for e in events if e.event_base_code == "192"]
    assert [(e.source_code[:3], e.target_code, e.date, e.date_precision) for e in annexation] == [
        ("RUS", "UKR", "2014", "year")
    ]
    assert annexation[0].source_text == "the Kremlin"


def test_a_seed_without_its_publication_date_never_takes_the_site_banner():
    """Seed 002 shows "Sunday, February 5, 2023" in the page banner: that is not its date."""
    record = next(r for r in seed_records() if r["id"] == "002")
    assert "February 5, 2023" in record["text"]
    events = code_article(record["text"], article_id="002")
    assert events
    assert not any(e.date.startswith("2023") for e in events)
    undated = [e for e in events if not e.date_text]
    assert undated and {e.date_source for e in undated} == {"ingested"}


def test_an_article_without_publication_date_takes_the_first_full_date_it_states():
    text = (
        "Sunday, February 5, 2023\n6.9 C\nLondon\n\n"
        "On January 30, 2023, British Foreign Secretary James Cleverly met Chinese Foreign "
        "Minister Qin Gang. Cleverly later criticized China."
    )
    events = code_article(text)
    assert {(e.date, e.date_source) for e in events} == {("2023-01-30", "text")}
