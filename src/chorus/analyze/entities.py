"""Story entities: the mentions of all articles of a story merged into entities with a
canonical name, aliases, and the articles that mention them.

Merging, in order: the same name once normalised (case, dots, a leading "the");
known aliases (``data/aliases.toml``: "U.S." = "United States"); a person's surname
alone ("Kirby") joins the one full name in the story that ends with it ("John Kirby"),
and stays apart when two people in the story share that surname; then misspellings
and variants by fuzzy matching (rapidfuzz), guarded by type: two people only when
first and last names both match closely ("Osama Hamdan" / "Osama Hamdane", never
"John Kirby" / "Jane Kirby"); two places or organisations when their distinctive
words match closely and they differ at most by a generic word ("Philadelhi Route" /
"Philadelphi Corridor").
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

from rapidfuzz import fuzz

from chorus.models import AnnotatedArticle, StoryEntity

MAIN_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"})
# spaCy often swaps these for the same name (the White House as ORG and FAC)
_KIND = {"PERSON": "person", "ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place", "NORP": "group", "EVENT": "event"}
# titles spaCy sometimes tags as entities on their own
_NOT_NAMES = frozenset({"state", "house", "national security", "national security advisor", "national security adviser"})


def normalise(name: str) -> str:
    key = name.casefold().replace(".", "").replace("’", "'")
    key = re.sub(r"^the\s+", "", key)
    return " ".join(key.split())


@lru_cache(maxsize=1)
def alias_table() -> dict[str, str]:
    data = tomllib.loads(resources.files("chorus.data").joinpath("aliases.toml").read_text("utf-8"))
    table = {}
    for canonical, aliases in data.items():
        for alias in [canonical, *aliases]:
            table[normalise(alias)] = canonical
    return table


def name_forms(name: str) -> tuple[str, ...]:
    """The name and every alias known to mean the same entity (``data/aliases.toml``):
    "U.S." -> ("United States", "U.S.", "US", ...); a name without aliases alone."""
    key = normalise(name)
    canonical = alias_table().get(key)
    if canonical is None:
        return (name,)
    forms = [a for a, c in _alias_forms().items() if c == canonical]
    return tuple(dict.fromkeys([name, *forms]))


@lru_cache(maxsize=1)
def _alias_forms() -> dict[str, str]:
    """Each written form in the alias table -> its canonical name."""
    data = tomllib.loads(resources.files("chorus.data").joinpath("aliases.toml").read_text("utf-8"))
    return {alias: canonical for canonical, aliases in data.items() for alias in [canonical, *aliases]}


def story_entities(docs: Sequence[AnnotatedArticle], limit: int | None = None) -> list[StoryEntity]:
    """Entities of a story, most widely reported first."""
    aliases = alias_table()
    forms: dict[str, Counter[str]] = defaultdict(Counter)  # key -> surface form counts
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    articles: dict[str, set[str]] = defaultdict(set)
    for doc in docs:
        for m in doc.mentions:
            if m.label not in MAIN_LABELS or normalise(m.text) in _NOT_NAMES:
                continue
            key = normalise(m.text)
            key = normalise(aliases.get(key, key))
            forms[key][m.text] += 1
            labels[key][m.label] += 1
            articles[key].add(doc.id)
    # a lone surname joins the single full name that ends with it; the tagger often
    # mislabels a lone surname (a place, an organisation), so a non-person label joins
    # too, but only where an article names that person in full.
    persons = [k for k in forms if labels[k].most_common(1)[0][0] == "PERSON"]
    full_by_last: dict[str, list[str]] = defaultdict(list)
    for k in persons:
        parts = k.split()
        if len(parts) > 1:
            full_by_last[parts[-1]].append(k)
    for k in list(forms):
        if len(k.split()) != 1 or len(full_by_last.get(k, [])) != 1:
            continue
        target = full_by_last[k][0]
        if labels[k].most_common(1)[0][0] != "PERSON" and not articles[k] <= articles[target]:
            continue
        forms[target].update(forms.pop(k))
        labels[target].update(labels.pop(k))
        articles[target] |= articles.pop(k)
    for keep, drop in _fuzzy_merges(forms, labels):
        forms[keep].update(forms.pop(drop))
        labels[keep].update(labels.pop(drop))
        articles[keep] |= articles.pop(drop)
    entities = []
    for key, counter in forms.items():
        label = labels[key].most_common(1)[0][0]
        canonical = aliases.get(key)
        if canonical is None:
            # the fullest proper form: most words, then most frequent, then longest
            # (a misspelling more often drops a letter than adds one)
            canonical = max(counter, key=lambda f: (len(f.split()), counter[f], len(f)))
        alias_list = sorted({f for f in counter if f != canonical})
        entities.append(
            StoryEntity(
                name=canonical,
                type=label,
                aliases=tuple(alias_list),
                articles=tuple(sorted(articles[key])),
                mentions=sum(counter.values()),
            )
        )
    entities.sort(key=lambda e: (-len(e.articles), -e.mentions, e.name))
    return entities[:limit] if limit else entities


# Words that name the kind of place, not the place: "X Route" and "X Corridor" can be
# the same strip of land. Deliberately short: "City", "Strip", "River" name different
# places ("Gaza City" is not the "Gaza Strip").
_GENERIC = frozenset({"corridor", "route", "road", "highway", "crossing", "axis", "passage", "line"})
PERSON_RATIO = 88  # per name part; "hamdan"/"hamdane" scores 92, "john"/"jane" 50
PLACE_RATIO = 90  # distinctive words; "philadelhi"/"philadelphi" scores 95.2


def _same_person(a: str, b: str) -> bool:
    pa, pb = a.split(), b.split()
    if len(pa) < 2 or len(pb) < 2 or len(pa) != len(pb):
        return False
    return all(fuzz.ratio(x, y) >= PERSON_RATIO for x, y in zip(pa, pb)) and a != b


def _same_place(a: str, b: str) -> bool:
    wa, wb = a.split(), b.split()
    da = [w for w in wa if w not in _GENERIC]
    db = [w for w in wb if w not in _GENERIC]
    if not da or not db or len(da) != len(db):
        return False
    if len(wa) - len(da) != len(wb) - len(db):  # "X Corridor" vs plain "X": leave apart
        return False
    return all(fuzz.ratio(x, y) >= PLACE_RATIO for x, y in zip(da, db))


def _fuzzy_merges(forms: dict[str, Counter[str]], labels: dict[str, Counter[str]]) -> list[tuple[str, str]]:
    """Pairs (keep, drop) to merge, the more frequent name kept."""
    keys = sorted(forms, key=lambda k: (-sum(forms[k].values()), k))
    kinds = {k: _KIND.get(labels[k].most_common(1)[0][0], "other") for k in keys}
    merged: dict[str, str] = {}
    pairs = []
    for i, a in enumerate(keys):
        if a in merged:
            continue
        for b in keys[i + 1 :]:
            if b in merged:
                continue
            ka, kb = kinds[a], kinds[b]
            if ka == kb == "person":
                same = _same_person(a, b)
            elif {ka, kb} <= {"place", "org"}:
                same = _same_place(a, b)
            else:
                same = False
            if same:
                merged[b] = a
                pairs.append((a, b))
    return pairs


def entity_keys(doc: AnnotatedArticle) -> set[str]:
    """Normalised names an article mentions (for grouping articles by shared names)."""
    aliases = alias_table()
    keys = set()
    for m in doc.mentions:
        if m.label in MAIN_LABELS:
            key = normalise(m.text)
            keys.add(normalise(aliases.get(key, key)))
    return keys - _NOT_NAMES


def canonical_speaker(speaker: str, entities: Sequence[StoryEntity]) -> str:
    """The story's name for a speaker named in one article ("Kirby" -> "John Kirby");
    descriptions of unnamed sources stay as written."""
    key = normalise(speaker)
    for e in entities:
        if e.type == "PERSON" and (normalise(e.name) == key or key in {normalise(a) for a in e.aliases}):
            return e.name
    return speaker
