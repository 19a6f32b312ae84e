"""Event dates: find the date words of a sentence and resolve them against the publication date.

A resolved date is written in ISO form at its own precision and sorts with the others: a day
`2021-12-07`, a week by its Monday `2021-11-29`, a month `2021-06`, a year `2014`, a decade by
its first year `1980`. `precision` tells which.

Conventions (a story is read as its readers read it on the day it came out):
- a weekday is the last such day on or before publication for a past event, the first on or
  after it for a future one; "on the 7th" and "December 7" move the same way. Whether the words
  look back or ahead follows the verb they hang on ("agreed to meet on the 7th" looks ahead);
- "overnight" is the night that ended on the day of publication: that day;
- "last week" and "this week" are the weeks (Monday first) before and of publication.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}  # fmt: skip
WEEKDAYS = {
    name: number
    for number, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}
PRECISIONS = ("day", "week", "month", "year", "decade")
# Date words that name a whole day, year included, whatever the publication date.
FULL_DATE_KINDS = frozenset(("iso", "month_day", "day_month"))

# Month and weekday names count only capitalised ("March", "MARCH"): lower-case "march" and
# "may" are verbs.
# The full name of each month is its longest.
_FULL = {max((n for n in MONTHS if MONTHS[n] == number), key=len) for number in range(1, 13)}


def _forms(names: set[str]) -> str:
    """Alternate the capitalised and upper-case forms, longest first."""
    forms = {form for name in names for form in (name.capitalize(), name.upper())}
    return "|".join(sorted(forms, key=len, reverse=True))


# A full name ends at a word boundary; an abbreviation may carry its dot ("Dec.").
_MONTH = (
    rf"(?P<month>(?:{_forms(_FULL)})(?![A-Za-z])"
    rf"|(?:{_forms(set(MONTHS) - _FULL)})(?:\.|(?![A-Za-z])))"
)
_DAY = r"(?P<day>[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?\b"
_YEAR = r"(?P<year>1[89][0-9]{2}|20[0-9]{2})\b"
_WEEKDAY = r"(?P<weekday>" + "|".join(name.capitalize() for name in WEEKDAYS) + r")\b"
_PART = r"(?:(?:early|mid|late)[- ])?"
_LEAD = r"\b(?i:in|since|during|until|by|of)\s+"
_FUNCTION_WORDS = (
    "at|in|of|and|or|but|to|with|when|after|before|as|during|from|for|by|while|via|that|amid"
)

# Most specific first: the first pattern that matches a stretch of text claims it.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("iso", r"\b(?P<year>[12][0-9]{3})-(?P<month>[01][0-9])-(?P<day>[0-3][0-9])\b"),
        ("month_day", rf"\b{_MONTH}\s*{_DAY}(?:,?\s+{_YEAR})?"),
        ("day_month", rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?"),
        ("decade", r"\b(?:the\s+)?(?:(?P<part>early|mid|late)[- ])?"
                   r"(?P<decade>1[89][0-9]0|20[0-9]0)'?s\b"),
        ("month_year", rf"\b{_PART}{_MONTH}\s+(?:of\s+)?{_YEAR}"),
        ("in_month", rf"{_LEAD}{_PART}{_MONTH}(?!\s*\d)"),
        ("year", rf"{_LEAD}{_YEAR}"),
        ("weekday", rf"\b{_WEEKDAY}"),
        # "on the 7th", or "the 7th" closing a phrase; not "the 7th Fleet" or "the 20th century".
        ("ordinal_day", r"\b(?i:on\s+the|the)\s+(?P<day>[12][0-9]|3[01]|[1-9])(?:st|nd|rd|th)\b"
                        r"(?=\s*(?:[,.;:)]|$|(?i:of\s+(?:this|the)\s+month)))"),
        # "on the 12th at a hotel": after "on the", a function word also ends the date, but a
        # noun does not ("on the 7th floor", "on the 20th anniversary").
        ("ordinal_day", r"\b(?i:on\s+the)\s+(?P<day>[12][0-9]|3[01]|[1-9])(?:st|nd|rd|th)\b"
                        rf"(?=\s+(?i:{_FUNCTION_WORDS})\b)"),
        ("relative", r"(?i)\b(?P<word>yesterday|today|tonight|overnight|last\s+night|"
                     r"(?:last|this|next)\s+(?:week|month|year))\b"),
    )
)  # fmt: skip


@dataclass(frozen=True)
class DateMention:
    """Date words in a text, with where they are."""

    kind: str
    text: str
    start: int
    end: int
    groups: dict[str, str | None]


@dataclass(frozen=True)
class ResolvedDate:
    """A date at its precision, with the words it came from."""

    date: str
    precision: str
    text: str


def find_dates(text: str) -> list[DateMention]:
    """Find the date words of a text, left to right, without overlaps."""
    taken: list[DateMention] = []
    for kind, pattern in PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() < other.end and other.start < match.end() for other in taken):
                continue
            taken.append(
                DateMention(kind, match.group(), match.start(), match.end(), match.groupdict())
            )
    return sorted(taken, key=lambda mention: mention.start)


def resolve(mention: DateMention, published: date, future: bool = False) -> ResolvedDate | None:
    """Resolve date words against the publication date; None if they name no real date."""
    resolver = RESOLVERS[mention.kind]
    try:
        found = resolver(mention.groups, published, future)
    except ValueError:  # "February 30"
        return None
    if found is None:
        return None
    moment, precision = found
    return ResolvedDate(iso(moment, precision), precision, mention.text)


def iso(moment: date, precision: str) -> str:
    """Write a date at its precision."""
    if precision in ("day", "week"):
        return moment.isoformat()
    if precision == "month":
        return f"{moment.year:04d}-{moment.month:02d}"
    return f"{moment.year:04d}"


Found = tuple[date, str] | None


def _iso(groups: dict, published: date, future: bool) -> Found:
    """2021-12-07."""
    return date(int(groups["year"]), int(groups["month"]), int(groups["day"])), "day"


def _month_day(groups: dict, published: date, future: bool) -> Found:
    """December 7, 7 December, Dec. 7, 2021: the nearest such day in the event's direction."""
    month, day = MONTHS[groups["month"].lower().rstrip(".")], int(groups["day"])
    if groups.get("year"):
        return date(int(groups["year"]), month, day), "day"
    return nearest(lambda year: date(year, month, day), published, future), "day"


