"""Load the project's own dictionaries from `coder/data/` (formats in its README)."""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

from coder.lexicon import AGENT, BLOCKER, COUNTRY, METONYM, ORG, PERSON, Entry, Lexicon, Role
from coder.nlp import phrase_tokens

DATA_DIR = Path(__file__).parent / "data"
# PETRARCH-format dictionaries to plug in, as lists of files (set by `dyad code --petrarch-…`).
ACTORS_ENV = "DYAD_PETRARCH_ACTORS"
AGENTS_ENV = "DYAD_PETRARCH_AGENTS"
TARGET = "+"
SOURCE = "$"  # after a preposition: "faced criticism from $" puts the doer there
CODE_RE = re.compile(r"^\d{2,4}$")


class DictionaryError(ValueError):
    """A dictionary file does not follow its documented format."""


@dataclass(frozen=True)
class VerbPattern:
    """One event pattern: a verb lemma, the words its clause must hold, and the target slot."""

    code: str
    verb: str
    words: tuple[frozenset[str], ...]  # each position: the words (or a class's) that fit
    # None: no explicit slot; "": the direct object; a preposition: that preposition's object.
    target_after: str | None
    order: int
    # A preposition whose object is the source ("came under fire from $"); the clause's
    # subject is then the target.
    source_after: str | None = None

    @property
    def specificity(self) -> int:
        """Return how many words beyond the verb the pattern requires."""
        return len(self.words)


@dataclass(frozen=True)
class ControlFamily:
    """Verbs that wrap a complement event, and how they map its code."""

    name: str
    verbs: frozenset[str]
    mapping: dict[str, str]

    def derive(self, code: str) -> str:
        """Map a complement's event code through the family's table (longest prefix wins)."""
        for length in range(len(code), 1, -1):
            if code[:length] in self.mapping:
                return self.mapping[code[:length]]
        return self.mapping["*"]


@dataclass(frozen=True)
class CameoCode:
    """A CAMEO event code with its name and Goldstein weight."""

    code: str
    name: str
    goldstein: float

    @property
    def root(self) -> str:
        """Return the 2-digit root code."""
        return self.code[:2]

    @property
    def quad_class(self) -> int:
        """Return the quad class: 1 verbal/2 material cooperation, 3 verbal/4 material conflict."""
        root = int(self.root)
        return 1 if root <= 5 else 2 if root <= 8 else 3 if root <= 13 else 4


@dataclass
class Dictionaries:
    """Everything the coder reads from disk, loaded once per process."""

    lexicon: Lexicon
    cameo: dict[str, CameoCode]
    patterns: dict[str, list[VerbPattern]]
    controls: dict[str, ControlFamily]
    version: str
    iso3_by_iso2: dict[str, str]

    def control_family(self, lemma: str) -> ControlFamily | None:
        """Return the control family a verb lemma belongs to, if any."""
        return self.controls.get(lemma)

    def family(self, name: str) -> ControlFamily | None:
        """Return a control family by its name."""
        return self._families_by_name.get(name)

    @cached_property
    def _families_by_name(self) -> dict[str, ControlFamily]:
        """Index the control families by name."""
        return {family.name: family for family in self.controls.values()}

    @cached_property
    def iso2_by_iso3(self) -> dict[str, str]:
        """Map ISO 3166 alpha-3 codes back to alpha-2 (the gazetteer's)."""
        return {iso3: iso2 for iso2, iso3 in self.iso3_by_iso2.items()}

    def verbs_coded(self, code: str) -> frozenset[str]:
        """Return the verbs that have a bare pattern (no further words) with this code."""
        return self._bare_verbs.get(code, frozenset())

    @cached_property
    def _bare_verbs(self) -> dict[str, frozenset[str]]:
        """Index bare verb patterns by code."""
        index: dict[str, set[str]] = defaultdict(set)
        for verb, patterns in self.patterns.items():
            for pattern in patterns:
                if not pattern.words:
                    index[pattern.code].add(verb)
        return {code: frozenset(verbs) for code, verbs in index.items()}


