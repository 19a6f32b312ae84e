"""The coder's entry point: article text in, flat event records out."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from coder.actors import PERSONAL_PRONOUNS, ActorResolver, ArticleContext, find_mentions
from coder.dictionaries import Dictionaries, load_dictionaries
from coder.events import Coded, SentenceCoder
from coder.nlp import load_model
from coder.record import CODER_VERSION, Event, make_event_id
from coder.text import clean_text

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

PARSE_BATCH_SIZE = 64
# A dyad needs two actors; sentences with fewer mentions are never parsed.
MIN_MENTIONS = 2


@dataclass(frozen=True)
class Sentence:
    """A sentence of the cleaned article that may hold an event."""

    index: int
    text: str


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
            if minimum == 0 or _mention_count(sent, dicts) >= minimum:
                kept.append(Sentence(index, sent.text.strip()))
            index += 1
    return kept


def _mention_count(sent: Doc, dicts: Dictionaries) -> int:
    """Count dictionary mentions and personal pronouns in a sentence."""
    pronouns = sum(1 for token in sent if token.lower_ in PERSONAL_PRONOUNS)
    return len(find_mentions(sent, dicts.lexicon)) + pronouns


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
    day = parse_published(published)
    article_id = article_id or default_article_id(text)
    dicts = load_dictionaries()
    minimum = MIN_MENTIONS if require_dyad else 0
    sentences = candidate_sentences(clean_text(text), dicts, minimum)
    docs = load_model().pipe((s.text for s in sentences), batch_size=PARSE_BATCH_SIZE)
    context = ArticleContext(day=day)
    events: list[Event] = []
    for sentence, doc in zip(sentences, docs, strict=True):
        resolver = ActorResolver(doc[:], dicts.lexicon, context)
        for coded in SentenceCoder(doc[:], resolver, dicts, require_dyad).code():
            events.append(to_event(coded, sentence, article_id, day, dicts))
    return events


def code_articles(
    articles: Iterable[tuple[str, str, date | str | None]],
) -> Iterator[tuple[str, list[Event]]]:
    """Code (article_id, text, published) triples, yielding each article's events."""
    for article_id, text, published in articles:
        yield article_id, code_article(text, published=published, article_id=article_id)


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


def to_event(
    coded: Coded, sentence: Sentence, article_id: str, day: date | None, dicts: Dictionaries
) -> Event:
    """Turn a coded triple into the flat record."""
    cameo = dicts.cameo[coded.code]
    triple = (coded.source.code, coded.code, coded.target.code)
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
        date=day.isoformat() if day else "",
        location_name="",
        coder_version=CODER_VERSION,
        dictionary_version=dicts.version,
    )
