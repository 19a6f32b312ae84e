"""The coder's entry point: article text in, flat event records out."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, partial
from itertools import islice
from typing import TYPE_CHECKING, Any

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
from coder.geo import DESTINATION, WHERE, EventPlace, Place, PlaceMention, event_place, lookup
from coder.lexicon import AGENT
from coder.nlp import parse
from coder.offsets import SourceText
from coder.record import CODER_VERSION, Event, make_event_id
from coder.text import clean_text

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Span, Token

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
    # The text as submitted: the events' offsets point into it.
    text: str
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
    dated = article_date(day, dateline, date.today(), cleaned)
    found = lookup(dateline.places[0]) if dateline else None
    return PreparedArticle(
        article_id=article_id or default_article_id(text),
        text=text,
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
    source: SourceText | None = None  # built on the first event: most sentences give none
    for sentence, doc in zip(article.sentences, docs, strict=True):
        resolver = ActorResolver(doc[:], dicts.lexicon, context, sentence.mentions_for(doc))
        coded_events = SentenceCoder(doc[:], resolver, dicts, article.require_dyad).code()
        if not coded_events:
            continue
        source = source or SourceText(article.text)
        anchor = source.anchor(sentence.text)
        for coded in coded_events:
            place = locate(coded, sentence, article.dateline_place, dicts)
            spans = cited_spans(source, anchor, coded)
            events.append(
                to_event(coded, sentence, article.article_id, article.dated, place, spans, dicts)
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
    while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
        verb = verb.head
    children = {child.lower_ for child in verb.children if child.dep_ in ("aux", "mark")}
    # "will meet", "to meet" (agreed to meet; a headline's "to hold talks") look ahead.
    ahead = bool(children & FUTURE_AUXILIARIES) or (verb.tag_ == "VB" and "to" in children)
    return ahead or (verb == coded.verb and coded.modality.future)


# A place may hang on these nouns and still be where the event happened: venues, meetings, trips
# and settlements ("at his estate in Florida", "during a visit to Cairo", "the city of Kharkiv").
VENUE_NOUNS = frozenset(
    """residence home house office headquarters palace dacha estate resort hotel embassy consulate
    parliament building base airport border city town village capital region province port
    district area camp hospital university school court stadium venue square street hall room
    centre center summit talks meeting conference forum session ceremony visit trip tour stop
    stopover sideline sidelines assembly rally gathering dinner lunch banquet reception speech
    address interview briefing hearing signing round negotiations""".split()
)
# Nouns that name what an event is about, even as its object ("discussed the situation in Syria").
TOPIC_NOUNS = frozenset(
    """war conflict crisis situation issue question tension tensions unrest violence fighting
    dispute crackdown meddling interference affairs developments events future peace security
    stability sovereignty independence annexation occupation invasion aggression election
    elections referendum protest protests problem problems policy program programme role""".split()
)
# A noun after these is what the event is about ("criticized China over its drills").
TOPIC_PREPOSITIONS = frozenset(("over", "about", "on", "regarding", "concerning", "against"))


# Verbs whose destination is where the event takes place: "flew to Khartoum for talks",
# "deployed troops to Isfara". Elsewhere "to" names a recipient ("sent a letter to Turkey").
JOURNEY_VERBS = frozenset("fly travel go come head arrive journey deploy redeploy station".split())


def keeps_place(coded: Coded, mention: PlaceMention) -> bool:
    """Tell whether a place found in the sentence can be where the event happened."""
    span = coded.verb.doc.char_span(mention.start, mention.end, alignment_mode="expand")
    if span is None:
        return mention.kind == WHERE
    if mention.kind == DESTINATION:
        preposition = span.root.head
        return preposition.head.i == coded.verb.i and coded.verb.lemma_.lower() in JOURNEY_VERBS
    return not is_topic_place(coded, span.root)


def is_topic_place(coded: Coded, token: Token) -> bool:
    """Tell whether the place named by `token` only says what the event is about."""
    if token.dep_ in ("compound", "amod", "nmod") and token.head.pos_ == "NOUN":
        # "from the Fukushima nuclear plant" names a plant; "his Sochi residence" a place,
        # which still has to be where the event was ("evacuate people from Kabul airport").
        if token.head.lemma_.lower() not in VENUE_NOUNS:
            return True
        token = token.head
    while token.head.i != token.i and token.head.pos_ not in ("VERB", "AUX"):
        token = token.head
        if token.pos_ == "NOUN" and is_topic_noun(token):
            return True
    return in_side_clause(coded, token.head)


def in_side_clause(coded: Coded, verb: Token) -> bool:
    """Tell whether a verb on the way up to the event's is a side clause: the content of an
    accusation ("of meddling in Hong Kong") or a purpose ("to end the war in Yemen")."""
    while verb.i != coded.verb.i:
        infinitive = verb.tag_ == "VB" and any(child.lower_ == "to" for child in verb.children)
        if verb.dep_ == "pcomp" or (infinitive and verb.dep_ in ("acl", "advcl")):
            return True
        if verb.head.i == verb.i:
            return False
        verb = verb.head
    return False


def is_topic_noun(noun: Token) -> bool:
    """Tell whether a noun on a place's way up is a topic: "the war", "over its drills"."""
    lemma = noun.lemma_.lower()
    if lemma in VENUE_NOUNS:
        return False
    governed_by = noun.head.lower_ if noun.dep_ == "pobj" else ""
    return lemma in TOPIC_NOUNS or governed_by in TOPIC_PREPOSITIONS


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
    return event_place(
        sentence.text, clause, verb.idx, countries, dateline, partial(keeps_place, coded)
    )


def cited_spans(source: SourceText, anchor: int | None, coded: Coded) -> dict[str, Any]:
    """Return the words of the source, target and verb, and where they are in the submitted text.

    The words are quoted as submitted where only spacing differs (a no-break space in a name),
    so that `text[start:end]` reads them back exactly.
    """
    verb = coded.verb
    spans = {
        "source": (coded.source.start_char, coded.source.end_char, coded.source.text),
        "target": (coded.target.start_char, coded.target.end_char, coded.target.text),
        "event": (verb.idx, verb.idx + len(verb), verb.text),
    }
    cited: dict[str, Any] = {}
    for role, (start, end, words) in spans.items():
        offsets = source.span(anchor, start, end, words)
        cited[f"{role}_text"] = source.quote(offsets, words)
        cited[f"{role}_start"], cited[f"{role}_end"] = offsets or (None, None)
    return cited


def to_event(
    coded: Coded,
    sentence: Sentence,
    article_id: str,
    dated: ArticleDate | None,
    where: EventPlace,
    spans: dict[str, Any],
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
        target_code=coded.target.code,
        target_name=coded.target.name,
        event_code=coded.code,
        event_base_code=coded.code[:3],
        event_root_code=coded.code[:2],
        quad_class=cameo.quad_class,
        goldstein=cameo.goldstein,
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
        **spans,
        coder_version=CODER_VERSION,
        dictionary_version=dicts.version,
    )