def data_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Yield (line number, content) for non-blank lines with comments removed."""
    with path.open(encoding="utf-8") as handle:
        for number, raw in enumerate(handle, start=1):
            line = raw.split("#", 1)[0].rstrip()
            if line.strip():
                yield number, line


def split_list(field_text: str) -> list[str]:
    """Split a `;`-separated field into its stripped, non-empty items."""
    return [item.strip() for item in field_text.split(";") if item.strip()]


def split_fields(path: Path, number: int, line: str, count: int) -> list[str]:
    """Split a `|`-separated line and check it has `count` fields."""
    fields = [part.strip() for part in line.split("|")]
    if len(fields) != count:
        raise DictionaryError(f"{path.name}:{number}: expected {count} fields, got {len(fields)}")
    return fields


def make_entry(phrase: str, kind: str, roles: tuple[Role, ...], name: str) -> Entry | None:
    """Build a lexicon entry for a written phrase, or None when it has no tokens."""
    tokens = phrase_tokens(phrase)
    if not tokens:
        return None
    written = tuple(phrase.split())
    # Short all-capital forms (US, UN, EU, AU) must match exactly: "us" is a pronoun.
    case_sensitive = phrase.isupper() and len(phrase.replace(".", "")) <= 4
    return Entry(tokens, kind, roles, name, case_sensitive=case_sensitive, written=written)


def plural_forms(phrase: str) -> list[str]:
    """Return the phrase and the regular plural of its last word."""
    head, _, last = phrase.rpartition(" ")
    prefix = f"{head} " if head else ""
    if last.endswith(("s", "x", "z", "ch", "sh")):
        plural = last + "es"
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        plural = last[:-1] + "ies"
    else:
        plural = last + "s"
    return [phrase, prefix + plural]


def load_countries(path: Path) -> Iterator[Entry]:
    """Yield entries for every country name, adjective, capital and metonym."""
    for number, line in data_lines(path):
        iso3, _iso2, name, others, adjectives, capitals, metonyms = split_fields(
            path, number, line, 7
        )
        country = (Role(iso3),)
        government = (Role(iso3 + "GOV"),)
        for phrase in [name, *split_list(others), *split_list(adjectives), *split_list(capitals)]:
            yield from _entries([phrase], COUNTRY, country, name)
        yield from _entries(split_list(metonyms), METONYM, government, name)


def load_iso_codes(path: Path) -> dict[str, str]:
    """Map ISO 3166 alpha-2 codes to alpha-3 codes."""
    codes = {}
    for number, line in data_lines(path):
        iso3, iso2, *_ = split_fields(path, number, line, 7)
        codes[iso2] = iso3
    return codes


def _entries(phrases: list[str], kind: str, roles: tuple[Role, ...], name: str) -> Iterator[Entry]:
    """Yield the entries for several phrases that code alike."""
    for phrase in phrases:
        entry = make_entry(phrase, kind, roles, name)
        if entry is not None:
            yield entry


def load_organizations(path: Path) -> Iterator[Entry]:
    """Yield entries for IGOs, NGOs and armed groups."""
    for number, line in data_lines(path):
        code, names = split_fields(path, number, line, 2)
        phrases = split_list(names)
        yield from _entries(phrases, ORG, (Role(code),), phrases[0] if phrases else code)


def load_agents(path: Path) -> Iterator[Entry]:
    """Yield entries for agent nouns, with their regular plurals."""
    for number, line in data_lines(path):
        agent, phrases = split_fields(path, number, line, 2)
        for phrase in split_list(phrases):
            yield from _entries(plural_forms(phrase), AGENT, (Role(agent),), phrase)


def parse_day(text: str, path: Path, number: int) -> date | None:
    """Parse an ISO date or `-` (open)."""
    if text == "-":
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise DictionaryError(f"{path.name}:{number}: bad date {text!r}") from error


def load_people(path: Path) -> Iterator[Entry]:
    """Yield entries for named people with their date-bounded roles."""
    names: list[str] = []
    roles: list[Role] = []
    for number, line in data_lines(path):
        if not line[0].isspace():
            yield from _person_entries(names, roles)
            names, roles = split_list(line.split("|", 1)[0]), []
            continue
        parts = line.split()
        if len(parts) != 3:
            raise DictionaryError(f"{path.name}:{number}: expected CODE START END")
        code, start, end = parts
        roles.append(Role(code, parse_day(start, path, number), parse_day(end, path, number)))
    yield from _person_entries(names, roles)


def _person_entries(names: list[str], roles: list[Role]) -> Iterator[Entry]:
    """Yield one entry per name of a person."""
    if names and roles:
        yield from _entries(names, PERSON, tuple(roles), names[0])


def load_blockers(path: Path) -> Iterator[Entry]:
    """Yield names that contain an actor's name but are no actor (regions, US states)."""
    for _number, line in data_lines(path):
        for phrase in split_list(line):
            yield from _entries([phrase], BLOCKER, (Role(""),), phrase)


