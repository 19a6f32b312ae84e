"""Clauses: a verb's logical arguments, modality and pattern matching over the parse."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from coder.dictionaries import PREPOSITIONS, Dictionaries, VerbPattern

if TYPE_CHECKING:
    from spacy.tokens import Token

FUTURE_AUX = frozenset({"will", "shall", "'ll", "wo"})
MODAL_AUX = frozenset({"would", "could", "might", "may", "should", "can", "must", "'d", "ca"})
CONDITIONAL_MARKS = frozenset({"if", "unless"})
NEGATING_VERBS = frozenset({"fail", "refrain", "neglect"})
SUBJECT_DEPS = frozenset({"nsubj", "csubj"})
OBJECT_DEPS = frozenset({"dobj", "obj", "attr", "oprd"})
# Nouns for violent acts: in "killed in an Israeli strike" the strike's maker is the doer.
ATTACK_NOUNS = frozenset(
    "attack strike airstrike raid shelling bombing bombardment shooting explosion blast "
    "offensive ambush assault fire gunfire crossfire clash fighting barrage rocket missile".split()
)
PARTICLE_WORDS = frozenset({"down", "up", "out", "off", "back", "away", "over", "in", "on"})
DESIRE_VERBS = frozenset({"want", "wish", "expect", "need", "like", "prefer", "hope"})


@dataclass(frozen=True)
class Modality:
    """Whether a clause is negated, hypothetical or about the future."""

    negated: bool = False
    hypothetical: bool = False
    future: bool = False


@dataclass(frozen=True)
class Frame:
    """The verb's logical arguments: subject, objects and prepositional objects."""

    verb: Token
    key: str
    subjects: tuple[Token, ...]
    objects: tuple[Token, ...]
    preps: tuple[tuple[str, Token], ...]
    fallback_keys: tuple[str, ...] = ()
    deeper_preps: tuple[tuple[str, Token], ...] = ()

    @cached_property
    def nouns(self) -> set[str]:
        """Return the noun lemmas patterns may match (computed once per frame)."""
        return frame_nouns(self)

    @cached_property
    def prep_words(self) -> set[str]:
        """Return the prepositions attached to the verb, its objects, and one level below."""
        return {prep for prep, _ in (*self.preps, *self.deeper_preps)}

    def slot_heads(self, prep: str) -> list[Token]:
        """Return the heads a pattern's "PREP +" or "PREP $" slot may name: the objects of
        that preposition, and for "of" the objects' possessors ("Russia's demands")."""
        heads = [obj for p, obj in (*self.preps, *self.deeper_preps) if p == prep]
        if prep == "of":
            heads += [c for obj in self.objects for c in obj.children if c.dep_ == "poss"]
        return heads


def verb_keys(verb: Token) -> list[str]:
    """Return the lemma with its particle first (`step_down`), then the bare lemma."""
    lemma = verb.lemma_.lower()
    particles = [c.lower_ for c in verb.children if is_particle(verb, c)]
    return [f"{lemma}_{particles[0]}", lemma] if particles else [lemma]


def verb_key(verb: Token) -> str:
    """Return the verb's lemma, joined to its particle (`call_off`)."""
    return verb_keys(verb)[0]


def is_particle(verb: Token, child: Token) -> bool:
    """Return True for a particle, also where the small model tags it as an adverb or a bare
    preposition ("stepped down", "pulled out of")."""
    if child.dep_ == "prt":
        return True
    if child.lower_ not in PARTICLE_WORDS or child.i != verb.i + 1:
        return False
    return child.dep_ == "advmod" or (child.dep_ == "prep" and not list(child.children))


def is_passive(verb: Token) -> bool:
    """Return True for a passive clause, or a past participle modifying a noun ("troops
    killed by rebels")."""
    if verb.dep_ == "acl" and verb.tag_ == "VBN":
        return True
    return any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children)


def children(token: Token, deps: frozenset[str] | set[str]) -> list[Token]:
    """Return the children of a token with one of the given dependency labels."""
    return [c for c in token.children if c.dep_ in deps]


def prep_objects(token: Token) -> list[tuple[str, Token]]:
    """Return (preposition, object) pairs attached to a token."""
    pairs = []
    for child in token.children:
        if child.dep_ in ("prep", "agent", "dative"):
            objects = children(child, {"pobj", "pcomp"})
            if objects:
                pairs.extend((child.lower_, obj) for obj in objects)
            elif child.dep_ == "dative" and child.pos_ in ("PROPN", "NOUN", "PRON"):
                pairs.append(("to", child))
    return pairs


def logical_subjects(verb: Token) -> list[Token]:
    """Return the heads of the clause's logical subject, inherited from the governing verb."""
    if is_passive(verb):
        return passive_doers(verb)
    subjects = children(verb, SUBJECT_DEPS)
    if subjects:
        return subjects
    head = verb.head
    if verb.dep_ == "xcomp" and head != verb:
        # Object control ("urged Israel to"), then the subject of a passive ("Obama is
        # scheduled to attend"), then the governing verb's own subject.
        controllers = children(head, {"dobj"}) or children(head, {"nsubjpass"})
        return controllers or logical_subjects(head)
    if verb.dep_ in ("conj", "advcl") and head != verb and head.pos_ in ("VERB", "AUX"):
        return logical_subjects(head)
    if verb.dep_ == "relcl" and head != verb:
        return [head]
    return []


