"""The coder's figures on the public gold sets stay above the issue's floors.

The gold files live in ../shared/gold (never in this repository); the tests skip without them.
"""

from __future__ import annotations

import pytest

from coder.evaluate import Report, evaluate_file
from coder.pipeline import code_article

pytestmark = pytest.mark.gold


def coder(text, published, record_id, dyad):
    return code_article(text, published=published, article_id=record_id, require_dyad=dyad)


def evaluate(shared, name: str) -> Report:
    path = shared / "gold" / name
    if not path.is_file():
        pytest.skip(f"{name} is not present")
    return evaluate_file(path, coder)


def test_petrarch2_gsr_root_dyad_f1(shared):
    report = evaluate(shared, "petrarch2_gsr_validation.jsonl")
    assert report.scored >= 70
    assert report.root_dyad.f1 >= 0.60, report.as_dict()


def test_plover_cameo_events_root_dyad_f1(shared):
    report = evaluate(shared, "plover_gsr_cameo_manual.jsonl")
    assert report.scored >= 190
    assert report.root_dyad.f1 >= 0.50, report.as_dict()


def test_cameo_codebook_event_root_accuracy(shared):
    report = evaluate(shared, "cameo_codebook_examples.jsonl")
    assert report.code_records >= 250
    assert report.root_accuracy >= 0.60, report.as_dict()
