"""A table-driven stand-in for spaCy's attribute_ruler, for the patterns news text needs.

The model's attribute_ruler maps fine-grained tags to coarse POS, morphology and a few lemmas
through spaCy's general Matcher, which costs about a fifth of the coder's parsing time. Its
rules are simple (a tag, a word, or both), so a dictionary lookup applies them in the same
order. Rules with regular expressions match colloquial forms (`ain't`, `y'all`) and are left to
the lemmatizer's defaults.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

MATCHED_ATTRS = ("TAG", "LOWER", "DEP")
ATTR_INDEX = {attr: index for index, attr in enumerate(MATCHED_ATTRS)}


@dataclass(frozen=True)
class Allowed:
    """The values an attribute may (or, negated, may not) take."""

    values: frozenset[str]
    negated: bool = False


@dataclass(frozen=True)
class Rule:
    """Constraints on one or two tokens and the attributes they set, in the ruler's order."""

    order: int
    tokens: tuple[dict[str, Allowed], ...]
    attrs: dict[str, str]
    index: int

    def matches(self, rows: list[tuple[str, str, str]], i: int) -> bool:
        """Return True when the rule matches the token rows starting at row i."""
        if i + len(self.tokens) > len(rows):
            return False
        return all(token_fits(rows[i + k], constraint) for k, constraint in enumerate(self.tokens))


def token_fits(row: tuple[str, str, str], constraint: dict[str, Allowed]) -> bool:
    """Return True when a token's (tag, lower form, dependency) row meets the constraint."""
    return all(
        (row[ATTR_INDEX[attr]] in allowed.values) != allowed.negated
        for attr, allowed in constraint.items()
    )


def compile_constraint(pattern_token: dict[str, Any]) -> dict[str, Allowed] | None:
    """Turn one Matcher token pattern into value sets, or None when it needs a regex."""
    constraint = {}
    for attr, value in pattern_token.items():
        if attr not in MATCHED_ATTRS:
            return None
        if isinstance(value, str):
            constraint[attr] = Allowed(frozenset({value}))
        elif isinstance(value, dict) and set(value) == {"IN"}:
            constraint[attr] = Allowed(frozenset(value["IN"]))
        elif isinstance(value, dict) and set(value) == {"NOT_IN"}:
            constraint[attr] = Allowed(frozenset(value["NOT_IN"]), negated=True)
        else:
            return None
    return constraint


def compile_rules(patterns: Iterable[dict[str, Any]]) -> list[Rule]:
    """Compile the attribute_ruler's patterns that need no regular expression."""
    rules = []
    for order, pattern in enumerate(patterns):
        for token_patterns in pattern["patterns"]:
            constraints = [compile_constraint(t) for t in token_patterns]
            if all(c is not None for c in constraints):
                rules.append(
                    Rule(order, tuple(constraints), dict(pattern["attrs"]), pattern["index"])
                )
    return rules


class FastAttributes:
    """Apply attribute rules by tag and word lookup, in the original rules' order."""

    def __init__(self, rules: list[Rule]):
        # Most rules test one token's tag, or its tag and word: these need no check once
        # looked up. The others are filed by a value their first token must have.
        self.by_tag_only: dict[str, list[Rule]] = defaultdict(list)
        self.by_tag_word: dict[tuple[str, str], list[Rule]] = defaultdict(list)
        self.by_tag: dict[str, list[Rule]] = defaultdict(list)
        self.by_lower: dict[str, list[Rule]] = defaultdict(list)
        self.by_dep: dict[str, list[Rule]] = defaultdict(list)
        self.always: list[Rule] = []
        for rule in rules:
            if not self._index_exact(rule):
                self._index(rule)

    def _index_exact(self, rule: Rule) -> bool:
        """File a one-token rule on tag, or tag and word, that needs no further check."""
        if len(rule.tokens) != 1 or any(a.negated for a in rule.tokens[0].values()):
            return False
        constraint = rule.tokens[0]
        if set(constraint) == {"TAG"}:
            for tag in constraint["TAG"].values:
                self.by_tag_only[tag].append(rule)
            return True
        if set(constraint) == {"TAG", "LOWER"}:
            for tag in constraint["TAG"].values:
                for word in constraint["LOWER"].values:
                    self.by_tag_word[(tag, word)].append(rule)
            return True
        return False

    def _index(self, rule: Rule) -> None:
        """File a rule under a value its first token must have, or under `always`."""
        first = rule.tokens[0]
        for attr, index in (("TAG", self.by_tag), ("LOWER", self.by_lower), ("DEP", self.by_dep)):
            if attr in first and not first[attr].negated:
                for value in first[attr].values:
                    index[value].append(rule)
                return
        self.always.append(rule)

    def __call__(self, doc: Doc) -> Doc:
        """Set POS, morphology and lemma exceptions; later rules win, as in the ruler."""
        rows = [(token.tag_, token.lower_, token.dep_) for token in doc]
        matches = []
        for i, (tag, lower, dep) in enumerate(rows):
            sure = self.by_tag_only.get(tag, []) + self.by_tag_word.get((tag, lower), [])
            matches.extend((rule.order, i + rule.index, rule) for rule in sure)
            candidates = (
                self.by_tag.get(tag, [])
                + self.by_lower.get(lower, [])
                + self.by_dep.get(dep, [])
                + self.always
            )
            matches.extend(
                (rule.order, i + rule.index, rule) for rule in candidates if rule.matches(rows, i)
            )
        for _, target, rule in sorted(matches, key=lambda match: match[:2]):
            apply_attrs(doc[target], rule.attrs)
        return doc


def apply_attrs(token: Token, attrs: dict[str, str]) -> None:
    """Set the attributes a rule assigns."""
    for attr, value in attrs.items():
        if attr == "POS":
            token.pos_ = value
        elif attr == "MORPH":
            token.set_morph(None if value == "_" else value)
        elif attr == "LEMMA":
            token.lemma_ = value
