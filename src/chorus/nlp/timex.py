"""Time expressions: find them in a parsed article, and resolve them to TimeML values.

Detection (:func:`find_times`, :func:`detect`) needs no date: it starts from spaCy's
DATE/TIME entities and repairs their known faults (ages such as "6-year-old", bare
numbers, "last" the verb, possessives, "the quarter ended Sept. 30" run together) and
adds what the tagger misses ("now", "currently", "daily", "Thursday's", holidays...).

Resolution (:func:`resolve`) needs an anchor (the publication date) for anything
relative. It is rule based, in the manner of HeidelTime: ``dateparser`` alone scores a
value F1 of 0.33 on TimeBank + AQUAINT (it has no quarters, weeks, weekends, seasons,
durations, sets or PRESENT_REF, moves a weekday equal to the anchor's back a week and
ignores tense), so the rules below come first and dateparser is the fallback for
absolute dates in formats the rules do not know ("12/5/97"). ``chorus eval time``
measures the difference.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from spacy.tokens import Doc, Token

from chorus.models import Article, TimeMention

__all__ = ["Detected", "Resolved", "detect", "find_times", "resolve", "resolve_in_doc", "tense_at", "time_label"]


@dataclass(frozen=True)
class Resolved:
    """A TimeML value ("2024-08-25", "2024-W34", "P3M", "PRESENT_REF"...) and its grain."""

    value: str
    granularity: str  # day | month | year | week | weekend | quarter | half | season | decade | century | time | duration | set | ref


@dataclass(frozen=True)
class Detected:
    """A time expression found in a Doc (character offsets into ``doc.text``)."""

    start: int
    end: int
    label: str  # DATE | TIME | DURATION | SET
    text: str


# --------------------------------------------------------------------------- lexicon
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}  # fmt: skip
_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_RE = (
    r"(?P<month>january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?"
)
_WEEKDAY_RE = r"(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)\.?"
_PART_OF_DAY = {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI", "tonight": "NI", "overnight": "NI"}
_SEASONS = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}
_SEASON_MONTH = {"SP": 4, "SU": 7, "FA": 10, "WI": 1}  # a month inside each season, for ordering
# unit -> (TimeML letter, is a time-of-day unit (PT...), granularity of "N units ago")
_UNITS = {
    "second": ("S", True), "sec": ("S", True), "minute": ("M", True), "min": ("M", True),
    "hour": ("H", True), "hr": ("H", True), "day": ("D", False), "night": ("D", False),
    "week": ("W", False), "fortnight": ("W", False), "month": ("M", False), "quarter": ("Q", False),
    "year": ("Y", False), "yr": ("Y", False), "decade": ("E", False), "century": ("C", False),
    "millennium": ("L", False), "weekend": ("WE", False),
}  # fmt: skip
_UNIT_RE = (
    r"(?P<unit>seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|fortnights?|months?|quarters?|"
    r"years?|yrs?|decades?|century|centuries|millennium|millennia|weekends?)"
)
_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "a": 1, "an": 1, "single": 1,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_VAGUE = {"few", "a few", "several", "many", "some", "a number of", "numerous", "multiple", "countless", "a couple of more"}
_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5,
    "5th": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12,
    "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17,
    "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "twenty-first": 21,
}  # fmt: skip
_NUMBER_WORD = r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|dozen|half|and|a|an|single|couple|of)"
_NUM_RE = (
    r"(?P<num>\d+(?:[.,]\d+)?(?:\s+\d/\d)?|\d/\d|(?:a\s+)?(?:few|couple(?:\s+of)?|dozen|half(?:\s+an?)?)|several|many|some|a\s+number\s+of|numerous|multiple|"
    + _NUMBER_WORD
    + r"(?:[\s-]+"
    + _NUMBER_WORD
    + r")*)"
)
_HOLIDAYS: dict[str, Callable[[int], date]] = {
    "christmas eve": lambda y: date(y, 12, 24),
    "christmas day": lambda y: date(y, 12, 25),
    "christmas": lambda y: date(y, 12, 25),
    "new year's eve": lambda y: date(y, 12, 31),
    "new year's day": lambda y: date(y, 1, 1),
    "valentine's day": lambda y: date(y, 2, 14),
    "independence day": lambda y: date(y, 7, 4),
    "the fourth of july": lambda y: date(y, 7, 4),
    "fourth of july": lambda y: date(y, 7, 4),
    "july fourth": lambda y: date(y, 7, 4),
    "halloween": lambda y: date(y, 10, 31),
    "veterans day": lambda y: date(y, 11, 11),
    "thanksgiving day": lambda y: _nth_weekday(y, 11, 3, 4),
    "thanksgiving": lambda y: _nth_weekday(y, 11, 3, 4),
    "labor day": lambda y: _nth_weekday(y, 9, 0, 1),
    "memorial day": lambda y: _nth_weekday(y, 5, 0, -1),
    "election day": lambda y: _nth_weekday(y, 11, 0, 1) + timedelta(days=1),
}


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() - weekday) % 7)


# --------------------------------------------------------------------------- numbers
def parse_number(text: str) -> float | str | None:
    """'24', 'twenty-four', 'a', 'one and a half', '1 1/2' -> number; 'several' -> 'X'.

    Hand-written because the few English number-word packages on PyPI do not handle
    the vague quantities ("a few", "several") that TimeML maps to X."""
    t = text.strip().lower().replace("-", " ")
    t = re.sub(r"\s+", " ", t)
    if t in _VAGUE:
        return "X"
    if re.fullmatch(r"an? (?:\w+ )*(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|\w+ty)(?: \w+)*", t) and not re.search(r"hundred|thousand|dozen|half", t):
        t = t.split(" ", 1)[1]  # "a two day trip": the article is not a number
    if t in {"a couple", "a couple of", "couple", "couple of"}:
        return 2
    if re.fullmatch(r"\d+(?:,\d{3})*(?:\.\d+)?", t):
        return float(t.replace(",", ""))
    m = re.fullmatch(r"(\d+)\s+(\d)/(\d)", t)
    if m:
        return int(m.group(1)) + int(m.group(2)) / int(m.group(3))
    m = re.fullmatch(r"(\d)/(\d)", t)
    if m:
        return int(m.group(1)) / int(m.group(2))
    if t in {"half", "half a", "half an", "a half"}:
        return 0.5
    if t in {"a dozen", "dozen"}:
        return 12
    words = t.replace(" and a half", " +half").split()
    total, current, seen = 0.0, 0.0, False
    for w in words:
        if w == "+half":
            current += 0.5
        elif w in _SMALL:
            current += _SMALL[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w == "thousand":
            total += (current or 1) * 1000
            current = 0
        elif w == "dozen":
            current = (current or 1) * 12
        elif w in {"and", "of"}:
            continue
        else:
            return None
        seen = True
    return total + current if seen else None


def _spoken_year(text: str) -> int | None:
    """'nineteen ninety-six' -> 1996; 'two thousand' -> 2000."""
    t = text.replace("-", " ").split()
    if len(t) >= 2 and t[0] in _SMALL and 10 <= _SMALL[t[0]] <= 20:
        rest = parse_number(" ".join(t[1:]))
        if isinstance(rest, float) and 0 <= rest < 100 and t[1] not in {"hundred", "thousand"}:
            return _SMALL[t[0]] * 100 + int(rest)
    n = parse_number(text)
    if isinstance(n, float) and n.is_integer() and 1000 <= n <= 2100 and "thousand" in text:
        return int(n)
    return None


def _fmt_num(n: float | str) -> str:
    if isinstance(n, str):
        return n
    return str(int(n)) if float(n).is_integer() else f"{n:g}"


# --------------------------------------------------------------------------- calendar
def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def _quarter(d: date) -> int:
    return (d.month - 1) // 3 + 1


def _shift_quarter(year: int, q: int, n: int) -> tuple[int, int]:
    y, r = divmod(q - 1 + n, 4)
    return year + y, r + 1


def _weekday_date(anchor: date, weekday: int, direction: str) -> date:
    """The ``weekday`` nearest ``anchor`` in ``direction``: "past" (on or before),
    "future" (on or after), "last" (strictly before), "next" (strictly after), "this"
    (in the anchor's week)."""
    delta = (anchor.weekday() - weekday) % 7
    if direction == "past":
        return anchor - timedelta(days=delta)
    if direction == "last":
        return anchor - timedelta(days=delta or 7)
    ahead = (weekday - anchor.weekday()) % 7
    if direction == "future":
        return anchor + timedelta(days=ahead)
    if direction == "next":
        return anchor + timedelta(days=ahead or 7)
    return anchor + timedelta(days=weekday - anchor.weekday())


# How far past the anchor a month named in a past-tense clause may still lie (a
# report may look ahead: "said it would pay on Dec. 7"). 20, 31, 45, 62 and 92 days
# were tried on TimeBank + AQUAINT: 45 and above score the same (0.795), 20 lower.
SLACK = 45


def _year_for(month: int, day: int | None, anchor: date, tense: str | None) -> int:
    """The year of a month (and day) written without one: the nearest to the anchor,
    but not more than a month ahead in a past-tense clause, nor a month behind in a
    future-tense one.

    Chosen on TimeBank + AQUAINT (value F1, pooled): this 0.785; tense as a hard rule
    (past: the year before when the month is later than the anchor's) 0.773; nearest
    regardless of tense 0.782; nearest among those on the tense's side 0.780."""
    def ordinal(y: int) -> int:
        return y * 372 + (month - 1) * 31 + (day or 15)

    here = anchor.year * 372 + (anchor.month - 1) * 31 + (anchor.day if day else 15)
    years = [anchor.year - 1, anchor.year, anchor.year + 1]
    if tense == "past":
        years = [y for y in years if ordinal(y) <= here + SLACK] or years
    elif tense == "future":
        years = [y for y in years if ordinal(y) >= here - SLACK] or years
    return min(years, key=lambda y: abs(ordinal(y) - here))


# --------------------------------------------------------------------------- normalisation
_LEAD_MODS = re.compile(
    r"^(?:(?:about|around|approximately|roughly|nearly|almost|some|more than|less than|fewer than|over|under|"
    r"at least|at most|no more than|no less than|not more than|up to|as (?:long|many|much|few|late|early|recently) as|"
    r"only|just|barely|a mere|fully|well over|well under|within|for|since|until|till|by|in|on|at|from|during|"
    r"through|throughout|after|before|as of|the better part of|a good part of|much of|most of|all of|all|"
    r"the early hours of|the wee hours of|sometime|sometime in|some time in|the rest of|the remainder of|"
    r"the balance of|the course of|the span of|the space of|the period of|the whole of|"
    r"another|an additional|an extra|additional|extra|a further|further|other)\s+)+"
)
_POS_MODS = re.compile(
    r"^(?:(?:early|late|mid|middle|earlier|later|the (?:end|beginning|start|middle|close|turn|dawn|outset) of|the (?:early|late|mid|middle)|"
    r"end of|beginning of|start of|middle of|the (?:early|late|mid) part of|the first part of|the latter part of|"
    r"the latter half of|the early part of|the later part of)[\s-]+)+"
)
_TAIL_MODS = re.compile(
    r"\s+(?:or so|or more|or less|or later|or earlier|and beyond|at the latest|at the earliest|and counting|"
    r"or longer|at most|at least|running|in a row|straight|now|local time|gmt|est|edt|pst|pdt|cst|cdt|utc)$"
)


def _normalise(text: str) -> str:
    s = text.lower().replace("’", "'").replace("‘", "'").replace("`", "'").replace("–", "-").replace("—", "-")
    s = re.sub(r"\s+", " ", s).strip()
    s = s.strip(",;:!?\"()[]{}")
    if s.endswith(".") and not re.search(r"\b[ap]\.m\.$|\b[a-z]\.[a-z]\.$", s):
        s = s[:-1]
    s = re.sub(r"'s$|s'$", "", s).strip()
    return s


def _strip_mods(s: str) -> str:
    for _ in range(3):
        before = s
        s = _LEAD_MODS.sub("", s)
        s = _POS_MODS.sub("", s)
        s = _TAIL_MODS.sub("", s)
        if s == before:
            break
    return s.strip()


# --------------------------------------------------------------------------- resolution
@dataclass(frozen=True)
class _Ctx:
    anchor: date | None
    tense: str | None
    label: str
    reference: str | None  # value of the previous date mentioned, for "a year earlier", "that day"


def _day(d: date) -> Resolved:
    return Resolved(d.isoformat(), "day")


def _ref_date(ctx: _Ctx) -> date | None:
    """The date an anaphoric expression counts from: the previous day-level value
    mentioned, else the anchor."""
    if ctx.reference and re.fullmatch(r"\d{4}-\d{2}-\d{2}", ctx.reference[:10]):
        try:
            return date.fromisoformat(ctx.reference[:10])
        except ValueError:
            pass
    return ctx.anchor


_REFS = {
    "PRESENT_REF": {
        "now", "right now", "just now", "currently", "current", "presently", "at present", "the present",
        "present", "nowadays", "these days", "the present time", "this time", "today's world", "the moment",
        "at the moment", "the current time", "then current",
    },
    "PAST_REF": {
        "recently", "recent", "more recently", "most recently", "lately", "the past", "in the past", "previously",
        "formerly", "earlier", "once", "the old days", "long ago", "years ago", "the recent past", "before",
        "ago", "in recent times", "recent times", "past",
    },
    "FUTURE_REF": {
        "the future", "future", "in the future", "the near future", "the distant future", "the foreseeable future",
        "soon", "eventually", "someday", "the coming years", "the years ahead", "a later date",
        "the long term", "the long run", "the near term", "the short term", "the days ahead", "the months ahead",
        "as soon as possible",
    },
}  # fmt: skip
_REF_OF = {w: k for k, ws in _REFS.items() for w in ws}


def resolve(
    mention_text: str,
    label: str,
    anchor: date | None,
    *,
    tense: str | None = None,
    reference: str | None = None,
) -> Resolved | None:
    """The TimeML value of a time expression, or None when it cannot be had.

    ``anchor`` is the publication date (None: only absolute expressions and durations
    resolve). ``tense`` ("past" | "present" | "future") is the tense of the clause the
    expression sits in: a bare weekday or month in a future-tense clause is the next
    one, otherwise the last one (a weekday equal to the anchor's is the anchor day).
    ``reference`` is the value of the date mentioned just before, for anaphora such as
    "a year earlier" or "that day"."""
    s = _spoken_to_digits(_normalise(mention_text))
    if not s:
        return None
    ctx = _Ctx(anchor, tense, label, reference)
    if " of " in s:  # "the first nine months of 1997": the duration is the head
        head = resolve(s.split(" of ", 1)[0], label, anchor, tense=tense, reference=reference)
        if head is not None and head.granularity == "duration":
            return head
    for candidate in dict.fromkeys((s, _strip_mods(s))):
        if not candidate:
            continue
        for rule in _RULES:
            found = rule(candidate, ctx)
            if found is not None:
                return found
    return _dateparser_fallback(_strip_mods(s), ctx)


_ONES = "one|two|three|four|five|six|seven|eight|nine"
_TEENS_TENS = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_SPOKEN_YEAR = re.compile(
    rf"\b(?:(?P<hi>eighteen|nineteen|twenty) (?P<lo>(?:{_TEENS_TENS})(?:[ -](?:{_ONES}))?|oh[ -](?:{_ONES}))"
    rf"|two thousand(?: and)?(?: (?P<lo2>(?:{_TEENS_TENS})(?:[ -](?:{_ONES}))?|{_ONES}))?)\b(?! (?:years?|months?|days?|weeks?|hours?))"
)
_ORDINAL_DAY = re.compile(
    r"\b(?P<m>" + "|".join(MONTHS) + r")\.? (?P<o>(?:twenty|thirty)[ -](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|"
    + "|".join(sorted((k for k in _ORDINALS if k.isalpha()), key=len, reverse=True)) + r"|thirtieth)\b"
)


def _spoken_to_digits(s: str) -> str:
    """'nineteen ninety-six' -> '1996', 'march eighth' -> 'march 8' (broadcast transcripts)."""

    def year(m: re.Match[str]) -> str:
        if m.group("hi"):
            lo = parse_number(m.group("lo").replace("oh", "").strip(" -"))
            hi = {"eighteen": 18, "nineteen": 19, "twenty": 20}[m.group("hi")]
            return str(hi * 100 + int(lo)) if isinstance(lo, float) else m.group(0)
        lo2 = parse_number(m.group("lo2")) if m.group("lo2") else 0
        return str(2000 + int(lo2)) if isinstance(lo2, (int, float)) else m.group(0)

    def day(m: re.Match[str]) -> str:
        o = m.group("o").replace(" ", "-")
        if o == "thirtieth":
            n = 30
        elif "-" in o:
            tens, unit = o.split("-")
            n = {"twenty": 20, "thirty": 30}[tens] + _ORDINALS[unit]
        else:
            n = _ORDINALS[o]
        return f"{m.group('m')} {n}"

    if re.search(r"thousand|eighteen|nineteen|twenty", s):
        s = _SPOKEN_YEAR.sub(year, s)
    return _ORDINAL_DAY.sub(day, s)


def _rule_refs(s: str, ctx: _Ctx) -> Resolved | None:
    if s in _REF_OF:
        return Resolved(_REF_OF[s], "ref")
    m = re.fullmatch(r"(?:in )?(?:the )?(?:recent|past few|last few) (?P<u>days|weeks|months|quarters|years|decades)", s)
    if m and s.startswith(("recent", "in recent")):
        letter = {"days": "D", "weeks": "W", "months": "M", "quarters": "M", "years": "Y", "decades": "E"}[m.group("u")]
        return Resolved(f"PX{letter}", "duration")
    m = re.fullmatch(r"(?:the )?coming (?:days|weeks|months|quarters|years|decades)|the (?:days|weeks|months|years) (?:ahead|to come)|future (?:days|weeks|months|quarters|years)", s)
    if m:
        return Resolved("FUTURE_REF", "ref")
    if re.fullmatch(r"(?:the )?(?:past|last|previous) (?:few|several|many) (?:days|weeks|months|quarters|years|decades)|past (?:years|decades|months)", s):
        return Resolved("PAST_REF", "ref")
    return None


def _rule_deictic_day(s: str, ctx: _Ctx) -> Resolved | None:
    m = re.fullmatch(
        r"(?:(?P<pre>this|that|tomorrow|yesterday|today|last|the same|the previous|the following|the next|early|late|the)\s+)?"
        r"(?P<word>today|tonight|yesterday|tomorrow|the day before yesterday|the day after tomorrow|"
        r"morning|afternoon|evening|night|overnight|day|this day|that day|the same day|the day|that night|the night|noon|midday|midnight)"
        r"(?:\s+(?P<post>morning|afternoon|evening|night|overnight))?",
        s,
    )
    if not m:
        return None
    pre, word, post = m.group("pre"), m.group("word"), m.group("post")
    if ctx.anchor is None:
        return None
    base: date | None = ctx.anchor
    part = _PART_OF_DAY.get(post or "") if post else None
    if word in {"today", "this day"}:
        pass
    elif word == "tonight":
        part = "NI"
    elif word == "yesterday":
        base = ctx.anchor - timedelta(days=1)
    elif word == "tomorrow":
        base = ctx.anchor + timedelta(days=1)
    elif word == "the day before yesterday":
        base = ctx.anchor - timedelta(days=2)
    elif word == "the day after tomorrow":
        base = ctx.anchor + timedelta(days=2)
    elif word in {"noon", "midday", "midnight"}:
        hh = "12:00" if word != "midnight" else "24:00"
        if pre in {"yesterday", "tomorrow", "today"}:
            return _rule_deictic_day(pre, ctx) and Resolved(f"{_rule_deictic_day(pre, ctx).value}T{hh}", "time")  # type: ignore[union-attr]
        return Resolved(f"{ctx.anchor.isoformat()}T{hh}", "time") if pre in {None, "this"} else None
    elif word in {"morning", "afternoon", "evening", "night", "overnight"}:
        part = _PART_OF_DAY[word]
        if pre in {"this", "today"}:
            pass
        elif pre == "yesterday" or (pre == "last" and word in {"night", "evening"}):
            base = ctx.anchor - timedelta(days=1)
        elif pre == "tomorrow":
            base = ctx.anchor + timedelta(days=1)
        elif pre in {None, "that", "the same", "the"}:
            base = _ref_date(ctx)
        else:
            return None
        pre = None
    elif word in {"that day", "the same day", "the day", "day", "that night", "the night"}:
        if word == "day" and pre not in {"that", "the same", "the previous", "the following", "the next"}:
            return None
        base = _ref_date(ctx)
        if base is None:
            return None
        if pre == "the previous":
            base -= timedelta(days=1)
        elif pre in {"the following", "the next"}:
            base += timedelta(days=1)
        if word in {"that night", "the night"}:
            part = "NI"
    if pre in {"yesterday", "tomorrow", "today"} and word not in {"morning", "afternoon", "evening", "night"}:
        return None
    if base is None:
        return None
    if part:
        return Resolved(f"{base.isoformat()}T{part}", "time")
    return _day(base)


def _rule_weekday(s: str, ctx: _Ctx) -> Resolved | None:
    m = re.fullmatch(
        r"(?:(?P<pre>last|this|next|past|coming|this past|this coming|previous|following|the previous|the following|the next|early|late|earlier|later|on)\s+)?"
        + _WEEKDAY_RE
        + r"(?:\s+(?P<part>morning|afternoon|evening|night|overnight))?(?:\s+(?P<pre2>last|next|this week|last week|next week))?",
        s,
    )
    if not m or ctx.anchor is None:
        return None
    wd = WEEKDAYS[m.group("wd")]
    pre = m.group("pre") or m.group("pre2")
    if pre in {"the previous", "the following", "the next"}:
        base = _ref_date(ctx)
        if base is None:
            return None
        d = _weekday_date(base, wd, "last" if pre == "the previous" else "next")
        return _day(d)
    if pre in {"last", "past", "this past", "previous", "last week"}:
        direction = "last"
    elif pre in {"next", "coming", "this coming", "following", "next week"}:
        direction = "next"
    elif pre in {"this", "this week"}:
        direction = "this"
    elif ctx.tense == "future":
        direction = "future"
    else:
        direction = "past"
    d = _weekday_date(ctx.anchor, wd, direction)
    if pre == "last week":
        d = _weekday_date(ctx.anchor - timedelta(days=7), wd, "this")
    elif pre == "next week":
        d = _weekday_date(ctx.anchor + timedelta(days=7), wd, "this")
    part = m.group("part")
    if part:
        return Resolved(f"{d.isoformat()}T{_PART_OF_DAY[part]}", "time")
    return _day(d)


def _rule_set(s: str, ctx: _Ctx) -> Resolved | None:
    simple = {
        "daily": "P1D", "every day": "P1D", "each day": "P1D", "a day": "P1D", "per day": "P1D", "nightly": "P1D",
        "every night": "P1D", "weekly": "P1W", "every week": "P1W", "each week": "P1W", "a week": "P1W",
        "per week": "P1W", "monthly": "P1M", "every month": "P1M", "each month": "P1M", "a month": "P1M",
        "per month": "P1M", "annually": "P1Y", "yearly": "P1Y", "every year": "P1Y", "each year": "P1Y",
        "a year": "P1Y", "per year": "P1Y", "annual": "P1Y", "hourly": "PT1H", "every hour": "PT1H",
        "an hour": "PT1H", "per hour": "PT1H", "quarterly": "P3M", "every quarter": "P3M",
        "each quarter": "P3M", "biweekly": "P2W", "every other week": "P2W",
    }  # fmt: skip
    if ctx.label == "SET" or s.startswith(("every ", "each ", "per ")) or s in {"daily", "weekly", "monthly", "annually", "yearly", "hourly", "nightly", "biweekly"}:
        if s in simple:
            return Resolved(simple[s], "set")
        m = re.fullmatch(r"(?:every|each|on)\s+" + _WEEKDAY_RE + r"(?:\s+(?P<part>morning|afternoon|evening|night))?", s)
        m = m or re.fullmatch(r"(?:on\s+)?(?P<wd>mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays)(?:\s+(?P<part>morning|afternoon|evening|night)s?)?", s)
        m = m or re.fullmatch(r"(?:every|each|on)\s+(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\s+(?P<part>morning|afternoon|evening|night)s?", s)
        m = m or re.fullmatch(r"(?P<wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\s+(?P<part>morning|afternoon|evening|night)s", s)
        if m:
            wd = WEEKDAYS[m.group("wd").rstrip("s") if m.group("wd").endswith("days") else m.group("wd")]
            part = m.group("part")
            return Resolved(f"XXXX-WXX-{wd + 1}" + (f"T{_PART_OF_DAY[part]}" if part else ""), "set")
        m = re.fullmatch(r"(?:every|each)\s+" + _MONTH_RE, s)
        if m:
            return Resolved(f"XXXX-{MONTHS[m.group('month')]:02d}", "set")
        m = re.fullmatch(r"(?:every|each|per)\s+(?:(?P<num>[\w-]+)\s+)?" + _UNIT_RE, s)
        if m:
            n = parse_number(m.group("num")) if m.group("num") else 1
            if n is not None:
                return _duration(n, m.group("unit"), "set")
    return None


_SMALLER = {"Y": (12, "M", False), "D": (24, "H", True), "W": (7, "D", False)}
_SMALLER_TIME = {"H": (60, "M"), "M": (60, "S")}


def _duration(n: float | str, unit: str, grain: str = "duration") -> Resolved | None:
    u = unit.lower()
    u = {"centuries": "century", "millennia": "millennium"}.get(u, u)
    if u not in _UNITS and u.endswith("s"):
        u = u[:-1]
    if u not in _UNITS:
        return None
    letter, is_time = _UNITS[u]
    if u == "weekend":
        return Resolved(f"P{_fmt_num(n if isinstance(n, str) else n * 2)}D", grain)
    if u == "fortnight" and not isinstance(n, str):
        n = n * 2
    if letter == "E" and not isinstance(n, str):  # decades are written in years
        n, letter = n * 10, "Y"
    if not isinstance(n, str) and not float(n).is_integer():
        whole, frac = int(n), n - int(n)
        if is_time and letter in _SMALLER_TIME:
            k, small = _SMALLER_TIME[letter]
            if float(frac * k).is_integer():
                return Resolved(f"PT{whole}{letter}{int(frac * k)}{small}" if whole else f"PT{int(frac * k)}{small}", grain)
        elif letter in _SMALLER:
            k, small, small_is_time = _SMALLER[letter]
            if float(frac * k).is_integer():
                part = f"{'T' if small_is_time else ''}{int(frac * k)}{small}"
                return Resolved(f"P{whole}{letter}{part}" if whole else f"P{part}", grain)
    return Resolved(f"P{'T' if is_time else ''}{_fmt_num(n)}{letter}", grain)


def _ago(n: float | str, unit: str, ctx: _Ctx, sign: int, base: date | None) -> Resolved | None:
    if isinstance(n, str):
        return Resolved("PAST_REF" if sign < 0 else "FUTURE_REF", "ref")
    if base is None or not float(n).is_integer():
        return None
    k = int(n) * sign
    u = unit.rstrip("s") if unit not in {"centuries"} else "century"
    if u in {"day", "night"}:
        return _day(base + timedelta(days=k))
    if u == "week":
        return Resolved(_week(base + timedelta(weeks=k)), "week")
    if u == "fortnight":
        return Resolved(_week(base + timedelta(weeks=2 * k)), "week")
    if u == "month":
        return Resolved(_add_months(base, k).isoformat()[:7], "month")
    if u == "quarter":
        y, q = _shift_quarter(base.year, _quarter(base), k)
        return Resolved(f"{y}-Q{q}", "quarter")
    if u in {"year", "yr"}:
        return Resolved(str(base.year + k), "year")
    if u == "decade":
        return Resolved(f"{(base.year + 10 * k) // 10:03d}", "decade")
    if u in {"hour", "minute", "hr", "min", "second"}:
        return Resolved(base.isoformat(), "day")
    return None


def _rule_duration(s: str, ctx: _Ctx) -> Resolved | None:
    m = re.fullmatch(
        r"(?:the\s+)?(?:(?P<rel>past|last|next|first|final|previous|coming|following|latest|recent|remaining|initial|"
        r"ensuing|preceding|prior|same|year-earlier|year-ago|other|subsequent)\s+)?(?:(?:full|whole|entire|straight|consecutive|more|additional|extra|long)\s+)?"
        + _NUM_RE
        + r"(?:\s+(?:more|additional|further|full|whole|straight|consecutive|long|short|calendar|fiscal|business|working|trading))?"
        + r"[\s-]*"
        + _UNIT_RE
        + r"(?:[\s-]+(?:long|old|period|span|stretch|term|time|time span|run|stint|cycle|hiatus|delay|wait|window|deadline))?"
        r"(?:\s+(?P<dir>ago|earlier|later|before|after|from now|hence|since|previously|back|before that|after that|afterward|afterwards|prior))?",
        s,
    )
    if not m:
        m = re.fullmatch(r"(?:the\s+)?(?P<num>)(?P<unit>years|months|weeks|days|hours|minutes|seconds|decades|centuries|quarters)(?:\s+(?P<dir>ago|earlier|later))?", s)
        if not m:
            return None
        n: float | str | None = "X"
    else:
        n = parse_number(m.group("num"))
    if n is None or re.search(r"\bold$", s):
        return None
    unit, direction = m.group("unit"), m.group("dir")
    if direction in {"ago", "back"}:
        return _ago(n, unit, ctx, -1, ctx.anchor)
    if direction in {"from now", "hence"}:
        return _ago(n, unit, ctx, 1, ctx.anchor)
    if direction in {"earlier", "before", "previously", "before that", "prior"} and ctx.label != "DURATION":
        return _ago(n, unit, ctx, -1, _ref_date(ctx))
    if direction in {"later", "after", "after that", "afterward", "afterwards"} and ctx.label != "DURATION":
        return _ago(n, unit, ctx, 1, _ref_date(ctx))
    return _duration(n, unit)


def _rule_and_a_half(s: str, ctx: _Ctx) -> Resolved | None:
    m = re.fullmatch(_NUM_RE + r"\s+" + _UNIT_RE + r" and a half", s)
    if not m:
        return None
    n = parse_number(m.group("num"))
    return _duration(n + 0.5, m.group("unit")) if isinstance(n, float) else None


def _rule_range_duration(s: str, ctx: _Ctx) -> Resolved | None:
    m = re.fullmatch(r"(?:the\s+)?(?:(?:past|last|next|first|coming)\s+)?(?P<a>[\w.-]+)\s+(?:to|or|-)\s+(?P<b>[\w.-]+)\s+" + _UNIT_RE, s)
    if not m:
        return None
    n = parse_number(m.group("a"))
    return _duration(n, m.group("unit")) if n is not None and parse_number(m.group("b")) is not None else None


def _rule_part_then_day(s: str, ctx: _Ctx) -> Resolved | None:
    """'mid-afternoon yesterday', 'early morning Tuesday'."""
    m = re.fullmatch(r"(?:mid|early|late)?[\s-]*(?P<part>morning|afternoon|evening|night)\s+(?:on\s+)?(?P<d>.+)", s)
    if not m:
        return None
    got = resolve(m.group("d"), "DATE", ctx.anchor, tense=ctx.tense, reference=ctx.reference)
    if got is None or got.granularity != "day":
        return None
    return Resolved(f"{got.value}T{_PART_OF_DAY[m.group('part')]}", "time")


def _rule_relative_unit(s: str, ctx: _Ctx) -> Resolved | None:
    """this/last/next week, month, year, quarter; the weekend."""
    m = re.fullmatch(
        r"(?P<rel>this|last|next|the past|the last|the previous|the prior|the current|the coming|the following|the next|"
        r"the same|the|that|the latest|the most recent|the preceding|a|this past|this coming|the present|the recent|the first|the final|the full|the entire|the whole)?\s*"
        r"(?:(?:fiscal|calendar|financial|business|school|model)[\s-]+)?"
        r"(?P<unit>week|weekend|month|year|quarter|period|half|decade|century|season)",
        s,
    )
    if not m:
        m2 = re.fullmatch(r"(?P<unit>year|month|week|quarter)[\s-](?P<rel>end|ago|earlier|before|to[\s-]date)", s)
        if not m2:
            return None
        unit, rel = m2.group("unit"), m2.group("rel")
        if rel in {"ago", "earlier", "before"}:
            return _year_ago(ctx) if unit == "year" else _shift(unit, -1, ctx)
        return _shift(unit, 0, ctx)
    rel, unit = m.group("rel") or "", m.group("unit")
    if unit == "period":
        if rel in {"the latest", "the most recent", "the recent", "the current"}:
            return _shift("quarter", -1 if rel != "the current" else 0, ctx)
        return None
    if unit in {"half", "season", "decade", "century"}:
        return None
    if rel == "a":
        if unit == "weekend":
            return Resolved("P2D", "duration")
        return _duration(1, unit) if ctx.label in {"DURATION", "DATE"} else None
    if ctx.label == "DURATION" and rel in {"the past", "the last", "the next", "the coming", "the first", "the final", "the", "the previous"}:
        return _duration(1, unit) if unit != "weekend" else Resolved("P2D", "duration")
    if unit == "weekend":
        return _weekend(rel, ctx)
    if rel in {"the full", "the entire", "the whole"}:
        rel = "the"
    if rel in {"the same", "that"}:
        return _same_as_reference(unit, ctx)
    if rel in {"this", "the current", "the present", "the"}:
        if unit == "quarter" and rel in {"the", "that"}:
            return _shift("quarter", 0 if ctx.tense == "future" else -1, ctx)
        return _shift(unit, 0, ctx)
    if rel in {"last", "the past", "the last", "the previous", "the prior", "the latest", "the most recent", "the preceding", "this past", "the recent"}:
        if unit == "quarter" and rel in {"the latest", "the most recent", "the last", "the past", "the recent", "last"}:
            return _shift("quarter", -1, ctx)
        return _shift(unit, -1, ctx)
    if rel in {"next", "the coming", "the following", "the next", "this coming"}:
        return _shift(unit, 1, ctx)
    return None


def _same_as_reference(unit: str, ctx: _Ctx) -> Resolved | None:
    """'that year', 'the same quarter': the unit of the date mentioned before."""
    ref = ctx.reference or ""
    m = re.match(r"(\d{4})(?:-(Q\d|\d{2}|W\d{2}))?", ref)
    if not m:
        return None
    if unit == "year":
        return Resolved(m.group(1), "year")
    if unit == "quarter":
        if m.group(2) and m.group(2).startswith("Q"):
            return Resolved(f"{m.group(1)}-{m.group(2)}", "quarter")
        if m.group(2) and m.group(2).isdigit():
            return Resolved(f"{m.group(1)}-Q{(int(m.group(2)) - 1) // 3 + 1}", "quarter")
        return None
    if unit == "month" and m.group(2) and m.group(2).isdigit():
        return Resolved(f"{m.group(1)}-{m.group(2)}", "month")
    if unit == "week" and len(ref) >= 10 and ref[4] == "-" and ref[7:8] == "-":
        try:
            return Resolved(_week(date.fromisoformat(ref[:10])), "week")
        except ValueError:
            return None
    return None


def _weekend(rel: str, ctx: _Ctx) -> Resolved | None:
    if ctx.anchor is None:
        return None
    a = ctx.anchor
    if rel in {"last", "the past", "the last", "the previous", "this past"}:
        d = a - timedelta(days=a.weekday() + 1)  # the Sunday before this week
    elif rel in {"next", "the coming", "the next", "the following", "this coming"}:
        d = a + timedelta(days=7 - a.weekday() + 5)
    elif a.weekday() >= 5 or rel == "this" or ctx.tense in {"future", "present"}:
        # news: "this weekend" / "into the weekend" is the weekend of the anchor's week
        d = a + timedelta(days=5 - a.weekday()) if a.weekday() < 5 else a
    else:
        d = a - timedelta(days=a.weekday() + 1)
    return Resolved(f"{_week(d)}-WE", "weekend")


def _shift(unit: str, n: int, ctx: _Ctx) -> Resolved | None:
    a = ctx.anchor
    if a is None:
        return None
    if unit == "week":
        return Resolved(_week(a + timedelta(weeks=n)), "week")
    if unit == "month":
        return Resolved(_add_months(a, n).isoformat()[:7], "month")
    if unit == "year":
        return Resolved(str(a.year + n), "year")
    if unit == "quarter":
        y, q = _shift_quarter(a.year, _quarter(a), n)
        return Resolved(f"{y}-Q{q}", "quarter")
    return None


def _year_ago(ctx: _Ctx) -> Resolved | None:
    """'a year ago' / 'a year earlier' / 'year-earlier': in results reporting it means
    the same quarter (or half, month) a year before the one just mentioned."""
    ref = ctx.reference or ""
    m = re.fullmatch(r"(\d{4})(-(?:Q\d|H\d|\d{2}|W\d{2}|SU|SP|FA|WI))?", ref)
    if m:
        return Resolved(f"{int(m.group(1)) - 1}{m.group(2) or ''}", "quarter" if m.group(2) and "Q" in m.group(2) else "year")
    if ctx.anchor is None:
        return None
    return Resolved(str(ctx.anchor.year - 1), "year")


def _rule_year_anaphora(s: str, ctx: _Ctx) -> Resolved | None:
    if re.fullmatch(
        r"(?:a|one|the) year (?:ago|earlier|before)|(?:the )?(?:year[\s-]earlier|year[\s-]ago|prior[\s-]year|year-before|comparable|corresponding|same|year-ago|year-earlier)"
        r"(?:\s+(?:year-ago|year-earlier|comparable|corresponding|same))?(?:\s+(?:quarter|period|level|time|months|three months|quarter's|results))?(?: (?:a )?year (?:ago|earlier))?(?: last year| of (?:the )?(?:last|previous|prior) year)?",
        s,
    ):
        if "quarter" in s or "period" in s:
            got = _shift("quarter", -1, ctx)
            if got is None:
                return None
            y, q = got.value.split("-")
            ref = ctx.reference or ""
            if re.fullmatch(r"\d{4}-Q\d", ref):
                return Resolved(f"{int(ref[:4]) - 1}{ref[4:]}", "quarter")
            return Resolved(f"{int(y) - 1}-{q}", "quarter")
        if s.startswith(("comparable", "corresponding", "same", "the comparable", "the corresponding", "the same")):
            return None
        return _year_ago(ctx)
    m = re.fullmatch(r"the (?P<rel>previous|prior|following|next|preceding) year|the year (?P<rel2>before|after)", s)
    if m:
        rel = m.group("rel") or m.group("rel2")
        sign = -1 if rel in {"previous", "prior", "preceding", "before"} else 1
        ref = ctx.reference or ""
        if re.match(r"\d{4}", ref):
            return Resolved(str(int(ref[:4]) + sign), "year")
        if ctx.anchor is None:
            return None
        return Resolved(str(ctx.anchor.year + sign), "year")
    return None


def _rule_quarter(s: str, ctx: _Ctx) -> Resolved | None:
    m = re.fullmatch(r"(?:the\s+)?(?:fiscal\s+)?(?P<y>1[0-9]\d\d|20\d\d)\s+(?:fiscal\s+)?(?:quarter|period)", s)
    if m:  # "the 1988 quarter": the reported quarter, in that year
        if ctx.anchor is None:
            return None
        _, q = _shift_quarter(ctx.anchor.year, _quarter(ctx.anchor), -1)
        return Resolved(f"{m.group('y')}-Q{q}", "quarter")
    m = re.fullmatch(
        r"(?:(?P<lead>[\w' -]+?)\s+)?(?:the\s+)?(?:(?:fiscal|calendar)[\s-]+)?(?P<ord>first|second|third|fourth|final|last|1st|2nd|3rd|4th)"
        r"(?:[\s-]+(?:fiscal|calendar))?[\s-]+(?P<unit>quarter|half|period)s?(?:[\s-]+(?:period|results))?"
        r"(?:\s+(?:of|in|for)\s+(?P<tail>.+))?",
        s,
    )
    if not m:
        m = re.fullmatch(r"(?P<lead>)(?:the\s+)?(?P<tail>\d{4}|fiscal \d{4})\s+(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)[\s-]+(?P<unit>quarter|half)", s)
        if not m:
            m = re.fullmatch(r"(?P<lead>)(?P<tail>)(?:q(?P<q>[1-4])|(?P<q2>[1-4])q)(?:\s+(?P<y>\d{4}))?", s)
            if m:
                q = int(m.group("q") or m.group("q2"))
                year = int(m.group("y")) if m.group("y") else (ctx.anchor.year if ctx.anchor else None)
                return Resolved(f"{year}-Q{q}", "quarter") if year else None
            return None
    ordinal = m.group("ord")
    unit = m.group("unit")
    if unit == "period":
        return None
    n = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}.get(ordinal)
    if n is None:  # "final/last quarter" = fourth quarter of a year
        n = 4 if unit == "quarter" else 2
    if unit == "half" and n > 2:
        return None
    year: int | None = None
    for spec in (m.group("tail"), m.group("lead")):
        if not spec:
            continue
        spec = spec.strip()
        y = re.search(r"\b(1[89]\d\d|20\d\d)\b", spec)
        if y:
            year = int(y.group(1))
        elif ctx.anchor is not None:
            if re.search(r"\b(?:last|previous|prior|year[\s-]ago|year[\s-]earlier)\b", spec):
                year = ctx.anchor.year - 1
            elif re.search(r"\bnext\b|\bcoming\b", spec):
                year = ctx.anchor.year + 1
            elif re.search(r"\bthis\b|\bcurrent\b|\bthe year\b", spec):
                year = ctx.anchor.year
        if year:
            break
    if year is None:
        if ctx.anchor is None:
            return None
        year = ctx.anchor.year
        current = _quarter(ctx.anchor) if unit == "quarter" else (1 if ctx.anchor.month <= 6 else 2)
        if n > current and ctx.tense == "past":
            year -= 1
    return Resolved(f"{year}-{'Q' if unit == 'quarter' else 'H'}{n}", "quarter" if unit == "quarter" else "half")


