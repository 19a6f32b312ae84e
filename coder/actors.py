"""Actors: find dictionary phrases in a parsed sentence and code the noun phrases they sit in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from coder.lexicon import AGENT, BLOCKER, COUNTRY, METONYM, ORG, PERSON, Entry, Lexicon, Role

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

UNKNOWN_ROOT = "---"
# International organizations take an agent ("UN troops" -> IGOUNOMIL); other groups do not.
STACKING_ROOTS = ("IGO", "NGO")
# Modifiers that stay inside an actor's noun phrase; relative clauses and conjuncts do not.
NP_DEPS = frozenset(
    {"compound", "amod", "poss", "nmod", "det", "appos", "flat", "nummod", "npadvmod", "case"}
)
NP_PREPOSITIONS = frozenset({"of"})
WIDE_NP_PREPOSITIONS = frozenset({"of", "in", "from", "throughout", "across"})
# Accidents and natural events: whatever names them ("the Malaysia Airlines crash"), they
# are nobody's act.
NON_AGENTIVE_NOUNS = frozenset(
    "crash accident collision derailment earthquake quake flood flooding storm hurricane "
    "typhoon cyclone tsunami landslide avalanche wildfire drought famine epidemic pandemic "
    "outbreak disease heatwave eruption".split()
)
# Heads that count people rather than name them: "thousands of students in Jakarta".
COLLECTIVES = frozenset(
    "thousands hundreds tens dozens millions scores group groups members crowd crowds number "
    "some many majority delegation team".split()
)
# Phrases like "pro-Russia rebels" name a side, not the rebels' country.
STANCE_PREFIXES = frozenset({"pro", "anti"})
ETHNIC_MARKERS = frozenset({"ethnic"})
ETHNIC_GROUP_AGENT = "CVL"
# "Iranian-backed militias", "al-Qaeda-linked rebels", "a UK-based group": a relation, not a
# membership ("Saudi-led coalition" does name its leader, so "led" is not here).
RELATION_SUFFIXES = frozenset(
    "backed linked affiliated allied inspired based held occupied controlled sponsored funded "
    "supported armed trained aligned".split()
)
PERSONAL_PRONOUNS = frozenset({"he", "she", "him", "her", "his"})
# Lower-case words that may stand inside a proper name ("Bank of England", "al-Qaeda").
NAME_PARTICLES = frozenset(
    "of the for and on in at to al el ad ud ul bin ibn de du da di del der den van von la le "
    "y e".split()
)


@dataclass(frozen=True)
class Mention:
    """A dictionary phrase found at tokens [start, end) of a doc."""

    start: int
    end: int
    entries: tuple[Entry, ...]

    @property
    def kind(self) -> str:
        """Return the kind of the first (preferred) entry."""
        return self.entries[0].kind

    def entry_of(self, *kinds: str) -> Entry | None:
        """Return the first entry of one of `kinds`."""
        return next((e for e in self.entries if e.kind in kinds), None)


@dataclass(frozen=True)
class Actor:
    """A coded actor and the words it came from."""

    code: str
    name: str
    text: str
    start_char: int
    end_char: int
    is_person: bool = False

    @property
    def root(self) -> str:
        """Return the first three letters of the code."""
        return self.code[:3]


@dataclass
class ArticleContext:
    """What earlier sentences of the article said, for resolving pronouns."""

    day: date | None = None
    last_person: Actor | None = None


def entry_fits_case(entry: Entry, span: Span) -> bool:
    """Return True when the capitalisation fits the entry (proper names are capitalised)."""
    if entry.case_sensitive:
        return span.text.replace(" ", "") == "".join(entry.written)
    if entry.kind in (AGENT, BLOCKER):
        return True
    first = span[0].text
    if not (first[:1].isupper() or first[:1].isdigit()):
        return False
    # "Islamic State" is a group, "an Islamic state" is not: every content word is capitalised.
    return all(not t.text[:1].islower() or t.lower_ in NAME_PARTICLES for t in span[1:])


def find_mentions(doc: Doc | Span, lexicon: Lexicon) -> list[Mention]:
    """Return the longest dictionary matches over the tokens, left to right."""
    lower = [token.lower_ for token in doc]
    offset = doc[0].i if len(doc) else 0
    mentions: list[Mention] = []
    i = 0
    while i < len(lower):
        mention = _mention_at(doc, lexicon, lower, i, offset)
        if mention is None:
            i += 1
            continue
        if i >= 1 and lower[i - 1] in ETHNIC_MARKERS and mention.kind == COUNTRY:
            mentions.append(as_ethnic_group(mention))
        elif (
            mention.kind != BLOCKER
            and not _after_stance_prefix(lower, i)
            and not (_before_relation_suffix(lower, mention.end - offset))
        ):
            mentions.append(mention)
        i = mention.end - offset
    return mentions


def as_ethnic_group(mention: Mention) -> Mention:
    """Recode "ethnic Albanians" as civilians of no state of their own: where they live
    gives the country ("ethnic Albanians in Macedonia" -> MKDCVL)."""
    entry = mention.entries[0]
    group = Entry(entry.phrase, AGENT, (Role(ETHNIC_GROUP_AGENT),), f"ethnic {entry.name}")
    return Mention(mention.start, mention.end, (group,))


def _mention_at(
    doc: Doc | Span, lexicon: Lexicon, lower: list[str], i: int, offset: int
) -> Mention | None:
    """Return the longest mention starting at token i whose case fits, if any."""
    for entry in lexicon.by_first.get(lower[i], ()):
        end = i + len(entry.phrase)
        if tuple(lower[i:end]) != entry.phrase:
            continue
        span = doc[i:end]
        fitting = tuple(
            e
            for e in lexicon.by_first[lower[i]]
            if e.phrase == entry.phrase and entry_fits_case(e, span)
        )
        if fitting:
            return Mention(offset + i, offset + end, _rank(fitting))
    return None


def _rank(entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
    """Order a phrase's entries: people, then organizations, states, metonyms, agents."""
    order = {BLOCKER: -1, PERSON: 0, ORG: 1, COUNTRY: 2, METONYM: 3, AGENT: 4}
    return tuple(sorted(entries, key=lambda e: order.get(e.kind, 9)))


