"""The data that flows through chorus: frozen dataclasses, one per stage boundary.

sources -> RawDocument -> Article -> AnnotatedArticle -> Story -> StoryBriefing -> Briefing

Offsets: every ``start``/``end`` named ``orig_*`` or carried by a :class:`Citation`
counts Unicode code points in :attr:`RawDocument.text`, the source text exactly as
decoded from the input (a UTF-8/UTF-16 byte-order mark is not part of it). For plain
text files that is the file itself; for JSON it is the ``text`` field verbatim; for
HTML and feeds it is the article text extracted from the page (see docs/briefing.md).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawDocument:
    """One input document as read, before any cleaning."""

    source: str  # what the user named: a path, "file.jsonl:12", a URL, "<stdin>"
    text: str  # the source text; every citation indexes into it
    kind: str  # "text" | "html" | "json" | "feed" | "timeml"
    title: str | None = None  # from metadata (None: the cleaner looks at the first line)
    outlet: str | None = None
    author: str | None = None
    published: str | None = None  # YYYY-MM-DD from metadata
    url: str | None = None
    path: str | None = None
    encoding: str | None = None  # how the bytes were decoded


@dataclass(frozen=True)
class Rejected:
    """An input that could not be used, with a reason a user can act on (one line)."""

    source: str
    reason: str


@dataclass(frozen=True)
class OffsetMap:
    """Maps positions in cleaned text back to positions in the source text.

    ``pieces`` are (clean_start, orig_start, length) runs of identical characters,
    sorted by clean_start. Characters of the cleaned text outside every run were
    inserted by the cleaner (paragraph separators) and have no original position.
    """

    pieces: tuple[tuple[int, int, int], ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Original span covering cleaned span [start, end); inserted characters at
        either edge are skipped."""
        if end <= start:
            raise ValueError(f"empty span {start}:{end}")
        first = self._first_mapped_at_or_after(start, end)
        last = self._last_mapped_before(end, start)
        if first is None or last is None:
            raise ValueError(f"span {start}:{end} has no original characters")
        return first, last + 1

    def is_contiguous(self, start: int, end: int) -> bool:
        """True when cleaned [start, end) is one unbroken run of the source text
        (ignoring inserted separators at the edges): nothing was removed inside it."""
        o_start, o_end = self.to_original(start, end)
        return self._mapped_count(start, end) == o_end - o_start

    # -- internals ---------------------------------------------------------
    def _index(self, pos: int) -> int:
        starts = [p[0] for p in self.pieces]
        return bisect_right(starts, pos) - 1

    def _first_mapped_at_or_after(self, pos: int, limit: int) -> int | None:
        i = max(self._index(pos), 0)
        for cs, os_, n in self.pieces[i:]:
            if cs >= limit:
                return None
            if pos < cs + n:
                return os_ + max(pos, cs) - cs
        return None

    def _last_mapped_before(self, pos: int, limit: int) -> int | None:
        i = self._index(pos - 1)
        while i >= 0:
            cs, os_, n = self.pieces[i]
            if cs + n <= limit:
                return None
            if cs < pos:
                return os_ + min(pos, cs + n) - 1 - cs
            i -= 1
        return None

    def _mapped_count(self, start: int, end: int) -> int:
        total = 0
        for cs, _os, n in self.pieces:
            lo, hi = max(cs, start), min(cs + n, end)
            if hi > lo:
                total += hi - lo
        return total


@dataclass(frozen=True)
class Removed:
    """A stretch of the source text the cleaner took out, and why."""

    start: int
    end: int
    kind: str  # caption | credit | disclaimer | contributor | byline | bullet_box | stray | title
    text: str


@dataclass(frozen=True)
class Article:
    """A cleaned article: the text an editor would call the article, with a map back."""

    id: str  # stable: derived from the content hash
    content_hash: str  # sha256 of the source text
    source: str
    kind: str
    outlet: str
    title: str
    title_source: str  # "metadata" | "first-line" | "first-sentence"
    source_text: str
    text: str  # cleaned
    offsets: OffsetMap
    removed: tuple[Removed, ...] = ()
    author: str | None = None
    published: str | None = None
    published_source: str | None = None  # "metadata" | "inferred" | None
    url: str | None = None
    path: str | None = None
    encoding: str | None = None
    published_evidence: tuple[str, ...] = ()  # for an inferred date: why
    published_range: str | None = None  # inferred, not to the day: ISO interval "2024-08-26/2024-08-31"


@dataclass(frozen=True)
class Sentence:
    index: int
    paragraph: int
    start: int  # cleaned text
    end: int
    orig_start: int  # source text
    orig_end: int
    contiguous: bool  # the source span holds exactly this sentence (nothing removed inside)


@dataclass(frozen=True)
class Mention:
    """A named-entity mention as found by the tagger, name already cleaned of debris."""

    text: str  # the cleaned name ("Joe Biden" for "Joe Biden's")
    label: str  # spaCy label: PERSON, ORG, GPE, ...
    start: int  # cleaned text, of the cleaned name
    end: int
    orig_start: int
    orig_end: int
    sentence: int


@dataclass(frozen=True)
class TimeMention:
    """A time expression as found in the text, not yet resolved to a date (resolution
    needs the publication date, which may only be inferred at story level)."""

    text: str
    label: str  # TimeML type: DATE | TIME | DURATION | SET
    start: int  # cleaned text
    end: int
    orig_start: int  # source text
    orig_end: int
    sentence: int