def _rule_year(s: str, ctx: _Ctx) -> Resolved | None:
    m = re.fullmatch(r"(?:the\s+)?(?:(?:calendar|fiscal|model|financial|school)[\s-]+(?:year\s+)?|fy\s*|year\s+|the year\s+)?(?P<y>1[0-9]\d\d|20\d\d)(?:\s+(?:fiscal year|season))?", s)
    if m:
        return Resolved(m.group("y"), "year")
    m = re.fullmatch(r"(?:fiscal|fy)\s*'?(?P<y>\d\d)|'(?P<y2>\d\d)", s)
    if m:
        yy = int(m.group("y") or m.group("y2"))
        century = 1900 if yy > ((ctx.anchor.year % 100 + 10) if ctx.anchor else 30) else 2000
        return Resolved(str(century + yy), "year")
    m = re.fullmatch(r"(?:the\s+)?(?:year\s+)?(?P<words>[a-z -]+)", s)
    if m and re.search(r"thousand|hundred|nineteen|twenty", s) and not re.search(_UNIT_RE, m.group("words")):
        y = _spoken_year(m.group("words").strip())
        if y:
            return Resolved(str(y), "year")
    m = re.fullmatch(r"(?:the\s+)?(?:(?P<c>1[0-9]|20)(?P<d>\d)0|'(?P<d2>\d)0|(?P<c3>1[0-9]|20)00)'?s", s)
    if m:
        if m.group("c3"):
            return Resolved(f"{m.group('c3')}", "century")
        if m.group("d2"):
            return Resolved(f"19{m.group('d2')}", "decade")
        return Resolved(f"{m.group('c')}{m.group('d')}", "decade")
    m = re.fullmatch(r"(?:the\s+)?(?P<o>[\w-]+)\s+century", s)
    if m:
        o = m.group("o")
        n = _ORDINALS.get(o) or (int(o[:-2]) if re.fullmatch(r"\d+(?:st|nd|rd|th)", o) else None)
        if n:
            return Resolved(f"{n - 1:02d}", "century")
        if o in {"this", "current"} and ctx.anchor:
            return Resolved(f"{ctx.anchor.year // 100:02d}", "century")
        if o in {"last", "previous"} and ctx.anchor:
            return Resolved(f"{ctx.anchor.year // 100 - 1:02d}", "century")
        if o == "next" and ctx.anchor:
            return Resolved(f"{ctx.anchor.year // 100 + 1:02d}", "century")
    m = re.fullmatch(r"(?P<rel>this|the current|the|the last|the past|the previous|last|next|the next|the coming) decade", s)
    if m and ctx.anchor:
        shift = {"this": 0, "the current": 0, "the": 0, "next": 1, "the next": 1, "the coming": 1}.get(m.group("rel"), -1)
        return Resolved(f"{ctx.anchor.year // 10 + shift}", "decade")
    return None