def nearest(make: Callable[[int], date], published: date, future: bool) -> date:
    """Pick this year's date, or the year before (past) or after (future) if it lies wrong."""
    candidate = make(published.year)
    if future and candidate < published:
        return make(published.year + 1)
    if not future and candidate > published:
        return make(published.year - 1)
    return candidate


def _month_year(groups: dict, published: date, future: bool) -> Found:
    """June 2014, mid-June 2014."""
    return date(int(groups["year"]), MONTHS[groups["month"].lower()], 1), "month"


def _in_month(groups: dict, published: date, future: bool) -> Found:
    """In June: this year's June, or the nearest one in the event's direction."""
    month = MONTHS[groups["month"].lower()]
    if month == published.month:
        return date(published.year, month, 1), "month"
    first = published.replace(day=1)
    return nearest(lambda year: date(year, month, 1), first, future), "month"


def _year(groups: dict, published: date, future: bool) -> Found:
    """In 2014."""
    return date(int(groups["year"]), 1, 1), "year"


def _decade(groups: dict, published: date, future: bool) -> Found:
    """The (late) 1980s."""
    return date(int(groups["decade"]), 1, 1), "decade"


def _weekday(groups: dict, published: date, future: bool) -> Found:
    """On Tuesday: the last one on or before publication, or the next one after it."""
    target = WEEKDAYS[groups["weekday"].lower()]
    if future:  # "will meet on Tuesday", said on a Tuesday, is that day
        return published + timedelta(days=(target - published.weekday()) % 7), "day"
    return published - timedelta(days=(published.weekday() - target) % 7), "day"


