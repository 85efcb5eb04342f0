"""The sources file of `chorus watch`: parsing, bad entries, editing in place."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from chorus.errors import ChorusError
from chorus.watch.sources import Defaults, Source, add_source, load_sources, parse_duration, parse_sources, remove_source

GOOD = """
# my sources
[defaults]
interval = "10m"
per_host_delay_s = 2
user_agent = "chorus-test/1"

[[source]]
name = "meridal"
url = "https://news.example.org/world/rss.xml"
outlet = "Meridal Times"

# a sitemap, polled hourly
[[source]]
url = "https://other.example.org/sitemap.xml"
kind = "sitemap"
interval = "1h"
"""


def test_parse_defaults_and_sources():
    sf = parse_sources(GOOD)
    assert sf.problems == ()
    assert sf.defaults.interval_s == 600 and sf.defaults.per_host_delay_s == 2.0 and sf.defaults.user_agent == "chorus-test/1"
    assert sf.defaults.timeout_s == Defaults().timeout_s  # not given: the default
    first, second = sf.sources
    assert (first.name, first.kind, first.interval_s, first.outlet) == ("meridal", "feed", 600, "Meridal Times")
    assert second.name == "other.example.org-sitemap" and second.kind == "sitemap" and second.interval_s == 3600


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ('url = "ftp://x.example.org/feed"', "is not an http(s) URL"),
        ('name = "x"', "url is missing"),
        ('url = "https://x.example.org/f"\nkind = "podcast"', "kind 'podcast' is not one of feed, sitemap, page"),
        ('url = "https://x.example.org/f"\ninterval = "soon"', "is not a duration"),
        ('url = "https://x.example.org/f"\nfrequency = "1h"', "unknown key(s) frequency"),
        ('url = "https://x.example.org/f"\nenabled = "yes"', "enabled must be true or false"),
        ('name = "meridal"\nurl = "https://x.example.org/f"', "name 'meridal' is already used by source 1"),
    ],
)
def test_a_bad_entry_is_skipped_with_a_reason_naming_it(entry, reason):
    sf = parse_sources(GOOD + "\n[[source]]\n" + entry + "\n", Path("watch.toml"))
    assert [s.name for s in sf.sources] == ["meridal", "other.example.org-sitemap"]  # the good ones still count
    (problem,) = sf.problems
    assert problem.startswith("watch.toml: source 3") and reason in problem and "\n" not in problem


def test_file_level_problems_raise_one_line():
    with pytest.raises(ChorusError, match="not valid TOML"):
        parse_sources("[[source]\n")
    with pytest.raises(ChorusError, match=r"\[defaults\]: unknown key\(s\) speed"):
        parse_sources("[defaults]\nspeed = 3\n")
    with pytest.raises(ChorusError, match="per_host_concurrency must be a whole number"):
        parse_sources("[defaults]\nper_host_concurrency = 0\n")
    with pytest.raises(ChorusError, match="no such sources file"):
        load_sources(Path("/nonexistent/watch.toml"))


def test_durations():
    assert parse_duration("90s") == 90 and parse_duration("15m") == 900 and parse_duration("1h30m") == 5400
    assert parse_duration(2.5) == 2.5
    with pytest.raises(ValueError):
        parse_duration("0s")


def test_add_and_remove_keep_comments_and_the_other_entries(tmp_path):
    path = tmp_path / "watch.toml"
    path.write_text(GOOD, encoding="utf-8")
    add_source(path, Source("late", "https://late.example.org/feed", "feed", 120.0, 'The "Late" Post'))
    text = path.read_text(encoding="utf-8")
    assert "# my sources" in text and "# a sitemap, polled hourly" in text
    sf = load_sources(path)
    assert [s.name for s in sf.sources] == ["meridal", "other.example.org-sitemap", "late"]
    assert sf.sources[-1].outlet == 'The "Late" Post' and sf.sources[-1].interval_s == 120
    with pytest.raises(ChorusError, match="already listed"):
        add_source(path, Source("again", "https://late.example.org/feed"))
    removed = remove_source(path, "https://news.example.org/world/rss.xml")  # by URL
    assert removed.name == "meridal"
    text = path.read_text(encoding="utf-8")
    assert "# my sources" in text and "# a sitemap, polled hourly" in text and "meridal" not in text
    remove_source(path, "late")  # by name
    assert [s.name for s in load_sources(path).sources] == ["other.example.org-sitemap"]
    tomllib.loads(path.read_text(encoding="utf-8"))  # still plain TOML
    with pytest.raises(ChorusError, match="no source named 'late'"):
        remove_source(path, "late")
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temp file behind


def test_add_creates_the_file(tmp_path):
    path = tmp_path / "new.toml"
    add_source(path, Source("one", "https://one.example.org/rss"))
    assert [s.url for s in load_sources(path).sources] == ["https://one.example.org/rss"]
