"""Text clean-up before NLP: HTML extraction, Unicode normalisation and page-chrome removal.

Page captures carry navigation, share buttons, captions, banners and comment widgets around the
article. Left in, they become spurious "sentences" that the coder reads as events, so they are
dropped here, line by line. Rules are deliberately conservative: a line goes only when it is
whole-line chrome (a known short phrase, a credit, a breadcrumb ...); prose always stays.
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from html.parser import HTMLParser

# --- HTML detection ------------------------------------------------------------------------

_HTML_START = re.compile(r"^\s*<(?:!doctype\s+html|html[\s>]|\?xml)", re.IGNORECASE)
# Only common tag names count, so "<Putin>" or "a < b > c" in plain text is not taken for HTML.
_HTML_TAG = re.compile(
    r"</?(?:a|p|br|hr|div|span|html|head|body|title|meta|link|script|style|img|ul|ol|li|"
    r"h[1-6]|em|strong|b|i|u|article|section|nav|header|footer|aside|main|figure|figcaption|"
    r"table|tr|td|th|form|input|button|iframe|noscript|blockquote|time)\b[^<>]*>",
    re.IGNORECASE,
)
_MIN_HTML_TAGS = 3

# --- Unicode normalisation -----------------------------------------------------------------

_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85\u2028]")
_PARAGRAPH_SEPARATOR = "\u2029"
# NBSP, the typographic spaces and the ideographic space all mean "a space" to the tokenizer.
_ODD_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Zero-width characters, soft hyphens and bidi controls split or hide words without showing.
INVISIBLES = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# Every C0/C1 control except \n (\t became a space above).
_CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
_SPACE_RUNS = re.compile(r"[ ]{2,}")
# An entity only with its semicolon: html.unescape alone would also turn "R&paragraph" into "R¶".
ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

# --- in-line chrome, cut out of a line that stays ------------------------------------------

_BULLETS = re.compile(r"^(?:[•·▪▫◦‣\u2043●○■□►▶▸◆◇➤➢✓✔]\s*)+")
# ads.txt records (`domain, account, DIRECT|RESELLER[, hex id]`) leak from some page templates,
# sometimes glued to the start of the real first line. The look-behind lets a domain start only
# at a token boundary, which keeps the scan linear on long unbroken tokens.
_AD_RECORD = re.compile(
    r"(?:(?<![a-z0-9.-])[a-z0-9-]+(?:\.[a-z0-9-]+)+\s*)?,\s*(?:pub-\d+|[a-z0-9-]+)\s*,\s*"
    r"(?:DIRECT|RESELLER)\b(?:\s*,\s*[0-9a-f]{6,}\b)?[\s,]*",
)
_CREDIT_WORDS = r"(?:photo|photograph|image|picture|pic|foto|credit|caption)s?"
# "(Photo: Reuters)", "(AP Photo/Evan Vucci)", "(File photo)".
_PAREN_CREDIT = re.compile(rf"\s*\([^()]*\b{_CREDIT_WORDS}\b[^()]*\)", re.IGNORECASE)
# "[Photo credit: ...]", Yonhap's "[... 자료사진. 재판매 및 DB 금지]" (file photo; no resale).
_BRACKET_CREDIT = re.compile(
    rf"\s*[\[【][^\]】]*(?:\b{_CREDIT_WORDS}\b|getty|사진|재판매)[^\]】]*[\]】]", re.IGNORECASE
)

# --- whole-line chrome -----------------------------------------------------------------------


def _phrases(*groups: str) -> frozenset[str]:
    """Build a phrase set from ";"-separated groups (kept compact for review)."""
    return frozenset(phrase.strip() for group in groups for phrase in group.split(";"))


# Lines whose letters-only key (see _line_key) is one of these are widgets, menus or labels.
CHROME_PHRASES = _phrases(
    # share buttons
    "facebook; twitter; x; google; google plus; whatsapp; telegram; linkedin; reddit; pinterest",
    "vk; email; e mail; print; share; shares; tweet; share this; share this article",
    "share this story; share on facebook; share on twitter; share via email; copy link",
    # comment widgets
    "comment; comments; no comments; post a comment; leave a comment; add a comment",
    "view comments; show comments; post with no comments",
    # rails, teasers, newsletters
    "latest; latest posts; latest news; latest stories; dont miss; must read; most read",
    "most popular; popular; trending; top stories; recommended; related; related articles",
    "related news; related posts; related stories; read more; read also; also read; see also",
    "more news; more stories; you may also like; editors picks; newsletter; subscribe",
    "sign up; stay in touch; follow us",
    # media and section labels
    "live; audio only; listen; video; videos; watch; photos; gallery; opinion",
    "advertisement; sponsored; ad",
    # site navigation
    "home; menu; search; login; log in; sign in; skip to content; skip to main content",
    "back to top; close; next; previous",
    # agency end-of-story marker: "(END)"
    "end",
)
# Lines after which a page lists another story's headline.
_TEASER_MARKERS = _phrases("related; read more; read also; also read; see also; more on this")
_TEASER_PREFIX = re.compile(
    r"^(?:related|read more|read also|also read|see also|more on this)\s*[:>»|\u2013\u2014-]\s*\S",
    re.IGNORECASE,
)
# Longer boilerplate sentences, matched at the start of a line.
_CHROME_SENTENCE = re.compile(
    r"^(?:to be updated with (?:all )?the latest news"
    r"|(?:sign up|subscribe) (?:for|to) (?:our|the) (?:\w+ )?newsletter"
    r"|(?:follow|like|join) us on (?:facebook|twitter|instagram|telegram|youtube|x)\b"
    r"|click here to\b"
    r"|©|copyright ©?\s*\d{4}"
    r"|all rights reserved)",
    re.IGNORECASE,
)
# "Meeting between the two leaders. | Photo: Twitter/@user": the caption text before the bar.
_BAR_CREDIT = re.compile(rf"\s*\|\s*{_CREDIT_WORDS}\b.*$", re.IGNORECASE)
# "Photo: ...", "Photo by ...", "Image credit: ...".
_CREDIT_LINE = re.compile(
    rf"^(?:file\s+)?{_CREDIT_WORDS}(?:\s+credit)?\s*(?::|by\b)", re.IGNORECASE
)
_STOCK_AGENCY = re.compile(
    r"\b(?:getty images|shutterstock|ap photo|epa-efe|imago images|alamy)\b", re.IGNORECASE
)
_STOCK_LINE_MAX_WORDS = 15
# "Biden (left) and Putin met in Geneva": the positional note only ever appears in captions.
_POSITION_NOTE = re.compile(
    r"\((?:(?:far |second |third |from )?(?:left|right)|centre|center|l|r|top|bottom)\)",
    re.IGNORECASE,
)
_BREADCRUMB_SEPARATOR = re.compile(r"\s+[>\u203a»|/]\s+")
_BREADCRUMB_MAX_WORDS = 3
# Same look-behind trick: without it a long token with no "@" is scanned quadratically.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SIGNATURE_MAX_WORDS = 4
# A site banner: "6.9 C", "12°C", "-3 °F Sunny".
_TEMPERATURE = re.compile(r"^-?\d{1,3}(?:[.,]\d+)?\s*°?\s*[CF](?:\s+[A-Za-z]+){0,2}$")
_BANNER_REACH = 3
_BANNER_MAX_WORDS = 3
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE_LINE = re.compile(
    rf"^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}"
    rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}})"
    rf"(?:,?\s+\d{{1,2}}:\d{{2}}(?:\s*[ap]\.?m\.?)?)?$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?…:;\"'”\u2019»)\]]$")
_HEADLINE_MAX_WORDS = 20
# "TKS: ..." and similar site tags in front of a repeated title.
_SITE_TAG = re.compile(r"^[A-Z]{2,6}:\s+")
_NON_WORD = re.compile(r"[^\w]+|_")
_DIGITS = re.compile(r"\d+")
_APOSTROPHES = re.compile("['\u2019`]")
_BLANK_LINES = re.compile(r"\n\s*\n")
_WHITESPACE = re.compile(r"\s+")


# --- public API ------------------------------------------------------------------------------


def clean_text(raw: str) -> str:
    """Turn a raw page capture (plain text or HTML) into article text ready for NLP.

    Paragraphs come back separated by a blank line and lines within one paragraph by "\\n".
    """
    text = html_to_text(raw) if looks_like_html(raw) else decode_entities(raw)
    return remove_chrome(normalise_text(text))


def looks_like_html(text: str) -> bool:
    """Return True when `text` is an HTML document or a fragment with several tags."""
    head = text.lstrip("\ufeff \t\r\n")
    if _HTML_START.match(head):
        return True
    first_tags = itertools.islice(_HTML_TAG.finditer(text), _MIN_HTML_TAGS)
    return sum(1 for _ in first_tags) >= _MIN_HTML_TAGS


def html_to_text(markup: str) -> str:
    """Extract the main article text of an HTML page, one block per paragraph."""
    import trafilatura  # heavy import: only paid by callers that actually send HTML

    extracted = trafilatura.extract(
        markup,
        include_comments=False,
        include_tables=False,
        favor_recall=True,
        output_format="txt",
    )
    if extracted and extracted.strip():
        # trafilatura writes one block element per line; keep them as paragraphs.
        return "\n\n".join(line for line in extracted.split("\n") if line.strip())
    # Too small or too odd for trafilatura (a bare fragment): strip the tags instead.
    return strip_tags(markup)


def strip_tags(markup: str) -> str:
    """Return the visible text of HTML, skipping scripts, navigation, headers and footers."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return collector.text()