def _before_relation_suffix(lower: list[str], end: int) -> bool:
    """Return True when the phrase is followed by "-backed", "-linked" and the like."""
    return end + 1 < len(lower) and lower[end] == "-" and lower[end + 1] in RELATION_SUFFIXES


def _after_stance_prefix(lower: list[str], i: int) -> bool:
    """Return True when the phrase follows `pro-` or `anti-`."""
    return i >= 2 and lower[i - 1] == "-" and lower[i - 2] in STANCE_PREFIXES


def np_tokens(head: Token, wide: bool = False) -> list[Token]:
    """Return the tokens of the noun phrase headed by `head`, without clauses or conjuncts.

    "of" phrases belong to it ("the president of Russia"); with `wide`, for phrases about
    people, so do "in" and "from" ("demonstrators in Baghdad", "refugees from Syria"), which
    elsewhere name a place, not an actor ("talks in Beijing").
    """
    found = [head]
    prepositions = WIDE_NP_PREPOSITIONS if wide else NP_PREPOSITIONS
    for child in head.children:
        if child.dep_ in NP_DEPS:
            found.extend(np_tokens(child))
        elif child.dep_ == "prep" and child.lower_ in prepositions:
            for pobj in child.children:
                if pobj.dep_ == "pobj":
                    found.extend(np_tokens(pobj, wide))
    return found


def np_heads(head: Token) -> list[Token]:
    """Return a phrase's head, its conjuncts, and conjuncts of its appositions."""
    heads = [head, *head.conjuncts]
    for np_head in list(heads):
        for token in np_tokens(np_head):
            if token.dep_ == "appos" and token.conjuncts:
                # "The US, Russia and Switzerland": a list the parser read as an apposition.
                heads.extend(c for c in (token, *token.conjuncts) if c not in heads)
    return heads


def np_variants(head: Token, wide: bool = False) -> list[list[Token]]:
    """Return the phrase's tokens, and one variant per coordinated modifier ("US and British")."""
    tokens = np_tokens(head, wide)
    variants = [tokens]
    for token in tokens:
        if token is head or token.dep_ not in ("amod", "compound", "poss", "nmod"):
            continue
        for conjunct in token.conjuncts:
            subtree = {t.i for t in token.subtree}
            kept = [t for t in tokens if t.i not in subtree]
            variants.append(kept + np_tokens(conjunct))
    return variants


