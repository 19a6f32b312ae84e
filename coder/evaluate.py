"""Score the coder against gold-standard records (the JSON Lines format of ../shared/gold).

Gold events may also say when and where (`date`, `date_precision`, `location`,
`location_country`, as in the project's own seeds/when_where.jsonl): those are scored as date
and location accuracy, on the predicted event that matches the gold event.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coder.articles import InputError
from coder.geo import fold
from coder.record import Event

Triple = tuple[str, str, str]
Coder = Callable[[str, str | None, str, bool], list[Event]]


@dataclass(frozen=True)
class WhenWhere:
    """What a gold event says about its date and place; None where it says nothing."""

    triple: Triple
    date: tuple[str, str] | None  # (date, precision)
    # (name, ISO alpha-2 country); ("", "") when the event has no place.
    location: tuple[str, str] | None
    pattern: str = ""


@dataclass(frozen=True)
class GoldRecord:
    """One gold sentence and the events it should give."""

    id: str
    text: str
    date: str | None
    events: tuple[Triple, ...]
    has_actors: bool
    when_where: tuple[WhenWhere, ...] = ()


@dataclass
class Score:
    """Precision, recall and F1 from matched, predicted and gold counts."""

    tp: int = 0
    predicted: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        """Return TP / predicted."""
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        """Return TP / gold."""
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        """Return the harmonic mean of precision and recall."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def add(self, predicted: list[Triple], gold: Iterable[Triple]) -> None:
        """Count one record's multiset match."""
        predicted_counts, gold_counts = Counter(predicted), Counter(gold)
        self.tp += sum((predicted_counts & gold_counts).values())
        self.predicted += sum(predicted_counts.values())
        self.gold += sum(gold_counts.values())

    def as_dict(self) -> dict[str, float | int]:
        """Return the counts and rates, rounded for reports."""
        rates = {"precision": self.precision, "recall": self.recall, "f1": self.f1}
        return {**{k: round(v, 4) for k, v in rates.items()}, **asdict(self)}


@dataclass
class Accuracy:
    """Right answers among the gold events that expect one."""

    correct: int = 0
    expected: int = 0
    # Gold events for which the coder coded no event at all: counted as wrong.
    uncoded: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Return correct / expected."""
        return self.correct / self.expected if self.expected else 0.0

    @property
    def rate_when_coded(self) -> float:
        """Return the accuracy over gold events that the coder coded."""
        coded = self.expected - self.uncoded
        return self.correct / coded if coded else 0.0

    def add(self, right: bool, coded: bool, label: str) -> None:
        """Count one gold event."""
        self.expected += 1
        self.correct += right
        self.uncoded += not coded
        if not right:
            self.misses.append(label)

    def as_dict(self) -> dict[str, Any]:
        """Return the counts and rates, rounded for reports."""
        return {
            "accuracy": round(self.rate, 4),
            "accuracy_when_coded": round(self.rate_when_coded, 4),
            "correct": self.correct,
            "expected": self.expected,
            "uncoded": self.uncoded,
            "misses": self.misses,
        }


@dataclass
class Report:
    """The evaluation of one gold file."""

    file: str
    records: int = 0
    scored: int = 0
    root_dyad: Score = field(default_factory=Score)
    full: Score = field(default_factory=Score)
    code_records: int = 0
    root_correct: int = 0
    code_correct: int = 0
    dates: Accuracy = field(default_factory=Accuracy)
    locations: Accuracy = field(default_factory=Accuracy)

    @property
    def root_accuracy(self) -> float:
        """Return the share of code-only records whose top event has the gold root."""
        return self.root_correct / self.code_records if self.code_records else 0.0

    @property
    def code_accuracy(self) -> float:
        """Return the share of code-only records whose top event has the gold code."""
        return self.code_correct / self.code_records if self.code_records else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Return the report as plain data."""
        data: dict[str, Any] = {"file": self.file, "records": self.records, "scored": self.scored}
        if self.root_dyad.gold or self.root_dyad.predicted:
            data["root_dyad"] = self.root_dyad.as_dict()
            data["full"] = self.full.as_dict()
        if self.code_records:
            data["event_code"] = {
                "records": self.code_records,
                "root_accuracy": round(self.root_accuracy, 4),
                "code_accuracy": round(self.code_accuracy, 4),
            }
        if self.dates.expected:
            data["event_date"] = self.dates.as_dict()
        if self.locations.expected:
            data["event_location"] = self.locations.as_dict()
        return data


