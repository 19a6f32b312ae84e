"""The coder's entry point: article text in, flat event records out."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, partial
from itertools import islice
from typing import TYPE_CHECKING

from coder.actors import (
    PERSONAL_PRONOUNS,
    ActorResolver,
    ArticleContext,
    Mention,
    find_mentions,
)
from coder.dates import ArticleDate, ResolvedDate, article_date, event_date, find_dateline
from coder.dictionaries import Dictionaries, active_dictionaries
from coder.events import Coded, SentenceCoder
from coder.geo import EventPlace, Place, event_place, lookup
from coder.lexicon import AGENT
from coder.nlp import parse
from coder.record import CODER_VERSION, Event, make_event_id
from coder.text import clean_text

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span

PARSE_BATCH_SIZE = 64
# Articles whose sentences are parsed together: bigger batches amortise the parser's overhead.
ARTICLES_PER_CHUNK = 32
# A dyad needs two actors; sentences with fewer mentions are never parsed.
MIN_MENTIONS = 2


@dataclass(frozen=True)
class Sentence:
    """A sentence of the cleaned article that may hold an event."""

    index: int
    text: str
    # Dictionary mentions found while filtering, by token index within the sentence: the
    # parser tokenizes the same way, so the resolver need not search again.
    mentions: tuple[Mention, ...] = ()
    token_count: int = 0

    def mentions_for(self, doc: Doc) -> list[Mention] | None:
        """Return the filter's mentions when `doc` has the same tokens, else None."""
        return list(self.mentions) if len(doc) == self.token_count else None


def parse_published(published: date | datetime | str | None) -> date | None:
    """Return the publication day from a date, datetime or ISO 8601 string."""
    if published is None or published == "":
        return None
    if isinstance(published, datetime):
        return published.date()
    if isinstance(published, date):
        return published
    try:
        return datetime.fromisoformat(published.strip().replace("Z", "+00:00")).date()
    except ValueError:
        raise ValueError(f"published date is not ISO 8601: {published!r}") from None


def default_article_id(text: str) -> str:
    """Return a stable id derived from the text, for articles submitted without one."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=1)
def sentence_splitter() -> Language:
    """Load a tokenizer with a rule-based sentence splitter (cheap: no statistical model)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def candidate_sentences(
    text: str, dicts: Dictionaries, minimum: int = MIN_MENTIONS
) -> list[Sentence]:
    """Split the text into sentences and keep those that name at least `minimum` actors."""
    kept = []
    index = 0
    for paragraph in text.split("\n"):
        if not paragraph.strip():
            continue
        for sent in sentence_splitter()(paragraph).sents:
            mentions = find_mentions(sent, dicts.lexicon)
            if minimum == 0 or may_hold_dyad(sent, mentions, minimum):
                kept.append(sentence_of(index, sent, mentions))
            index += 1
    return kept


def may_hold_dyad(sent: Span, mentions: list[Mention], minimum: int) -> bool:
    """Return True when a sentence names enough actors, one of them more than an agent: a
    coded dyad needs a known country, organization or person on at least one side."""
    pronouns = sum(1 for token in sent if token.lower_ in PERSONAL_PRONOUNS)
    named = pronouns + sum(1 for m in mentions if m.kind != AGENT)
    return len(mentions) + pronouns >= minimum and named > 0


def sentence_of(index: int, sent: Span, mentions: list[Mention]) -> Sentence:
    """Keep a sentence with its mentions re-indexed from its first token."""
    if sent.text != sent.text.strip():
        return Sentence(index, sent.text.strip())  # the parser's tokens would not line up
    shifted = tuple(Mention(m.start - sent.start, m.end - sent.start, m.entries) for m in mentions)
    return Sentence(index, sent.text, shifted, len(sent))


@dataclass(frozen=True)
class PreparedArticle:
    """An article cleaned and split, with the sentences worth parsing."""

    article_id: str
    day: date | None
    sentences: list[Sentence]
    require_dyad: bool
    # What events without date words of their own are dated by.
    dated: ArticleDate | None = None
    # The dateline's first place, for events whose sentence names none.
    dateline_place: Place | None = None


def prepare(
    text: str, published: date | datetime | str | None, article_id: str | None, require_dyad: bool
) -> PreparedArticle:
    """Clean an article and pick the sentences that may hold an event."""
    dicts = active_dictionaries()
    minimum = MIN_MENTIONS if require_dyad else 0
    cleaned = clean_text(text)
    day = parse_published(published)
    dateline = find_dateline(cleaned)
    dated = article_date(day, dateline, date.today())
    found = lookup(dateline.places[0]) if dateline else None
    return PreparedArticle(
        article_id=article_id or default_article_id(text),
        # People's roles are looked up on the publication date only: a dateline without a year,
        # or the day a story came in, may be years off for an old story.
        day=day,
        sentences=candidate_sentences(cleaned, dicts, minimum),
        require_dyad=require_dyad,
        dated=dated,
        dateline_place=found[0] if found else None,
    )


