"""End to end: files in, a briefing out, every citation pointing at its source text."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from chorus.cli import cli
from tests.conftest import EXAMPLES, SEEDS, need

pytestmark = pytest.mark.slow


def plain(text: str) -> str:
    return "".join(" " if c.isspace() else c for c in text)


def brief_json(*paths: str) -> tuple[dict, object]:
    result = CliRunner().invoke(cli, ["brief", *paths, "--format", "json"], catch_exceptions=False)
    return json.loads(result.stdout), result


def source_texts(data: dict) -> dict[str, str]:
    """The source text of each article, read back from the original input."""
    from chorus.read import read_inputs

    by_source = {}
    for a in data["articles"]:
        docs = [d for d in read_inputs([a["path"]], max_bytes=10**8) if getattr(d, "source", None) == a["source"]]
        by_source[a["id"]] = docs[0].text
    return by_source


def check_citations(data: dict) -> int:
    texts = source_texts(data)
    checked = 0
    for story in data["stories"]:
        for sentence in story["summary"]:
            assert sentence["citations"], sentence
            for c in sentence["citations"]:
                assert c["article"] in story["articles"]
                cited = texts[c["article"]][c["start"] : c["end"]]
                assert plain(cited) == sentence["text"], (cited, sentence["text"])
                checked += 1
    return checked


@pytest.fixture(scope="module")
def seeds():
    data, result = brief_json(str(need(SEEDS)))
    assert result.exit_code == 0, result.stderr
    return data


def test_seeds_are_one_story(seeds):
    assert len(seeds["articles"]) == 5
    assert len(seeds["stories"]) == 1
    assert sorted(seeds["stories"][0]["articles"]) == sorted(a["id"] for a in seeds["articles"])


def test_seed_citations_point_at_the_exact_source_sentence(seeds):
    # the original files are the truth: read them straight from disk
    for story in seeds["stories"]:
        for sentence in story["summary"]:
            for c in sentence["citations"]:
                article = next(a for a in seeds["articles"] if a["id"] == c["article"])
                with open(article["path"], encoding="utf-8") as fh:
                    original = fh.read()
                assert plain(original[c["start"] : c["end"]]) == sentence["text"]


def test_seed_summary_is_about_150_words_and_free_of_boilerplate(seeds):
    summary = seeds["stories"][0]["summary"]
    words = sum(len(s["text"].split()) for s in summary)
    assert 100 <= words <= 180
    junk = re.compile(r"REUTERS/|Getty Images|Photo by|Disclaimer|copyright|contributed to this report|What You Need To Know|•|^By ", re.I)
    for s in summary:
        assert not junk.search(s["text"]), s["text"]


def test_seed_briefing_has_the_documented_keys(seeds):
    for a in seeds["articles"]:
        assert {"id", "outlet", "title", "published", "published_source", "path", "url"} <= set(a)
        # the seeds carry no dates: any date is inferred, with its evidence
        assert a["published_source"] in (None, "inferred")
        if a["published_source"] == "inferred":
            assert a["published_evidence"] and (a["published"] or a["published_range"])
    kirby_monday = next(a for a in seeds["articles"] if a["outlet"].startswith("003"))
    # the caption dates the photo Sunday 2024-08-25 and the text says "on Monday": no earlier than the 26th
    assert (kirby_monday["published"] or kirby_monday["published_range"]).startswith("2024-08-26")
    story = seeds["stories"][0]
    assert {"id", "title", "articles", "summary", "entities", "quotes", "claims", "timeline", "framing"} <= set(story)
    kirby = next(e for e in story["entities"] if e["name"] == "John Kirby")
    assert "Kirby" in kirby["aliases"] and len(kirby["articles"]) >= 3
    names = {e["name"] for e in story["entities"]}
    assert not any("REUTERS" in n or n.endswith("'s") for n in names)


def test_example_corpus_gives_two_stories_with_exact_citations():
    data, result = brief_json(str(EXAMPLES))
    assert result.exit_code == 0, result.stderr
    sizes = sorted(len(s["articles"]) for s in data["stories"])
    assert sizes == [2, 6]
    assert check_citations(data) >= 6
    outlets = {a["outlet"] for a in data["articles"]}
    assert "The Northern Ledger" in outlets  # from the HTML page's metadata


def test_markdown_briefing_reads_well_in_a_terminal():
    result = CliRunner().invoke(cli, ["brief", str(EXAMPLES)])
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("# chorus briefing: 2 stories from 8 articles")
    assert "### Summary" in out and "### Main entities" in out
    assert re.search(r"\[\d+:\d+-\d+", out)


def test_html_briefing_is_self_contained_and_escaped(tmp_path):
    page = tmp_path / "evil.txt"
    page.write_text(
        "Council meets <script>alert(1)</script>\n\nThe council met on Monday to discuss the <b>harbor</b> budget for next year.\n"
        "Members said the harbor budget would rise by a tenth next year after a long debate.\n",
        encoding="utf-8",
    )
    out = tmp_path / "b.html"
    result = CliRunner().invoke(cli, ["brief", str(page), "--format", "html", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>harbor</b>" not in html


def test_seed_quotes_have_the_right_speakers_and_exact_pieces(seeds):
    story = seeds["stories"][0]
    paths = {a["id"]: a["path"] for a in seeds["articles"]}

    def speakers(fragment):
        return {q["speaker"] for q in story["quotes"] if fragment in q["text"]}

    assert "John Kirby" in speakers("We need to get down to the brass tacks")
    assert "John Kirby" in speakers("There was not an impact on the talks in Cairo")
    assert speakers("bearing down on the details") == {"Jake Sullivan"}
    assert speakers("supports the bridging proposal") == {"Antony Blinken"}
    assert "Osama Hamdan" in speakers("Israel has set new conditions")
    assert speakers("The Americans are offering promises, not guarantees") == {"the Egyptian official"}
    for q in story["quotes"]:
        with open(paths[q["article"]], encoding="utf-8") as fh:
            original = fh.read()
        assert q["pieces"]
        for a, b in q["pieces"]:
            assert " ".join(original[a:b].split()) in q["text"]


def test_seed_entities_and_timeline(seeds):
    story = seeds["stories"][0]
    by_name = {e["name"]: e for e in story["entities"]}
    philadelphi = [e for e in story["entities"] if "Philadel" in e["name"] or any("Philadel" in a for a in e["aliases"])]
    assert len(philadelphi) == 1 and len(philadelphi[0]["articles"]) == 2
    assert "Kirby" in by_name["John Kirby"]["aliases"]
    sunday = [e for e in story["timeline"] if "ended without agreement" in e["text"] or "no agreement was reached" in e["text"]]
    assert sunday and all(e["date"] == "2024-08-25" for e in sunday)
    assert len({c["article"] for e in sunday for c in e["citations"]}) == 2


def test_seed_claims_disputes_and_framing(seeds):
    story = seeds["stories"][0]
    outlet = {a["id"]: a["outlet"][:3] for a in seeds["articles"]}
    ended = [c for c in story["claims"] if any("ended without agreement" in s["text"] for s in c["support"])]
    assert len(ended) == 1
    assert sorted(outlet[a] for a in ended[0]["sources"]) == ["000", "002"]
    assert ended[0]["independent_sources"] == 1  # both lean on the same Egyptian sources via Reuters
    talks = next(d for d in story["disputes"] if d["kind"] == "contradiction")
    negative, positive = talks["sides"]
    assert any("ended without agreement" in s["text"] for s in negative["support"])
    assert any("not accurate" in s["text"] or "constructive" in s["text"] for s in positive["support"])
    assert "John Kirby" in positive["who"]
    prisoners = next(f for f in story["framing"] if any(v["phrase"] == "terrorist prisoners" for v in f["variants"]))
    assert {"terrorist prisoners", "Palestinian prisoners", "Palestinian detainees", "Palestinian protesters"} <= {
        v["phrase"] for v in prisoners["variants"]
    }
    assert next(v for v in prisoners["variants"] if v["phrase"] == "terrorist prisoners")["loaded"]
