"""Time expressions: each resolution rule on invented sentences, and detection on text."""

from __future__ import annotations

from datetime import date

import pytest

from chorus.nlp.timex import parse_number, resolve, time_label

MONDAY = date(2031, 3, 10)  # a Monday
AUG = date(2024, 8, 26)  # Monday, 26 August 2024


def value(text: str, anchor: date | None, label: str = "DATE", **kw) -> str | None:
    got = resolve(text, label, anchor, **kw)
    return got.value if got else None


# --------------------------------------------------------------------------- weekdays
def test_weekday_equal_to_the_anchor_weekday_is_the_anchor_day():
    # dateparser moves it back a week; news means today
    assert value("Monday", MONDAY) == "2031-03-10"
    assert value("on Monday", MONDAY, tense="past") == "2031-03-10"


def test_bare_weekday_is_the_last_one_in_past_or_unknown_tense():
    assert value("Sunday", MONDAY) == "2031-03-09"
    assert value("Friday", MONDAY, tense="past") == "2031-03-07"


def test_weekday_in_a_future_clause_is_the_next_one():
    assert value("Tuesday", MONDAY, tense="future") == "2031-03-11"
    assert value("Friday", MONDAY, tense="future") == "2031-03-14"


def test_last_and_next_weekday_skip_the_anchor_day():
    assert value("last Monday", MONDAY) == "2031-03-03"
    assert value("next Monday", MONDAY) == "2031-03-17"


def test_weekday_possessive_and_part_of_day():
    assert value("Thursday’s", MONDAY) == "2031-03-06"
    assert value("Wednesday night", MONDAY) == "2031-03-05TNI"


# --------------------------------------------------------------------------- months, weeks, years
def test_earlier_this_month_is_the_anchor_month():
    assert value("earlier this month", AUG) == "2024-08"
    assert value("Earlier this month", date(2031, 1, 3)) == "2031-01"


def test_this_weekend_and_the_weekend():
    friday = date(2024, 8, 23)
    assert value("this weekend", friday) == "2024-W34-WE"
    # "talks are expected to carry on into the weekend" (future) on a Friday
    assert value("the weekend", friday, tense="future") == "2024-W34-WE"
    # on a Monday, "over the weekend" (past) is the one just gone
    assert value("the weekend", AUG, tense="past") == "2024-W34-WE"
    assert value("last weekend", date(2024, 8, 28)) == "2024-W34-WE"


def test_last_month_name_is_the_previous_one():
    assert value("last October", AUG) == "2023-10"
    assert value("last May", AUG) == "2024-05"
    assert value("next March", AUG) == "2025-03"


def test_month_without_year():
    assert value("in May", AUG) == "2024-05"
    assert value("May", AUG, tense="past") == "2024-05"
    assert value("November", AUG, tense="past") == "2023-11"
    assert value("November", AUG, tense="future") == "2024-11"


def test_ago_keeps_the_grain_of_its_unit():
    assert value("three months ago", AUG) == "2024-05"
    assert value("two years ago", AUG) == "2022"
    assert value("ten days ago", AUG) == "2024-08-16"
    assert value("two weeks ago", AUG) == "2024-W33"


def test_relative_weeks_months_years_quarters():
    assert value("last week", AUG) == "2024-W34"
    assert value("this week", AUG) == "2024-W35"
    assert value("last month", AUG) == "2024-07"
    assert value("next year", AUG) == "2025"
    assert value("the third quarter", date(1989, 11, 2)) == "1989-Q3"
    assert value("third-quarter", date(1989, 11, 2)) == "1989-Q3"
    assert value("the latest quarter", date(1989, 11, 2)) == "1989-Q3"


def test_a_year_earlier_follows_the_quarter_just_mentioned():
    assert value("a year earlier", date(1989, 11, 2), reference="1989-Q3") == "1988-Q3"
    assert value("a year earlier", date(1989, 11, 2)) == "1988"


def test_month_day_picks_the_nearest_year_and_a_weekday_fixes_it():
    assert value("Nov. 25", date(2000, 1, 15)) == "1999-11-25"
    assert value("Dec. 15", date(1989, 11, 2)) == "1989-12-15"
    assert value("Saturday, April 25", date(1998, 4, 24), tense="past") == "1998-04-25"


# --------------------------------------------------------------------------- absolute, no anchor
def test_absolute_dates_resolve_without_an_anchor():
    assert value("August 25, 2024", None) == "2024-08-25"
    assert value("25 August 2024", None) == "2024-08-25"
    assert value("March 2019", None) == "2019-03"
    assert value("1998", None) == "1998"
    assert value("nineteen ninety-six", None) == "1996"
    assert value("the 1980s", None) == "198"


