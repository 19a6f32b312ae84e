"""The flat event record: the same keys in JSON and CSV."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields
from typing import Any

CODER_VERSION = "0.1.0"


@dataclass(frozen=True)
class Event:
    """One coded event: who did what to whom, with the words it came from."""

    article_id: str
    event_id: str
    sentence_index: int
    sentence: str
    source_code: str
    source_name: str
    source_text: str
    source_start: int | None
    source_end: int | None
    target_code: str
    target_name: str
    target_text: str
    target_start: int | None
    target_end: int | None
    event_code: str
    event_base_code: str
    event_root_code: str
    quad_class: int
    goldstein: float
    event_text: str
    event_start: int | None
    event_end: int | None
    negated: bool
    hypothetical: bool
    future: bool
    confidence: float
    date: str
    date_precision: str
    date_text: str
    date_source: str
    location_name: str
    location_country: str
    admin1: str
    latitude: float | None
    longitude: float | None
    geonameid: int | None
    location_precision: str
    location_reason: str
    coder_version: str
    dictionary_version: str

    def to_dict(self) -> dict[str, Any]:
        """Return the record as a plain dict in field order."""
        return asdict(self)


RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Event))


def make_event_id(article_id: str, sentence_index: int, triple: tuple[str, str, str]) -> str:
    """Return a stable id, so that coding the same article twice gives the same ids."""
    key = "\x1f".join((article_id, str(sentence_index), *triple))
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
