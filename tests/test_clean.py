"""The cleaner: what an editor would not call the article goes, the map back stays exact."""

from __future__ import annotations

import pytest

from chorus.clean import clean, split_paragraphs
from chorus.models import RawDocument, Rejected


def plain(text: str) -> str:
    return "".join(" " if c.isspace() else c for c in text)


def run(text: str, **meta) -> object:
    return clean(RawDocument(source="t.txt", text=text, kind="text", outlet=meta.pop("outlet", "t"), **meta))


def assert_map_exact(article) -> None:
    """Every kept character maps to the same character of the source."""
    for cs, os_, n in article.offsets.pieces:
        assert article.text[cs : cs + n] == plain(article.source_text[os_ : os_ + n])


CAPTION_GLUED = (
    "Mara Lindqvist\n"
    "Mara LindqvistREUTERS/Oskar Tamm\n"
    "\n"
    "Port authority chief Mara Lindqvist said on Tuesday that the strike at the northern terminal would end by Friday.\n"
    "\n"
    "Dockworkers walked out last week over pay.\n"
)


def test_caption_glued_to_title_is_removed_and_title_comes_from_the_lede():
    a = run(CAPTION_GLUED)
    assert "REUTERS" not in a.text and not a.text.startswith("Mara Lindqvist\n")
    assert a.text.startswith("Port authority chief Mara Lindqvist said")
    assert a.title_source == "first-sentence"
    assert a.title.startswith("Port authority chief Mara Lindqvist said on Tuesday")
    kinds = {r.kind: r.text for r in a.removed}
    assert kinds["credit"] == "Mara LindqvistREUTERS/Oskar Tamm"
    assert kinds["caption"] == "Mara Lindqvist"
    assert_map_exact(a)


def test_caption_paragraph_ending_in_getty_credit_is_removed_but_kept_as_evidence():
    text = (
        "Ferry service resumes after storm\n\n"
        "Ferries between the islands resumed on Monday after a three-day halt.\n\n"
        "Passengers queue at the harbor in Vessby on March 3, 2025. The operator said service... "
        "Passengers queue at the harbor in Vessby on March 3, 2025. The operator said service would resume. "
        "Photo by ANNA BERG/AFP via Getty Images\n\n"
        "The operator said all routes would run on a normal timetable by Wednesday.\n"
    )
    a = run(text)
    assert "Getty" not in a.text and "Passengers queue" not in a.text
    caption = [r for r in a.removed if r.kind == "caption"]
    assert len(caption) == 1 and "March 3, 2025" in caption[0].text
    assert a.title == "Ferry service resumes after storm" and a.title_source == "first-line"


def test_near_miss_a_sentence_that_mentions_a_photo_is_kept():
    a = run("Council votes on budget\n\nThe council said a photo of the meeting was shared online by a member.\n\nThe vote passed.\n")
    assert "photo of the meeting" in a.text


def test_disclaimer_contributor_byline_and_stray_character_are_removed():
    text = (
        "Rail strike called off\n\n"
        "By Valley Courier Staff\n\n"
        "Union leaders called off Thursday's rail strike after a late offer from operators.\n\n"
        "The Associated Press contributed to this report.\n\n"
        "Disclaimer: The copyright of this article belongs to the original author. Reposting is for information only.\n"
        ">\n"
    )
    a = run(text)
    assert a.text == "Union leaders called off Thursday's rail strike after a late offer from operators."
    assert {r.kind for r in a.removed} == {"title", "byline", "contributor", "disclaimer", "stray"}
    assert a.author == "Valley Courier Staff"


def test_near_miss_a_sentence_starting_with_by_is_kept():
    a = run("Headline here\n\nBy the end of the week, the river had fallen two meters below its peak level.\n")
    assert a.text.startswith("By the end of the week")


BULLETS = (
    "Talks on the river treaty resume\n\n"
    "Negotiators from both states met in Harwick on Monday to restart talks on the river treaty.\n\n"
    "What You Need To Know\n\n"
    "  • Negotiators from both states met in Harwick on Monday to restart talks on the river treaty\n\n"
    "  • The treaty sets how much water each side may draw in summer\n\n"
    "The treaty sets how much water each side may draw in summer, officials said.\n\n"
    "A first draft is expected by May.\n"
)