def _rule_month(s: str, ctx: _Ctx) -> Resolved | None:
    m = re.fullmatch(
        r"(?:(?P<rel>last|this|next|this past|this coming|past|coming)\s+)?" + _MONTH_RE + r"(?:,?\s+(?:of\s+)?(?P<y>1[0-9]\d\d|20\d\d|'\d\d|this year|last year|next year))?",
        s,
    )
    if not m:
        m = re.fullmatch(r"(?P<rel>)(?P<y>1[0-9]\d\d|20\d\d)\s+" + _MONTH_RE, s)
        if not m:
            return None
    month = MONTHS[m.group("month")]
    if m.group("month") == "may" and not m.group("rel") and not m.group("y") and ctx.label not in {"DATE", "TIME"}:
        return None
    year = _year_spec(m.group("y"), ctx)
    if year is None and m.group("y"):
        return None
    if year is None:
        if ctx.anchor is None:
            return None
        rel = m.group("rel")
        a = ctx.anchor
        if rel in {"last", "this past", "past"}:
            year = a.year if month < a.month else a.year - 1
        elif rel in {"next", "this coming", "coming"}:
            year = a.year if month > a.month else a.year + 1
        elif rel == "this":
            year = a.year
        else:
            year = _year_for(month, None, a, ctx.tense)
    return Resolved(f"{year}-{month:02d}", "month")


