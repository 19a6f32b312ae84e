"""The GDELT layout written in SQL, so that PostgreSQL's COPY can write a whole export itself.

coder.layouts.gdelt_row is the reference: this module builds the same 61 cells as SQL
expressions (a test compares the two cell by cell). It serves exports that merge nothing, in csv
or tsv, on PostgreSQL: formatting a million rows in Python runs at a tenth of COPY's speed.

Cells that depend on a few inputs only (an actor code, a date, a place, an article) are computed
in a LATERAL subquery of those inputs. PostgreSQL memoizes such a subquery on its inputs, so an
actor code found in 100,000 events is split once, not 100,000 times; `OFFSET 0` keeps the
planner from folding the subquery back into the row, where each cell would be computed anew.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    Integer,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from coder.layouts import (
    GDELT_COLUMNS,
    GROUP_ROOTS,
    ROOT_EVENT_SENTENCES,
    STANDARD_QUADS,
    countries,
    fips_codes,
)
from service.storage.events import EventFilter
from service.storage.tables import articles, events

Cell = ColumnElement[Any]
Safe = Callable[[Cell], Cell]
GROUP_CODE = 3  # a group root (IGO, NGO ...) is followed by the group's own 3-letter code


@lru_cache(maxsize=1)
def country_maps() -> tuple[str, str]:
    """Return JSON objects mapping iso2 to the FIPS code and to the English name."""
    known = countries().values()
    fips = {c.iso2: fips_codes()[c.iso2] for c in known if fips_codes().get(c.iso2)}
    names = {c.iso2: c.name for c in known}
    return json.dumps(fips, sort_keys=True), json.dumps(names, sort_keys=True)


def looked_up(mapping: str, key: Cell) -> Cell:
    """Return the text a JSON object maps `key` to, or NULL."""
    return cast(literal(mapping), JSONB).op("->>")(key)


def float_text(number: Cell) -> Cell:
    """Write a float as Python does, a whole number with its `.0` (-10.0, where SQL says -10)."""
    whole = cast(cast(number, BigInteger), Text) + ".0"
    return case((number == func.trunc(number), whole), else_=cast(number, Text))


def memoized(name: str, inputs: Sequence[Any], cells: Callable[[Any], list[Cell]]) -> Any:
    """Return a LATERAL subquery of the labelled `cells` of `inputs`, columns of events.

    PostgreSQL memoizes a LATERAL subquery on every reference it makes to the outer row, so
    the inputs are taken once each in an inner subquery, and the cells read them from there.
    """
    taken = select(*(column.label(column.name) for column in inputs)).correlate(events)
    inner = taken.offset(0).subquery(f"{name}_input")
    return select(*cells(inner.c)).select_from(inner).offset(0).lateral(name)


def actor_cells(code_column: Any, safe: Safe, name: str) -> Any:
    """Return a LATERAL subquery of GDELT's actor columns that follow from the actor code."""
    iso3 = sorted({country.iso3 for country in countries().values()})

    def cells(taken: Any) -> list[Cell]:
        """Split the code into its country, known group and three types."""
        code = taken[code_column.name]
        root = func.left(code, 3)
        skip = case((root.in_(sorted(GROUP_ROOTS)), GROUP_CODE), else_=0)
        size = func.length(code)

        def part(start: int) -> Cell:
            """Return the 3-letter code at 1-based `start` after any group code, or NULL."""
            return case((size >= start + 2 + skip, func.substr(code, start + skip, 3)),
                        else_=null())  # fmt: skip

        known_group = case((and_(skip == GROUP_CODE, size >= 6), func.substr(code, 4, 3)),
                           else_=null())  # fmt: skip
        country = case((root.in_(iso3), root), else_=null())
        # The group and the types are pieces of the code, which a dictionary may fill with
        # anything ("+1)" from "ABC+1)"): each is made safe, as the Python path does every cell.
        return [safe(func.nullif(code, "")).label("code"), country.label("country"),
                safe(known_group).label("known_group"), safe(part(4)).label("type1"),
                safe(part(7)).label("type2"), safe(part(10)).label("type3")]  # fmt: skip

    return memoized(name, [code_column], cells)


def actor_row(actor: Any, name: Cell, safe: Safe) -> list[Cell]:
    """Return GDELT's ten actor columns."""
    return [actor.c.code, safe(func.nullif(name, "")), actor.c.country, actor.c.known_group,
            null(), null(), null(), actor.c.type1, actor.c.type2, actor.c.type3]  # fmt: skip