def test_bullet_box_repeating_the_body_is_removed():
    a = run(BULLETS)
    assert "What You Need To Know" not in a.text and "•" not in a.text
    assert a.text.count("Negotiators from both states met") == 1
    assert sum(r.kind == "bullet_box" for r in a.removed) == 3


def test_bullets_that_add_new_facts_are_kept_without_the_bullet_mark():
    text = "Road closures\n\nTwo roads are closed.\n\n• Main Street is closed until noon on Sunday for a parade\n• River Road reopens next month after repairs\n"
    a = run(text)
    assert "Main Street is closed until noon" in a.text
    assert "•" not in a.text
    assert_map_exact(a)


def test_metadata_title_repeated_as_first_paragraph_is_dropped_from_the_body():
    a = run("Harbor reopens\n\nThe harbor reopened on Monday.\n", title="Harbor reopens")
    assert a.text == "The harbor reopened on Monday." and a.title_source == "metadata"


def test_hard_wrapped_lines_join_into_one_paragraph_with_an_exact_map():
    text = "Mill closes\n\nThe old paper mill in Carrow will close next spring after ninety\nyears, its owners said on Tuesday, citing the falling price of pulp.\r\n\r\nWorkers were told on Monday.\n"
    paragraphs = split_paragraphs(text)
    assert [p.text for p in paragraphs][1].startswith("The old paper mill") and len(paragraphs) == 3
    a = run(text)
    assert "ninety years, its owners" in a.text
    assert_map_exact(a)


def test_nothing_left_is_rejected_with_a_reason():
    r = run("Disclaimer: The copyright of this article belongs to the original author.\n")
    assert isinstance(r, Rejected)
    assert r.reason == "no article text left after cleaning (removed: disclaimer)"


def test_same_text_same_outlet_same_id_and_other_outlet_other_id():
    a, b, c = run(BULLETS), run(BULLETS), run(BULLETS, outlet="other")
    assert a.id == b.id and a.id != c.id


def test_offset_map_spans_map_back_through_removed_text():
    a = run(CAPTION_GLUED)
    first = a.text.index("Dockworkers")
    start, end = a.offsets.to_original(first, first + len("Dockworkers"))
    assert a.source_text[start:end] == "Dockworkers"
    with pytest.raises(ValueError):
        a.offsets.to_original(5, 5)


def test_nul_characters_become_replacement_characters_at_the_same_offsets() -> None:
    text = "Pier reopens\n\nThe harbour authority said the north\x00pier would reopen in May after repairs to its deck."
    article = clean(RawDocument("feed.jsonl:3", text, "json", title="Pier\x00reopens", outlet="Velmora\x00Post"))
    assert "\x00" not in article.source_text + article.text + article.title + article.outlet
    at = text.index("\x00")
    assert len(article.source_text) == len(text) and article.source_text[at] == "\ufffd"
    assert article.title == "Pier\ufffdreopens" and article.outlet == "Velmora\ufffdPost"


@pytest.mark.parametrize(
    "first, title",
    [
        # the dateline is where the report was filed, not what it says
        ("RIO DE JANEIRO, Brazil (AP) _ Voters in Norrhaven re-elected the mayor on Sunday.", "Voters in Norrhaven re-elected the mayor on Sunday."),
        ("KESSARIN (Reuters) - Rescuers reached the village on Monday.", "Rescuers reached the village on Monday."),
        ("MIRENHOLT, Oct 17 (Reuters) - The port reopened on Tuesday.", "The port reopened on Tuesday."),
        ("NEW YORK _ Anyone following the U.S. Senate race knows Sen. Ada Roth is ahead.", "Anyone following the U.S. Senate race knows Sen. Ada Roth is ahead."),
        ("The talks resume Oct. 7 in Cairo, Dr. Lena Voss said.", "The talks resume Oct. 7 in Cairo, Dr. Lena Voss said."),
        # not datelines: a capitalised subject before a dash, a short remainder
        ("US, UK and France — the three allies — agreed on Monday to talk.", "US, UK and France — the three allies — agreed on Monday to talk."),
        ("NATO said on Monday it would act.", "NATO said on Monday it would act."),
    ],
)
def test_a_title_made_from_the_first_sentence_leaves_the_dateline_out(first, title):
    a = run(f"{first} More followed.\n\nA second paragraph adds detail to the report.\n")
    assert a.title_source == "first-sentence"
    assert a.title == title
    assert a.text.startswith(first)  # the text keeps its dateline: only the title drops it