def code_prepared(article: PreparedArticle, docs: Iterable[Doc]) -> list[Event]:
    """Code the parsed sentences of one article, in order (pronouns refer backwards)."""
    dicts = active_dictionaries()
    context = ArticleContext(day=article.day)
    events: list[Event] = []
    for sentence, doc in zip(article.sentences, docs, strict=True):
        resolver = ActorResolver(doc[:], dicts.lexicon, context, sentence.mentions_for(doc))
        for coded in SentenceCoder(doc[:], resolver, dicts, article.require_dyad).code():
            place = locate(coded, sentence, article.dateline_place, dicts)
            events.append(
                to_event(coded, sentence, article.article_id, article.dated, place, dicts)
            )
    return events


def code_article(
    text: str,
    *,
    published: date | datetime | str | None = None,
    article_id: str | None = None,
    require_dyad: bool = True,
) -> list[Event]:
    """Code one article's text into CAMEO events.

    With `require_dyad=False` (for event-type-only evaluation), events whose source or target is
    not found are kept with the actor code `---`.
    """
    article = prepare(text, published, article_id, require_dyad)
    docs = parse((s.text for s in article.sentences), batch_size=PARSE_BATCH_SIZE)
    return code_prepared(article, docs)


def code_articles(
    articles: Iterable[tuple[str, str, date | str | None]], chunk_size: int = ARTICLES_PER_CHUNK
) -> Iterator[tuple[str, list[Event]]]:
    """Code (article_id, text, published) triples, parsing the sentences of many at once."""
    iterator = iter(articles)
    while chunk := list(islice(iterator, chunk_size)):
        prepared = [prepare(text, day, article_id, True) for article_id, text, day in chunk]
        texts = [s.text for article in prepared for s in article.sentences]
        docs = parse(texts, batch_size=PARSE_BATCH_SIZE)
        for article in prepared:
            yield article.article_id, code_prepared(article, islice(docs, len(article.sentences)))


def confidence(coded: Coded) -> float:
    """Score how sure the coder is, from pattern specificity and how the actors were found."""
    score = 0.6 + 0.05 * min(coded.specificity, 3)
    if coded.inferred_target:
        score -= 0.15
    if coded.source.code.startswith("---") or coded.target.code.startswith("---"):
        score -= 0.1
    if coded.modality.hypothetical:
        score -= 0.1
    return round(min(max(score, 0.05), 0.95), 2)


FUTURE_AUXILIARIES = frozenset(("will", "shall", "'ll"))


def looks_ahead(coded: Coded, start: int, end: int) -> bool:
    """Tell whether date words at these offsets hang on a verb about the future."""
    span = coded.verb.doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return coded.modality.future
    verb = span.root
    while verb.pos_ not in ("VERB", "AUX") and verb.head is not verb:
        verb = verb.head
    children = {child.lower_ for child in verb.children if child.dep_ in ("aux", "mark")}
    # "will meet", "to meet" (agreed to meet; a headline's "to hold talks") look ahead.
    ahead = bool(children & FUTURE_AUXILIARIES) or (verb.tag_ == "VB" and "to" in children)
    return ahead or (verb == coded.verb and coded.modality.future)


def locate(
    coded: Coded, sentence: Sentence, dateline: Place | None, dicts: Dictionaries
) -> EventPlace:
    """Place an event: its clause (the verb's subtree), its sentence, or the dateline."""
    verb = coded.verb
    clause = (verb.left_edge.idx, verb.right_edge.idx + len(verb.right_edge))
    iso2 = dicts.iso2_by_iso3
    countries = [
        iso2[code[:3]] for code in (coded.source.code, coded.target.code) if code[:3] in iso2
    ]
    return event_place(sentence.text, clause, verb.idx, countries, dateline)


def to_event(
    coded: Coded,
    sentence: Sentence,
    article_id: str,
    dated: ArticleDate | None,
    where: EventPlace,
    dicts: Dictionaries,
) -> Event:
    """Turn a coded triple into the flat record."""
    cameo = dicts.cameo[coded.code]
    triple = (coded.source.code, coded.code, coded.target.code)
    when, date_source = (
        event_date(sentence.text, coded.verb.idx, dated, partial(looks_ahead, coded))
        if dated
        else (ResolvedDate("", "", ""), "")
    )
    return Event(
        article_id=article_id,
        event_id=make_event_id(article_id, sentence.index, triple),
        sentence_index=sentence.index,
        sentence=sentence.text,
        source_code=coded.source.code,
        source_name=coded.source.name,
        source_text=coded.source.text,
        target_code=coded.target.code,
        target_name=coded.target.name,
        target_text=coded.target.text,
        event_code=coded.code,
        event_base_code=coded.code[:3],
        event_root_code=coded.code[:2],
        quad_class=cameo.quad_class,
        goldstein=cameo.goldstein,
        event_text=coded.verb.text,
        negated=coded.modality.negated,
        hypothetical=coded.modality.hypothetical,
        future=coded.modality.future,
        confidence=confidence(coded),
        date=when.date,
        date_precision=when.precision,
        date_text=when.text,
        date_source=date_source,
        location_name=where.place.name if where.place else "",
        location_country=where.place.country if where.place else "",
        admin1=where.place.admin1 if where.place else "",
        latitude=where.place.latitude if where.place else None,
        longitude=where.place.longitude if where.place else None,
        geonameid=where.place.geonameid if where.place else None,
        location_precision=where.place.precision if where.place else "",
        location_reason=where.reason,
        coder_version=CODER_VERSION,
        dictionary_version=dicts.version,
    )