def load_lexicon(data_dir: Path = DATA_DIR, plugged: Iterable[Entry] = ()) -> Lexicon:
    """Build the actor lexicon from plugged-in entries (first, so they win) and our own."""
    lexicon = Lexicon()
    lexicon.extend(plugged)
    lexicon.extend(load_blockers(data_dir / "nonactors.txt"))
    lexicon.extend(load_people_files(data_dir))
    lexicon.extend(load_organizations(data_dir / "organizations.txt"))
    lexicon.extend(load_countries(data_dir / "countries.txt"))
    lexicon.extend(load_agents(data_dir / "agents.txt"))
    return lexicon


def load_people_files(data_dir: Path) -> Iterator[Entry]:
    """Yield the people of every `people*.txt` file."""
    for path in sorted(data_dir.glob("people*.txt")):
        yield from load_people(path)


def load_cameo(path: Path) -> dict[str, CameoCode]:
    """Load the CAMEO code table."""
    table: dict[str, CameoCode] = {}
    for number, line in data_lines(path):
        code, goldstein, name = split_fields(path, number, line, 3)
        if not CODE_RE.match(code):
            raise DictionaryError(f"{path.name}:{number}: bad CAMEO code {code!r}")
        table[code] = CameoCode(code, name, float(goldstein))
    return table


def parse_pattern(
    text: str, code: str, order: int, classes: dict[str, frozenset[str]]
) -> list[VerbPattern]:
    """Parse one pattern such as `hold talk with +` or `@GIVE @AID to +` (one per verb)."""
    words = text.lower().split()
    slots: dict[str, str | None] = {TARGET: None, SOURCE: None}
    literal: list[frozenset[str]] = []
    for word in words[1:]:
        if word in slots:
            last = literal[-1] if literal else frozenset()
            slots[word] = next(iter(last)) if len(last) == 1 and last <= PREPOSITIONS else ""
        else:
            literal.append(expand_word(word, classes))
    if slots[SOURCE] == "":
        raise DictionaryError(f"`$` must follow a preposition: {text!r}")
    verbs = sorted(expand_word(words[0], classes))
    return [
        VerbPattern(code, verb, tuple(literal), slots[TARGET], order, slots[SOURCE])
        for verb in verbs
    ]


def expand_word(word: str, classes: dict[str, frozenset[str]]) -> frozenset[str]:
    """Return the words a pattern word stands for: itself, or a class's members."""
    if not word.startswith(CLASS_MARK):
        return frozenset({word})
    if word not in classes:
        raise DictionaryError(f"unknown word class {word}")
    return classes[word]


PREPOSITIONS = frozenset(
    "with against on to for from over of in into at by about toward towards upon between "
    "across through within without among amid after before under".split()
)
CLASS_MARK = "@"