def _year_spec(spec: str | None, ctx: _Ctx) -> int | None:
    if not spec:
        return None
    if spec.startswith("'"):
        yy = int(spec[1:])
        return (1900 if yy > 30 else 2000) + yy
    if spec.isdigit():
        return int(spec)
    if ctx.anchor is None:
        return None
    return ctx.anchor.year + {"this year": 0, "last year": -1, "next year": 1}[spec]


_DAY_RE = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"


def _rule_month_day(s: str, ctx: _Ctx) -> Resolved | None:
    wd_m = re.match(r"(?:(?:this coming|this|next|last|the)\s+)?" + _WEEKDAY_RE + r",?\s+", s)
    s2 = s[wd_m.end() :] if wd_m else s
    m = re.fullmatch(
        r"(?:the\s+)?" + _MONTH_RE + r"\s+" + _DAY_RE + r"(?:,?\s+(?P<y>1[0-9]\d\d|20\d\d|'\d\d|this year|last year|next year))?", s2
    ) or re.fullmatch(
        r"(?:the\s+)?" + _DAY_RE + r"\s+(?:of\s+)?" + _MONTH_RE + r"(?:,?\s+(?P<y>1[0-9]\d\d|20\d\d|'\d\d|this year|last year|next year))?", s2
    )
    if not m:
        m = re.fullmatch(r"(?P<y>1[0-9]\d\d|20\d\d)-(?P<mo>\d\d)-(?P<day>\d\d)", s2)
        if m:
            try:
                return _day(date(int(m.group("y")), int(m.group("mo")), int(m.group("day"))))
            except ValueError:
                return None
        return None
    month, day = MONTHS[m.group("month")], int(m.group("day"))
    year = _year_spec(m.group("y"), ctx)
    if year is None:
        if ctx.anchor is None:
            return None
        year = _year_for(month, day, ctx.anchor, ctx.tense)
        if wd_m:  # "Saturday, April 25": the weekday names the year
            for y in (year, year - 1, year + 1):
                try:
                    if date(y, month, day).weekday() == WEEKDAYS[wd_m.group("wd")]:
                        year = y
                        break
                except ValueError:
                    continue
    try:
        return _day(date(year, month, day))
    except ValueError:
        return None


