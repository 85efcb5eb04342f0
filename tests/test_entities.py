"""Story entities: one entity per real-world thing, with the names it goes by."""

from __future__ import annotations

from chorus.analyze.entities import story_entities
from chorus.models import AnnotatedArticle, Article, Mention, OffsetMap
from chorus.nlp.annotate import clean_name


def doc(aid: str, *mentions: tuple[str, str]) -> AnnotatedArticle:
    text = " ".join(m for m, _ in mentions)
    article = Article(
        id=aid, content_hash=aid * 4, source=aid, kind="text", outlet=aid, title=aid, title_source="metadata",
        source_text=text, text=text, offsets=OffsetMap(((0, 0, len(text)),)),
    )  # fmt: skip
    ms, pos = [], 0
    for name, label in mentions:
        ms.append(Mention(name, label, pos, pos + len(name), pos, pos + len(name), 0))
        pos += len(name) + 1
    return AnnotatedArticle(article, (), tuple(ms))


def by_name(entities):
    return {e.name: e for e in entities}


def test_surname_joins_the_one_full_name_and_counts_articles():
    ents = by_name(story_entities([doc("a", ("John Kirby", "PERSON"), ("Kirby", "PERSON")), doc("b", ("Kirby", "PERSON"))]))
    assert ents["John Kirby"].aliases == ("Kirby",)
    assert ents["John Kirby"].articles == ("a", "b") and ents["John Kirby"].mentions == 3


def test_two_people_sharing_a_surname_stay_apart_and_the_bare_surname_stays_unresolved():
    ents = by_name(story_entities([doc("a", ("John Kirby", "PERSON"), ("Jane Kirby", "PERSON"), ("Kirby", "PERSON"))]))
    assert {"John Kirby", "Jane Kirby", "Kirby"} <= set(ents)
    assert ents["John Kirby"].aliases == ()


def test_misspelt_place_joins_its_variant_under_the_fuller_spelling():
    ents = by_name(story_entities([doc("a", ("Philadelphi Corridor", "GPE")), doc("b", ("Philadelhi Route", "ORG"))]))
    assert "Philadelphi Corridor" in ents and ents["Philadelphi Corridor"].aliases == ("Philadelhi Route",)


def test_different_places_with_a_shared_word_stay_apart():
    ents = by_name(story_entities([doc("a", ("Gaza City", "GPE"), ("Gaza Strip", "GPE"), ("Gaza", "GPE"))]))
    assert {"Gaza City", "Gaza Strip", "Gaza"} <= set(ents)


def test_country_abbreviations_are_one_entity():
    ents = by_name(story_entities([doc("a", ("U.S.", "GPE"), ("United States", "GPE")), doc("b", ("US", "GPE"))]))
    us = ents["United States"]
    assert set(us.aliases) == {"U.S.", "US"} and us.articles == ("a", "b")


def test_mislabelled_lone_surname_joins_only_where_the_article_names_the_person():
    same = by_name(story_entities([doc("a", ("Helena Brask", "PERSON"), ("Brask", "GPE"))]))
    assert same["Helena Brask"].aliases == ("Brask",)
    apart = by_name(story_entities([doc("a", ("Michael Jordan", "PERSON")), doc("b", ("Jordan", "GPE"))]))
    assert "Jordan" in apart


def test_names_lose_possessives_and_glued_photo_credits():
    for raw, name in [("Joe Biden's", "Joe Biden"), ("John KirbyREUTERS", "John Kirby"), ("the U.S.", "U.S."), ("Israel’s", "Israel")]:
        a, b = clean_name(raw)
        assert raw[a:b] == name
