"""The extractive summary an editor reads: within budget, no repeats, readable
sentences only, boosted sentences preferred, every copy cited. Invented stories; the
sentences are split by a plain rule so that no spaCy model is needed."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from chorus.analyze.summary import SummaryOptions, summarize
from chorus.clean import clean
from chorus.models import AnnotatedArticle, Article, Mention, RawDocument, Sentence

PEOPLE = ("Ruth Okafor", "Okafor", "Daniel Voss")
_SPLIT = re.compile(r"(?<=[.!?])(?:[\"”]|'')?\s+(?=[\"“`A-Z])")


def annotated(text: str, source: str) -> AnnotatedArticle:
    """Clean ``text`` with chorus and split its paragraphs into sentences by a plain
    rule; names in PEOPLE become PERSON mentions."""
    article = clean(RawDocument(source=source, text=text, kind="text", title=f"Report {source}"))
    assert isinstance(article, Article)
    sentences, mentions = [], []
    pos = 0
    for p, para in enumerate(article.text.split("\n\n")):
        start = article.text.index(para, pos)
        pos = start + len(para)
        cuts = [0] + [m.end() for m in _SPLIT.finditer(para)] + [len(para)]
        for a, b in zip(cuts, cuts[1:]):
            chunk = para[a:b].strip()
            if not chunk:
                continue
            s0 = start + a + para[a:b].index(chunk)
            s1 = s0 + len(chunk)
            o0, o1 = article.offsets.to_original(s0, s1)
            sentences.append(Sentence(len(sentences), p, s0, s1, o0, o1, article.offsets.is_contiguous(s0, s1)))
    for s in sentences:
        taken: list[tuple[int, int]] = []
        for name in PEOPLE:
            for m in re.finditer(re.escape(name), article.text[s.start : s.end]):
                a, b = s.start + m.start(), s.start + m.end()
                if any(x <= a < y for x, y in taken):
                    continue
                taken.append((a, b))
                o0, o1 = article.offsets.to_original(a, b)
                mentions.append(Mention(name, "PERSON", a, b, o0, o1, s.index))
    return AnnotatedArticle(article, tuple(sentences), tuple(mentions))


LEAD = "The Tamsin River burst its banks in Eastvale on Tuesday, flooding more than 300 homes in the low town."
BOATS = "Rescue crews used boats to reach families trapped on upper floors of the flooded homes."
BOATS_AGAIN = "Rescue crews used boats on Tuesday to reach families trapped on upper floors of flooded homes near the mill."
BARE = '"The water came up through the floorboards of the homes in minutes on Tuesday in Eastvale."'
BARE_WIRE = "``The Tamsin River burst its banks in minutes and flooded the homes in the low town.''"
DANGLING = "On Tuesday, she asked the army to send more trucks and boats to the flooded homes in Eastvale."
RAIN = "Three days of heavy rain had swollen the Tamsin River, the regional weather office said."
SHELTERS = "Mayor Ruth Okafor said the emergency shelters in Eastvale were full by nightfall on Tuesday."
SCHOOLS = "Schools in Eastvale will stay closed for the rest of the week while engineers inspect the old stone bridge."
BRIDGE = "Engineers will inspect the old stone bridge over the Tamsin River before it reopens to traffic."

STORY = [
    f"Flood photo: a flooded street in Eastvale\n\n{LEAD}\n\n{BARE}\n\n{SHELTERS}\n\n{BOATS}\n\n{RAIN}",
    f"{LEAD}\n\n{BOATS}\n\n{DANGLING}\n\n{BARE}\n\n{SCHOOLS}",
    f"{BARE_WIRE}\n\n{SHELTERS} Okafor asked the army for more boats.\n\n{BOATS_AGAIN}\n\n{BRIDGE}\n\n{DANGLING}",
    f"{LEAD}\n\n{BARE}\n\n{BARE_WIRE}\n\n{RAIN}\n\n{BOATS_AGAIN} {BRIDGE}",
    f"{DANGLING}\n\n{BOATS}\n\n{BARE_WIRE}\n\n{SCHOOLS}\n\n{SHELTERS}",
]


def story() -> list[AnnotatedArticle]:
    return [annotated(text, f"report-{i}.txt") for i, text in enumerate(STORY)]


def words(summary) -> int:
    return sum(len(s.text.split()) for s in summary)


def test_summary_keeps_the_word_budget_and_uses_it():
    docs = story()
    for budget in (20, 40, 70):
        summary = summarize(docs, SummaryOptions(words=budget))
        assert summary, budget
        assert words(summary) <= budget
    # a budget that holds every distinct readable sentence is not left mostly empty
    assert words(summarize(docs, SummaryOptions(words=150))) >= 60


def test_no_two_near_identical_sentences():
    summary = summarize(story(), SummaryOptions(words=150))
    texts = [s.text for s in summary]
    assert len(set(texts)) == len(texts)
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            assert fuzz.token_set_ratio(a, b) < 85, (a, b)


def test_bare_quotations_and_dangling_pronouns_are_never_chosen():
    summary = summarize(story(), SummaryOptions(words=150))
    texts = [s.text for s in summary]
    assert BARE not in texts and BARE_WIRE not in texts  # quoted, nobody saying it
    assert DANGLING not in texts  # "she": who?
    assert not any(t.startswith("Flood photo") for t in texts)  # the caption is not article text


def test_boosted_sentence_is_preferred():
    docs = story()
    options = SummaryOptions(words=40)
    plain = [s.text for s in summarize(docs, options)]
    assert SCHOOLS not in plain  # one article's detail loses to what several report
    where = next((d.id, s.index) for d in docs for s in d.sentences if d.sentence_text(s) == SCHOOLS)
    boosted = summarize(docs, options, boost={where: 2.0})
    assert SCHOOLS in [s.text for s in boosted]
    assert words(boosted) <= 40


def test_text_is_the_sentence_and_every_verbatim_copy_is_cited():
    docs = story()
    by_id = {d.id: d for d in docs}
    summary = summarize(docs, SummaryOptions(words=60))
    assert any(len(s.citations) >= 2 for s in summary)
    for s in summary:
        carriers = {d.id for d in docs for x in d.sentences if d.sentence_text(x) == s.text}
        assert {c.article for c in s.citations} == carriers
        assert len(s.citations) == len(carriers)  # one citation per article
        first = s.citations[0]
        own = by_id[first.article]
        sentence = next(x for x in own.sentences if x.orig_start == first.start)
        assert own.sentence_text(sentence) == s.text  # the first citation is its own span
        for c in s.citations:
            assert by_id[c.article].article.source_text[c.start : c.end] == s.text


def test_boost_on_a_verbatim_copy_counts_for_the_sentence():
    docs = story()
    plain = [s.text for s in summarize(docs, SummaryOptions(words=20))]
    assert RAIN not in plain
    # RAIN is carried by two articles; boosting the copy in the second one is enough
    copies = [(d.id, s.index) for d in docs for s in d.sentences if d.sentence_text(s) == RAIN]
    assert len(copies) == 2
    boosted = summarize(docs, SummaryOptions(words=20), boost={copies[1]: 3.0})
    assert [s.text for s in boosted] == [RAIN]


def test_single_article_and_empty_input():
    one = annotated(f"{LEAD}\n\n{SHELTERS}\n\n{BOATS}\n\n{RAIN}\n\n{SCHOOLS}", "only.txt")
    summary = summarize([one], SummaryOptions(words=40))
    assert summary and words(summary) <= 40
    assert summarize([], SummaryOptions()) == []


def test_a_story_of_short_items_still_gets_readable_sentences():
    short = annotated(
        'Ferry aground off Norrvik.\n\nAll passengers safe.\n\n"We were lucky."\n\nPier closed until Friday.', "brief.txt"
    )
    summary = summarize([short], SummaryOptions(words=8))
    texts = [s.text for s in summary]
    assert texts and words(summary) <= 8
    assert '"We were lucky."' not in texts  # the quotation rules are never relaxed
