"""Events: match verb patterns over a sentence's dependency parse and attach actors."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from coder.actors import UNKNOWN_ROOT, Actor, ActorResolver
from coder.clauses import (
    ATTACK_NOUNS,
    DESIRE_VERBS,
    SUBJECT_DEPS,
    Frame,
    Modality,
    best_pattern,
    children,
    is_announced_intent,
    is_purpose_clause,
    logical_subjects,
    make_frame,
    modality_of,
    prep_objects,
    verb_key,
    wants_another,
)
from coder.dictionaries import ControlFamily, Dictionaries, VerbPattern
from coder.geo import place_country

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

# Clauses that state what an act is for: its target is often the act's target.
PURPOSE_DEPS = frozenset({"advcl", "xcomp", "acl"})
# Verbal acts addressed to someone: a place where they were made is never their target.
ADDRESSED_ROOTS = frozenset({"01", "02", "10", "11", "12", "13"})
# Acts that happen within one state: an actor of unknown country shares the other's.
DOMESTIC_ROOTS = frozenset({"08", "09", "14", "17"})
DOMESTIC_BASES = frozenset({"132"})
NON_STATE_ROOTS = frozenset({"IGO", "NGO", "IMG", "MNC"})
# Prepositions that say where something happens.
PLACE_PREPS = frozenset({"in", "at", "inside"})
# Prepositions whose object may be a place that stands for its country.
LOCATION_PREPS = frozenset({"in", "at", "to", "into", "inside"})
# Prepositions that name a topic or a medium, never the target of an event.
NON_TARGET_PREPS = frozenset(
    "about via through during after before since around regarding concerning despite amid "
    "including".split()
)
# Verbs whose meaning lies in their object noun ("held talks", "began negotiations").
LIGHT_VERBS = frozenset(
    "have conduct begin start continue resume stage launch open take make deliver extend "
    "undertake renew step_up carry_out".split()
)
# Patterns of these verbs are tried for light verbs: "continued talks" as "held talks",
# "extended aid to" as "provided aid to".
LIGHT_VERB_STAND_INS = ("hold", "provide")
# Roots whose events between compound actors with no target run both ways ("X and Y met").
RECIPROCAL_ROOTS = frozenset({"03", "04", "05", "06", "19"})
RECIPROCAL_CODES = frozenset({"019"})  # "X and Y reached a consensus"
# Acts both partners do when one is named as the other's partner: telephone, negotiate,
# sign an agreement ("X held talks with Y" is also Y holding talks with X).
MUTUAL_CODES = frozenset({"041", "046", "057"})
HOST_CODE, VISIT_CODE = "043", "042"
STATEMENT_ROOT = "01"
PLAIN_STATEMENT = "010"
# A negated promise of cooperation ("would not provide support") is a rejection.
COOPERATION_ROOTS = frozenset({"03", "04", "05", "06", "07", "08"})
# Codes that already are appeals, intents, demands, rejections or threats: a future tense
# does not make them intents again.
INTENT_ROOTS = frozenset({"01", "02", "03", "10", "12", "13"})
MATERIAL_CONFLICT_ROOTS = frozenset({"15", "16", "17", "18", "19", "20"})
ACCUSE_CODE, CLAIM_CODE = "112", "015"
MEDIA_AGENT = "MED"
INTENT_FAMILY, APPEAL_FAMILY, DEMAND_FAMILY, REJECT_FAMILY = "intent", "appeal", "demand", "reject"
OBJECT_CONTROL_FAMILIES = frozenset({APPEAL_FAMILY, DEMAND_FAMILY})
XCOMP_ONLY_FAMILIES = frozenset({INTENT_FAMILY, REJECT_FAMILY})
CLAUSE_PRONOUNS = frozenset({"it", "they", "we", "he", "she", "i"})
RELATIVE_PRONOUNS = frozenset({"which", "who", "that"})
# "China must drop barriers", said by someone, is a demand on China.
OBLIGATION_AUX = frozenset({"must", "should", "ought"})
# Stands in for a missing source or target when events are coded without requiring a dyad.
UNKNOWN_ACTOR = Actor(UNKNOWN_ROOT, "", "", 0, 0)


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
            is_clause = token.pos_ in ("VERB", "AUX") and token.i not in self.consumed
            if is_clause and not is_purpose_clause(token):
                found.extend(self.code_clause(token))
        if self.require_dyad:
            found = [c for c in found if is_usable_dyad(c)]
        return dedupe(drop_statements_when_more(found))

    def code_clause(self, verb: Token) -> list[Coded]:
        """Code one verb, through its control family when it wraps another event.

        Events may lack a source or target here (UNKNOWN_ACTOR): a wrapping verb can supply
        them ("urged Israel to release prisoners"), and `code` drops the rest.
        """
        allegation = self._allegation(verb)
        if allegation:
            return allegation
        family = self._family(verb)
        complement = self._complement(verb, family) if family else None
        if family and complement is not None:
            wrapped = self._wrapped(verb, family, complement)
            if wrapped:
                return wrapped
        return self._direct(verb)

    def _allegation(self, verb: Token) -> list[Coded]:
        """Code "X said Y attacked Z" as the reported act and X accusing Y (112), or X
        claiming its own act (015).

        A party's report of another's violence is also an accusation. News media are
        reporters, not parties: their reports code the act alone.
        """
        if verb.lemma_.lower() not in self._statement_verbs():
            return []
        speakers = [
            a for a in self.actors_of(logical_subjects(verb)) if not is_media(a) and a.root != "---"
        ]
        # Only a claim that comes first ("X said that Y attacked Z"): a trailing attribution
        # ("Y attacked Z, police said") is how news cites its source, not an accusation.
        clauses = [
            c for c in children(verb, {"ccomp"}) if c.pos_ in ("VERB", "AUX") and c.i > verb.i
        ]
        if not speakers or not clauses:
            return []
        reported = [e for c in clauses for e in self.code_clause(c)]
        violent = [e for e in reported if e.code[:2] in MATERIAL_CONFLICT_ROOTS]
        if not violent:
            return []
        for clause in clauses:
            self.consumed.update(t.i for t in clause.subtree if t.pos_ in ("VERB", "AUX"))
        accusations = [self._accusation(verb, s, e) for s in speakers for e in violent]
        return reported + accusations

    def _accusation(self, verb: Token, speaker: Actor, event: Coded) -> Coded:
        """Turn a reported act into the speaker's accusation, or its claim of responsibility."""
        own_act = event.source.root == speaker.root
        code, target = (CLAIM_CODE, event.target) if own_act else (ACCUSE_CODE, event.source)
        return replace(
            event,
            code=code,
            source=speaker,
            target=target,
            verb=verb,
            speech=False,
            modality=modality_of(verb),
        )

    def _family(self, verb: Token) -> ControlFamily | None:
        """Return the verb's control family; a statement that X *must* act is a demand."""
        family = self.dicts.control_family(verb_key(verb))
        for prep in children(verb, {"prep"}):
            # "called on X to", "appealed to X to": the family is the verb with its preposition.
            family = family or self.dicts.control_family(f"{verb.lemma_.lower()}_{prep.lower_}")
        if family is not None and family.name == INTENT_FAMILY and wants_another(verb):
            # "wants Germany to pay": wanting someone else to act is an appeal.
            family = self.dicts.family(APPEAL_FAMILY) or family
        if family is None and verb.lemma_ == "be":
            # "is ready to", "are willing to": the adjective carries the family.
            for acomp in children(verb, {"acomp"}):
                family = family or self.dicts.control_family(acomp.lemma_.lower())
        if family is not None or verb.lemma_.lower() not in self._statement_verbs():
            return family
        for child in children(verb, {"ccomp"}):
            if any(a.lower_ in OBLIGATION_AUX for a in children(child, {"aux"})):
                return self.dicts.family(DEMAND_FAMILY)
        return None

    def _statement_verbs(self) -> frozenset[str]:
        """Return the verbs whose plain pattern is a statement (say, declare, insist)."""
        return self.dicts.verbs_coded(PLAIN_STATEMENT)

    def _complement(self, verb: Token, family: ControlFamily) -> Token | None:
        """Return the verb of a wrapped clause (`agreed to MEET`, `urged X to RELEASE`).

        An intent or refusal wraps only a to-clause of its own subject: "hoped that X would
        be indicted" is no intent of the speaker's.
        """
        deps = ("xcomp",) if family.name in XCOMP_ONLY_FAMILIES else ("xcomp", "ccomp")
        for child in verb.children:
            if child.dep_ in deps and child.pos_ in ("VERB", "AUX"):
                return child
            if child.dep_ == "acomp":
                nested = self._complement(child, family)
                if nested is not None:
                    return nested
        return None

    def _wrapped(self, verb: Token, family: ControlFamily, complement: Token) -> list[Coded]:
        """Code a control verb by mapping its complement's events through the family."""
        inner = self.code_clause(complement)
        # What is demanded, promised or refused has not happened: no verb below stands alone.
        self.consumed.update(t.i for t in complement.subtree if t.pos_ in ("VERB", "AUX"))
        outer_subjects = self.actors_of(logical_subjects(verb))
        controlled_actors = self._controlled(verb, family, complement)
        modality = modality_of(verb)
        if not inner:
            if verb.lemma_.lower() in DESIRE_VERBS:
                return []  # wanting someone to do something uncodable is no appeal yet
            return self._bare_request(verb, family, outer_subjects, controlled_actors)
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

    def _controlled(self, verb: Token, family: ControlFamily, complement: Token) -> list[Actor]:
        """Return who is asked or told to act: the object, "on X", or the complement's
        subject ("demanded that the US cancel")."""
        if family.name not in OBJECT_CONTROL_FAMILIES:
            return []
        asked = [obj for prep, obj in prep_objects(verb) if prep in ("on", "upon", "to")]
        for heads in (children(verb, {"dobj"}), asked, children(complement, SUBJECT_DEPS)):
            if actors := self.actors_of(heads):
                return actors
        return []

    def _bare_request(
        self, verb: Token, family: ControlFamily, sources: list[Actor], targets: list[Actor]
    ) -> list[Coded]:
        """Code "X demanded that Y ..." when the demanded act itself codes as nothing."""
        if not (sources and targets) or family.name not in OBJECT_CONTROL_FAMILIES:
            return []
        code = family.derive("*")
        return [
            Coded(code, s, t, verb, modality_of(verb), False, 0, False)
            for s in sources
            for t in targets
            if s.code != t.code
        ]

    def _direct(self, verb: Token) -> list[Coded]:
        """Code a verb by its own patterns."""
        frame = make_frame(verb)
        pattern = best_pattern(frame, self.dicts)
        if pattern is None and frame.key in LIGHT_VERBS:
            for stand_in in LIGHT_VERB_STAND_INS:
                frame = make_frame(verb, stand_in)
                pattern = best_pattern(frame, self.dicts)
                if pattern is not None:
                    break
        if pattern is None:
            return []
        if pattern.source_after:
            doers = frame.slot_heads(pattern.source_after)
            sources, targets = self.actors_of(doers), self.actors_of(list(frame.subjects))
            inferred = False
        else:
            sources = self.actors_of(list(frame.subjects))
            targets, inferred = self._targets(frame, pattern)
        if (not targets or inferred) and len(sources) > 1 and is_reciprocal(pattern.code):
            targets, inferred = sources, True
        country = self._event_country(frame)
        sources = self._localized(sources, country) or [UNKNOWN_ACTOR]
        targets = self._localized(targets, country) or [UNKNOWN_ACTOR]
        modality = modality_of(verb)
        code = self._rejection(pattern.code, modality)
        if code != pattern.code:
            modality = replace(modality, negated=False)
        elif is_announced_intent(verb, modality) and code[:2] not in INTENT_ROOTS:
            family = self.dicts.family(INTENT_FAMILY)
            code = family.derive(code) if family else code
        speech = pattern.code[:2] == STATEMENT_ROOT and bool(children(verb, {"ccomp"}))
        return self._pairs(sources, targets, code, verb, modality, speech, pattern, inferred)

    def _rejection(self, code: str, modality: Modality) -> str:
        """Map a negated promise of cooperation to the matching rejection code."""
        if not modality.negated or code[:2] not in COOPERATION_ROOTS:
            return code
        if not (modality.future or modality.hypothetical):
            return code
        family = self.dicts.family(REJECT_FAMILY)
        return family.derive(code) if family else code

    def _event_country(self, frame: Frame) -> str | None:
        """Return the country where the act takes place ("in Monrovia" -> LBR), if named."""
        for prep, obj in frame.preps:
            if prep not in ("in", "at", "inside") or obj.lemma_.lower() in ATTACK_NOUNS:
                continue
            for actor in self.actors_of([obj]):
                if actor.root != UNKNOWN_ROOT:
                    return actor.root
            if place := self._place_actor(obj):
                return place.root
        return None

    def _localized(self, actors: list[Actor], country: str | None) -> list[Actor]:
        """Give actors of unknown country the country the act takes place in."""
        if country is None:
            return actors
        return [
            replace(a, code=country + a.code[3:])
            if a.root == UNKNOWN_ROOT and a is not UNKNOWN_ACTOR
            else a
            for a in actors
        ]

    @staticmethod
    def _domestic(code: str, pairs: list[tuple[Actor, Actor]]) -> list[tuple[Actor, Actor]]:
        """Give an actor of unknown country its counterpart's country for acts that are
        domestic by nature: "President Museveni banned Ugandan opposition candidates"."""
        if not is_domestic(code):
            return pairs
        return [(with_root(s, t), with_root(t, s)) for s, t in pairs]

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
        """Build events for every source-target pair, never an actor with itself; a mutual
        act named with its partner ("held talks with Y") runs both ways."""
        pairs = self._domestic(code, [(s, t) for s in sources for t in targets])
        if code in MUTUAL_CODES and not inferred:
            pairs += [(t, s) for s, t in pairs if (t, s) not in pairs]
        coded = [
            Coded(code, s, t, verb, modality, speech, pattern.specificity, inferred)
            for s, t in pairs
            if s.code != t.code or UNKNOWN_ACTOR in (s, t)
        ]
        if code == HOST_CODE and not inferred:
            # Hosting entails the guest's visit: "X received Y" is also Y visiting X.
            coded += [replace(c, code=VISIT_CODE, source=c.target, target=c.source) for c in coded]
        return coded

    def _targets(self, frame: Frame, pattern: VerbPattern) -> tuple[list[Actor], bool]:
        """Return the pattern's target actors, or the best guess when its slot names none."""
        if pattern.target_after:
            heads = frame.slot_heads(pattern.target_after)
        else:
            heads = list(frame.objects)
        named = self.actors_of(heads)
        if named:
            return named, False
        addressed = pattern.code[:2] in ADDRESSED_ROOTS
        # Near prepositions first, then one level down ("troops to a force in Liberia").
        for prep, obj in (*frame.preps, *frame.deeper_preps):
            if obj in frame.subjects:
                continue  # the doer of a passive act ("fired from Gaza") is not its target
            if addressed and prep in PLACE_PREPS:
                continue  # a statement made in Doha is not addressed to Qatar
            if prep not in NON_TARGET_PREPS and (actors := self.actors_of([obj])):
                return actors, True
        if not addressed:  # a statement or demand is made to someone, not to a place
            for prep, obj in frame.preps:
                if prep in LOCATION_PREPS and (place := self._place_actor(obj)):
                    return [place], True
        return self._purpose_target(frame.verb), True

    def _purpose_target(self, verb: Token) -> list[Actor]:
        """Return the target named by the act's purpose: "blocked roads demanding that the
        government resign", "began a hunger strike to protest President Assad's policy"."""
        for clause in children(verb, PURPOSE_DEPS):
            if clause.pos_ not in ("VERB", "AUX"):
                continue
            frame = make_frame(clause)
            for head in (*frame.objects, *(obj for _, obj in frame.preps)):
                if actors := self.actors_of([head]):
                    return actors
            for ccomp in children(clause, {"ccomp"}):
                if actors := self.actors_of(children(ccomp, SUBJECT_DEPS)):
                    return actors
        return []

    def _place_actor(self, token: Token) -> Actor | None:
        """Return the country of a named place ("in Zurich" -> CHE), if the gazetteer knows it."""
        if token.pos_ != "PROPN":
            return None
        words = [t for t in token.subtree if t.dep_ in ("compound", "flat") or t is token]
        start, end = words[0].idx, words[-1].idx + len(words[-1].text)
        name = token.doc.text[start:end]
        iso3 = self.dicts.iso3_by_iso2.get(place_country(name) or "")
        return Actor(iso3, name, name, start, end) if iso3 else None

    def actors_of(self, heads: list[Token]) -> list[Actor]:
        """Return the actors of several noun phrase heads (pronouns resolved)."""
        actors: list[Actor] = []
        for head in heads:
            found = self._antecedent(head) if head.lower_ in CLAUSE_PRONOUNS else []
            if head.lower_ in RELATIVE_PRONOUNS and head.head.dep_ == "relcl":
                # "the Kremlin, which annexed Crimea": the relative clause's noun acts.
                head = head.head.head
            for actor in found or self.resolver.actors_of(head):
                if actor.code not in {a.code for a in actors}:
                    actors.append(actor)
        return actors

    def _antecedent(self, pronoun: Token) -> list[Actor]:
        """Resolve a subject pronoun in a reported clause to the governing clause's subject.

        "Uganda said it had paid", "the rebels said they will release": the pronoun is the
        speaker. Other pronouns fall back to the resolver (he/she: the last person named).
        """
        clause = pronoun.head
        # Not through adverbial clauses: in "X warned Y would act if it attacked", "it" is not X.
        while clause.dep_ in ("ccomp", "xcomp", "conj") and clause.head != clause:
            clause = clause.head
            subjects = [
                s for s in children(clause, SUBJECT_DEPS) if s.lower_ not in CLAUSE_PRONOUNS
            ]
            if subjects:
                return self.actors_of(subjects)
        return []


