"""Date words found in a sentence and resolved against the publication date."""

from __future__ import annotations

from datetime import date

import pytest

from coder.dates import find_dateline, find_dates, resolve

SATURDAY = date(2021, 12, 4)  # seed 000's publication date


def resolved(text: str, published: date = SATURDAY, future: bool = False) -> list[tuple]:
    """Return (date, precision, words) for each date mention of `text`."""
    found = [resolve(mention, published, future) for mention in find_dates(text)]
    return [(item.date, item.precision, item.text) for item in found if item]


@pytest.mark.parametrize(
    ("text", "future", "expected"),
    [
        ("Putin spoke to Biden on Tuesday.", False, ("2021-11-30", "day", "Tuesday")),
        ("Putin will speak to Biden on Tuesday.", True, ("2021-12-07", "day", "Tuesday")),
        ("They met on Saturday.", False, ("2021-12-04", "day", "Saturday")),
        ("They will meet on Saturday.", True, ("2021-12-04", "day", "Saturday")),
        ("They will meet on Monday.", True, ("2021-12-06", "day", "Monday")),
        ("The talks are set for the 7th.", True, ("2021-12-07", "day", "the 7th")),
        ("The talks were held on the 7th.", False, ("2021-11-07", "day", "on the 7th")),
        ("They met on the 2nd at a hotel.", False, ("2021-12-02", "day", "on the 2nd")),
        ("Kyiv accused Moscow on the 29th of lying.", False, ("2021-11-29", "day", "on the 29th")),
        ("Talks on December 7 ended.", False, ("2020-12-07", "day", "December 7")),
        ("Talks on December 7 will follow.", True, ("2021-12-07", "day", "December 7")),
        ("It began Dec. 2.", False, ("2021-12-02", "day", "Dec. 2")),
        ("It began on 2 December.", False, ("2021-12-02", "day", "2 December")),
        ("It began on 2nd of December.", False, ("2021-12-02", "day", "2nd of December")),
        ("Signed on December 7, 1987.", False, ("1987-12-07", "day", "December 7, 1987")),
        ("Signed 2021-06-16 in Geneva.", False, ("2021-06-16", "day", "2021-06-16")),
        ("Troops fired yesterday.", False, ("2021-12-03", "day", "yesterday")),
        ("Troops fired overnight.", False, ("2021-12-04", "day", "overnight")),
        ("Today the talks resume.", False, ("2021-12-04", "day", "Today")),
        ("Ministers met last week.", False, ("2021-11-22", "week", "last week")),
        ("Ministers meet this week.", False, ("2021-11-29", "week", "this week")),
        ("Ministers met last month.", False, ("2021-11", "month", "last month")),
        ("They met in Geneva in June.", False, ("2021-06", "month", "in June")),
        ("They met in mid-June.", False, ("2021-06", "month", "in mid-June")),
        ("They will meet in June.", True, ("2022-06", "month", "in June")),
        ("They met in December.", False, ("2021-12", "month", "in December")),
        ("The summit of June 2021 failed.", False, ("2021-06", "month", "June 2021")),
        ("In 2014, Russia annexed Crimea.", False, ("2014", "year", "In 2014")),
        ("Relations froze in the late 1980s.", False, ("1980", "decade", "the late 1980s")),
    ],
)
def test_date_words_resolve_against_publication(text, future, expected):
    assert resolved(text, future=future) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "The 7th Fleet sailed into the strait.",
        "The 20th century was violent.",
        "The delegation stayed on the 7th floor of the hotel.",
        "Leaders met on the 20th anniversary of the treaty.",
        "Protesters march 20 km to the capital.",
        "The ministers may 5 times refuse.",
        "Mayor Sobyanin spoke.",
        "He served 1,988 days.",
        "The Sunday Times reported it.",
    ],
)
def test_words_that_are_not_dates_are_left_alone(text):
    found = [mention.text for mention in find_dates(text)]
    assert found == [] or found == ["Sunday"]  # a bare weekday name is read as one


def test_a_day_that_does_not_exist_resolves_to_nothing():
    assert resolved("Talks on February 30 ended.") == []
    assert resolved("Talks on the 31st.", published=date(2021, 3, 1)) == [
        ("2021-01-31", "day", "on the 31st")
    ]


def test_mentions_carry_their_offsets_and_do_not_overlap():
    text = "On Tuesday, December 7, they met; in June they had met in Geneva."
    mentions = find_dates(text)
    assert [text[m.start : m.end] for m in mentions] == ["Tuesday", "December 7", "in June"]


@pytest.mark.parametrize(
    ("text", "places", "date_words"),
    [
        ("MOSCOW/WASHINGTON, December 7. /TASS/. Putin and Biden", ("MOSCOW", "WASHINGTON"),
         "December 7"),
        ("(Moscow = Yonhap News) Correspondent Yoo", ("Moscow",), None),
        ("WASHINGTON (Reuters) - The U.S. said", ("WASHINGTON",), None),
        ("WASHINGTON, Dec. 7 (Reuters) - Biden", ("WASHINGTON",), "Dec. 7"),
        ("KYIV, Ukraine, Feb 24 (Reuters) - Russia", ("KYIV",), "Feb 24"),
        ("UNITED NATIONS, March 2, 2022 (AP) \u2014 The", ("UNITED NATIONS",), "March 2, 2022"),
        ("Menu\nHome\nBEIRUT, Lebanon (AP) \u2014 Israeli jets", ("BEIRUT",), None),
        ("DUBLIN, 7 September 2024 \u2014 Starmer met", ("DUBLIN",), "7 September 2024"),
    ],
)  # fmt: skip
def test_datelines_give_places_and_dates(text, places, date_words):
    dateline = find_dateline(text)
    assert dateline is not None and dateline.places == places
    assert (dateline.date.text if dateline.date else None) == date_words
    if dateline.date:
        assert text[dateline.date.start : dateline.date.end] == date_words


@pytest.mark.parametrize(
    "text",
    [
        "Sunday, February 5, 2023\nNews > World\nPutin and Biden spoke.",
        "Putin and Biden spoke on December 7 (Reuters reported).",
        "The U.S. and Russia (Reuters) said nothing.",
    ],
)
def test_page_banners_and_prose_are_not_datelines(text):
    assert find_dateline(text) is None


def test_the_seed_datelines(repo):
    seeds = {path.name[:3]: path.read_text(encoding="utf-8")
             for path in (repo / "seeds" / "articles").glob("*.txt")}  # fmt: skip
    assert find_dateline(seeds["003"]).places == ("MOSCOW", "WASHINGTON")
    assert resolve(find_dateline(seeds["003"]).date, date(2021, 12, 7)).date == "2021-12-07"
    assert find_dateline(seeds["000"]).places == ("Moscow",)
    assert find_dateline(seeds["002"]) is None  # its "Sunday, February 5, 2023" is a banner