def _ordinal_day(groups: dict, published: date, future: bool) -> Found:
    """On the 7th: the nearest month with that day on or before (past) or after (future)."""
    day, step = int(groups["day"]), 1 if future else -1
    for months_away in range(0, 4):  # every day up to the 31st comes within three months
        index = published.year * 12 + published.month - 1 + step * months_away
        candidate = _day_in_month(index // 12, index % 12 + 1, day)
        if candidate and (candidate >= published if future else candidate <= published):
            return candidate, "day"
    return None


def _day_in_month(year: int, month: int, day: int) -> date | None:
    """Return the date, or None when the month has no such day."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _relative(groups: dict, published: date, future: bool) -> Found:
    """Yesterday, today, overnight, last week, this month ..."""
    word = " ".join(groups["word"].lower().split())
    if word in ("today", "tonight", "overnight"):
        return published, "day"
    if word in ("yesterday", "last night"):
        return published - timedelta(days=1), "day"
    which, unit = word.split()
    step = {"last": -1, "this": 0, "next": 1}[which]
    if unit == "week":
        monday = published - timedelta(days=published.weekday())
        return monday + timedelta(weeks=step), "week"
    if unit == "month":
        year, month = divmod(published.year * 12 + published.month - 1 + step, 12)
        return date(year, month + 1, 1), "month"
    return date(published.year + step, 1, 1), "year"


RESOLVERS = {
    "iso": _iso,
    "month_day": _month_day,
    "day_month": _month_day,
    "month_year": _month_year,
    "in_month": _in_month,
    "year": _year,
    "decade": _decade,
    "weekday": _weekday,
    "ordinal_day": _ordinal_day,
    "relative": _relative,
}


# --- datelines --------------------------------------------------------------------------------

_CITY = r"[A-Z][A-Z.'\-]+(?:[ ][A-Z][A-Z.'\-]+){0,3}"
_PLACES = rf"(?P<places>{_CITY}(?:\s*/\s*{_CITY})*)"
_AGENCY = r"\((?P<agency>[A-Z][A-Za-z.& ]{1,30})\)"
_DASH = "[-\u2013\u2014]"
# "KYIV, Ukraine, Feb 24": a region or country may follow the city.
_REGION = r"(?:,[ \t]+(?P<region>[A-Z][a-z]+(?:[ ][A-Z][a-z]+){0,2}))?"
DATELINES = (
    # MOSCOW/WASHINGTON, December 7. /TASS/.   WASHINGTON, Dec. 7 (Reuters) -
    re.compile(
        rf"^[ \t]*{_PLACES}{_REGION},[ \t]+(?P<date>{_MONTH}\s*{_DAY}(?:,?\s+{_YEAR})?)"
        rf"(?:[ \t]*[.,]?[ \t]*(?:/[A-Za-z\- ]+/\.?|{_AGENCY}\s*{_DASH}))?",
        re.MULTILINE,
    ),
    # DUBLIN, 7 September 2024 -
    re.compile(
        rf"^[ \t]*{_PLACES}{_REGION},[ \t]+(?P<date>{_DAY}\s+{_MONTH}(?:,?\s+{_YEAR})?)"
        rf"(?:[ \t]*[.,]?[ \t]*(?:/[A-Za-z\- ]+/\.?|(?:{_AGENCY}\s*)?{_DASH}))",
        re.MULTILINE,
    ),
    # WASHINGTON (Reuters) -
    re.compile(rf"^[ \t]*{_PLACES}{_REGION}[ \t]*{_AGENCY}[ \t]*{_DASH}", re.MULTILINE),
    # (Moscow = Yonhap News)
    re.compile(
        r"^[ \t]*\((?P<places>[A-Z][a-z]+(?:[ \-][A-Z][a-z]+)*)\s*=\s*"
        r"(?P<agency>Yonhap)(?: News)?\)",
        re.MULTILINE,
    ),
)
# A dateline opens the story: look no further than this into the page.
DATELINE_WINDOW = 3000


@dataclass(frozen=True)
class Dateline:
    """The place(s) and date an agency put before the story."""

    places: tuple[str, ...]
    date: DateMention | None
    start: int
    end: int


def find_dateline(text: str) -> Dateline | None:
    """Find the story's dateline near its start, if it has one."""
    window = text[:DATELINE_WINDOW]
    found = [match for pattern in DATELINES if (match := pattern.search(window))]
    if not found:
        return None
    match = min(found, key=lambda match: match.start())
    places = tuple(place.strip() for place in match.group("places").split("/"))
    return Dateline(places, _dateline_date(match), match.start(), match.end())


def _dateline_date(match: re.Match[str]) -> DateMention | None:
    """Return the dateline's date words as a mention, if it has any."""
    groups = match.groupdict()
    if not groups.get("date"):
        return None
    kind = "month_day"
    wanted = {name: groups.get(name) for name in ("month", "day", "year")}
    return DateMention(kind, groups["date"], match.start("date"), match.end("date"), wanted)


# --- the date of one event --------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleDate:
    """The date an article's events fall back on, and where it came from."""

    day: date
    source: str  # publication | dateline | ingested
    text: str = ""


def article_date(
    published: date | None, dateline: Dateline | None, today: date, text: str = ""
) -> ArticleDate:
    """Date an article: its publication date, else its dateline's, else the first full date
    its (cleaned) text states, else the day it came in."""
    if published is not None:
        return ArticleDate(published, "publication")
    if dateline and dateline.date and (found := resolve(dateline.date, today)):
        return ArticleDate(date.fromisoformat(found.date), "dateline", found.text)
    if stated := first_full_date(text):
        return ArticleDate(stated[0], "text", stated[1])
    return ArticleDate(today, "ingested")


def first_full_date(text: str) -> tuple[date, str] | None:
    """Return the first date in a text written with day, month and year, and its words."""
    for mention in find_dates(text):
        if mention.kind in FULL_DATE_KINDS and mention.groups.get("year"):
            found = resolve(mention, date.today())
            if found:
                return date.fromisoformat(found.date), found.text
    return None


def event_date(
    sentence: str, verb_offset: int, base: ArticleDate, looks_ahead: Callable[[int, int], bool]
) -> tuple[ResolvedDate, str]:
    """Date an event from the date words nearest its verb, else from the article's date.

    `looks_ahead(start, end)` tells whether the words at those offsets point to the future.
    """
    # A dateline opening the sentence dates the article (it is `base`), not this event.
    dateline = find_dateline(sentence)
    after = dateline.end if dateline and dateline.start == 0 else 0
    candidates = [
        (abs(mention.start - verb_offset), resolved)
        for mention in find_dates(sentence)
        if mention.start >= after
        and (resolved := resolve(mention, base.day, looks_ahead(mention.start, mention.end)))
    ]
    if candidates:
        return min(candidates, key=lambda pair: pair[0])[1], "text"
    return ResolvedDate(base.day.isoformat(), "day", base.text), base.source
