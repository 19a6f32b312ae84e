"""Events: match verb patterns over a sentence's dependency parse and attach actors."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from coder.actors import UNKNOWN_ROOT, Actor, ActorResolver
from coder.dictionaries import PREPOSITIONS, ControlFamily, Dictionaries, VerbPattern

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

FUTURE_AUX = frozenset({"will", "shall", "'ll", "wo"})
MODAL_AUX = frozenset({"would", "could", "might", "may", "should", "can", "must", "'d", "ca"})
CONDITIONAL_MARKS = frozenset({"if", "unless"})
NEGATORS = frozenset({"not", "n't", "never", "no"})
SUBJECT_DEPS = frozenset({"nsubj", "csubj"})
OBJECT_DEPS = frozenset({"dobj", "obj", "attr", "oprd"})
# Prepositions that name a topic or a medium, never the target of an event.
NON_TARGET_PREPS = frozenset({"about", "via", "through", "during", "after", "before", "since"})
# Verbs whose meaning lies in their object noun ("held talks", "began negotiations").
LIGHT_VERBS = frozenset(
    {"have", "conduct", "begin", "start", "continue", "resume", "stage", "launch", "open"}
)
LIGHT_VERB_STAND_IN = "hold"
PARTICLE_WORDS = frozenset({"down", "up", "out", "off", "back", "away", "over", "in", "on"})
# Roots whose events between compound actors with no target run both ways ("X and Y met").
RECIPROCAL_ROOTS = frozenset({"03", "04", "05", "06", "19"})
STATEMENT_ROOT = "01"
PLAIN_STATEMENT = "010"
# A negated promise of cooperation ("would not provide support") is a rejection.
COOPERATION_ROOTS = frozenset({"03", "04", "05", "06", "07", "08"})
REJECT_FAMILY = "reject"
OBJECT_CONTROL_FAMILIES = frozenset({"appeal", "demand"})
# Stands in for a missing source or target when events are coded without requiring a dyad.
UNKNOWN_ACTOR = Actor(UNKNOWN_ROOT, "", "", 0, 0)


@dataclass(frozen=True)
class Modality:
    """Whether a clause is negated, hypothetical or about the future."""

    negated: bool = False
    hypothetical: bool = False
    future: bool = False


@dataclass(frozen=True)
class Coded:
    """An event found in one sentence, before it becomes a flat record."""

    code: str
    source: Actor
    target: Actor
    verb: Token
    modality: Modality
    speech: bool
    specificity: int
    inferred_target: bool


@dataclass(frozen=True)
class Frame:
    """The verb's logical arguments: subject, objects and prepositional objects."""

    verb: Token
    key: str
    subjects: tuple[Token, ...]
    objects: tuple[Token, ...]
    preps: tuple[tuple[str, Token], ...]
    fallback_keys: tuple[str, ...] = ()


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
    """Return True for a passive clause."""
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
        return [obj for prep, obj in prep_objects(verb) if prep == "by"]
    subjects = children(verb, SUBJECT_DEPS)
    if subjects:
        return subjects
    head = verb.head
    if verb.dep_ == "xcomp" and head is not verb:
        objects = children(head, {"dobj"})
        return objects or logical_subjects(head)
    if verb.dep_ in ("conj", "advcl") and head is not verb and head.pos_ in ("VERB", "AUX"):
        return logical_subjects(head)
    if verb.dep_ == "relcl" and head is not verb:
        return [head]
    return []