class ActorResolver:
    """Codes noun phrases of one parsed sentence, using the article's context."""

    def __init__(
        self,
        doc: Doc | Span,
        lexicon: Lexicon,
        context: ArticleContext,
        mentions: list[Mention] | None = None,
    ):
        self.doc = doc
        self.context = context
        self.mentions = find_mentions(doc, lexicon) if mentions is None else mentions
        self.by_token: dict[int, Mention] = {
            i: mention for mention in self.mentions for i in range(mention.start, mention.end)
        }

    def actors_of(self, head: Token) -> list[Actor]:
        """Return the actors of a noun phrase, of its conjuncts and of coordinated modifiers."""
        if head.lower_ in PERSONAL_PRONOUNS:
            person = self.antecedent(head)
            return [person] if person else []
        actors: list[Actor] = []
        for np_head in np_heads(head):
            wide = np_head.i in self.by_token or np_head.lower_ in COLLECTIVES
            for tokens in np_variants(np_head, wide):
                actor = self.actor_from(np_head, tokens)
                if actor is not None and actor.code not in {a.code for a in actors}:
                    actors.append(actor)
        return actors

    def actor_of(self, head: Token) -> Actor | None:
        """Return the actor of the noun phrase headed by `head`, if it names one."""
        if head.lower_ in PERSONAL_PRONOUNS:
            return self.antecedent(head)
        return self.actor_from(head, np_tokens(head))

    def antecedent(self, pronoun: Token) -> Actor | None:
        """Return the person a pronoun refers back to, cited by the pronoun's own words."""
        person = self.context.last_person
        if person is None:
            return None
        end = pronoun.idx + len(pronoun)
        return replace(person, text=pronoun.text, start_char=pronoun.idx, end_char=end)

    def actor_from(self, head: Token, np: list[Token]) -> Actor | None:
        """Code the noun phrase made of `np` tokens around `head`."""
        if head.lemma_.lower() in NON_AGENTIVE_NOUNS and head.i not in self.by_token:
            return None  # "the MH17 crash", "an earthquake in Turkey" act on no one's behalf
        tokens = sorted(np, key=lambda t: t.i)
        indices = {t.i for t in tokens}
        inside = [m for m in self.mentions if m.start in indices and self._names_actor(head, m)]
        actor = self._compose(head, inside, tokens)
        # "he" refers back to a person named as a subject, not one in a side phrase.
        if actor is not None and actor.is_person and head.dep_ in ("nsubj", "nsubjpass"):
            self.context.last_person = actor
        return actor

    def _names_actor(self, head: Token, mention: Mention) -> bool:
        """Return False for an agent adjective on a non-actor noun ("a military attack")."""
        if mention.kind != AGENT or head.i in self.by_token:
            return True
        return self.doc.doc[mention.end - 1].pos_ in ("NOUN", "PROPN")

    def _compose(self, head: Token, inside: list[Mention], tokens: list[Token]) -> Actor | None:
        """Combine the mentions of a noun phrase into one actor code."""
        if not inside:
            return None
        span_start, span_end = tokens[0].idx, tokens[-1].idx + len(tokens[-1].text)
        text = head.doc.text[span_start:span_end]
        person = self._nearest(head, [m for m in inside if m.entry_of(PERSON)])
        if person is not None:
            entry = person.entry_of(PERSON)
            assert entry is not None
            code = entry.code_on(self.context.day)
            return Actor(code, entry.name, text, span_start, span_end, is_person=True)
        root_entry, agent_entry = self._root_and_agent(head, inside)
        if root_entry is None and (agent_entry is None or head.i not in self.by_token):
            # A bare agent only names an actor as the phrase's head: "the police", not
            # "an exchange of prisoners".
            return None
        code, name = combine(root_entry, agent_entry, self.context.day)
        return Actor(code, name, text, span_start, span_end)

    def _root_and_agent(
        self, head: Token, inside: list[Mention]
    ) -> tuple[Entry | None, Entry | None]:
        """Pick the root (state or organization) and the agent of a noun phrase."""
        head_mention = self.by_token.get(head.i)
        agents = [m for m in inside if m.entry_of(AGENT)]
        agent = head_mention if head_mention in agents else self._nearest(head, agents)
        states = [m for m in inside if m.entry_of(COUNTRY, METONYM) and m is not agent]
        orgs = [m for m in inside if m.entry_of(ORG) and m is not agent]
        if head_mention is not None and head_mention in orgs:
            root = head_mention.entry_of(ORG)
            return root, None
        root_mention = self._nearest(head, states) or self._nearest(head, orgs)
        root = root_mention.entry_of(COUNTRY, METONYM, ORG) if root_mention else None
        return root, agent.entry_of(AGENT) if agent else None

    @staticmethod
    def _nearest(head: Token, mentions: list[Mention]) -> Mention | None:
        """Return the mention closest to the head token."""
        if not mentions:
            return None
        return min(mentions, key=lambda m: min(abs(head.i - m.start), abs(head.i - (m.end - 1))))


def combine(root: Entry | None, agent: Entry | None, day: date | None) -> tuple[str, str]:
    """Combine a root entry and an agent entry into a code and a display name."""
    root_code = root.code_on(day) if root else UNKNOWN_ROOT
    agent_code = agent.code_on(day) if agent else ""
    if root and root.kind == METONYM and not agent_code:
        return root_code, f"{root.name} government"
    if agent_code and root_code.endswith(agent_code):
        agent_code = ""
    if root and root.kind == ORG and not root_code.startswith(STACKING_ROOTS):
        # An armed group's or party's own code is complete: "Taliban fighters" stay AFGREB.
        agent_code = ""
    if root and root.kind == METONYM and agent_code:
        root_code = root_code[:3]
    names = [e.name for e in (root, agent) if e is not None]
    return root_code + agent_code, " ".join(names)