def gold_events(record: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Return a record's CAMEO events (PLOVER records carry them in `cameo_events`)."""
    if record.get("event_scheme") == "PLOVER" or "cameo_events" in record:
        return record.get("cameo_events") or None
    return record.get("events")


def is_scored(record: dict[str, Any]) -> bool:
    """Return True for records the peer coders scored (their own evaluate/include flags)."""
    return record.get("evaluate") is not False and record.get("in_include_list") is not False


def record_text(record: dict[str, Any]) -> str:
    """Return the text to code: the parse's text where the gold follows the parse."""
    if record.get("text_matches_parse") is False and record.get("parse_text"):
        return str(record["parse_text"])
    return str(record.get("text") or "")


def read_gold(path: Path) -> Iterator[GoldRecord | None]:
    """Yield the scorable records of a gold file (None for records that are not scored)."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"{path}:{number}: invalid JSON ({error.msg})") from None
            yield to_gold(record)


def to_gold(record: dict[str, Any]) -> GoldRecord | None:
    """Convert one raw gold record, or return None when it is not scored."""
    events = gold_events(record)
    text = record_text(record)
    if events is None or not is_scored(record) or not text.strip():
        return None
    triples = tuple(
        (str(e.get("source") or ""), str(e["event"]), str(e.get("target") or "")) for e in events
    )
    has_actors = any(e.get("source") or e.get("target") for e in events) or not events
    published = record.get("published_at", record.get("date"))
    when_where = tuple(
        to_when_where(event, triple, str(record.get("pattern") or ""))
        for event, triple in zip(events, triples, strict=True)
        if "date" in event or "location" in event
    )
    return GoldRecord(str(record.get("id")), text, published, triples, has_actors, when_where)


def to_when_where(event: dict[str, Any], triple: Triple, pattern: str) -> WhenWhere:
    """Read what a gold event expects of its date and place."""
    when = (str(event["date"]), str(event.get("date_precision") or "")) if "date" in event else None
    where = (
        (str(event["location"] or ""), str(event.get("location_country") or ""))
        if "location" in event
        else None
    )
    return WhenWhere(triple, when, where, pattern)


def root_triple(triple: Triple) -> Triple:
    """Reduce a triple to the root dyad: 3-letter actor roots and the 2-digit event root."""
    source, event, target = triple
    return source[:3], event[:2], target[:3]


def happened(events: list[Event]) -> list[Event]:
    """Return the events that are asserted to have happened (negated ones are not)."""
    return [e for e in events if not e.negated]


def evaluate_file(
    path: Path, coder: Coder, progress: Callable[[Iterable], Iterable] = iter
) -> Report:
    """Code every scored record of a gold file and compare with its gold events."""
    report = Report(file=path.name)
    for gold in progress(list(read_gold(path))):
        report.records += 1
        if gold is None:
            continue
        report.scored += 1
        events = happened(coder(gold.text, gold.date, gold.id, gold.has_actors))
        if gold.has_actors:
            triples = [(e.source_code, e.event_code, e.target_code) for e in events]
            report.full.add(triples, gold.events)
            report.root_dyad.add([root_triple(t) for t in triples], map(root_triple, gold.events))
        else:
            score_code_only(report, gold, events)
        for expected in gold.when_where:
            score_when_where(report, gold.id, expected, events)
    return report


def matching_event(expected: WhenWhere, events: list[Event]) -> Event | None:
    """Pick the predicted event a gold event is about: same root dyad and root code, else the
    same pair of actor roots either way round, else the most confident event."""
    if not events:
        return None
    source, code, target = root_triple(expected.triple)

    def pair(event: Event) -> set[str]:
        return {event.source_code[:3], event.target_code[:3]}

    same = [e for e in events if root_triple((e.source_code, e.event_code, e.target_code))
            == (source, code, target)]  # fmt: skip
    dyad = [e for e in events if pair(e) == {source, target}]
    return max(same or dyad or events, key=lambda e: e.confidence)


def score_when_where(
    report: Report, record_id: str, expected: WhenWhere, events: list[Event]
) -> None:
    """Score the date and place of the predicted event that matches a gold event."""
    event = matching_event(expected, events)
    label = f"{record_id} ({expected.pattern})" if expected.pattern else record_id
    if expected.date is not None:
        got = (event.date, event.date_precision) if event else None
        report.dates.add(got == expected.date, event is not None, f"{label}: {got}")
    if expected.location is not None:
        got_place = (event.location_name, event.location_country) if event else None
        right = got_place is not None and same_place(got_place, expected.location)
        report.locations.add(right, event is not None, f"{label}: {got_place}")


def same_place(got: tuple[str, str], expected: tuple[str, str]) -> bool:
    """Compare places by folded name and country ("" for no place)."""
    return fold(got[0]) == fold(expected[0]) and got[1].upper() == expected[1].upper()


def score_code_only(report: Report, gold: GoldRecord, events: list[Event]) -> None:
    """Score a record whose gold has an event code but no actors: the top event's code."""
    report.code_records += 1
    if not events:
        return
    top = max(events, key=lambda e: e.confidence)
    gold_code = gold.events[0][1]
    report.root_correct += top.event_root_code == gold_code[:2]
    report.code_correct += top.event_code == gold_code


def format_report(report: Report) -> str:
    """Render a report as a small text table."""
    lines = [f"{report.file}: {report.scored} of {report.records} records scored"]
    if report.root_dyad.gold or report.root_dyad.predicted:
        header = ("level", "precision", "recall", "f1", "tp", "pred", "gold")
        lines.append("{:<10} {:>9} {:>7} {:>7} {:>5} {:>5} {:>5}".format(*header))
        for label, score in (("root dyad", report.root_dyad), ("full", report.full)):
            lines.append(
                f"{label:<10} {score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>7.3f} "
                f"{score.tp:>5} {score.predicted:>5} {score.gold:>5}"
            )
    if report.code_records:
        lines.append(
            f"event code ({report.code_records} records): root accuracy "
            f"{report.root_accuracy:.3f}, full-code accuracy {report.code_accuracy:.3f}"
        )
    for label, accuracy in (("event date", report.dates), ("event location", report.locations)):
        if accuracy.expected:
            lines.append(
                f"{label}: accuracy {accuracy.rate:.3f} ({accuracy.correct}/{accuracy.expected};"
                f" {accuracy.uncoded} with no coded event, counted wrong), "
                f"{accuracy.rate_when_coded:.3f} of coded events"
            )
    return "\n".join(lines)