def date_cells() -> Any:
    """Return a LATERAL subquery of the event's day (YYYYMMDD), year and fraction of a year."""

    def cells(taken: Any) -> list[Cell]:
        """Read the day, its year and the year's fraction from the ISO date."""
        date = taken.date
        # A month or a year stands for its first day, as in the reference layout.
        day = case(
            (func.length(date) == 10, func.replace(date, "-", "")),
            (func.length(date) == 7, func.replace(date, "-", "") + "01"),
            (func.length(date) == 4, date + "0101"),
            else_=null(),
        )
        year = cast(func.left(day, 4), Integer)
        # date - date is a number of days in PostgreSQL.
        day_of_year = type_coerce(cast(day, Date) - func.make_date(year, 1, 1), Integer) + 1
        # Python's round(year + day / 365, 4), done in exact decimals, then written as a float.
        exact = func.round(year * 10000 + day_of_year * 10000 / literal(365.0)) / 10000.0
        return [day.label("day"), year.label("year"), cast(exact, Float).label("fraction")]

    return memoized("event_day", [events.c.date], cells)


def code_cells() -> Any:
    """Return a LATERAL subquery of the quad class and the Goldstein score as Python writes it."""

    def cells(taken: Any) -> list[Cell]:
        """Class the root code and write the score."""
        root = cast(taken.event_root_code, Integer)
        quad = case(*((root == number, quad) for number, quad in STANDARD_QUADS.items()),
                    else_=null())  # fmt: skip
        return [quad.label("quad"), float_text(taken.goldstein).label("goldstein")]

    return memoized("event_kind", [events.c.event_root_code, events.c.goldstein], cells)


def place_cells(safe: Safe) -> Any:
    """Return a LATERAL subquery of GDELT's action-geography columns that follow from the place."""
    fips_map, name_map = country_maps()

    def cells(taken: Any) -> list[Cell]:
        """Type the place, name it with its country, and give its FIPS codes."""
        iso2, precision, name = (
            taken.location_country,
            taken.location_precision,
            taken.location_name,
        )
        fips, country_name = looked_up(fips_map, iso2), looked_up(name_map, iso2)
        is_us = iso2 == "US"
        geo_type = case(
            (iso2 == "", null()),
            (precision == "country", 1),
            (precision == "admin1", case((is_us, 2), else_=5)),
            else_=case((is_us, 3), else_=4),
        )
        full_name = case(
            (iso2 == "", null()),
            (or_(precision == "country", country_name.is_(None)), name),
            else_=name + ", " + country_name,
        )
        admin1 = taken.admin1
        adm1 = case((and_(fips.is_not(None), admin1 != ""), fips + admin1), else_=fips)
        return [geo_type.label("geo_type"), safe(full_name).label("full_name"),
                fips.label("fips"), adm1.label("adm1")]  # fmt: skip

    inputs = [events.c.location_country, events.c.location_precision, events.c.location_name,
              events.c.admin1]  # fmt: skip
    return memoized("place", inputs, cells)


def article_cells(safe: Safe) -> Any:
    """Return a LATERAL subquery of when the event's article was added, and its url."""
    added = func.to_char(func.timezone("UTC", articles.c.created_at), "YYYYMMDDHH24MISS")
    return (
        select(added.label("added"), safe(func.nullif(articles.c.url, "")).label("url"))
        .where(articles.c.id == events.c.article_id)
        .correlate(events)
        .offset(0)
        .lateral("article")
    )


def gdelt_query(where: EventFilter, safe: Safe) -> Any:
    """Select the 61 GDELT cells of the matching events, in id order.

    `safe(cell)` neutralises formula-like text, as the csv writer does for the Python path.
    """
    source = actor_cells(events.c.source_code, safe, "source_actor")
    target = actor_cells(events.c.target_code, safe, "target_actor")
    day, kind, place, article = date_cells(), code_cells(), place_cells(safe), article_cells(safe)
    located = events.c.location_country != ""
    cells = [
        events.c.event_id, day.c.day, func.left(day.c.day, 6), day.c.year, day.c.fraction,
        *actor_row(source, events.c.source_name, safe),
        *actor_row(target, events.c.target_name, safe),
        cast(events.c.sentence_index < ROOT_EVENT_SENTENCES, Integer),
        events.c.event_code, events.c.event_base_code, events.c.event_root_code, kind.c.quad,
        kind.c.goldstein, literal(1), literal(1), literal(1), null(),
        *[null()] * 16,
        place.c.geo_type, place.c.full_name, place.c.fips, place.c.adm1, null(),
        # Coordinates are rarely whole, and a `.0` for them would cost a twentieth of the export.
        case((located, events.c.latitude), else_=null()),
        case((located, events.c.longitude), else_=null()),
        case((located, events.c.geonameid), else_=null()),
        article.c.added, article.c.url,
    ]  # fmt: skip
    labelled = [cell.label(name) for cell, name in zip(cells, GDELT_COLUMNS, strict=True)]
    query = select(*labelled).select_from(events)
    for lateral in (article, source, target, day, kind, place):
        query = query.join(lateral, true())
    return query.where(*where.clauses()).order_by(events.c.id)