def load_patterns(path: Path, cameo: dict[str, CameoCode]) -> dict[str, list[VerbPattern]]:
    """Load the verb patterns, indexed by verb, most specific first."""
    index: dict[str, list[VerbPattern]] = defaultdict(list)
    classes: dict[str, frozenset[str]] = {}
    order = 0
    for number, line in data_lines(path):
        code, patterns = split_fields(path, number, line, 2)
        if code.startswith(CLASS_MARK):
            classes[code.lower()] = frozenset(w.lower() for w in split_list(patterns))
            continue
        if code not in cameo:
            raise DictionaryError(f"{path.name}:{number}: unknown CAMEO code {code}")
        for text in split_list(patterns):
            order += 1
            try:
                for pattern in parse_pattern(text, code, order, classes):
                    index[pattern.verb].append(pattern)
            except DictionaryError as error:
                raise DictionaryError(f"{path.name}:{number}: {error}") from None
    for patterns in index.values():
        patterns.sort(key=lambda p: (-p.specificity, p.order))
    return dict(index)


SECTION_RE = re.compile(r"^\[(\w+)\]\s*(.*)$")
MAPPING_RE = re.compile(r"^(\d{2,4}|\*)\s*->\s*(\d{2,4})$")


def load_controls(path: Path, cameo: dict[str, CameoCode]) -> dict[str, ControlFamily]:
    """Load the control-verb families, indexed by verb lemma."""
    families: list[ControlFamily] = []
    for number, line in data_lines(path):
        line = line.strip()
        if section := SECTION_RE.match(line):
            verbs = frozenset(v.replace(" ", "_") for v in split_list(section.group(2)))
            families.append(ControlFamily(section.group(1), verbs, {}))
        elif (mapping := MAPPING_RE.match(line)) and families:
            source, target = mapping.groups()
            if target not in cameo:
                raise DictionaryError(f"{path.name}:{number}: unknown CAMEO code {target}")
            families[-1].mapping[source] = target
        else:
            raise DictionaryError(f"{path.name}:{number}: expected [family] or CODE -> CODE")
    for family in families:
        if "*" not in family.mapping:
            raise DictionaryError(f"{path.name}: family {family.name} has no '* ->' fallback")
    return {verb: family for family in families for verb in family.verbs}


def content_hash(data_dir: Path, extra_files: tuple[Path, ...] = ()) -> str:
    """Return a short content hash of every dictionary file, for reproducible datasets."""
    digest = hashlib.sha256()
    for path in [*sorted(data_dir.glob("*.txt")), *extra_files]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=4)
def load_dictionaries(
    data_dir: Path = DATA_DIR,
    petrarch_actors: tuple[Path, ...] = (),
    petrarch_agents: tuple[Path, ...] = (),
) -> Dictionaries:
    """Load every dictionary once per process, with any PETRARCH dictionaries plugged in.

    A plugged-in entry wins over the project's own for the same phrase and kind.
    """
    cameo = load_cameo(data_dir / "cameo.txt")
    patterns = load_patterns(data_dir / "verbs.txt", cameo)
    controls = load_controls(data_dir / "control.txt", cameo)
    return Dictionaries(
        lexicon=load_lexicon(data_dir, plugged_entries(petrarch_actors, petrarch_agents)),
        cameo=cameo,
        patterns=patterns,
        controls=controls,
        version=content_hash(data_dir, (*petrarch_actors, *petrarch_agents)),
        iso3_by_iso2=load_iso_codes(data_dir / "countries.txt"),
    )


def plugged_entries(actor_files: tuple[Path, ...], agent_files: tuple[Path, ...]) -> list[Entry]:
    """Read PETRARCH-format actor and agent dictionaries."""
    if not (actor_files or agent_files):
        return []
    from coder.petrarch import parse_actor_file, parse_agent_file

    entries: list[Entry] = []
    for path in actor_files:
        entries.extend(parse_actor_file(path))
    for path in agent_files:
        entries.extend(parse_agent_file(path))
    return entries


def active_dictionaries() -> Dictionaries:
    """Load the dictionaries this process codes with: the project's own, plus the PETRARCH
    actor and agent files named in DYAD_PETRARCH_ACTORS / DYAD_PETRARCH_AGENTS."""
    return load_dictionaries(DATA_DIR, env_paths(ACTORS_ENV), env_paths(AGENTS_ENV))


def env_paths(name: str) -> tuple[Path, ...]:
    """Return the paths listed in an environment variable (separated like PATH)."""
    value = os.environ.get(name, "")
    return tuple(Path(part) for part in value.split(os.pathsep) if part)