def decode_entities(text: str) -> str:
    """Decode well-formed HTML entities ("&amp;", "&#8217;") left in plain text."""
    if "&" not in text:
        return text
    return ENTITY.sub(lambda match: html.unescape(match.group()), text)


def normalise_text(text: str) -> str:
    """Normalise to NFC, plain spaces and "\\n" line breaks; drop control and invisible chars."""
    text = _LINE_BREAKS.sub("\n", text).replace(_PARAGRAPH_SEPARATOR, "\n\n")
    text = _ODD_SPACES.sub(" ", text)
    text = INVISIBLES.sub("", text)
    text = _CONTROLS.sub("", text)
    text = unicodedata.normalize("NFC", text)
    lines = (_SPACE_RUNS.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(lines)


def remove_chrome(text: str) -> str:
    """Drop page-chrome lines and in-line credits, keeping the paragraph structure."""
    numbered = [
        (number, line)
        for number, block in enumerate(_BLANK_LINES.split(text))
        for raw_line in block.split("\n")
        if (line := clean_line(raw_line))
    ]
    keep = _keep_mask([line for _, line in numbered])
    paragraphs: dict[int, list[str]] = {}
    for (number, line), kept in zip(numbered, keep, strict=True):
        if kept:
            paragraphs.setdefault(number, []).append(line)
    return "\n\n".join("\n".join(lines) for lines in paragraphs.values())


def clean_line(line: str) -> str:
    """Cut bullets, ad records and photo credits out of one line."""
    line = _AD_RECORD.sub(" ", line)
    line = _BULLETS.sub("", line.strip())
    line = _PAREN_CREDIT.sub("", line)
    line = _BRACKET_CREDIT.sub("", line)
    return _SPACE_RUNS.sub(" ", line).strip()


def is_chrome_line(line: str) -> bool:
    """Return True when a cleaned line is page chrome whatever its neighbours are."""
    if not any(char.isalpha() for char in line):
        return True  # punctuation, numbers ("0" comments), emoji
    return (
        _line_key(line) in CHROME_PHRASES
        or bool(_CHROME_SENTENCE.match(line))
        or bool(_TEASER_PREFIX.match(line))
        or bool(_CREDIT_LINE.match(line))
        or bool(_BAR_CREDIT.search(line))
        or _is_bracketed(line)
        or _is_stock_credit(line)
        or _is_position_caption(line)
        or _is_breadcrumb(line)
        or _is_signature(line)
        or bool(_TEMPERATURE.match(line))
    )


# --- line rules ------------------------------------------------------------------------------


def _keep_mask(lines: list[str]) -> list[bool]:
    """Decide which lines stay, using rules that need the neighbouring lines."""
    keep = [not is_chrome_line(line) for line in lines]
    for index in _banner_lines(lines):
        keep[index] = False
    captions = _caption_keys(lines)
    seen: set[str] = set()
    after_marker = False
    for index, line in enumerate(lines):
        key = _dedup_key(line)
        if keep[index] and after_marker and _looks_like_headline(line):
            keep[index] = False  # the other story's headline under "Related:"
        elif keep[index] and (key in seen or key in captions):
            keep[index] = False  # a repeated title, or a caption's text shown twice
        after_marker = _line_key(line) in _TEASER_MARKERS
        seen.add(key)
    return keep


def _banner_lines(lines: list[str]) -> list[int]:
    """Return the indexes of a weather/date site banner: a temperature and its short neighbours."""
    found: list[int] = []
    for index, line in enumerate(lines):
        if not _TEMPERATURE.match(line):
            continue
        found.append(index)
        for step in (1, -1):
            for offset in range(1, _BANNER_REACH + 1):
                near = index + step * offset
                if not 0 <= near < len(lines) or not _is_banner_part(lines[near]):
                    break
                found.append(near)
    return found


def _is_banner_part(line: str) -> bool:
    """Return True for a place name, a date or a temperature, as site banners show them."""
    if _DATE_LINE.match(line) or _TEMPERATURE.match(line):
        return True
    return len(line.split()) <= _BANNER_MAX_WORDS and not _SENTENCE_END.search(line)


def _caption_keys(lines: list[str]) -> set[str]:
    """Return the keys of caption texts that a credit bar ("| Photo: ...") marks."""
    keys = set()
    for line in lines:
        caption = _BAR_CREDIT.sub("", line)
        if caption != line and caption:
            keys.add(_dedup_key(caption))
    return keys


def _is_bracketed(line: str) -> bool:
    """Return True for a line wholly in brackets: a caption or an editor's note."""
    return (line[0], line[-1]) in {("[", "]"), ("【", "】")}


def _is_stock_credit(line: str) -> bool:
    """Return True for a short line naming a photo agency."""
    return len(line.split()) <= _STOCK_LINE_MAX_WORDS and bool(_STOCK_AGENCY.search(line))


def _is_position_caption(line: str) -> bool:
    """Return True for an unpunctuated line with "(left)"-style notes: a photo caption."""
    return bool(_POSITION_NOTE.search(line)) and not _SENTENCE_END.search(line)


def _is_breadcrumb(line: str) -> bool:
    """Return True for a menu trail such as "News > Russia" or "Home | World | Europe"."""
    parts = _BREADCRUMB_SEPARATOR.split(line)
    return len(parts) >= 2 and all(
        0 < len(part.split()) <= _BREADCRUMB_MAX_WORDS and not _SENTENCE_END.search(part)
        for part in parts
    )


def _is_signature(line: str) -> bool:
    """Return True for a reporter's e-mail line such as "cjyou@yna.co.kr"."""
    if not _EMAIL.search(line):
        return False
    return len(_EMAIL.sub(" ", line).split()) < _SIGNATURE_MAX_WORDS


def _looks_like_headline(line: str) -> bool:
    """Return True for a short, unpunctuated, capitalised line."""
    return (
        len(line.split()) <= _HEADLINE_MAX_WORDS
        and not _SENTENCE_END.search(line)
        and not line[0].islower()
    )


def _line_key(line: str) -> str:
    """Reduce a line to lowercase letters-only words: "Comment 0" -> "comment"."""
    letters = _DIGITS.sub(" ", _APOSTROPHES.sub("", line.casefold()))
    return " ".join(_NON_WORD.sub(" ", letters).split())


def _dedup_key(line: str) -> str:
    """Reduce a line to the key under which repeats are recognised."""
    return " ".join(_NON_WORD.sub(" ", _SITE_TAG.sub("", line).casefold()).split())


# --- fallback HTML stripping -----------------------------------------------------------------


class _TextCollector(HTMLParser):
    """Collect visible text, with paragraph breaks at block elements."""

    # Never article text: code, page furniture and captions.
    SKIPPED = _phrases(
        "script; style; noscript; template; svg; head; nav; header; footer; aside; form; button",
        "select; iframe; figcaption",
    )
    BLOCKS = _phrases(
        "p; div; section; article; main; li; ul; ol; h1; h2; h3; h4; h5; h6; blockquote; pre",
        "table; tr; figure; dd; dt; hr",
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Enter a skipped element or start a new block."""
        if tag in self.SKIPPED:
            self._skip_depth += 1
        elif tag in self.BLOCKS:
            self._parts.append("\n\n")
        elif tag == "br":
            self._parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Treat a self-closing tag as a break, never as entering a skipped element."""
        if tag == "br":
            self._parts.append("\n")
        elif tag in self.BLOCKS:
            self._parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        """Leave a skipped element or end a block."""
        if tag in self.SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in self.BLOCKS:
            self._parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        """Keep text outside skipped elements, with its source line breaks as spaces."""
        if not self._skip_depth:
            self._parts.append(_WHITESPACE.sub(" ", data))

    def text(self) -> str:
        """Return the collected text, one paragraph per block."""
        blocks = _BLANK_LINES.split("".join(self._parts))
        paragraphs = ("\n".join(line.strip() for line in block.split("\n")) for block in blocks)
        return "\n\n".join(p.strip() for p in paragraphs if p.strip())