def logical_objects(verb: Token) -> list[Token]:
    """Return the heads of the clause's logical direct object."""
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
    keys = [key] if key else verb_keys(verb)
    return Frame(
        verb, keys[0], tuple(logical_subjects(verb)), tuple(objects), tuple(preps), tuple(keys[1:])
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
        if token.dep_ not in ("xcomp", "conj") or token.head is token:
            return Modality(negated, hypothetical, future)
        token = token.head


def pattern_matches(pattern: VerbPattern, frame: Frame) -> bool:
    """Return True when every word of the pattern is found in the verb's frame."""
    nouns = frame_nouns(frame)
    prep_words = {prep for prep, _ in frame.preps}
    for word in pattern.words:
        pool = prep_words if word in PREPOSITIONS else nouns
        if word not in pool:
            return False
    return True


def frame_nouns(frame: Frame) -> set[str]:
    """Return the lemmas of the objects, their modifiers, and nouns one preposition below."""
    heads = [*frame.objects, *(obj for _, obj in frame.preps)]
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


class SentenceCoder:
    """Codes the events of one parsed sentence."""

    def __init__(
        self,
        sentence: Span,
        resolver: ActorResolver,
        dicts: Dictionaries,
        require_dyad: bool = True,
    ):
        self.sentence = sentence
        self.resolver = resolver
        self.dicts = dicts
        self.require_dyad = require_dyad
        self.consumed: set[int] = set()

    def code(self) -> list[Coded]:
        """Return the sentence's events, one per (source, code, target)."""
        found: list[Coded] = []
        for token in self.sentence:
            if token.pos_ in ("VERB", "AUX") and token.i not in self.consumed:
                found.extend(self.code_clause(token))
        if self.require_dyad:
            found = [c for c in found if UNKNOWN_ACTOR not in (c.source, c.target)]
        return dedupe(drop_statements_when_more(found))

    def code_clause(self, verb: Token) -> list[Coded]:
        """Code one verb, through its control family when it wraps another event.

        Events may lack a source or target here (UNKNOWN_ACTOR): a wrapping verb can supply
        them ("urged Israel to release prisoners"), and `code` drops the rest.
        """
        family = self.dicts.control_family(verb_key(verb))
        complement = self._complement(verb) if family else None
        if family and complement is not None:
            wrapped = self._wrapped(verb, family, complement)
            if wrapped:
                return wrapped
        return self._direct(verb)

    def _complement(self, verb: Token) -> Token | None:
        """Return the verb of a wrapped clause (`agreed to MEET`, `urged X to RELEASE`)."""
        for child in verb.children:
            if child.dep_ in ("xcomp", "ccomp") and child.pos_ in ("VERB", "AUX"):
                return child
            if child.dep_ == "acomp":
                nested = self._complement(child)
                if nested is not None:
                    return nested
        return None

    def _wrapped(self, verb: Token, family: ControlFamily, complement: Token) -> list[Coded]:
        """Code a control verb by mapping its complement's events through the family."""
        inner = self.code_clause(complement)
        if not inner:
            return []
        self.consumed.add(complement.i)
        outer_subjects = self.actors_of(logical_subjects(verb))
        controlled = children(verb, {"dobj"}) if family.name in OBJECT_CONTROL_FAMILIES else []
        controlled_actors = self.actors_of(controlled)
        modality = modality_of(verb)
        results = []
        for event in inner:
            sources = outer_subjects or [event.source]
            targets = controlled_actors or [event.target]
            for source in sources:
                for target in targets:
                    if source.code != target.code or UNKNOWN_ACTOR in (source, target):
                        results.append(
                            replace(
                                event,
                                code=family.derive(event.code),
                                source=source,
                                target=target,
                                verb=verb,
                                modality=merge(modality, event.modality),
                                speech=False,
                            )
                        )
        return results

    def _direct(self, verb: Token) -> list[Coded]:
        """Code a verb by its own patterns."""
        frame = make_frame(verb)
        pattern = best_pattern(frame, self.dicts)
        if pattern is None and frame.key in LIGHT_VERBS:
            frame = make_frame(verb, LIGHT_VERB_STAND_IN)
            pattern = best_pattern(frame, self.dicts)
        if pattern is None:
            return []
        sources = self.actors_of(list(frame.subjects))
        targets, inferred = self._targets(frame, pattern)
        if (not targets or inferred) and len(sources) > 1 and pattern.code[:2] in RECIPROCAL_ROOTS:
            targets, inferred = sources, True
        sources, targets = sources or [UNKNOWN_ACTOR], targets or [UNKNOWN_ACTOR]
        modality = modality_of(verb)
        code = self._rejection(pattern.code, modality)
        if code != pattern.code:
            modality = replace(modality, negated=False)
        speech = pattern.code[:2] == STATEMENT_ROOT and bool(children(verb, {"ccomp"}))
        return self._pairs(sources, targets, code, verb, modality, speech, pattern, inferred)

    def _rejection(self, code: str, modality: Modality) -> str:
        """Map a negated promise of cooperation to the matching rejection code."""
        if not modality.negated or code[:2] not in COOPERATION_ROOTS:
            return code
        if not (modality.future or modality.hypothetical):
            return code
        family = next((f for f in self.dicts.controls.values() if f.name == REJECT_FAMILY), None)
        return family.derive(code) if family else code

    def _pairs(
        self,
        sources: list[Actor],
        targets: list[Actor],
        code: str,
        verb: Token,
        modality: Modality,
        speech: bool,
        pattern: VerbPattern,
        inferred: bool,
    ) -> list[Coded]:
        """Build events for every source-target pair, never an actor with itself."""
        return [
            Coded(code, s, t, verb, modality, speech, pattern.specificity, inferred)
            for s in sources
            for t in targets
            if s.code != t.code or UNKNOWN_ACTOR in (s, t)
        ]

    def _targets(self, frame: Frame, pattern: VerbPattern) -> tuple[list[Actor], bool]:
        """Return the pattern's target actors, or the best guess when it names no slot."""
        if pattern.target_after == "":
            return self.actors_of(list(frame.objects)), False
        if pattern.target_after:
            heads = [obj for prep, obj in frame.preps if prep == pattern.target_after]
            return self.actors_of(heads), False
        direct = self.actors_of(list(frame.objects))
        if direct:
            return direct, False
        for prep, obj in frame.preps:
            if prep not in NON_TARGET_PREPS and (actors := self.actors_of([obj])):
                return actors, True
        return [], True

    def actors_of(self, heads: list[Token]) -> list[Actor]:
        """Return the actors of several noun phrase heads."""
        actors: list[Actor] = []
        for head in heads:
            for actor in self.resolver.actors_of(head):
                if actor.code not in {a.code for a in actors}:
                    actors.append(actor)
        return actors


def merge(outer: Modality, inner: Modality) -> Modality:
    """Combine the modality of a control verb and of its complement."""
    return Modality(
        outer.negated or inner.negated,
        outer.hypothetical or inner.hypothetical,
        outer.future or inner.future,
    )


def drop_statements_when_more(found: list[Coded]) -> list[Coded]:
    """Keep a speaker's statement, or a plain 010, only when the sentence codes nothing else."""
    others = [c for c in found if not c.speech and c.code != PLAIN_STATEMENT]
    return others if others else found


def dedupe(found: list[Coded]) -> list[Coded]:
    """Keep one event per (source, code, target), the most specific one."""
    best: dict[tuple[str, str, str], Coded] = {}
    for coded in found:
        key = (coded.source.code, coded.code, coded.target.code)
        if key not in best or coded.specificity > best[key].specificity:
            best[key] = coded
    return list(best.values())