@dataclass(frozen=True)
class Quote:
    """Something a source said, as the article reports it."""

    text: str  # the content (for direct quotes, without the quotation marks)
    kind: str  # direct | partial | indirect
    start: int  # cleaned text, of the content
    end: int
    orig_start: int  # source text, of the content
    orig_end: int
    speaker: str  # as resolved in the article: "John Kirby", "two Egyptian security sources"; "" unknown
    speaker_role: str | None  # as written: "White House national security spokesman"
    cue: str | None  # "said", "told reporters", "according to"
    sentence: int
    speaker_orig_start: int = -1  # source-text span of the speaker mention used (-1: none)
    speaker_orig_end: int = -1


@dataclass(frozen=True)
class AnnotatedArticle:
    article: Article
    sentences: tuple[Sentence, ...]
    mentions: tuple[Mention, ...]
    times: tuple[TimeMention, ...] = ()
    quotes: tuple[Quote, ...] = ()

    @property
    def id(self) -> str:
        return self.article.id

    def sentence_text(self, s: Sentence) -> str:
        return self.article.text[s.start : s.end]

    def opening(self, sentences: int) -> str:
        """The text from its start through its first ``sentences`` sentences, as
        printed: a dateline ("CAIRO (Reuters) - ") stays in, though no sentence holds
        it, since where a report was filed says which story it tells."""
        if not self.sentences:
            return self.article.text
        return self.article.text[: self.sentences[max(1, min(sentences, len(self.sentences))) - 1].end]


@dataclass(frozen=True)
class Citation:
    article: str
    start: int
    end: int


@dataclass(frozen=True)
class Support:
    """One article's wording of a claim, cited."""

    article: str
    start: int  # source text
    end: int
    text: str
    origin: tuple[str, ...] = ()  # where this article took it from: "wire:Reuters", "anon:egyptian security sources", "group:<id>"


@dataclass(frozen=True)
class SummarySentence:
    text: str
    citations: tuple[Citation, ...]  # where this exact sentence stands (its own span, verbatim copies)
    support: tuple[Support, ...] = ()  # other articles saying the same in their own words


@dataclass(frozen=True)
class StoryEntity:
    name: str
    type: str
    aliases: tuple[str, ...]
    articles: tuple[str, ...]
    mentions: int


@dataclass(frozen=True)
class StoryQuote:
    """A quote in a story's briefing: the speaker under the story's canonical name."""

    speaker: str  # canonical name or description; "" unknown
    speaker_role: str | None
    text: str
    kind: str  # direct | partial | indirect
    article: str
    start: int  # source text: the whole attribution, cue included
    end: int
    cue: str | None
    pieces: tuple[tuple[int, int], ...] = ()  # source spans of the quoted words themselves


@dataclass(frozen=True)
class TimelineEvent:
    date: str  # "2024-08-25", "2024-08" or "2024"
    granularity: str  # day | month | year
    text: str  # the clause the date attaches to, as written
    citations: tuple[Citation, ...]  # every article stating this dated fact


@dataclass(frozen=True)
class Claim:
    id: str
    text: str  # a representative sentence, as written
    status: str  # corroborated | single_source | disputed
    sources: tuple[str, ...]  # article ids
    independent_sources: int
    support: tuple[Support, ...]
    attributed_to: str | None = None
    corroborated: bool = False  # >= 2 independent sources (also true for a disputed claim that is)


@dataclass(frozen=True)
class DisputeSide:
    position: str  # what this side holds, in a few words ("talks ended without agreement")
    who: tuple[str, ...]  # speakers / sources on this side
    claims: tuple[str, ...]  # claim ids
    support: tuple[Support, ...]


@dataclass(frozen=True)
class Dispute:
    kind: str  # contradiction | numbers | rejection
    topic: str
    sides: tuple[DisputeSide, ...]
    note: str = ""


@dataclass(frozen=True)
class FramingVariant:
    phrase: str
    articles: tuple[str, ...]
    loaded: bool = False
    citations: tuple[Citation, ...] = ()


@dataclass(frozen=True)
class Framing:
    referent: str
    variants: tuple[FramingVariant, ...]


@dataclass(frozen=True)
class CoverageRow:
    claim: str  # claim id
    reported_by: tuple[str, ...]  # outlets
    omitted_by: tuple[str, ...]
    alone: bool  # one outlet only


@dataclass(frozen=True)
class Story:
    id: str
    title: str
    article_ids: tuple[str, ...]


@dataclass(frozen=True)
class StoryBriefing:
    story: Story
    summary: tuple[SummarySentence, ...]
    entities: tuple[StoryEntity, ...]
    quotes: tuple[StoryQuote, ...] = ()
    claims: tuple[Claim, ...] = ()
    timeline: tuple[TimelineEvent, ...] = ()
    framing: tuple[Framing, ...] = ()
    disputes: tuple[Dispute, ...] = ()
    coverage: tuple[CoverageRow, ...] = ()
    articles: tuple[Article, ...] = ()  # the story's articles, with inferred publication dates
    summary_mode: str = "extractive"  # or "abstractive" (--llm-url)
    summary_dropped: tuple[tuple[str, str], ...] = ()  # abstractive: (sentence, why) not printed


@dataclass(frozen=True)
class Briefing:
    articles: tuple[Article, ...]
    stories: tuple[StoryBriefing, ...]
    rejected: tuple[Rejected, ...] = field(default=())
