"""Merge the mentions of one real-world event into one row, the way the user chooses.

- `none`: every coded mention is its own row.
- `story`: one row per (article, date, source, event code, target), PETRARCH's one-a-story.
- `day`: one row per (date, source, event code, target) across articles, Phoenix's one-a-day.
- `cluster`: one row per dyad and CAMEO root whose mentions fall within ±1 day of each other:
  every member is at most two days from the cluster's first date, so a cluster spans three days
  at most, centred on its middle one. The dyad is unordered and compares the actors' roots:
  "Putin and Biden held a call" is coded both ways, as RUSGOV or RUS, and it is one call.
  Dates coarser than a day (a month, a year) only cluster with the same date.

A merged row is the earliest mention's record (its event id, words and offsets) plus
`num_mentions`, `num_articles`, `num_sources`, `first_mention`, `last_mention`, `article_ids`,
`urls`, `sources`, `sentence_ids` and `mention_ids` (the event ids merged into it). Records are
the coder's flat records joined with their article's `url`, `source` and `published_at`.

Merging streams over records sorted by `sort_key(mode)`, holding one group at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, timedelta
from itertools import groupby
from typing import Any

from coder.layouts import event_day

Record = Mapping[str, Any]
MODES = ("none", "story", "day", "cluster")
# Cluster members lie within this many days of the cluster's first date (±1 day of its middle).
CLUSTER_SPAN = timedelta(days=2)


def sort_key(mode: str) -> Callable[[Record], tuple]:
    """Return the order records must come in for a mode (ties broken by mention time)."""
    if mode == "story":
        return lambda r: (*story_key(r), mention_time(r))
    if mode == "day":
        return lambda r: (*dyad_key(r), mention_time(r))
    if mode == "cluster":
        return lambda r: (*pair(r), r["event_root_code"], precision_rank(r), str(r["date"]),
                          mention_time(r))  # fmt: skip
    return lambda r: ()


def story_key(record: Record) -> tuple[str, ...]:
    """Return (article, date, source, event code, target)."""
    return (str(record["article_id"]), *dyad_key(record))


def dyad_key(record: Record) -> tuple[str, str, str, str]:
    """Return (date, source, event code, target)."""
    return (str(record["date"]), record["source_code"], record["event_code"],
            record["target_code"])  # fmt: skip


def pair(record: Record) -> tuple[str, str]:
    """Return the two actors' roots in a fixed order, whichever did what to whom.

    Outlets name the same actor differently ("Russia", "the Kremlin", "Putin": RUS, RUSGOV), so
    clusters compare roots: the country or the kind of organization.
    """
    source, target = record["source_code"][:3], record["target_code"][:3]
    return (source, target) if source <= target else (target, source)


def precision_rank(record: Record) -> int:
    """Order day-precise dates apart from coarser ones, which only cluster with their equals."""
    return 0 if record.get("date_precision") == "day" else 1


def mention_time(record: Record) -> str:
    """Return when a mention was published (else the event date), for ordering and spans."""
    return str(record.get("published_at") or record.get("date") or "")


def merge(records: Iterable[Record], mode: str, presorted: bool = False) -> Iterator[dict]:
    """Yield merged events; sort the records first unless they come in `sort_key(mode)` order."""
    if mode not in MODES:
        raise ValueError(f"unknown deduplication mode {mode!r}; choose one of {', '.join(MODES)}")
    if mode == "none":
        for record in records:
            yield merged_row([record])
        return
    ordered = records if presorted else sorted(records, key=sort_key(mode))
    for group in groups_of(ordered, mode):
        yield merged_row(group)


def groups_of(records: Iterable[Record], mode: str) -> Iterator[list[Record]]:
    """Yield the groups of records, in `sort_key(mode)` order, that a mode merges."""
    if mode == "none":
        yield from ([record] for record in records)
    elif mode == "cluster":
        yield from cluster_groups(records)
    else:
        yield from exact_groups(records, mode)


def exact_groups(records: Iterable[Record], mode: str) -> Iterator[list[Record]]:
    """Group records that share their story or day key."""
    for _, group in groupby(records, key=story_key if mode == "story" else dyad_key):
        yield list(group)


def cluster_groups(records: Iterable[Record]) -> Iterator[list[Record]]:
    """Group records of one dyad and root whose dates fall within the cluster span."""
    group: list[Record] = []
    first: date | None = None
    for record in records:
        day = event_day(record) if record.get("date_precision") == "day" else None
        if group and joins(group[0], first, record, day):
            group.append(record)
            continue
        if group:
            yield group
        group, first = [record], day
    if group:
        yield group


def joins(head: Record, first: date | None, record: Record, day: date | None) -> bool:
    """Tell whether a record joins the open cluster that `head` started on `first`."""
    if pair(head) != pair(record) or head["event_root_code"] != record["event_root_code"]:
        return False
    if first is None or day is None:
        return first is None and day is None and head["date"] == record["date"]
    return day - first <= CLUSTER_SPAN


def merged_row(group: list[Record]) -> dict:
    """Return the earliest mention's record with the merge fields filled in."""
    earliest = min(group, key=mention_time)
    times = sorted(mention_time(record) for record in group)
    return {
        **earliest,
        "num_mentions": len(group),
        "num_articles": len(distinct(str(r["article_id"]) for r in group)),
        "num_sources": len(distinct(r.get("source") for r in group)),
        "first_mention": times[0] or None,
        "last_mention": times[-1] or None,
        "article_ids": distinct(str(r["article_id"]) for r in group),
        "urls": distinct(r.get("url") for r in group),
        "sources": distinct(r.get("source") for r in group),
        "sentence_ids": [f"{r['article_id']}_{int(r['sentence_index']) + 1}" for r in group],
        "mention_ids": [r["event_id"] for r in group],
    }


def distinct(values: Iterable[Any]) -> list:
    """Return the non-empty values in first-seen order, each once."""
    return list(dict.fromkeys(value for value in values if value not in (None, "")))
