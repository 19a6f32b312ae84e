"""The actor lexicon: dictionary phrases, what they code as, and a longest-match lookup."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

COUNTRY = "country"  # a state: name, adjective, demonym or capital -> bare ISO3 code
METONYM = "metonym"  # Kremlin, White House -> the state's government (RUSGOV)
ORG = "org"  # IGOs, NGOs, armed groups, parties: a full code of their own
AGENT = "agent"  # president, police, rebels: a 3-letter agent that combines with a root
PERSON = "person"  # a named person whose code depends on the date
BLOCKER = "blocker"  # a longer name that is no actor: "New Mexico" must not code as MEX

# Agents that mean "out of office": the undated guess prefers any other role.
FORMER_AGENTS = ("ELI",)


@dataclass(frozen=True)
class Role:
    """A code and the interval [start, end) in which it holds; None means open."""

    code: str
    start: date | None = None
    end: date | None = None

    def covers(self, day: date) -> bool:
        """Return True when the role holds on `day`."""
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)

    def distance(self, day: date) -> int:
        """Return how many days `day` lies outside the role (0 when it is covered)."""
        if self.start is not None and day < self.start:
            return (self.start - day).days
        if self.end is not None and day >= self.end:
            return (day - self.end).days + 1
        return 0


@dataclass(frozen=True)
class Entry:
    """One dictionary phrase and what it codes as."""

    phrase: tuple[str, ...]
    kind: str
    roles: tuple[Role, ...]
    name: str
    # Short all-capital forms (US, UN, EU) must match exactly, or "us" would code as USA.
    case_sensitive: bool = False
    written: tuple[str, ...] = ()

    def code_on(self, day: date | None) -> str:
        """Return the code in force on `day` (the nearest role in time when none covers it)."""
        if len(self.roles) == 1 or day is None:
            return self._undated_code()
        return min(self.roles, key=lambda role: role.distance(day)).code

    def _undated_code(self) -> str:
        """Return the latest office's code: without a date, a person is named for an office."""
        offices = [role for role in self.roles if not role.code.endswith(FORMER_AGENTS)]
        return (offices or list(self.roles))[-1].code


@dataclass
class Lexicon:
    """Phrases indexed by their first token, for longest-match lookup over token sequences."""

    by_first: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))

    def add(self, entry: Entry) -> None:
        """Index one entry; a later duplicate of a phrase and kind is ignored."""
        self.extend([entry])

    def extend(self, entries: Iterable[Entry]) -> None:
        """Index many entries, keeping each bucket longest phrase first."""
        touched: set[str] = set()
        for entry in entries:
            if entry.phrase:
                self.by_first[entry.phrase[0]].append(entry)
                touched.add(entry.phrase[0])
        for first in touched:
            self.by_first[first] = _unique_longest_first(self.by_first[first])

    def longest_at(self, tokens: Sequence[str], start: int) -> list[Entry]:
        """Return the entries of the longest phrase that starts at `tokens[start]`."""
        for entry in self.by_first.get(tokens[start], ()):
            end = start + len(entry.phrase)
            if tuple(tokens[start:end]) == entry.phrase:
                return [e for e in self.by_first[tokens[start]] if e.phrase == entry.phrase]
        return []

    def __len__(self) -> int:
        return sum(len(bucket) for bucket in self.by_first.values())


def _unique_longest_first(bucket: list[Entry]) -> list[Entry]:
    """Drop repeated (phrase, kind) pairs, keeping the first, and sort longest first."""
    seen: set[tuple[tuple[str, ...], str]] = set()
    unique = []
    for entry in bucket:
        if (entry.phrase, entry.kind) not in seen:
            seen.add((entry.phrase, entry.kind))
            unique.append(entry)
    return sorted(unique, key=lambda e: -len(e.phrase))