def _rule_season(s: str, ctx: _Ctx) -> Resolved | None:
    m = re.fullmatch(
        r"(?:(?P<rel>this|last|next|the|this past|this coming|the past|the coming|the last|the next|that)\s+)?(?P<season>spring|summer|fall|autumn|winter)(?:\s+(?:of\s+)?(?P<y>1[0-9]\d\d|20\d\d|this year|last year|next year))?",
        s,
    )
    if not m:
        return None
    code = _SEASONS[m.group("season")]
    year = _year_spec(m.group("y"), ctx)
    if year is None:
        if ctx.anchor is None:
            return None
        a, rel = ctx.anchor, m.group("rel") or ""
        sm = _SEASON_MONTH[code]
        current = {12: "WI", 1: "WI", 2: "WI", 3: "SP", 4: "SP", 5: "SP", 6: "SU", 7: "SU", 8: "SU"}.get(a.month, "FA")
        if rel in {"last", "this past", "the past", "the last"}:
            year = a.year if sm < _SEASON_MONTH[current] else a.year - 1
        elif rel in {"next", "this coming", "the coming", "the next"}:
            year = a.year if sm > _SEASON_MONTH[current] else a.year + 1
        elif rel in {"this", "that"}:
            year = a.year
        else:
            year = _year_for(sm, None, a, ctx.tense) if code != current else a.year
    return Resolved(f"{year}-{code}", "season")


