"""Disputes: claims of one story that cannot all be right, each side named and cited.

Three kinds, from the editable lexicon ``data/disputes.toml``:
- contradiction: claims on opposite sides of a frame ("talks ended without agreement"
  against "there has been progress"); a denial cue flips the side it denies;
- rejection: parties taking opposite positions on the same proposal ("Hamas
  rejected…" against "Israel accepted…"), sides named by the party;
- numbers: different figures for the same count ("19 dead" against "23 killed").
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from chorus.analyze.claims import sentence_origins
from chorus.models import AnnotatedArticle, Claim, Dispute, DisputeSide, Support

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?![\w.]*\d)")
_WORD_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
}  # fmt: skip


@dataclass(frozen=True)
class Frame:
    name: str
    topic: tuple[str, ...]
    positive: tuple[str, ...]
    negative: tuple[str, ...]
    by_party: bool


@dataclass(frozen=True)
class Lexicon:
    frames: tuple[Frame, ...]
    denial: tuple[str, ...]
    quantities: Mapping[str, tuple[str, ...]]
    max_ratio: float


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    data = tomllib.loads(resources.files("chorus.data").joinpath("disputes.toml").read_text("utf-8"))
    frames = tuple(
        Frame(f["name"], tuple(f["topic"]), tuple(f["positive"]), tuple(f["negative"]), bool(f.get("by_party")))
        for f in data["frame"]
    )
    numbers = dict(data["numbers"])
    ratio = float(numbers.pop("max_ratio"))
    return Lexicon(frames, tuple(data["denial"]["cues"]), {k: tuple(v) for k, v in numbers.items()}, ratio)


_OF_WHAT = re.compile(r"\s+of\s+(?:the\s+|a\s+|an\s+)?([\w-]+)")


def _matches(text: str, phrases: Sequence[str], topic: Sequence[str] = ()) -> list[tuple[int, int, str]]:
    """Where the phrases stand. With ``topic``, "collapse of the dam" is not about the
    talks: a phrase followed by "of <word>" counts only when that word is a topic."""
    low = text.casefold()
    out = []
    for p in phrases:
        for m in re.finditer(rf"(?<![\w-]){re.escape(p)}(?![\w-])", low):
            of = _OF_WHAT.match(low, m.end())
            if topic and of and of.group(1) not in topic:
                continue
            out.append((m.start(), m.end(), p))
    return out


def _has(text: str, phrases: Sequence[str]) -> str | None:
    found = _matches(text, phrases)
    return found[0][2] if found else None


def _outside(found: list[tuple[int, int, str]], other: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Matches not overlapped by a match of the other list that starts first ("no
    agreement" wins over the "agreement was reached" inside "no agreement was reached")."""
    return [f for f in found if not any(o[0] < f[1] and f[0] < o[1] and o[0] < f[0] for o in other)]


def side_in(
    frame: Frame, text: str, previous: str = "", denial: Sequence[str] = (), *, topic_text: str | None = None
) -> tuple[int, str] | None:
    """+1 / -1 and the phrase that decided it, or None when the sentence takes no side.
    A denial cue turns the negative phrases it comes with into a positive side
    ("pushed back on suggestions that the talks have broken down"); a bare denial
    ("That is not accurate.") denies the side of the sentence before it."""
    if not _has(topic_text or text, frame.topic) and not (_has(text, denial) and previous):
        return None
    pos_all, neg_all = _matches(text, frame.positive, frame.topic), _matches(text, frame.negative, frame.topic)
    pos, neg = _outside(pos_all, neg_all), _outside(neg_all, pos_all)
    denied = _has(text, denial)
    if denied and neg and not frame.by_party:
        return +1, f"{denied}: {neg[0][2]}" + (f"; {pos[0][2]}" if pos else "")
    if pos and not neg:
        return +1, pos[0][2]
    if neg and not pos:
        return -1, neg[0][2]
    if denied and previous and not pos and not neg:
        before = side_in(frame, previous)
        if before:
            return -before[0], f"{denied} (of: {before[1]})"
    return None


