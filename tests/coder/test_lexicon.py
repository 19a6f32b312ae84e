"""Roles in time and longest-match lookup."""

from __future__ import annotations

from datetime import date

import pytest

from coder.lexicon import AGENT, COUNTRY, PERSON, Entry, Lexicon, Role

BIDEN = Entry(
    ("joe", "biden"),
    PERSON,
    (
        Role("USAELI", None, date(2021, 1, 20)),
        Role("USAGOV", date(2021, 1, 20), date(2025, 1, 20)),
        Role("USAELI", date(2025, 1, 20), None),
    ),
    "Joe Biden",
)


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (date(2018, 5, 1), "USAELI"),
        (date(2021, 1, 19), "USAELI"),
        (date(2021, 1, 20), "USAGOV"),
        (date(2021, 12, 7), "USAGOV"),
        (date(2025, 1, 20), "USAELI"),
        (date(2026, 3, 1), "USAELI"),
    ],
)
def test_role_in_force_on_the_date_wins(day, code):
    assert BIDEN.code_on(day) == code


def test_nearest_role_when_none_covers_the_date():
    entry = Entry(("x",), PERSON, (Role("AAAGOV", date(2010, 1, 1), date(2012, 1, 1)),), "X")
    two = Entry(
        ("y",),
        PERSON,
        (
            Role("AAAGOV", date(2010, 1, 1), date(2012, 1, 1)),
            Role("BBBGOV", date(2015, 1, 1), date(2016, 1, 1)),
        ),
        "Y",
    )
    assert entry.code_on(date(2020, 1, 1)) == "AAAGOV"
    assert two.code_on(date(2013, 1, 1)) == "AAAGOV"
    assert two.code_on(date(2014, 12, 1)) == "BBBGOV"


def test_undated_lookup_takes_the_latest_office():
    assert BIDEN.code_on(None) == "USAGOV"


def test_longest_phrase_wins():
    lexicon = Lexicon()
    lexicon.add(Entry(("south",), AGENT, (Role("XXX"),), "south"))
    lexicon.add(Entry(("south", "africa"), COUNTRY, (Role("ZAF"),), "South Africa"))
    tokens = ["in", "south", "africa", "today"]
    assert [e.name for e in lexicon.longest_at(tokens, 1)] == ["South Africa"]
    assert lexicon.longest_at(tokens, 0) == []
    assert len(lexicon) == 2