def _rule_week_relative(s: str, ctx: _Ctx) -> Resolved | None:
    m = re.fullmatch(r"(?P<rel>this|last|next|the past|the previous|the following|the coming)?\s*(?P<w>week|month|year)'?s?\s+end", s)
    if m:
        return _shift(m.group("w"), 0, ctx)
    return None


def _rule_holiday(s: str, ctx: _Ctx) -> Resolved | None:
    m = re.fullmatch(r"(?:(?P<rel>last|this|next)\s+)?(?P<h>[a-z' ]+?)(?:,?\s+(?P<y>1[0-9]\d\d|20\d\d))?", s)
    if not m or m.group("h") not in _HOLIDAYS:
        return None
    make = _HOLIDAYS[m.group("h")]
    if m.group("y"):
        return _day(make(int(m.group("y"))))
    if ctx.anchor is None:
        return None
    a, rel = ctx.anchor, m.group("rel")
    this = make(a.year)
    if rel == "last":
        return _day(this if this < a else make(a.year - 1))
    if rel == "next":
        return _day(this if this > a else make(a.year + 1))
    if rel == "this":
        return _day(this)
    return _day(make(_year_for(this.month, this.day, a, ctx.tense)))


def _rule_clock(s: str, ctx: _Ctx) -> Resolved | None:
    m = re.fullmatch(
        r"(?:(?P<pre>.+?),?\s+(?:at\s+)?)?(?P<h>\d{1,2})(?:[:.](?P<mi>\d\d)\s*(?P<ap>a\.?m\.?|p\.?m\.?)?|\s*(?P<ap2>a\.?m\.?|p\.?m\.?|o'clock))"
        r"(?:\s+(?:est|edt|cst|cdt|mst|mdt|pst|pdt|gmt|utc|bst|cet|local time|eastern time|et|pt))?(?:,?\s+(?:on\s+)?(?P<post>.+))?",
        s,
    )
    if not m:
        return None
    h, mi = int(m.group("h")), int(m.group("mi") or 0)
    ap = (m.group("ap") or m.group("ap2") or "").replace(".", "")
    if ap == "pm" and h < 12:
        h += 12
    elif ap == "am" and h == 12:
        h = 0
    if h > 24 or mi > 59:
        return None
    day_text = m.group("post") or m.group("pre")
    if day_text:
        got = resolve(day_text, "DATE", ctx.anchor, tense=ctx.tense, reference=ctx.reference)
        if got is None or got.granularity != "day":
            return None
        base = got.value
    else:
        if ctx.anchor is None:
            return None
        base = (_ref_date(ctx) or ctx.anchor).isoformat()
    return Resolved(f"{base}T{h:02d}:{mi:02d}", "time")


def _rule_day_with_part(s: str, ctx: _Ctx) -> Resolved | None:
    """'noon Thursday', 'Thursday at noon', 'late Tuesday night'."""
    m = re.fullmatch(r"(?P<t>noon|midday|midnight)\s+(?:on\s+)?(?P<d>.+)|(?P<d2>.+?),?\s+at\s+(?P<t2>noon|midday|midnight)", s)
    if not m:
        return None
    day_text = m.group("d") or m.group("d2")
    got = resolve(day_text, "DATE", ctx.anchor, tense=ctx.tense, reference=ctx.reference)
    if got is None or got.granularity != "day":
        return None
    hh = "24:00" if (m.group("t") or m.group("t2")) == "midnight" else "12:00"
    return Resolved(f"{got.value}T{hh}", "time")


_RULES: tuple[Callable[[str, _Ctx], Resolved | None], ...] = (
    _rule_refs,
    _rule_set,
    _rule_holiday,
    _rule_deictic_day,
    _rule_weekday,
    _rule_month_day,
    _rule_month,
    _rule_year,
    _rule_year_anaphora,
    _rule_quarter,
    _rule_season,
    _rule_duration,
    _rule_relative_unit,
    _rule_week_relative,
    _rule_clock,
    _rule_day_with_part,
    _rule_range_duration,
    _rule_and_a_half,
    _rule_part_then_day,
)


@lru_cache(maxsize=64)
def _date_parser(anchor: date | None):  # -> dateparser.date.DateDataParser
    from dateparser.date import DateDataParser  # imported here: loading it costs ~0.3 s

    settings: dict[str, object] = {"PREFER_DATES_FROM": "past", "REQUIRE_PARTS": []}
    if anchor is not None:
        settings["RELATIVE_BASE"] = datetime(anchor.year, anchor.month, anchor.day)
    return DateDataParser(languages=["en"], settings=settings)


def _dateparser_fallback(s: str, ctx: _Ctx) -> Resolved | None:
    """Absolute dates in formats the rules do not cover ("12/5/97", "5.12.1997")."""
    if not re.search(r"\d", s) or not re.search(r"\d[/.-]\d|\d{4}", s):
        return None
    if ctx.anchor is None and not re.search(r"\b(1[0-9]|20)\d\d\b|/\d\d$", s):
        return None
    data = _date_parser(ctx.anchor).get_date_data(s)
    if data.date_obj is None:
        return None
    d = data.date_obj.date()
    if data.period == "year":
        return Resolved(str(d.year), "year")
    if data.period == "month":
        return Resolved(d.isoformat()[:7], "month")
    return _day(d)


# --------------------------------------------------------------------------- tense
_FUTURE_AUX = {"will", "shall", "'ll", "wo", "ll"}
_FUTURE_HEADS = {"expect", "plan", "schedule", "set", "due", "intend", "hope", "aim", "prepare", "slate", "going"}


def tense_at(doc: Doc, start: int, end: int) -> str | None:
    """The tense of the clause a time expression (``doc.text[start:end]``) modifies:
    "past", "present", "future" or None, from the verb it hangs on and that verb's
    auxiliaries (Penn tags: VBD past; "will"/"'ll", "going to", "expected to" future)."""
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    if span.root.dep_ == "poss":  # "Thursday's talks": a noun's date, not the verb's
        return None
    verb = _governing_verb(span.root)
    tense = None if verb is None else _verb_tense(verb)
    # "talks continue through Sunday", "the truce holds until Friday": an end point
    # of something still going on lies ahead ("stayed until Sunday" stays past)
    before = doc[span.start - 1] if span.start > 0 else None
    if tense in {"present", None} and before is not None and before.lower_ in _UNTIL:
        return "future"
    return tense