def _who(claim: Claim, speakers: Mapping[str, str]) -> list[str]:
    """Who holds a claim: its speaker, else the unnamed sources or wire it is credited to."""
    if claim.attributed_to or speakers.get(claim.id):
        return [claim.attributed_to or speakers[claim.id]]
    return _origin_names([k for s in claim.support for k in s.origin])


def _origin_names(origins: Sequence[str] | set[str]) -> list[str]:
    anon = [k.split(":", 1)[1] + "s" for k in origins if k.startswith("anon:")]
    wires = [k.split(":", 1)[1] for k in origins if k.startswith("wire:")]
    if anon:
        return [f"{a} (via {wires[0]})" if wires else a for a in dict.fromkeys(anon)]
    return list(dict.fromkeys(wires))


# words that join two clauses saying different things
_CONTRAST = re.compile(r",?\s+\b(?:although|though|even as|even though|while|whereas|but)\b\s+", re.I)

_ACTOR_LABELS = frozenset({"PERSON", "ORG", "NORP", "GPE"})
_PASSIVE = re.compile(r"\b(was|were|been|be|is|are|being)\s+$", re.I)
_BETWEEN = re.compile(r"^\s*(?:(?:again|also|had|has|have|officially|formally|reportedly|already|now|flatly|quickly)\s+)*$", re.I)


def party_of(claim: Claim, phrase: str, docs: Mapping[str, AnnotatedArticle]) -> str:
    """The actor that takes the position: a name standing right before the phrase as
    its subject ("Hamas again rejected", "Israel had accepted"); not in the passive."""
    support = next((s for s in claim.support if s.text == claim.text), claim.support[0])
    doc = docs[support.article]
    at = support.text.casefold().find(phrase)
    if at < 0 or _PASSIVE.search(support.text[:at]):
        return ""
    base = support.start
    for m in reversed(doc.mentions):
        if m.label in _ACTOR_LABELS and base <= m.orig_start and m.orig_end - base <= at:
            if _BETWEEN.match(support.text[m.orig_end - base : at]):
                return m.text
            if m.orig_end - base < at - 40:
                break
    return ""


def find_disputes(
    claims: Sequence[Claim],
    docs: Sequence[AnnotatedArticle],
    *,
    speakers: Mapping[str, str] | None = None,  # claim id -> who says it
    speaker_at: Mapping[tuple[str, int], str] | None = None,  # (article, source start of a sentence) -> speaker
) -> list[Dispute]:
    lex = lexicon()
    speakers = speakers or {}
    speaker_at = speaker_at or {}
    by_id = {d.id: d for d in docs}
    previous = _previous_sentences(docs)
    disputes: list[Dispute] = []
    for frame in lex.frames:
        sides: dict[object, list[tuple[Claim, str]]] = defaultdict(list)
        for c in claims:
            s = c.support[0]
            # a sentence can hold both sides: "talks ended without a deal, although the
            # minister called them productive" — each clause is read on its own
            for k, clause in enumerate(_CONTRAST.split(c.text)):
                before = previous.get((s.article, s.start), "") if k == 0 else ""
                got = side_in(frame, clause, before, lex.denial, topic_text=c.text)
                if got is None:
                    continue
                key = (got[0], party_of(c, got[1], by_id)) if frame.by_party else got[0]
                sides[key].append((c, got[1], clause if clause != c.text else ""))
        if frame.by_party:
            disputes += _party_disputes(frame, sides, speakers)
        elif sides.get(1) and sides.get(-1):
            disputes.append(
                Dispute(
                    kind="contradiction",
                    topic=frame.name,
                    sides=(_side(sides[-1], speakers), _side(sides[1], speakers)),
                )
            )
    disputes += _number_disputes(claims, lex, speaker_at)
    return disputes


def _party_disputes(frame: Frame, sides: Mapping[object, list[tuple[Claim, str, str]]], speakers: Mapping[str, str]) -> list[Dispute]:
    yes = {party: items for (sign, party), items in sides.items() if sign == 1 and party}
    no = {party: items for (sign, party), items in sides.items() if sign == -1 and party}
    out = []
    for p_no, items_no in no.items():
        for p_yes, items_yes in yes.items():
            if p_no != p_yes:
                out.append(
                    Dispute(
                        kind="rejection",
                        topic=frame.name,
                        sides=(_side(items_no, speakers, p_no), _side(items_yes, speakers, p_yes)),
                        note=f"{p_no} rejects what {p_yes} accepts",
                    )
                )
    return out


