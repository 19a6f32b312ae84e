"""Offsets of the cited spans into the text as submitted, whatever the cleaner changed."""

from __future__ import annotations

import html
import json
import unicodedata
from pathlib import Path

import pytest

from coder.offsets import SourceText, build_view
from coder.pipeline import code_article
from tests.support import spans_read_back

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "raw",
    [
        "Russian\u00a0President  Vladimir Putin met\tJoe Biden.",
        "Tom &amp; Jerry met Putin\r\n\r\nin Geneva.",
        "Pu\u200btin met Bi\u00adden.",
        "Cafe\u0301 owners met Putin.",  # a combining accent: NFC composes it
        "\ufeff  Putin met Biden.\u2029Biden left.",
    ],
)
def test_the_view_maps_every_character_back_to_where_it_came_from(raw):
    view, _ = build_view(raw)
    source = SourceText(raw)
    for index, char in enumerate(view):
        start, end = source.to_raw(index, index + 1)
        original = raw[start:end]
        if char == " ":
            assert original and not original.strip(), (index, original)
        else:  # the character itself, or what an entity or a combining sequence composes to
            assert char in unicodedata.normalize("NFC", html.unescape(original)), (index, original)


def test_a_sentence_is_found_in_order_and_spans_map_into_the_submitted_text():
    raw = "Putin met Biden.\n\nLater, Putin met  Biden\u00a0again."
    source = SourceText(raw)
    first = source.anchor("Putin met Biden.")
    second = source.anchor("Later, Putin met Biden again.")
    assert (first, source.span(first, 0, 5, "Putin")) == (0, (0, 5))
    start, end = source.span(second, 17, 28, "Biden again")
    assert raw[start:end] == "Biden\u00a0again"
    assert source.quote((start, end), "Biden again") == "Biden\u00a0again"


def test_a_sentence_cut_by_the_cleaner_falls_back_to_each_span():
    raw = "Putin met (Photo: Reuters) Biden in Geneva."
    source = SourceText(raw)
    anchor = source.anchor("Putin met Biden in Geneva.")
    assert anchor is None
    assert source.span(anchor, 10, 15, "Biden") == (27, 32)


def test_html_gets_no_offsets_rather_than_a_guess_inside_markup():
    raw = "<html><body><p>Putin <b>met</b> Biden.</p><p>More.</p><p>End.</p></body></html>"
    source = SourceText(raw)
    assert source.anchor("Putin met Biden.") is None
    assert source.span(None, 0, 5, "Putin") is None


def test_offsets_survive_page_chrome_no_break_spaces_and_entities():
    raw = (
        "Share\n\nWorld &gt; Europe\n\n"
        "Russian\u00a0President Vladimir Putin met U.S. President Joe Biden in Geneva on Tuesday."
    )
    events = code_article(raw, published="2021-06-19")
    assert events and spans_read_back(raw, events) >= 3
    assert events[0].source_text == "Russian\u00a0President Vladimir Putin"


def test_a_pronoun_is_cited_by_its_own_words():
    raw = "Russian President Vladimir Putin spoke on Tuesday. He criticized the United States."
    events = [e for e in code_article(raw, published="2021-12-08") if e.sentence_index == 1]
    assert events, "the pronoun's sentence gives an event"
    event = events[0]
    assert (event.source_code[:3], event.source_text) == ("RUS", "He")
    assert raw[event.source_start : event.source_end] == "He"


def test_every_span_of_every_seed_reads_back_from_the_submitted_text():
    checked = 0
    with (REPO / "seeds" / "articles.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            events = code_article(article["text"], published=article["published_at"])
            checked += spans_read_back(article["text"], events)
    assert checked >= 90


def test_every_span_of_the_when_where_gold_reads_back():
    checked = 0
    with (REPO / "seeds" / "when_where.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            events = code_article(record["text"], published=record.get("published_at"))
            checked += spans_read_back(record["text"], events)
    assert checked >= 300


@pytest.mark.parametrize(
    "raw",
    [
        "Russian President Vladimir Pu\u200btin criticized U.S. President Joe Biden.",
        "Russian President Vladimir Jose\u0301 criticized U.S. President Joe Biden.",
        "Russian&nbsp;President Vladimir Putin criticized U.S. President Joe Biden.",
        "Russian President Vladimir Putin criticized U.S.&#8203; President Joe Biden.",
    ],
)
def test_whatever_the_clean_up_changed_inside_a_span_the_span_reads_back(raw):
    events = code_article(raw, published="2021-12-08")
    assert events and spans_read_back(raw, events) >= 3


def test_a_span_found_on_its_own_is_a_whole_word():
    source = SourceText("Iranian media said Iran and Iraq met.")
    source.cursor = 0
    assert source.span(None, 0, 4, "Iran") == (19, 23)