_UNTIL = {"until", "till", "through", "thru"}


def _governing_verb(tok: Token) -> Token | None:
    seen = 0
    while tok.pos_ not in {"VERB", "AUX"} and tok.head is not tok and seen < 8:
        tok = tok.head
        seen += 1
    return tok if tok.pos_ in {"VERB", "AUX"} else None


def _verb_tense(verb: Token) -> str | None:
    auxes = [c for c in verb.children if c.dep_ in {"aux", "auxpass"}]
    for a in auxes:
        if a.lower_ in _FUTURE_AUX or a.lemma_ in {"will", "shall"}:
            return "future"
    if verb.lemma_ in {"will", "shall"} and verb.tag_ == "MD":
        return "future"
    # "is expected to meet Tuesday", "plans to vote next week", "is going to"
    if verb.dep_ == "xcomp" and verb.head.lemma_ in _FUTURE_HEADS:
        return "future"
    # "said it would meet Tuesday", "could come as soon as Tuesday": modals look ahead
    if any(a.tag_ == "MD" for a in auxes):
        return "future"
    tags = {verb.tag_} | {a.tag_ for a in auxes}
    if "VBD" in tags or (verb.tag_ == "VBN" and any(a.lemma_ == "have" for a in auxes)):
        return "past"
    if tags & {"VBZ", "VBP"} or (verb.tag_ == "VBG" and auxes):
        return "present"
    return None


