"""Character offsets into the text as submitted, for spans of the cleaned text.

The coder reads the cleaned text (`coder.text.clean_text`): entities decoded, odd spaces and
line breaks made plain, invisible characters dropped, page chrome cut. The cited spans must
point into what the user sent, so each coded sentence is found again in the submitted text
through a view of it that makes the same character-level changes and remembers, for every
character of the view, where it came from.

A sentence is found verbatim in that view unless the cleaner cut something out of its middle
(an in-line photo credit) or, for HTML, markup runs through it. Plain text then falls back to
finding each span on its own after the previous sentence; HTML gets no offsets rather than a
guess that might land inside a tag.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from coder.text import ENTITY, INVISIBLES, looks_like_html

Offsets = tuple[int, int] | None
Emit = Callable[[str, int, int, bool], None]

# Characters the cleaner drops: its invisibles, and C0/C1 controls other than line breaks.
_DROPPED = rf"(?:{INVISIBLES.pattern}|[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f])+"
# Any run of spaces and line breaks, the typographic spaces included, reads as one space.
_SPACES = r"[\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u2028\u2029]+"
_DROPPED_ONLY = re.compile(_DROPPED)
_PIECES = re.compile(rf"(?P<entity>{ENTITY.pattern})|(?P<dropped>{_DROPPED})|(?P<space>{_SPACES})")


@dataclass(frozen=True)
class Segment:
    """A stretch of the view and the stretch of submitted text it came from."""

    view_start: int
    raw_start: int
    raw_end: int
    verbatim: bool  # view[i] came from raw[raw_start + (i - view_start)]


@dataclass
class SourceText:
    """The submitted text, searchable in the form the cleaner leaves text in."""

    raw: str
    view: str = ""
    segments: list[Segment] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    is_html: bool = False
    # Where the previous sentence ended in the view: sentences come in order.
    cursor: int = 0

    def __post_init__(self) -> None:
        self.is_html = looks_like_html(self.raw)
        self.view, self.segments = build_view(self.raw)
        self.starts = [segment.view_start for segment in self.segments]

    def anchor(self, sentence: str) -> int | None:
        """Find a cleaned sentence in the view, after the previous one; None if it is not."""
        found = self.view.find(sentence, self.cursor)
        if found < 0:
            found = self.view.find(sentence)  # a sentence the cleaner moved: rare, keep looking
        if found < 0:
            return None
        self.cursor = found + len(sentence)
        return found

    def span(self, anchor: int | None, start: int, end: int, text: str) -> Offsets:
        """Return the submitted-text offsets of sentence[start:end] (which reads `text`)."""
        if not text or end <= start:
            return None
        if anchor is not None:
            return self.to_raw(anchor + start, anchor + end)
        if self.is_html:
            return None
        found = self.find_word(text)
        return self.to_raw(found, found + len(text)) if found is not None else None

    def find_word(self, text: str) -> int | None:
        """Find `text` as whole words after the previous sentence ("Iran" not in "Iranian")."""
        found = self.view.find(text, self.cursor)
        while found >= 0:
            before = self.view[found - 1] if found else " "
            after = self.view[found + len(text) : found + len(text) + 1] or " "
            if not before.isalnum() and not after.isalnum():
                return found
            found = self.view.find(text, found + 1)
        return None

    def quote(self, offsets: Offsets, text: str) -> str:
        """Return the cited words exactly as submitted when the clean-up is all that differs
        (a no-break space, an entity, an invisible character), so text[start:end] reads them."""
        if offsets is None:
            return text
        submitted = self.raw[offsets[0] : offsets[1]]
        cleaned = " ".join(build_view(submitted)[0].split())
        return submitted if cleaned == " ".join(text.split()) else text

    def to_raw(self, view_start: int, view_end: int) -> tuple[int, int]:
        """Map a [start, end) range of the view to the submitted text."""
        first = self.segments[bisect_right(self.starts, view_start) - 1]
        last = self.segments[bisect_right(self.starts, view_end - 1) - 1]
        raw_start = (
            first.raw_start + view_start - first.view_start if first.verbatim else first.raw_start
        )
        raw_end = last.raw_start + view_end - last.view_start if last.verbatim else last.raw_end
        return raw_start, raw_end


def build_view(raw: str) -> tuple[str, list[Segment]]:
    """Make the cleaner's character-level changes to `raw`, remembering where each came from."""
    pieces: list[str] = []
    segments: list[Segment] = []
    length = 0

    def emit(text: str, raw_start: int, raw_end: int, verbatim: bool) -> None:
        nonlocal length
        if text:
            segments.append(Segment(length, raw_start, raw_end, verbatim))
            pieces.append(text)
            length += len(text)

    position = 0
    for match in _PIECES.finditer(raw):
        emit_plain(raw, position, match.start(), emit)
        if match.lastgroup == "entity":
            # "&nbsp;" is a space to the cleaner, "&#8203;" nothing at all.
            decoded = _DROPPED_ONLY.sub("", html.unescape(match.group()))
            emit(decoded if decoded.strip() else decoded and " ", match.start(), match.end(), False)
        elif match.lastgroup == "space":
            emit(" ", match.start(), match.end(), False)
        position = match.end()
    emit_plain(raw, position, len(raw), emit)
    return "".join(pieces), segments or [Segment(0, 0, 0, True)]


def emit_plain(raw: str, start: int, end: int, emit: Emit) -> None:
    """Pass plain text through, composing what NFC composes one character at a time."""
    chunk = raw[start:end]
    if unicodedata.is_normalized("NFC", chunk):
        emit(chunk, start, end, True)
        return
    index = start
    while index < end:
        cluster_end = index + 1
        while cluster_end < end and unicodedata.combining(raw[cluster_end]):
            cluster_end += 1
        cluster = raw[index:cluster_end]
        composed = unicodedata.normalize("NFC", cluster)
        emit(composed, index, cluster_end, composed == cluster and len(cluster) == 1)
        index = cluster_end
