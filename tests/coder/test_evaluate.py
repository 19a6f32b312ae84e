"""Scoring logic of `dyad evaluate`, with a stand-in coder so the arithmetic is checked exactly."""

from __future__ import annotations

import json

import pytest

from coder.evaluate import Score, evaluate_file, root_triple
from coder.record import RECORD_FIELDS, Event


def event(
    source: str, code: str, target: str, negated: bool = False, confidence: float = 0.5, **extra
):
    """Build an event record with only the fields scoring reads set meaningfully."""
    values = dict.fromkeys(RECORD_FIELDS, "")
    values.update(extra)
    values.update(
        source_code=source,
        event_code=code,
        event_base_code=code[:3],
        event_root_code=code[:2],
        target_code=target,
        negated=negated,
        confidence=confidence,
        sentence_index=0,
        quad_class=1,
        goldstein=0.0,
        hypothetical=False,
        future=False,
    )
    return Event(**values)


def write_gold(tmp_path, records):
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    return path


def test_score_counts_multisets():
    score = Score()
    score.add([("A", "1", "B"), ("A", "1", "B")], [("A", "1", "B")])
    assert (score.tp, score.predicted, score.gold) == (1, 2, 1)
    assert score.precision == 0.5
    assert score.recall == 1.0
    assert score.f1 == pytest.approx(2 / 3)


def test_root_triple_keeps_roots():
    assert root_triple(("RUSGOV", "0311", "IGOWSTNAT")) == ("RUS", "03", "IGO")


def test_evaluate_scores_root_dyad_and_full_and_skips_unscored(tmp_path):
    gold = write_gold(
        tmp_path,
        [
            {
                "id": "a",
                "text": "A",
                "date": None,
                "events": [{"source": "RUSGOV", "event": "036", "target": "USAGOV"}],
            },
            {"id": "b", "text": "B", "date": None, "events": []},
            {
                "id": "c",
                "text": "C",
                "date": None,
                "evaluate": False,
                "events": [{"source": "X", "event": "01", "target": "Y"}],
            },
        ],
    )
    outputs = {
        "A": [event("RUSMIL", "0361", "USAGOV"), event("USA", "190", "RUS", negated=True)],
        "B": [event("FRA", "042", "DEU")],
    }
    report = evaluate_file(gold, lambda text, day, rid, dyad: outputs[text])
    assert (report.records, report.scored) == (3, 2)
    assert (report.root_dyad.tp, report.root_dyad.predicted, report.root_dyad.gold) == (1, 2, 1)
    assert (report.full.tp, report.full.predicted, report.full.gold) == (0, 2, 1)


def test_event_code_only_records_score_the_top_event(tmp_path):
    gold = write_gold(
        tmp_path,
        [
            {
                "id": "1",
                "text": "one",
                "events": [{"source": None, "event": "0311", "target": None}],
            },
            {
                "id": "2",
                "text": "two",
                "events": [{"source": None, "event": "190", "target": None}],
            },
        ],
    )
    outputs = {
        "one": [
            event("---", "010", "---", confidence=0.4),
            event("---", "0312", "---", confidence=0.7),
        ],
        "two": [],
    }
    seen_dyad_flags = []

    def coder(text, day, rid, dyad):
        seen_dyad_flags.append(dyad)
        return outputs[text]

    report = evaluate_file(gold, coder)
    assert report.code_records == 2
    assert report.root_accuracy == 0.5
    assert report.code_accuracy == 0.0
    assert seen_dyad_flags == [False, False]


def test_plover_records_use_their_cameo_events(tmp_path):
    gold = write_gold(
        tmp_path,
        [
            {
                "id": "p",
                "text": "P",
                "event_scheme": "PLOVER",
                "events": [{"source": "USA", "event": "AGREE", "target": "JOR"}],
                "cameo_events": [{"source": "USA", "event": "0311", "target": "JOR"}],
            },
            {
                "id": "q",
                "text": "Q",
                "event_scheme": "PLOVER",
                "events": [{"source": "USA", "event": "AGREE", "target": "JOR"}],
                "cameo_events": [],
            },
        ],
    )
    report = evaluate_file(gold, lambda *a: [event("USA", "0311", "JOR")])
    assert report.scored == 1
    assert report.full.tp == 1


def test_dates_and_places_are_scored_on_the_matching_event(tmp_path):
    gold = write_gold(
        tmp_path,
        [
            {"id": "w1", "published_at": "2021-12-04", "pattern": "weekday-past", "text": "a",
             "events": [{"source": "RUS", "event": "04", "target": "USA", "date": "2021-11-30",
                         "date_precision": "day", "location": "Geneva",
                         "location_country": "CH"}]},
            {"id": "w2", "published_at": "2021-12-04", "text": "b",
             "events": [{"source": "CHN", "event": "11", "target": "USA", "date": "2021-12",
                         "date_precision": "month", "location": None,
                         "location_country": None}]},
            {"id": "w3", "published_at": "2021-12-04", "text": "c",
             "events": [{"source": "FRA", "event": "04", "target": "DEU", "date": "2021-12-04",
                         "date_precision": "day", "location": "Paris",
                         "location_country": "FR"}]},
        ],
    )  # fmt: skip
    outputs = {
        # The matching dyad is scored, not the more confident unrelated event.
        "a": [
            event("RUSGOV", "040", "USAGOV", confidence=0.6, date="2021-11-30",
                  date_precision="day", location_name="GENEVA", location_country="CH"),
            event("GBR", "010", "FRA", confidence=0.9, date="2021-12-04", date_precision="day"),
        ],
        "b": [event("CHN", "112", "USA", date="2021-12-01", date_precision="day",
                    location_name="", location_country="")],
        "c": [],
    }  # fmt: skip
    seen = []

    def coder(text, published, record_id, dyad):
        seen.append(published)
        return outputs[text]

    report = evaluate_file(gold, coder)
    assert seen == ["2021-12-04"] * 3
    assert (report.dates.correct, report.dates.expected, report.dates.uncoded) == (1, 3, 1)
    assert (report.locations.correct, report.locations.expected) == (2, 3)
    assert report.dates.rate == pytest.approx(1 / 3)
    assert report.dates.rate_when_coded == pytest.approx(1 / 2)
    assert report.locations.misses == ["w3: None"]
    assert report.as_dict()["event_location"]["accuracy"] == pytest.approx(0.6667)