# --------------------------------------------------------------------------- detection
_AGE = re.compile(r"\b\d+[\s-]+(?:year|month|week|day)s?[\s-]+old\b|\b(?:year|month|week|day)s?[\s-]+old\b|\bold\b", re.I)
_NUMERIC = re.compile(r"^[\d.,\s/-]+$")
_TEMPORAL_WORD = re.compile(
    r"\b(?:" + "|".join(list(MONTHS) + list(WEEKDAYS)) + r")\b\.?|"
    r"\b(?:today|tonight|tomorrow|yesterday|now|current(?:ly)?|recent(?:ly)?|future|past|ago|earlier|later|soon|"
    r"second|minute|hour|day|night|morning|afternoon|evening|week|weekend|fortnight|month|quarter|year|decade|"
    r"century|centuries|millennium|season|spring|summer|fall|autumn|winter|noon|midnight|midday|daily|weekly|"
    r"monthly|yearly|annually|hourly|period|fy|christmas|thanksgiving|halloween|easter|eve|"
    r"seconds|minutes|hours|days|nights|weeks|weekends|months|quarters|years|decades|seasons)s?\b|"
    r"\b(1[0-9]|20)\d\d'?s?\b|'\d0s|\b(?:eighteen|nineteen) (?:ten|eleven|twelve|\w+teen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)\b|\bnineties\b|\beighties\b|\b\d{1,2}(?::\d\d)?\s*[ap]\.?m\.?|\d:\d\d|\bq[1-4]\b",
    re.I,
)
_SPLIT = re.compile(r"\s+(?:ended|ending|ends|to|through|thru|until|till|and|-|–|or|of)\s+|\s*[–—]\s*")
_LEAD_TRIM = re.compile(
    r"^(?:(?:between|from|since|until|till|through|by|as of|as early as|as late as|only|just|barely|even|also|"
    r"both|either|sometime|fully|a full|nearly|about|some|approximately|around|roughly|almost|over|"
    r"within|during|for|in|on|at(?!\s+(?:least|most))|of|after|before)\s+)+",
    re.I,
)
_ADD = re.compile(
    r"(?<![\w'-])(?:right now|now|currently|recently|the (?:near |distant |foreseeable )?future|these days|nowadays|"
    r"daily|every day|each day|weekly|tonight|current(?=\s+[a-z])|"
    r"thanksgiving(?: day)?|christmas(?: day| eve)?|new year's (?:day|eve)|"
    r"(?:earlier|later) (?:this|that|last) (?:week|month|year)|(?:this|the|last|next) weekend|"
    r"(?:last|next|this) (?:january|february|march|april|may|june|july|august|september|october|november|december)|"
    r"(?:[a-z0-9-]+ )?(?:days|weeks|months|years|decades) ago|"
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:['’]s)?|"
    r"the (?:latest|year-earlier|year-ago) (?:period|quarter)|the (?:nineteen )?(?:twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)|"
    r"(?:eighteen|nineteen) (?:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[ -](?:one|two|three|four|five|six|seven|eight|nine))?)(?![\w-])",
    re.I,
)
# lower-case-only adds (a capitalised "Now" at a sentence start is a discourse marker as often as not)
_DROP_EXACT = {
    "the day", "that day", "day", "night", "morning", "evening", "afternoon", "the night", "quarterly", "annual",
    "seasonally", "one", "the end of the day", "at the end of the day", "the time", "time", "the moment",
    "once", "this time", "the season", "a day", "a time",
}  # fmt: skip


def detect(doc: Doc, text: str | None = None) -> list[Detected]:
    """Time expressions in a parsed text, repaired and typed, sorted by position.
    ``text``: ``doc.text`` when the caller has it (spaCy rebuilds it on each read)."""
    text = doc.text if text is None else text
    spans: list[tuple[int, int]] = []
    labels: dict[tuple[int, int], str] = {}
    for ent in doc.ents:
        if ent.label_ not in {"DATE", "TIME"}:
            continue
        for a, b in _split(text, ent.start_char, ent.end_char):
            fixed = _repair(doc, a, b, text)
            if fixed:
                spans.append(fixed)
                # "the year ended March 31": a twelve-month period, not the calendar year
                if re.fullmatch(r"(?i)the (?:fiscal )?year", text[fixed[0] : fixed[1]]) and re.match(
                    r"\s+(?:ended|ending)\b", text[fixed[1] : fixed[1] + 8]
                ):
                    labels[fixed] = "DURATION"
    for m in _ADD.finditer(text):
        a, b = m.start(), m.end()
        word = m.group(0)
        if word[0].isupper() and word.lower() in {"now", "current", "currently"}:
            if word.lower() != "now" or not _sentence_initial_with_comma(text, a, b):
                pass
            else:
                continue
        if any(a < y and x < b for x, y in spans):
            continue
        fixed = _repair(doc, a, b, text)
        if fixed and doc.char_span(fixed[0], fixed[1]) is not None:
            spans.append(fixed)
    spans = _merge_adjacent(text, sorted(set(spans)))
    out: list[Detected] = []
    last_end = -1
    for a, b in spans:
        if a < last_end:
            continue
        t = text[a:b]
        out.append(Detected(a, b, labels.get((a, b)) or time_label(t), t))
        last_end = b
    return out


def _sentence_initial_with_comma(text: str, a: int, b: int) -> bool:
    return text[b : b + 1] == "," and (a == 0 or text[:a].rstrip()[-1:] in {".", "\n", '"', "”", ""})


def _split(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """'the quarter ended Sept. 30' -> 'the quarter', 'Sept. 30'; 'Aug. 26 to Oct. 20'."""
    inner = text[a:b]
    parts: list[tuple[int, int]] = []
    pos = 0
    for m in _SPLIT.finditer(inner):
        left, right = inner[pos : m.start()], inner[m.end() :]
        if re.fullmatch(r"\s+of\s+", m.group(0)) and not re.search(r"(?i)(?:days|weeks|months|years|quarters)$", left):
            continue  # "the third quarter of 1990" is one date; "the first nine months of 1997" two
        if _strong_temporal(left) and _strong_temporal(right) and not re.fullmatch(r"\s+or\s+", m.group(0)):
            parts.append((a + pos, a + m.start()))
            pos = m.end()
    parts.append((a + pos, b))
    return parts


def _strong_temporal(text: str) -> bool:
    """A temporal word other than the relational earlier/later/ago/now."""
    return any(m.group(0).lower() not in {"earlier", "later", "ago", "now"} for m in _TEMPORAL_WORD.finditer(text))


def _repair(doc: Doc, a: int, b: int, text: str) -> tuple[int, int] | None:
    """Trim and filter one candidate span; None when it is not a time expression.
    ``text`` is ``doc.text``, passed in: spaCy rebuilds that string on every read."""
    # whitespace, punctuation, possessives, a stray "the the"
    while a < b and text[a] in " \t\n,;:(\"'“”‘’":
        a += 1
    while b > a and text[b - 1] in " \t\n,;:)\"'“”‘’":
        b -= 1
    if b > a + 1 and text[b - 1] == "." and not re.search(r"\b[ap]\.m\.$|\b[A-Za-z]{2,5}\.$", text[a:b]):
        b -= 1
    m = re.search(r"['’]s?$", text[a:b])
    if m and b - a > 3:
        b = a + m.start()
    if "\n\n" in text[a:b]:
        return None
    m = _LEAD_TRIM.match(text[a:b])
    if m and m.end() < b - a:
        rest = text[a + m.end() : b]
        # keep approximators that TimeML keeps inside durations ("about two years")
        if not re.match(r"(?i)(?:nearly|about|some|approximately|around|roughly|almost|over)\s", text[a:b]) or not re.search(r"\d|\b(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|several|few)\b", rest, re.I):
            a += m.end()
    m = re.match(r"(?i)(?:the\s+){2,}", text[a:b])
    if m:
        a += m.end() - 4
    # a determiner before an absolute date is not part of it ("the Aug. 7, 1998 bombing")
    m = re.match(r"(?i)(?:the|an?|this)\s+(?=(?:" + "|".join(k for k in MONTHS if len(k) > 2) + r")\.?\s+\d|\d{4}\b(?!s))", text[a:b])
    if m:
        a += m.end()
    # "last" the verb: "would last six weeks"
    first = doc.char_span(a, b, alignment_mode="expand")
    if first is not None and len(first) > 1 and first[0].lower_ == "last" and first[0].pos_ in {"VERB", "AUX"}:
        a = first[1].idx
    # "Three days later" -> "Three days" (TimeML keeps "later" outside a duration)
    m = re.search(r"(?i)\s+(?:later|afterwards?)$", text[a:b])
    if m and re.search(_UNIT_RE, text[a:b].lower()) and not re.search(r"(?i)\b(?:this|that|the same|today|yesterday)\b", text[a:b]):
        b = a + m.start()
    # extend a weekday/date with its part of day: "Wednesday night", "Tuesday morning"
    m = re.match(r"\s+(morning|afternoon|evening|night)s?\b", text[b:])
    if m and re.search(r"(?i)(?:day|yesterday|tomorrow|today)$", text[a:b]):
        b += m.end()
    # "early Tuesday", "late yesterday", "each Thursday", "every Monday"
    m = re.search(r"(?i)\b(early|late|earlier|later|each|every|this|last|next)\s+$", text[max(0, a - 9) : a])
    if m and re.match(r"(?i)(?:" + "|".join(_FULL_WEEKDAYS) + r"|yesterday|today|tomorrow|january|february|march|april|june|july|august|september|october|november|december)\b", text[a:b]):
        a = max(0, a - 9) + m.start()
    # "this year" tagged as "year", "quarter" for "this quarter"
    m = re.search(r"(?i)\b(this|last|next|that|the current|the same|the coming|the past)\s+$", text[max(0, a - 12) : a])
    if m and re.fullmatch(r"(?i)(?:fiscal\s+)?(?:year|quarter|week|month|weekend|period|decade|century)", text[a:b]):
        a = max(0, a - 12) + m.start()
    # "the corresponding period last year", "the year-earlier quarter a year ago"
    m = re.search(r"(?i)\bthe (?:same|corresponding|comparable|year-earlier|year-ago) (?:period|quarter)(?: of)?\s+$", text[max(0, a - 40) : a])
    if m and re.fullmatch(r"(?i)last year|a year (?:ago|earlier)", text[a:b]):
        a = max(0, a - 40) + m.start()
    # "a two day visit": the article is not part of the duration
    m = re.match(r"(?i)an?\s+(?=(?:\d|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|twenty|thirty|forty|fifty)[\s-])", text[a:b])
    if m:
        a += m.end()
    t = text[a:b]
    low = _normalise(t)
    if b <= a or not low or low in _DROP_EXACT or re.search(r"\s(?:of|and|or|to)$", low):
        return None
    if _AGE.search(t) and not re.search(r"(?i)\b(?:years?|months?) (?:old|older)\b.*\b(?:ago|earlier)\b", t):
        return None
    if _NUMERIC.match(t) and not re.fullmatch(r"(1[0-9]|20)\d\d", t.strip()):
        return None
    if not _TEMPORAL_WORD.search(t):
        return None
    # "today's world", "today's youth": the present age, not the day
    if re.fullmatch(r"(?i)today|tomorrow", t) and re.match(r"['’]s\s+(?:world|youth|society|generation|children|kids|young|computers?|economy|standards|technology)\b|\s+(?:world|generation)\b", text[b : b + 20]):
        return None
    if re.fullmatch(r"(?i)tomorrow", t) and re.search(r"(?i)\bof\s+$", text[max(0, a - 4) : a]):
        return None
    # idioms: "at the end of the day"
    if low == "the end of the day" and text[max(0, a - 3) : a].lower() == "at ":
        return None
    # a title-case name such as "60 Minutes" or "This Week" (a show) is not a time
    if re.fullmatch(r"\d+ Minutes|This Week|Today Show", t):
        return None
    return a, b


def _merge_adjacent(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """'5 p.m. EST' + 'Nov. 9', 'noon' + 'Thursday', 'Friday' + 'Oct. 13' are one time."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out:
            pa, pb = out[-1]
            gap = text[pb:a]
            if re.fullmatch(r",?\s{1,2}(?:on\s+)?", gap) and _mergeable(text[pa:pb], text[a:b]):
                out[-1] = (pa, b)
                continue
        out.append((a, b))
    return out


def _mergeable(left: str, right: str) -> bool:
    l, r = left.lower(), right.lower()
    clock = r"(?:\d{1,2}(?::\d\d)?\s*[ap]\.?m\.?|noon|midnight|\d{1,2}:\d\d)(?:\s+[a-z]{2,3})?"
    weekday = r"(?:" + "|".join(_FULL_WEEKDAYS) + r")"
    monthday = r"(?:" + "|".join(MONTHS) + r")\.?\s+\d{1,2}(?:,\s*\d{4})?"
    return bool(
        (re.fullmatch(clock, l) and re.fullmatch(rf"{weekday}|{monthday}|today|yesterday|tomorrow", r))
        or (re.fullmatch(weekday, l) and re.fullmatch(monthday, r))
        or (re.fullmatch(rf"{weekday}|{monthday}|today|yesterday|tomorrow", l) and re.fullmatch(clock, r))
    )


def time_label(text: str) -> str:
    """The TimeML type of a detected expression: DATE | TIME | DURATION | SET."""
    s = _normalise(text)
    core = _strip_mods(s) or s
    if re.fullmatch(
        r"(?:daily|weekly|monthly|annually|yearly|hourly|nightly|biweekly)|(?:every|each|per)\s+.+|(?:on\s+)?"
        r"(?:mondays|tuesdays|wednesdays|thursdays|fridays|saturdays|sundays)|"
        r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday) (?:morning|afternoon|evening|night)s",
        core,
    ):
        return "SET"
    if re.search(r"\d{1,2}(?::\d\d)?\s*[ap]\.?m\.?|\d{1,2}:\d\d|\bnoon\b|\bmidnight\b|\b(?:this|that|yesterday|tomorrow|last|early) (?:morning|afternoon|evening)\b|\btonight\b|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday) (?:morning|afternoon|evening|night)\b|\blast night\b", core):
        return "TIME"
    if re.search(r"\b(?:ago|earlier|before|from now|hence)$", core) and not re.search(r"^(?:the )?(?:years?|months?|days?|weeks?)\s", core):
        return "DATE"
    if re.fullmatch(r"(?:(?:the|a|an)\s+)?(?:(?:past|last|next|first|final|previous|coming|following|latest|recent|remaining|initial|ensuing|preceding|prior|other)\s+)?(?:(?:full|whole|entire|straight|consecutive|more|additional|extra|long)\s+)?"
                    + _NUM_RE + r"(?:\s+(?:more|additional|further|full|whole|straight|consecutive|long|calendar|fiscal|business|working|trading))?[\s-]*" + _UNIT_RE
                    + r"(?:[\s-]+(?:long|period|span|stretch|term|run|stint|time span))?(?:\s+later)?", core) or re.fullmatch(r"(?:the\s+)?(?:years|months|weeks|days|hours|minutes|seconds|decades|centuries)", core) or re.fullmatch(r"(?:a|an|one)\s+(?:weekend|while)|a while|some time|the (?:past|last|next) (?:few|several) \w+", core):
        if not re.search(r"(?:(?:past|last|latest|previous|prior|first|recent) (?:year|quarter|month|week)$)|^(?:a|an|one) (?:day|week|month|year)$", core) or re.search(r"\d|two|three|four|five|six|seven|eight|nine|ten|several|few", core):
            return "DURATION"
        if re.fullmatch(r"(?:a|an|one) (?:week|month|year|day)", core):
            return "DURATION"
    return "DATE"


def find_times(article: Article, doc: Doc, sentence_starts: Sequence[int]) -> tuple[TimeMention, ...]:
    """TimeMentions of an article: ``doc`` is spaCy's parse of ``article.text``;
    ``sentence_starts`` are the cleaned-text starts of chorus's sentences."""
    starts = list(sentence_starts)
    out: list[TimeMention] = []
    for d in detect(doc, article.text):
        try:
            o_start, o_end = article.offsets.to_original(d.start, d.end)
        except ValueError:
            continue
        sentence = max(0, bisect_right(starts, d.start) - 1) if starts else 0
        out.append(TimeMention(d.text, d.label, d.start, d.end, o_start, o_end, sentence))
    return tuple(out)


_ANAPHORIC = re.compile(r"(?i)\b(?:earlier|ago|before|previous|prior|year-ago|year-earlier|comparable|corresponding|same|that|following|later)\b")


def resolve_in_doc(doc: Doc, detected: Sequence[Detected], anchor: date | None) -> list[Resolved | None]:
    """Resolve every detected expression of one Doc, with the clause tense and the
    previous date as context (what ``chorus eval time`` scores)."""
    out: list[Resolved | None] = []
    reference: str | None = None
    for d in detected:
        tense = tense_at(doc, d.start, d.end)
        got = resolve(d.text, d.label, anchor, tense=tense, reference=reference)
        out.append(got)
        if (
            got is not None
            and got.granularity in {"day", "month", "year", "quarter", "half", "season", "week", "time"}
            and not _ANAPHORIC.search(d.text)
        ):
            reference = got.value
    return out
