"""Event dates and places on the project's own gold set, seeds/when_where.jsonl.

The set was written by hand for this purpose: every date pattern, datelines, places in the
clause, the sentence and the dateline, and traps (historical events, topic places, ambiguous
cities, page banners). Its expected answers are facts about the texts, not the coder's output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from coder.evaluate import evaluate_file
from tests.eval.test_gold import coder

pytestmark = pytest.mark.gold

GOLD = Path(__file__).resolve().parents[2] / "seeds" / "when_where.jsonl"
DATE_ACCURACY = 0.90  # the floor
LOCATION_ACCURACY = 0.90  # the floor


def test_dates_and_places_meet_the_floor():
    report = evaluate_file(GOLD, coder)
    assert report.dates.expected >= 80 and report.locations.expected >= 80
    # Gold events the coder did not code at all count as wrong.
    assert report.dates.rate >= DATE_ACCURACY, report.dates.misses
    assert report.locations.rate >= LOCATION_ACCURACY, report.locations.misses