def test_relative_expressions_need_an_anchor():
    for text in ("Monday", "July 2", "last week", "three months ago", "earlier this month", "today"):
        assert resolve(text, "DATE", None) is None, text


# --------------------------------------------------------------------------- durations, sets, references
def test_durations():
    assert value("three months", None, "DURATION") == "P3M"
    assert value("the past two years", None, "DURATION") == "P2Y"
    assert value("nearly two hours", None, "DURATION") == "PT2H"
    assert value("2 1/2 years", None, "DURATION") == "P2Y6M"
    assert value("a minute and a half", None, "DURATION") == "PT1M30S"
    assert value("several weeks", None, "DURATION") == "PXW"
    assert value("six-week", None, "DURATION") == "P6W"


def test_sets_and_references():
    assert value("daily", None, "SET") == "P1D"
    assert value("every Monday", None, "SET") == "XXXX-WXX-1"
    assert value("now", None) == "PRESENT_REF"
    assert value("recently", None) == "PAST_REF"
    assert value("the near future", None) == "FUTURE_REF"


def test_times_of_day():
    assert value("5 p.m. EST Nov. 9", date(1989, 11, 2)) == "1989-11-09T17:00"
    assert value("this morning", AUG) == "2024-08-26TMO"
    assert value("tonight", AUG) == "2024-08-26TNI"
    assert value("yesterday", AUG) == "2024-08-25"


def test_labels():
    assert time_label("three months") == "DURATION"
    assert time_label("three months ago") == "DATE"
    assert time_label("every Thursday") == "SET"
    assert time_label("6:30 p.m.") == "TIME"
    assert time_label("last October") == "DATE"


def test_number_words():
    assert parse_number("twenty-four") == 24
    assert parse_number("a few") == "X"
    assert parse_number("1 1/2") == 1.5
    assert parse_number("a two") == 2  # "a two day visit"


# --------------------------------------------------------------------------- detection (model)
STORY = (
    "Harbor talks resume in Vessby\n\n"
    "Negotiators met on Thursday and will meet again on Tuesday, the union said. "
    "Thursday’s session ran for nearly four hours. "
    "The union has fought the nearly 11-month-old dispute since last October, and a pause would last six weeks.\n\n"
    "One of the mediators, a 52-year-old lawyer, said earlier this month that talks ended three months ago. "
    "Talks could carry on over the weekend."
)


@pytest.mark.slow
def test_find_times_repairs_spacy_and_maps_to_source(nlp):
    from chorus.clean import clean
    from chorus.nlp.annotate import annotate
    from chorus.models import RawDocument
    from chorus.nlp.timex import find_times

    article = clean(RawDocument(source="harbor.txt", text=STORY, kind="text"))
    doc = next(annotate([article], nlp))
    times = find_times(article, nlp(article.text), [s.start for s in doc.sentences])
    assert [t.text for t in times] == [
        "Thursday", "Tuesday", "Thursday", "nearly four hours", "last October", "six weeks",
        "earlier this month", "three months ago", "the weekend",
    ]  # fmt: skip
    found = {t.text: t for t in times}
    possessive = times[2]
    assert article.text[possessive.end] == "’"  # "Thursday’s session", without the "’s"
    assert found["six weeks"].label == "DURATION"  # not "last six weeks": "last" is the verb
    assert found["nearly four hours"].label == "DURATION"
    # not found: the age "nearly 11-month-old", "One of", "52-year-old"
    for t in times:
        assert article.source_text[t.orig_start : t.orig_end] == t.text
        sentence = doc.sentences[t.sentence]
        assert sentence.start <= t.start < sentence.end


@pytest.mark.slow
def test_an_end_point_of_something_still_going_on_lies_ahead(nlp):
    from chorus.nlp.timex import tense_at

    def tense(text: str, word: str) -> str | None:
        i = text.index(word)
        return tense_at(nlp(text), i, i + len(word))

    # present tense + "through/until": the coming Sunday, not the one just past
    assert tense("The talks continue through Sunday in the capital.", "Sunday") == "future"
    assert tense("The truce holds until Friday, officials say.", "Friday") == "future"
    assert value("Sunday", MONDAY, tense=tense("The talks continue through Sunday.", "Sunday")) == "2031-03-16"
    # a past clause keeps its past end point
    assert tense("Negotiators stayed until Sunday.", "Sunday") == "past"
