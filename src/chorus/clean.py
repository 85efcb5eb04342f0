"""clean: RawDocument -> Article. Removes what an editor would not call the article
(photo captions and credits, disclaimers, bylines, contributor lines, bullet boxes
that repeat the body, stray characters) and keeps an exact map back to the source.

The cleaned text is the kept paragraphs joined by blank lines. Inside a paragraph
every character maps 1:1 to a source character (whitespace becomes a plain space),
so any span of a paragraph maps back to one contiguous span of the source text.
The removal rules are data: ``chorus/data/boilerplate.toml``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from rapidfuzz import fuzz, process

from chorus.models import Article, OffsetMap, RawDocument, Rejected, Removed

PARAGRAPH_SEP = "\n\n"
_LINE_BREAK = re.compile(r"\r\n|[\n\r\u2028\u2029\x0b\x0c\x85]")
_TERMINAL = tuple('.!?:;"”’\'»)]…')
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’']))\s+(?=[\"“‘']?[A-Z0-9])")
# Words after which a period does not end a sentence when a name or number follows:
# "Sen. Alfonse D'Amato", "the U.S. Senate", "Oct. 7" (a first-sentence title would
# otherwise be "Sen.").
_ABBREVIATION_END = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Sen|Sens|Rep|Reps|Gov|Gen|Lt|Col|Sgt|Capt|Cmdr|Adm|Prof|Rev|Pres|Amb|Sec|"
    r"St|Ste|Mt|Ft|Jr|Sr|No|Nos|Inc|Corp|Co|Ltd|Jan|Feb|Mar|Apr|Aug|Sep|Sept|Oct|Nov|Dec|vs)"
    r"|(?:\b[A-Z]\.)+[A-Z])\.[\"”’']?$"
)
# A dateline before a first sentence: "CAIRO (Reuters) - ", "RIO DE JANEIRO, Brazil (AP) _ ",
# "LONDON, Aug 18 (Reuters) - ", "WASHINGTON — ", "(AP) -- ". The place is in capitals.
# Use with .match (anchored where it starts).
DATELINE = re.compile(
    r"(?:[A-Z][A-Z.'’&-]+(?:[^\S\n]+[A-Z][A-Z.'’&-]*)*"
    r"(?:,[^\S\n]*[A-Z][\w.'’-]*(?:[^\S\n]+(?:[A-Z][\w.'’-]*|\d{1,4}),?){0,3})?[^\S\n]*"
    r"(?:\([^()\n]{1,40}\)[^\S\n]*)?|\([^()\n]{1,40}\)[^\S\n]*)"
    r"(?:_|-{1,2}|–|—)[^\S\n]+(?=\S)"
)
TITLE_MAX_CHARS = 120
HEADLINE_MAX_WORDS = 25
WRAP_WIDTH = 100  # lines longer than this are never hard-wrapped copy
# A box that repeats the body has a handful of bullets; a longer run is a list in the
# article. The bound also keeps the check (each bullet against each body sentence)
# from going quadratic on a page of thousands of bullets (8,000 took 224 s).
MAX_BOX_BULLETS = 30


@dataclass(frozen=True)
class Rule:
    kind: str
    pattern: re.Pattern[str]
    full: bool
    max_words: int | None

    def matches(self, text: str) -> bool:
        if self.max_words is not None and len(text.split()) > self.max_words:
            return False
        found = self.pattern.fullmatch(text) if self.full else self.pattern.search(text)
        return found is not None


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    box_heading: re.Pattern[str]
    bullet: re.Pattern[str]
    repeat_ratio: float

    def kind_of(self, text: str) -> str | None:
        for rule in self.rules:
            if rule.matches(text):
                return rule.kind
        return None


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    data = tomllib.loads(resources.files("chorus.data").joinpath("boilerplate.toml").read_text("utf-8"))
    return rules_from_dict(data)


def rules_from_dict(data: dict) -> Rules:
    rules = tuple(
        Rule(
            kind=r["kind"],
            pattern=re.compile(r["pattern"]),
            full=r.get("match", "search") == "full",
            max_words=r.get("max_words"),
        )
        for r in data.get("rule", [])
    )
    box = data["bullet_box"]
    return Rules(rules, re.compile(box["headings"]), re.compile(box["bullet"]), float(box["repeat_ratio"]))


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of the source: source[start:end] with whitespace made plain spaces."""

    start: int
    end: int
    text: str


def _plain(text: str) -> str:
    return "".join(" " if c.isspace() else c for c in text)