def is_usable_dyad(coded: Coded) -> bool:
    """Return True when both actors are found and at least one has a known country or
    organization: "---MIL attacked ---CVL" says nothing a country-level dataset can use."""
    if UNKNOWN_ACTOR in (coded.source, coded.target):
        return False
    return UNKNOWN_ROOT not in (coded.source.root, coded.target.root) or (
        coded.source.root != coded.target.root
    )


def is_domestic(code: str) -> bool:
    """Return True for acts a state does to its own people (concessions, investigations,
    protests, repression, threats of curfew or martial law)."""
    return code[:2] in DOMESTIC_ROOTS or code[:3] in DOMESTIC_BASES


def with_root(actor: Actor, other: Actor) -> Actor:
    """Give an actor of unknown country the other actor's country."""
    if actor.root != UNKNOWN_ROOT or other.root == UNKNOWN_ROOT or actor is UNKNOWN_ACTOR:
        return actor
    if other is UNKNOWN_ACTOR or not other.root.isalpha() or other.root in NON_STATE_ROOTS:
        return actor
    return replace(actor, code=other.root + actor.code[3:])


def is_reciprocal(code: str) -> bool:
    """Return True for acts that two parties do to each other ("met", "held talks")."""
    return code[:2] in RECIPROCAL_ROOTS or code in RECIPROCAL_CODES


def is_media(actor: Actor) -> bool:
    """Return True for news media, who report events rather than take part in them."""
    return MEDIA_AGENT in [actor.code[i : i + 3] for i in range(3, len(actor.code), 3)]


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
