"""Load PETRARCH/TABARI-format actor and agent dictionaries into a Lexicon.

Actor files hold blocks: a primary phrase, `+` synonym lines and `[CODE]` lines, where a code
may carry a date restriction: `[CODE <YYMMDD]`, `[CODE >YYMMDD]` or `[CODE YYMMDD-YYMMDD]`
(dates YYMMDD, with YY <= 30 meaning 20YY, or YYYYMMDD). As in PETRARCH-1, whose reader
documents the format, every bound includes its own day: `<d` holds up to and including d, `>d`
from d on, `a-b` from a through b; the roles store them as half-open `[start, end)`. An undated
code is the default: it holds on the days no dated code covers. Primary phrases with no code
of their own share the codes that follow them, as in PETRARCH-1.

Agent files hold `PHRASE {PLURAL} [~CODE]` lines (`[CODE~]` marks a code PETRARCH puts before
the actor's; the entry keeps the bare code either way), `!SET! = A, B` substitution sets used
as `DECK!CREW!`, and get regular plurals generated unless `{}` is given.

`#` (or TABARI's `;`) outside `[...]` starts a comment to the end of the line; `<!-- ... -->`
spans, even over several lines, and lines starting with `<!` are comments too. Phrases join
words with `_`; a trailing `_` (PETRARCH's "whole word") is dropped, as every phrase here
matches whole tokens. Lines that cannot be understood are skipped and listed in the `skipped`
attribute of the returned list; a file that cannot be read or decoded raises
DictionaryFormatError.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from coder.lexicon import AGENT, COUNTRY, ORG, PERSON, Entry, Lexicon, Role
from coder.nlp import phrase_tokens

log = logging.getLogger(__name__)

_CODE_GROUP = re.compile(r"\[([^\[\]]*)\]")
# Text up to a comment: anything but `#`, `;` and `[`, or a whole `[...]` group (`[###]`).
_BEFORE_COMMENT = re.compile(r"(?:[^#;\[]|\[[^\]]*\])*")
_COMMENT_MARK = re.compile(r"[#;]")
_CODE = re.compile(r"[A-Z~+\-#/.]+[A-Z0-9~+\-#/.]*")
_RESTRICTION = re.compile(r"(?P<op>[<>]?)(?P<day>\d+)|(?P<first>\d+)-(?P<last>\d+)")
_AGENT_CODE = re.compile(r"~?(?P<code>[A-Z]{3,})~?")
_MARKER = re.compile(r"!(?P<name>[^!\s=]+)!")
_SET_DEFINITION = re.compile(r"!(?P<name>[^!\s=]+)!\s*=(?P<items>.*)")
_PLURAL_GROUP = re.compile(r"\{(?P<plural>[^{}]*)\}")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_ONE_DAY = timedelta(days=1)

# Phrases that share what they code as: (phrase texts, kind, roles, name).
_Group = tuple[list[str], str, tuple[Role, ...], str]


class DictionaryFormatError(ValueError):
    """A dictionary file that cannot be read: missing, unreadable or not UTF-8."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {message}")


class ParsedEntries(list[Entry]):
    """The entries read from one file, with the `(line, reason)` pairs of skipped lines."""

    def __init__(
        self, entries: Iterable[Entry] = (), skipped: Iterable[tuple[int, str]] = ()
    ) -> None:
        super().__init__(entries)
        self.skipped: list[tuple[int, str]] = list(skipped)


class _Malformed(ValueError):
    """One line (or one code on it) that cannot be understood; the caller skips it."""


# ---------------------------------------------------------------- reading lines