def _side(items: Sequence[tuple[Claim, str, str]], speakers: Mapping[str, str], party: str = "") -> DisputeSide:
    """One side of a dispute. For a claim read clause by clause, who holds the clause
    comes from the clause itself (its unnamed sources or wire), not from the speaker
    the whole sentence is attributed to."""
    claims = list(dict.fromkeys(c for c, _, _ in items))
    who = [party] if party else []
    for c, _, clause in items:
        own = _origin_names(sentence_origins(clause)) if clause else []
        who += own or _who(c, speakers)
    phrases: list[str] = []
    for _, p, _ in items:  # "constructive" says nothing "pushed back: …; constructive" did not
        if not any(p.casefold() in kept.casefold() for kept in phrases):
            phrases = [kept for kept in phrases if kept.casefold() not in p.casefold()] + [p]
    supports: list[Support] = [s for c in claims for s in c.support]
    return DisputeSide(
        position=", ".join(phrases[:3]),
        who=tuple(dict.fromkeys(who)),
        claims=tuple(c.id for c in claims),
        support=tuple(supports),
    )


def _previous_sentences(docs: Sequence[AnnotatedArticle]) -> dict[tuple[str, int], str]:
    out = {}
    for d in docs:
        for prev, cur in zip(d.sentences, d.sentences[1:]):
            out[(d.id, cur.orig_start)] = d.sentence_text(prev)
    return out


def quantities(text: str, lex: Lexicon) -> list[tuple[str, int]]:
    """(quantity, value) pairs: a number within a few words of a quantity name."""
    found = []
    low = text.casefold()
    for name, words in lex.quantities.items():
        for w in words:
            for m in re.finditer(rf"(?<![\w-]){re.escape(w)}(?![\w-])", low):
                window = low[max(0, m.start() - 60) : m.end() + 70]
                value = _nearest_number(window, m.start() - max(0, m.start() - 60))
                if value is not None:
                    found.append((name, value))
    return list(dict.fromkeys(found))


def _nearest_number(window: str, anchor: int) -> int | None:
    best = None
    for m in _NUMBER.finditer(window):
        value = int(m.group(1).replace(",", ""))
        if 1900 <= value <= 2100 and "," not in m.group(1):
            continue  # a year, not a count
        distance = abs(m.start() - anchor)
        if best is None or distance < best[0]:
            best = (distance, value)
    for word, value in _WORD_NUMBERS.items():
        for m in re.finditer(rf"\b{word}\b", window):
            distance = abs(m.start() - anchor)
            if best is None or distance < best[0]:
                best = (distance, value)
    return best[1] if best and best[0] <= 60 else None


def _number_disputes(claims: Sequence[Claim], lex: Lexicon, speaker_at: Mapping[tuple[str, int], str]) -> list[Dispute]:
    """Different figures for one count. Every article's wording is read (an aligned
    claim often carries both figures: "14 injured" in one report, "17" in another)."""
    by_quantity: dict[str, dict[int, list[tuple[Claim, Support]]]] = defaultdict(lambda: defaultdict(list))
    for c in claims:
        for s in c.support:
            for name, value in quantities(s.text, lex):
                by_quantity[name][value].append((c, s))
    out = []
    for name, values in by_quantity.items():
        ordered = sorted(values)
        for a, b in zip(ordered, ordered[1:]):
            if b <= a * lex.max_ratio and a >= 1:
                out.append(
                    Dispute(
                        kind="numbers",
                        topic=name,
                        sides=tuple(
                            DisputeSide(
                                position=f"{v} {name}",
                                who=tuple(
                                    dict.fromkeys(
                                        w
                                        for _, sup in values[v]
                                        for w in ([speaker_at[(sup.article, sup.start)]] if (sup.article, sup.start) in speaker_at else _origin_names(sup.origin))
                                    )
                                ),
                                claims=tuple(dict.fromkeys(c.id for c, _ in values[v])),
                                support=tuple(s for _, s in values[v]),
                            )
                            for v in (a, b)
                        ),
                        note=f"{a} against {b}",
                    )
                )
    return out