def _lines(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _LINE_BREAK.finditer(text):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    return spans


def _is_soft_wrap(prev: str, nxt: str, bullet: re.Pattern[str]) -> bool:
    """Is the line break between two non-blank lines of a hard-wrapped text a wrap
    inside one paragraph?"""
    prev, nxt = prev.rstrip(), nxt.lstrip()
    if not prev or not nxt or bullet.match(nxt) or prev.endswith(_TERMINAL):
        return False
    return nxt[0].islower() or len(prev) >= 40


def _hard_wrapped(lines: list[str]) -> bool:
    """Text wrapped at a fixed width (wire copy, e-mail) has no long lines; text with
    one paragraph per line has many. Only wrapped text gets its lines joined."""
    lengths = [len(line.strip()) for line in lines if line.strip()]
    if len(lengths) < 3:
        return False
    return sum(n > WRAP_WIDTH for n in lengths) <= 0.05 * len(lengths)


def split_paragraphs(text: str, bullet: re.Pattern[str] | None = None) -> list[Paragraph]:
    """Paragraphs: blank lines separate them, and so does every line break of a text
    that is not hard-wrapped; in hard-wrapped text, lines that continue a sentence are
    joined."""
    bullet = bullet or default_rules().bullet
    spans = _lines(text)
    wrapped = _hard_wrapped([text[a:b] for a, b in spans])
    groups: list[list[tuple[int, int]]] = []
    for start, end in spans:
        line = text[start:end]
        if not line.strip():
            groups.append([])
            continue
        last = groups[-1][-1] if groups and groups[-1] else None
        if wrapped and last and _is_soft_wrap(text[last[0] : last[1]], line, bullet):
            groups[-1].append((start, end))
        else:
            groups.append([(start, end)])
    paragraphs = []
    for group in groups:
        if not group:
            continue
        start, end = group[0][0], group[-1][1]
        raw = text[start:end]
        lead = len(raw) - len(raw.lstrip())
        trail = len(raw) - len(raw.rstrip())
        start, end = start + lead, end - trail
        paragraphs.append(Paragraph(start, end, _plain(text[start:end])))
    return paragraphs


def _strip_bullet(p: Paragraph, bullet: re.Pattern[str]) -> Paragraph:
    m = bullet.match(p.text)
    if not m:
        return p
    return Paragraph(p.start + m.end(), p.end, p.text[m.end() :])


def _sentences_rough(text: str) -> list[str]:
    pieces: list[str] = []
    for piece in _SENTENCE_END.split(text):
        if not piece:
            continue
        if pieces and _ABBREVIATION_END.search(pieces[-1]):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    return pieces


def after_dateline(text: str, start: int = 0, end: int | None = None) -> int:
    """Where the sentence in ``text[start:end]`` begins once a dateline before it is
    left out (``start`` when it has none, or when too little would be left to be a
    sentence)."""
    end = len(text) if end is None else end
    m = DATELINE.match(text, start, end)
    return m.end() if m and end - m.end() >= 12 else start


def first_sentence_title(text: str) -> str:
    """A title made from a paragraph's first sentence, its dateline left out."""
    first = _sentences_rough(text)[0].strip()
    return _shorten(first[after_dateline(first) :])


def _looks_like_headline(text: str) -> bool:
    words = text.split()
    return 0 < len(words) <= HEADLINE_MAX_WORDS and not text.rstrip().endswith((".", ":", ";", ","))


def _shorten(text: str, limit: int = TITLE_MAX_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _classify(paragraphs: list[Paragraph], rules: Rules) -> list[str | None]:
    kinds = [rules.kind_of(p.text) for p in paragraphs]
    # a credit line with more than a few words is a caption that ends in its credit
    kinds = ["caption" if k == "credit" and len(p.text.split()) > 6 else k for p, k in zip(paragraphs, kinds)]
    # A caption's text often stands alone on the line before its credit line
    # ("John Kirby" then "John KirbyREUTERS/Jim Bourg"): that line is caption too.
    for i in range(1, len(paragraphs)):
        prev = paragraphs[i - 1].text.strip()
        if kinds[i] in ("credit", "caption") and kinds[i - 1] is None and prev and _looks_like_headline(prev):
            if paragraphs[i].text.startswith(prev):
                kinds[i - 1] = "caption"
    # Bullet boxes: a heading ("What You Need To Know") and bullets that repeat the body.
    body = [
        s
        for p, k in zip(paragraphs, kinds)
        if k is None and not rules.bullet.match(p.text) and not rules.box_heading.match(p.text)
        for s in _sentences_rough(p.text)
    ]
    i = 0
    while i < len(paragraphs):
        heading = kinds[i] is None and rules.box_heading.match(paragraphs[i].text)
        j = i + 1 if heading else i
        bullets = []
        while j < len(paragraphs) and rules.bullet.match(paragraphs[j].text):
            bullets.append(j)
            j += 1
        if not bullets or (not heading and len(bullets) < 2) or len(bullets) > MAX_BOX_BULLETS:
            i = max(j, i + 1)
            continue
        repeated = [
            b
            for b in bullets
            if body
            and process.extractOne(
                rules.bullet.sub("", paragraphs[b].text), body, scorer=fuzz.token_set_ratio, score_cutoff=rules.repeat_ratio
            )
        ]
        for b in repeated:
            kinds[b] = "bullet_box"
        if heading and len(repeated) == len(bullets):
            kinds[i] = "bullet_box"
        i = j
    return kinds


def content_hash(raw: RawDocument) -> str:
    """Identity of an article: the same text from the same outlet under the same title
    and URL. The path is left out, so moving a file does not make a new article."""
    h = hashlib.sha256()
    for part in (raw.outlet or "", raw.title or "", raw.url or "", raw.text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


def _without_nul(raw: RawDocument) -> RawDocument:
    """NUL characters (a JSON "\\u0000", a page's stray zero byte) become U+FFFD, one
    code point for one, so every offset into the text holds: no news text means them,
    and PostgreSQL cannot store them in a text column. (A .txt file with NUL bytes is
    rejected earlier as binary.)"""
    fields = ("text", "title", "outlet", "author", "url", "published")
    if not any("\x00" in (getattr(raw, name) or "") for name in fields):
        return raw
    return replace(raw, **{name: value.replace("\x00", "\ufffd") for name in fields if (value := getattr(raw, name))})


def clean(raw: RawDocument, rules: Rules | None = None) -> Article | Rejected:
    """Clean one document. Returns Rejected when nothing of an article is left."""
    rules = rules or default_rules()
    raw = _without_nul(raw)
    paragraphs = split_paragraphs(raw.text, rules.bullet)
    kinds = _classify(paragraphs, rules)
    removed: list[Removed] = []
    kept: list[Paragraph] = []
    for p, kind in zip(paragraphs, kinds):
        if kind:
            removed.append(Removed(p.start, p.end, kind, raw.text[p.start : p.end]))
        else:
            kept.append(_strip_bullet(p, rules.bullet))
    if not kept:
        reasons = sorted({r.kind for r in removed})
        detail = f" (removed: {', '.join(reasons)})" if reasons else ""
        return Rejected(raw.source, f"no article text left after cleaning{detail}")

    title, title_source = raw.title, "metadata"
    if title:
        title = " ".join(title.split())
        if len(kept) > 1 and fuzz.ratio(kept[0].text.strip(), title) >= 95:
            p = kept.pop(0)
            removed.append(Removed(p.start, p.end, "title", raw.text[p.start : p.end]))
    elif len(kept) > 1 and _looks_like_headline(kept[0].text):
        p = kept.pop(0)
        removed.append(Removed(p.start, p.end, "title", raw.text[p.start : p.end]))
        title, title_source = " ".join(p.text.split()), "first-line"
    else:
        title, title_source = first_sentence_title(kept[0].text), "first-sentence"

    author = raw.author
    if author is None:
        byline = next((r for r in removed if r.kind == "byline"), None)
        if byline:
            author = re.sub(r"(?i)^by\s+", "", " ".join(byline.text.split()))

    pieces, chunks, pos = [], [], 0
    for p in kept:
        if chunks:
            chunks.append(PARAGRAPH_SEP)
            pos += len(PARAGRAPH_SEP)
        pieces.append((pos, p.start, len(p.text)))
        chunks.append(p.text)
        pos += len(p.text)
    digest = content_hash(raw)
    return Article(
        id=digest[:12],
        content_hash=digest,
        source=raw.source,
        kind=raw.kind,
        outlet=raw.outlet or "unknown",
        title=title,
        title_source=title_source,
        source_text=raw.text,
        text="".join(chunks),
        offsets=OffsetMap(tuple(pieces)),
        removed=tuple(sorted(removed, key=lambda r: r.start)),
        author=author,
        published=raw.published,
        published_source="metadata" if raw.published else None,
        url=raw.url,
        path=raw.path,
        encoding=raw.encoding,
    )