def passive_doers(verb: Token) -> list[Token]:
    """Return who did a passive act: "by X"; else the attack it happened in ("killed in an
    Israeli air strike", "in an air strike by government forces"); else where it came from
    ("a mortar was fired from the Gaza Strip")."""
    preps = prep_objects(verb)
    agents = [obj for prep, obj in preps if prep == "by"]
    if agents:
        return agents
    attacks = [
        obj
        for prep, obj in preps
        if prep in ("in", "during") and obj.lemma_.lower() in ATTACK_NOUNS
    ]
    makers = [o for attack in attacks for p, o in prep_objects(attack) if p == "by"]
    origins = [obj for prep, obj in preps if prep == "from"]
    return makers or [*attacks, *origins]


def logical_objects(verb: Token) -> list[Token]:
    """Return the heads of the clause's logical direct object."""
    if verb.dep_ == "acl" and verb.tag_ == "VBN":
        return [verb.head]
    if is_passive(verb):
        return children(verb, {"nsubjpass"})
    return children(verb, OBJECT_DEPS)


def make_frame(verb: Token, key: str | None = None) -> Frame:
    """Collect the verb's logical arguments."""
    objects = logical_objects(verb)
    preps = prep_objects(verb)
    for obj in objects:
        preps.extend(prep_objects(obj))
    preps = [(prep, obj) for prep, obj in preps if not (prep == "by" and is_passive(verb))]
    # One level below a prepositional object, for matching words only: "came under attack
    # FROM rebels". Targets are never taken from there.
    deeper = [pair for _, obj in preps for pair in prep_objects(obj)]
    keys = [key] if key else verb_keys(verb)
    return Frame(
        verb,
        keys[0],
        tuple(logical_subjects(verb)),
        tuple(objects),
        tuple(preps),
        tuple(keys[1:]),
        tuple(deeper),
    )


def modality_of(verb: Token) -> Modality:
    """Read negation, modal and future markers from the verb and the verbs governing it."""
    negated = hypothetical = future = False
    token = verb
    while True:
        for child in token.children:
            word = child.lower_
            if child.dep_ == "neg" or (child.dep_ == "advmod" and word == "never"):
                negated = True
            elif child.dep_ == "aux" and word in FUTURE_AUX:
                future = True
            elif child.dep_ == "aux" and word in MODAL_AUX:
                hypothetical = True
            elif child.dep_ == "mark" and word in CONDITIONAL_MARKS:
                hypothetical = True
        if token.dep_ not in ("xcomp", "conj") or token.head == token:
            return Modality(negated, hypothetical, future)
        if token.dep_ == "xcomp" and token.head.lemma_.lower() in NEGATING_VERBS:
            negated = True  # "failed to reach agreement": it did not happen
        token = token.head


def is_announced_intent(verb: Token, modality: Modality) -> bool:
    """Return True for an act announced for the future ("will visit", "said it would meet").

    CAMEO codes such acts as intents (03x) or, for conflictual acts, threats (13x).
    """
    if modality.negated:
        return False
    if modality.future:
        return True
    reported = verb.dep_ == "ccomp"
    return reported and any(a.lower_ in ("would", "'d") for a in children(verb, {"aux"}))


def pattern_matches(pattern: VerbPattern, frame: Frame) -> bool:
    """Return True when every word of the pattern is found in the verb's frame."""
    nouns, prep_words = frame.nouns, frame.prep_words
    for alternatives in pattern.words:
        pool = prep_words if alternatives <= PREPOSITIONS else nouns
        if alternatives.isdisjoint(pool):
            return False
    return True


def frame_nouns(frame: Frame) -> set[str]:
    """Return the lemmas of the objects, their modifiers, and nouns one preposition below."""
    heads = [*frame.objects, *(obj for _, obj in (*frame.preps, *frame.deeper_preps))]
    nouns = set()
    for head in heads:
        nouns.add(head.lemma_.lower())
        for child in head.children:
            if child.dep_ in ("compound", "amod", "nmod"):
                nouns.add(child.lemma_.lower())
            elif child.dep_ == "prep":
                nouns.update(g.lemma_.lower() for g in child.children if g.dep_ == "pobj")
    return nouns


def best_pattern(frame: Frame, dicts: Dictionaries) -> VerbPattern | None:
    """Return the most specific pattern that matches the frame."""
    for key in (frame.key, *frame.fallback_keys):
        for pattern in dicts.patterns.get(key, ()):
            if pattern_matches(pattern, frame):
                return pattern
    return None


def is_infinitive(verb: Token) -> bool:
    """Return True for a to-infinitive ("to help", "to discuss")."""
    return verb.tag_ == "VB" and any(c.lower_ == "to" for c in children(verb, {"aux"}))


def is_purpose_clause(verb: Token) -> bool:
    """Return True for a to-clause of purpose ("pressed X to help Y", "permission to enter"):
    what it names has not happened, so it is no event of its own."""
    return verb.dep_ in ("advcl", "acl", "relcl") and is_infinitive(verb)


def wants_another(verb: Token) -> bool:
    """Return True when the verb wants someone else to act ("wants Putin to attack")."""
    if verb.lemma_.lower() not in DESIRE_VERBS:
        return False  # "offers Washington to nullify restrictions" is an offer, not an appeal
    if children(verb, {"dobj"}):
        return True
    return any(
        is_infinitive(clause) and children(clause, SUBJECT_DEPS)
        for clause in children(verb, {"ccomp", "xcomp"})
    )