def _read_lines(path: Path) -> list[str]:
    """Return the lines of a UTF-8 file, raising DictionaryFormatError when it cannot be read."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise DictionaryFormatError(path, None, f"cannot read file: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        message = f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        raise DictionaryFormatError(path, line, message) from exc
    return [line.rstrip("\r") for line in text.split("\n")]


def _strip_xml_comments(line: str) -> tuple[str, bool]:
    """Remove `<!-- -->` spans; return the rest and whether a comment stays open."""
    while (start := line.find("<!--")) >= 0:
        end = line.find("-->", start + 4)
        if end < 0:
            return line[:start], True
        line = line[:start] + " " + line[end + 3 :]
    return line, False


def _strip_line_comment(line: str) -> str:
    """Cut a line at the first `#` (or TABARI's `;`) that is not inside a `[...]` code group."""
    if "#" not in line and ";" not in line:
        return line
    end = _BEFORE_COMMENT.match(line).end()
    if end < len(line) and line[end] == "[":  # an unclosed `[`: a mark after it still counts
        mark = _COMMENT_MARK.search(line, end)
        end = mark.start() if mark else len(line)
    return line[:end]


def _content_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Yield `(line number, text)` for lines with content once comments are removed."""
    in_comment = False
    for number, raw in enumerate(lines, 1):
        line = raw
        if in_comment:
            end = line.find("-->")
            if end < 0:
                continue
            line, in_comment = line[end + 3 :], False
        line, in_comment = _strip_xml_comments(line)
        if line.lstrip().startswith("<!"):  # `<! -- note -->` and other markup lines
            continue
        line = _strip_line_comment(line).strip()
        if line:
            yield number, line


# ---------------------------------------------------------------- phrases


def _phrase_text(raw: str) -> str:
    """Turn `WORD_WORD_` into `WORD WORD`: underscores to spaces, whitespace collapsed."""
    return " ".join(raw.replace("_", " ").split())


def _title(text: str) -> str:
    """Return a phrase in title case (`JOHN'S AL-QAEDA` -> `John's Al-Qaeda`)."""
    return _WORD.sub(lambda match: match[0].capitalize(), text.lower())


# Each word's tokens as written and in title case, kept for later loads. spaCy splits text on
# spaces before anything else, so a phrase's tokens are its words' tokens; a dictionary has
# far fewer distinct words than phrases, and tokenizing thousands of words in one call is
# much faster than one call per word.
_WORD_TOKENS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
_BATCH_WORDS = 2000


def _split_tokens(words: list[str], tokens: tuple[str, ...]) -> list[tuple[str, ...]] | None:
    """Share out the tokens of space-joined words among the words (None if they do not fit)."""
    result: list[tuple[str, ...]] = []
    position = 0
    for word in words:
        target, start, length = word.lower(), position, 0
        while length < len(target) and position < len(tokens):
            length += len(tokens[position])
            position += 1
        if "".join(tokens[start:position]) != target:
            return None
        result.append(tokens[start:position])
    return result if position == len(tokens) else None


def _tokenize_words(texts: Iterable[str]) -> None:
    """Tokenize the words of many phrases that are not cached yet, in a few large calls."""
    words = sorted(
        {word for text in texts for word in text.split(" ") if word} - _WORD_TOKENS.keys()
    )
    titles = [_title(word) for word in words]
    spellings = list(dict.fromkeys(words + titles))
    tokens: dict[str, tuple[str, ...]] = {}
    for first in range(0, len(spellings), _BATCH_WORDS):
        batch = spellings[first : first + _BATCH_WORDS]
        split = _split_tokens(batch, phrase_tokens(" ".join(batch)))
        if split is None:  # a word whose tokens do not rejoin (e.g. a final sigma): one by one
            split = [phrase_tokens(spelling) for spelling in batch]
        tokens.update(zip(batch, split, strict=True))
    for word, title in zip(words, titles, strict=True):
        _WORD_TOKENS[word] = (tokens[word], tokens[title])


def _variants(text: str) -> list[tuple[str, ...]]:
    """Return the distinct token sequences of a phrase as written and in title case.

    The model splits some spellings differently by case (`ST.` -> `st .` but `St.` -> `st.`).
    """
    words = text.split(" ")
    if not _WORD_TOKENS.keys() >= set(words):
        _tokenize_words([text])
    pairs = [_WORD_TOKENS[word] for word in words]
    written = tuple(token for pair in pairs for token in pair[0])
    titled = tuple(token for pair in pairs for token in pair[1])
    return [tokens for tokens in dict.fromkeys((written, titled)) if tokens]


# ---------------------------------------------------------------- actor codes and dates


def _parse_date(digits: str) -> date:
    """Read YYMMDD (YY <= 30 is 20YY, else 19YY) or YYYYMMDD, ignoring extra digits as PETRARCH."""
    if len(digits) < 6:
        raise _Malformed(f"date {digits!r} is neither YYMMDD nor YYYYMMDD")
    if len(digits) <= 7:
        year = int(digits[:2])
        year += 2000 if year <= 30 else 1900
        month, day = int(digits[2:4]), int(digits[4:6])
    else:
        year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise _Malformed(f"invalid date {digits!r}") from exc


def _day_after(day: date) -> date:
    """Return the next day, the exclusive end of an inclusive bound."""
    try:
        return day + _ONE_DAY
    except OverflowError as exc:
        raise _Malformed(f"date {day} is out of range") from exc


def _parse_actor_code(group: str) -> Role:
    """Turn the inside of `[CODE restriction]` into a Role (start/end None when undated)."""
    parts = group.split(None, 1)
    if not parts:
        raise _Malformed("empty code []")
    code = parts[0].upper()
    if not _CODE.fullmatch(code):
        raise _Malformed(f"bad code {parts[0]!r}")
    restriction = "".join(parts[1].split()) if len(parts) > 1 else ""
    if not restriction:
        return Role(code)
    match = _RESTRICTION.fullmatch(restriction)
    if match is None:
        raise _Malformed(f"bad date restriction {restriction!r}")
    if match["op"] == "<":
        return Role(code, None, _day_after(_parse_date(match["day"])))
    if match["day"]:  # `>d`, or a bare `d` that PETRARCH-2 also reads as a start date
        return Role(code, _parse_date(match["day"]), None)
    first, last = _parse_date(match["first"]), _parse_date(match["last"])
    if last < first:
        raise _Malformed(f"date range {restriction!r} ends before it starts")
    return Role(code, first, _day_after(last))


def _default_roles(code: str, dated: list[Role]) -> list[Role]:
    """Return roles for `code` over the days that no dated role covers."""
    spans = sorted((role.start or date.min, role.end or date.max) for role in dated)
    gaps: list[tuple[date, date]] = []
    cursor = date.min
    for start, end in spans:
        if start > cursor:
            gaps.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < date.max:
        gaps.append((cursor, date.max))
    return [
        Role(code, None if start == date.min else start, None if end == date.max else end)
        for start, end in gaps
    ]


def _block_roles(codes: list[Role]) -> tuple[Role, ...]:
    """Order a block's codes: dated ones in file order, then the first undated as default."""
    dated = [role for role in codes if role.start is not None or role.end is not None]
    undated = [role for role in codes if role.start is None and role.end is None]
    if not dated:
        return tuple(undated[:1])
    if not undated:
        return tuple(dated)
    return (*dated, *_default_roles(undated[0].code, dated))


def _actor_kind(roles: tuple[Role, ...]) -> str:
    """Classify a block: dated or several roles -> PERSON, bare 3-letter code -> COUNTRY."""
    if len(roles) > 1 or any(role.start is not None or role.end is not None for role in roles):
        return PERSON
    code = roles[0].code
    return COUNTRY if len(code) == 3 and code.isalpha() else ORG


# ---------------------------------------------------------------- actor files


@dataclass
class _Block:
    """One actor block: a primary phrase, the phrases that share its codes, and the codes."""

    line: int
    name: str
    phrases: list[str]
    codes: list[Role] = field(default_factory=list)


def _split_codes(line: str) -> tuple[str, list[str]]:
    """Split a line into its phrase (the text before any `[`) and its code groups' contents."""
    groups = _CODE_GROUP.findall(line)
    rest = _CODE_GROUP.sub(" ", line)
    if "[" in rest or "]" in rest:
        raise _Malformed("unbalanced [ ]")
    return line.partition("[")[0].strip(), groups


def _actor_blocks(
    lines: Iterable[tuple[int, str]], skipped: list[tuple[int, str]]
) -> Iterator[_Block]:
    """Group an actor file's lines into blocks, recording the lines that cannot be used."""
    block: _Block | None = None
    for number, line in lines:
        if line.startswith("---STOP---"):
            break
        try:
            text, groups = _split_codes(line)
        except _Malformed as exc:
            skipped.append((number, str(exc)))
            continue
        phrase = _phrase_text(text.removeprefix("+"))
        if block is not None and (text.startswith("+") or not text or not block.codes):
            # A synonym, a code line, or (as in PETRARCH-1) a primary phrase that follows
            # primary phrases without a code yet: they all share the codes that follow.
            if phrase:
                block.phrases.append(phrase)
        elif text.startswith("+") or not phrase:
            skipped.append((number, "synonym or code before any actor phrase"))
            continue
        else:
            if block is not None:
                yield block
            block = _Block(number, phrase, [phrase])
        for group in groups:
            try:
                block.codes.append(_parse_actor_code(group))
            except _Malformed as exc:
                skipped.append((number, str(exc)))
    if block is not None:
        yield block


def parse_actor_file(path: Path) -> list[Entry]:
    """Read a PETRARCH actor dictionary into entries (a ParsedEntries list)."""
    path = Path(path)
    skipped: list[tuple[int, str]] = []
    groups: list[_Group] = []
    for block in _actor_blocks(_content_lines(_read_lines(path)), skipped):
        roles = _block_roles(block.codes)
        if not roles:
            skipped.append((block.line, f"actor {block.name!r} has no code"))
            continue
        groups.append((block.phrases, _actor_kind(roles), roles, _title(block.name)))
    return _finish_file(path, groups, skipped)


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """Return spaCy's English stop words (imported late: spaCy is slow to import)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _entry(
    tokens: tuple[str, ...], kind: str, roles: tuple[Role, ...], name: str, text: str
) -> Entry:
    """Build an entry; a lone stop word (`US`) must match in capitals, as written."""
    case_sensitive = len(tokens) == 1 and tokens[0] in _stop_words()
    return Entry(
        tokens, kind, roles, name, case_sensitive=case_sensitive, written=tuple(text.split())
    )


def _finish_file(
    path: Path,
    groups: list[_Group],
    skipped: list[tuple[int, str]],
) -> ParsedEntries:
    """Tokenize each group's phrases into entries and log what was skipped."""
    _tokenize_words(phrase for phrases, *_ in groups for phrase in phrases)
    entries = [
        _entry(tokens, kind, roles, name, phrase)
        for phrases, kind, roles, name in groups
        for phrase in phrases
        for tokens in _variants(phrase)
    ]
    skipped.sort()
    if skipped:
        first = "; ".join(f"line {number}: {reason}" for number, reason in skipped[:3])
        log.warning("%s: skipped %d malformed item(s) (%s)", path, len(skipped), first)
    return ParsedEntries(dict.fromkeys(entries), skipped)


# ---------------------------------------------------------------- agent files


def _plural(text: str) -> str | None:
    """Return the regular plural of a phrase's last word (None when it does not end in a letter)."""
    if not text or not text[-1].isalpha():
        return None
    upper = text[-1].isupper()
    lower = text.lower()
    if lower.endswith("y") and len(lower) > 1 and lower[-2] not in "aeiou":
        stem, suffix = text[:-1], "ies"
    elif lower.endswith(("s", "x", "z", "ch", "sh")):
        stem, suffix = text, "es"
    else:
        stem, suffix = text, "s"
    return stem + (suffix.upper() if upper else suffix)


def _expand_markers(text: str, sets: dict[str, list[str]]) -> list[str]:
    """Return every phrase made by replacing each `!SET!` marker with each of its items."""
    match = _MARKER.search(text)
    if match is None:
        if "!" in text:
            raise _Malformed(f"bad substitution marker in {text!r}")
        return [text]
    items = sets.get(match["name"])
    if items is None:
        raise _Malformed(f"undefined substitution set !{match['name']}!")
    head, tail = text[: match.start()], text[match.end() :]
    return [done for item in items for done in _expand_markers(head + item + tail, sets)]


def _agent_phrases(text: str, sets: dict[str, list[str]]) -> tuple[str, list[str]]:
    """Return an agent line's name and all its phrases: singular, plurals, substitutions."""
    plural_groups = list(_PLURAL_GROUP.finditer(text))
    base = _PLURAL_GROUP.sub(" ", text)
    if len(plural_groups) > 1 or "{" in base or "}" in base:
        raise _Malformed("bad {plural}")
    singulars = [_phrase_text(item) for item in _expand_markers(base, sets)]
    if plural_groups:  # given plurals ({} for none) replace the generated ones
        given = _phrase_text(plural_groups[0]["plural"])
        plurals = [_phrase_text(item) for item in _expand_markers(given, sets)] if given else []
    elif _MARKER.search(base):  # substitution sets already list their plural forms
        plurals = []
    else:
        plurals = [plural for plural in map(_plural, singulars) if plural]
    phrases = [phrase for phrase in dict.fromkeys(singulars + plurals) if phrase]
    if not phrases:
        raise _Malformed("empty agent phrase")
    return _title(phrases[0]), phrases


def _agent_code(group: str) -> str:
    """Return the bare agent code of `[~GOV]` or `[NGO~]`."""
    match = _AGENT_CODE.fullmatch("".join(group.split()).upper())
    if match is None:
        raise _Malformed(f"bad agent code {group!r}")
    return match["code"]


def parse_agent_file(path: Path) -> list[Entry]:
    """Read a PETRARCH agent dictionary into entries (a ParsedEntries list)."""
    path = Path(path)
    skipped: list[tuple[int, str]] = []
    groups: list[_Group] = []
    sets: dict[str, list[str]] = {}
    for number, line in _content_lines(_read_lines(path)):
        try:
            definition = _SET_DEFINITION.fullmatch(line)
            if definition is not None:
                items = [item.strip() for item in definition["items"].split(",")]
                sets[definition["name"]] = [item for item in items if item]
                continue
            text, codes = _split_codes(line)
            if len(codes) != 1:
                raise _Malformed("an agent line needs exactly one [code]")
            role = Role(_agent_code(codes[0]))
            name, phrases = _agent_phrases(text, sets)
        except _Malformed as exc:
            skipped.append((number, str(exc)))
            continue
        groups.append((phrases, AGENT, (role,), name))
    return _finish_file(path, groups, skipped)


# ---------------------------------------------------------------- lexicon


def load_petrarch_lexicon(actor_files: Iterable[Path], agent_files: Iterable[Path]) -> Lexicon:
    """Build a Lexicon from PETRARCH actor and agent dictionaries (earlier files win ties)."""
    lexicon = Lexicon()
    for path in actor_files:
        lexicon.extend(parse_actor_file(path))
    for path in agent_files:
        lexicon.extend(parse_agent_file(path))
    return lexicon
