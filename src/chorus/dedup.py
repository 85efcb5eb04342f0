"""dedup: which articles are the same report (syndication groups), and which wire
agency a report says it comes from (origins).

Near-duplicates. Each article's cleaned text becomes a set of word shingles (casefolded,
punctuation dropped, ``SHINGLE_WORDS`` words each) summarised by a datasketch MinHash.
A :class:`DedupIndex` (datasketch ``MinHashLSH``) finds candidates incrementally; each
candidate is then verified on the signatures:

* estimated Jaccard >= ``min_jaccard``: exact copies and lightly edited rewrites;
* or estimated containment of the smaller text in the larger >= ``min_containment``
  (with Jaccard >= ``containment_min_jaccard``): trimmed endings, inserted paragraphs;
* and the numbers agree: two wire reports built on one template ("the index closed
  at 869.62 points, down 14.25") share most shingles but not their figures, while a
  copy keeps them (``min_number_overlap``);
* and the leads agree: a follow-up story of another day reuses background paragraphs
  but opens differently, while a copy keeps (a rewording of) the lead
  (``min_lead_overlap``; the lead of one text looked up in the other's opening, so an
  outlet's own intro paragraph before the wire copy does not hide it).

Containment comes from the Jaccard estimate and the two shingle-set sizes
(|A∩B| = J·(|A|+|B|)/(1+J)). A :class:`Signature` keeps the set size, the numbers and
the opening's shingle hashes beside the MinHash, so verifying needs no text and
signatures can be stored (:func:`signature_to_bytes`).

Tuning (``chorus eval dedup``: te3-silver, seeds 13 and 7, 300 originals each, six
edit kinds, the whole corpus as distractors): see the constants below for each choice.

Wire origin. :func:`origins` reads what the text itself says about a wire agency:
datelines ("CAIRO (Reuters) -"), "told Reuters", "Reuters reported", "according to
the AP", "X contributed to this report", "additional reporting from Reuters", a wire
copyright line, a byline or metadata author naming the agency. Photo captions and
credits ("REUTERS/Jim Bourg", "AFP via Getty Images") are not a text origin and are
skipped. Anonymous sourcing that does not name the agency ("two Egyptian security
sources said") gives no article-level origin: linking such a claim to the agency that
first reported it is a claim-level question, not answered here.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from chorus.models import AnnotatedArticle, Article

# -- signatures -------------------------------------------------------------------

# k = 4 words. Tuned with ``chorus eval dedup`` (seeds 13 and 7, k in 3-5, Jaccard
# threshold 0.3-0.5, LSH threshold 0.15-0.3): with k = 5 one reworded word breaks five
# shingles, and light rewrites (every sentence touched, like the example corpus's
# newsflow_digest.txt, J ~0.37 at k = 5) fell under any threshold that keeps other
# days' follow-ups out; k = 3 and k = 4 both reach P 1.000 / R 0.999 once the lead
# and number checks are on, but without them k = 3 made more false merges than k = 4
# at equal thresholds (short shingles are shared by unrelated reports).
SHINGLE_WORDS = 4
# 128 permutations: the standard error of an estimated Jaccard is sqrt(J(1-J)/128),
# 0.042 at J = 0.35. On the eval 64 lost two copies of 1,800 (seed 7); 256 moved
# recall by one copy either way, for twice the hashing.
NUM_PERM = 128
MINHASH_SEED = 1
MINHASH_SCHEME = "affine32"

# The opening of a report (its lead) decides which report it is: a follow-up story of
# another day reuses the background paragraphs but not the lead. Measured on the eval
# set (3-word shingles of the first 60 words, looked up in the other text's first 180
# words, best direction): copies 0.53-1.0 (rewritten ones lowest), follow-ups of other
# days sharing a third to two thirds of their text <= 0.29.
LEAD_WORDS = 60
OPENING_WORDS = 180
LEAD_SHINGLE = 3

_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# version tag of signature_to_bytes: change it whenever the shingling, NUM_PERM or the
# opening change, so that stored signatures are never compared with new ones
_FORMAT = b"chd1"


@dataclass(frozen=True)
class Signature:
    """A text's MinHash plus what verification needs beside it: how many distinct
    shingles the text has and which numbers it states."""

    minhash: LeanMinHash
    size: int  # distinct shingles (0: an empty text, which matches nothing)
    numbers: frozenset[str]
    opening: tuple[int, ...] = ()  # 32-bit hashes of the opening's 3-word shingles, in order

    @property
    def hashvalues(self) -> np.ndarray:
        return self.minhash.hashvalues

    def jaccard(self, other: Signature) -> float:
        """Estimated Jaccard similarity of the two shingle sets."""
        if not self.size or not other.size:
            return 0.0
        return float(self.minhash.jaccard(other.minhash))


def normalise(text: str) -> list[str]:
    """The words of a text for shingling: NFKC, casefolded, punctuation dropped."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _grams(words: Sequence[str], k: int) -> list[str]:
    """k-word shingles in text order; fewer than k words make one shingle."""
    return [" ".join(words[i : i + k]) for i in range(max(1, len(words) - k + 1))] if words else []


def shingles(text: str, k: int | None = None) -> set[str]:
    """The set of k-word shingles (default :data:`SHINGLE_WORDS`) of a text."""
    return set(_grams(normalise(text), k or SHINGLE_WORDS))


def numbers_in(text: str) -> frozenset[str]:
    """Numbers as written, thousands separators dropped ("12,000" -> "12000")."""
    out = set()
    for m in _NUMBER.finditer(text):
        token = m.group(0)
        if re.fullmatch(r"\d{1,3}(?:,\d{3})+", token):
            token = token.replace(",", "")
        out.add(token.rstrip(".,"))
    return frozenset(out)


def _hash32(text: str) -> int:
    # a stable hash (Python's hash() changes between runs), 4 bytes like the MinHash's
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=4).digest(), "little")


def opening_hashes(words: Sequence[str]) -> tuple[int, ...]:
    """Hashes of the 3-word shingles of the first OPENING_WORDS words, in text order."""
    return tuple(_hash32(g) for g in _grams(words[:OPENING_WORDS], LEAD_SHINGLE))


def lead_overlap(a: Signature, b: Signature) -> float:
    """Share of one text's lead (first LEAD_WORDS words) found in the other's opening
    (first OPENING_WORDS words), in the better direction."""
    if not a.opening or not b.opening:
        return 0.0
    n = max(1, LEAD_WORDS - LEAD_SHINGLE + 1)
    best = 0.0
    for x, y in ((a, b), (b, a)):
        lead = set(x.opening[:n])
        best = max(best, len(lead & set(y.opening)) / len(lead))
    return best


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    # building the permutations is most of the cost of a new MinHash: do it once
    return MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME).permutations


def signature(text: str) -> Signature:
    """The MinHash signature of a cleaned article text."""
    words = normalise(text)
    grams = set(_grams(words, SHINGLE_WORDS))
    m = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME, permutations=_permutations())
    if grams:
        m.update_batch([g.encode("utf-8") for g in sorted(grams)])
    return Signature(LeanMinHash(m), len(grams), numbers_in(text), opening_hashes(words))


def signature_to_bytes(sig: Signature) -> bytes:
    """A compact, portable encoding (little-endian) for storing a signature."""
    mh = bytearray(sig.minhash.bytesize(byteorder="<"))
    sig.minhash.serialize(mh, byteorder="<")
    nums = "\x00".join(sorted(sig.numbers)).encode("utf-8")
    opening = np.asarray(sig.opening, dtype="<u4").tobytes()
    head = struct.pack("<III", sig.size, len(nums), len(sig.opening))
    return _FORMAT + head + nums + opening + bytes(mh)


def signature_from_bytes(data: bytes) -> Signature:
    """Inverse of :func:`signature_to_bytes`."""
    if data[:4] != _FORMAT:
        raise ValueError("not a chorus signature (unknown format tag)")
    size, n, n_opening = struct.unpack_from("<III", data, 4)
    pos = 16
    nums = data[pos : pos + n].decode("utf-8")
    pos += n
    opening = tuple(int(h) for h in np.frombuffer(data[pos : pos + 4 * n_opening], dtype="<u4"))
    pos += 4 * n_opening
    minhash = LeanMinHash.deserialize(data[pos:], byteorder="<")
    return Signature(minhash, size, frozenset(nums.split("\x00")) if nums else frozenset(), opening)


# -- verification and the index ------------------------------------------------------


@dataclass(frozen=True)
class DedupOptions:
    """Verification thresholds, tuned with ``chorus eval dedup`` (te3-silver, seeds 13 and 7)."""

    # LSH recall matters more than its precision (every candidate is verified): 0.15
    # keeps trimmed copies that retain a third of the text as candidates (0.3 lost
    # 1-2 % of them on the eval); the extra candidates cost little.
    lsh_threshold: float = 0.15
    # with k = 4 the eval's rewritten copies (every sentence reworded) sit at J 0.35-0.8
    # (1st percentile 0.375); different te3-silver reports that pass the lead and number
    # checks stay <= 0.12 (those that fail them reach 0.77). 0.3 is in the gap; 0.3-0.4
    # scored the same on both seeds.
    min_jaccard: float = 0.3
    # trimmed copies are estimated >= 0.84 contained; different reports reach 0.73
    # before the lead and number checks, 0.31 after them.
    min_containment: float = 0.8
    # keeps a one-sentence brief from being "contained" in any long report that quotes
    # it; 0.1 vs 0.2 differed by one trimmed copy per 300 on the eval.
    containment_min_jaccard: float = 0.1
    # share of the smaller number set found in the larger (both need >= 2 numbers):
    # copies keep their figures (1.0); the eval's same-template market reports of other
    # days share about half of them or less.
    min_number_overlap: float = 0.6
    min_numbers: int = 2
    # see LEAD_WORDS: midway between copies (>= 0.53) and other days' follow-ups (<= 0.29)
    min_lead_overlap: float = 0.4


@dataclass(frozen=True)
class Match:
    """A verified near-duplicate of the queried signature."""

    article_id: str
    jaccard: float  # estimated
    containment: float  # estimated share of the smaller text found in the larger
    relation: str  # "contained" (one is a trimmed or padded version of the other) | "near-copy"


def containment(a: Signature, b: Signature, jaccard: float | None = None) -> float:
    """Estimated |A∩B| / min(|A|, |B|) from the Jaccard estimate and the set sizes."""
    if not a.size or not b.size:
        return 0.0
    j = a.jaccard(b) if jaccard is None else jaccard
    inter = j * (a.size + b.size) / (1.0 + j)
    return min(1.0, inter / min(a.size, b.size))


def _numbers_agree(a: Signature, b: Signature, options: DedupOptions) -> bool:
    small = min(len(a.numbers), len(b.numbers))
    if small < options.min_numbers:
        return True
    return len(a.numbers & b.numbers) / small >= options.min_number_overlap


def verify(a: Signature, b: Signature, options: DedupOptions = DedupOptions()) -> Match | None:
    """Are two signatures the same report? A Match (with an empty id) or None."""
    if not a.size or not b.size:
        return None
    j = a.jaccard(b)
    c = containment(a, b, j)
    contained = c >= options.min_containment and j >= options.containment_min_jaccard
    if j < options.min_jaccard and not contained:
        return None
    # "contained": one is clearly the shorter (trimmed, or the other padded)
    relation = "contained" if contained and min(a.size, b.size) < 0.8 * max(a.size, b.size) else "near-copy"
    if not _numbers_agree(a, b, options) or lead_overlap(a, b) < options.min_lead_overlap:
        return None
    return Match("", j, c, relation)


class DedupIndex:
    """Signatures of the articles seen so far, searchable for near-duplicates.

    ``add`` is incremental (LSH insert); ``candidates`` are LSH hits, unverified;
    ``matches`` are the verified ones.
    """

    def __init__(self, options: DedupOptions = DedupOptions()) -> None:
        self.options = options
        self._lsh = MinHashLSH(threshold=options.lsh_threshold, num_perm=NUM_PERM)
        self._sigs: dict[str, Signature] = {}
        self._order: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._sigs)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._sigs

    def signature_of(self, article_id: str) -> Signature:
        return self._sigs[article_id]

    def add(self, article_id: str, sig: Signature) -> None:
        """Index a signature; adding an id again is a no-op."""
        if article_id in self._sigs:
            return
        self._sigs[article_id] = sig
        self._order[article_id] = len(self._order)
        if sig.size:
            self._lsh.insert(article_id, sig.minhash)

    def candidates(self, sig: Signature) -> list[str]:
        """Ids whose signatures share an LSH band with ``sig``, in the order added."""
        if not sig.size:
            return []
        return sorted(self._lsh.query(sig.minhash), key=self._order.__getitem__)

    def matches(self, sig: Signature) -> list[Match]:
        """Verified near-duplicates of ``sig`` among the indexed articles, in the order added."""
        out = []
        for cid in self.candidates(sig):
            found = verify(sig, self._sigs[cid], self.options)
            if found:
                out.append(Match(cid, found.jaccard, found.containment, found.relation))
        return out


# -- syndication groups ----------------------------------------------------------------


def _article(doc: AnnotatedArticle | Article) -> Article:
    return doc.article if isinstance(doc, AnnotatedArticle) else doc


def syndication_groups(
    docs: Sequence[AnnotatedArticle | Article], options: DedupOptions = DedupOptions()
) -> dict[str, str]:
    """Article id -> group id, where a group is the articles that are one report
    (exact copies, light rewrites, trimmed or padded versions): connected components
    over verified near-duplicate pairs (which pairs are found does not depend on the
    order of ``docs``). The group id is the id of its earliest member: by publication
    date, undated last, then by position in ``docs``; so later copies joining a group
    do not rename it. Every article is in a group (alone or not).
    """
    articles: list[Article] = []
    seen: set[str] = set()
    for doc in docs:
        a = _article(doc)
        if a.id not in seen:
            seen.add(a.id)
            articles.append(a)
    parent = list(range(len(articles)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    index = DedupIndex(options)
    position = {a.id: i for i, a in enumerate(articles)}
    for i, a in enumerate(articles):
        sig = signature(a.text)
        for m in index.matches(sig):
            ri, rj = find(i), find(position[m.article_id])
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
        index.add(a.id, sig)

    def earliest(i: int) -> tuple[bool, str, int]:
        published = articles[i].published
        return (published is None, published or "", i)

    first: dict[int, int] = {}
    for i in range(len(articles)):
        root = find(i)
        if root not in first or earliest(i) < earliest(first[root]):
            first[root] = i
    return {a.id: articles[first[find(i)]].id for i, a in enumerate(articles)}


def groups_of(assignment: dict[str, str]) -> list[tuple[str, ...]]:
    """The groups with more than one member, as tuples of ids (group id first)."""
    members: dict[str, list[str]] = {}
    for aid, gid in assignment.items():
        members.setdefault(gid, []).append(aid)
    return sorted(
        (tuple([gid] + sorted(m for m in ids if m != gid)) for gid, ids in members.items() if len(ids) > 1),
        key=lambda g: (-len(g), g[0]),
    )


# -- wire origin ------------------------------------------------------------------------


@dataclass(frozen=True)
class Agency:
    """A wire agency: its canonical name and how texts write it.

    ``names`` are matched wherever an origin pattern allows; ``short`` forms are
    ambiguous abbreviations ("AP" is also Andhra Pradesh), matched case-sensitively and
    only where they cannot be the start of another name (not before a capitalised word
    other than a weekday or month).
    """

    name: str
    names: tuple[str, ...]
    short: tuple[str, ...] = ()


# Extend here: order does not matter; longer forms are tried before shorter ones.
AGENCIES: tuple[Agency, ...] = (
    Agency("Reuters", ("Thomson Reuters", "Reuters")),
    Agency("AP", ("The Associated Press", "Associated Press"), ("AP",)),
    Agency("AFP", ("Agence France-Presse", "Agence France Presse"), ("AFP",)),
    Agency("Xinhua", ("Xinhua News Agency", "Xinhua")),
    Agency("Bloomberg", ("Bloomberg News",), ("Bloomberg",)),
    Agency("dpa", ("Deutsche Presse-Agentur",), ("dpa", "DPA")),
    Agency("ANSA", ("Agenzia Nazionale Stampa Associata",), ("ANSA",)),
    Agency("EFE", ("Agencia EFE",), ("EFE",)),
    Agency("UPI", ("United Press International",), ("UPI",)),
    Agency("PA Media", ("PA Media", "Press Association"), ("PA",)),
)

# Removed stretches that never carry a text origin: photo captions and credits name the
# photographer's agency, not the report's; the title is not the body.
_NOT_TEXT = frozenset({"caption", "credit", "title"})

_CALENDAR = (
    "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|"
    "July|August|September|October|November|December"
)
# after an agency name: not a photo credit ("REUTERS/...", "AP Photo") and not a longer
# name ("Reuters Institute", "Thomson Reuters Foundation")
_NOT_AFTER = r"(?![\w/-])(?!\s+(?:Photo|Photos|Images|Pictures|Institute|Foundation|Trust|Stylebook|Graphics)\b)"


def _alias(agency: Agency, *, parenthesised: bool = False, short: bool = True) -> str:
    """A regex for the agency's names. ``parenthesised``: inside "(...)" of a dateline,
    where an abbreviation may follow the bracket."""
    longs = sorted(agency.names, key=len, reverse=True)
    parts = [r"\s+".join(map(re.escape, n.split())) for n in longs]
    if short:
        before = "" if parenthesised else r"(?<![\w/(-])"
        after = "" if parenthesised else rf"(?!\s+(?!(?:{_CALENDAR})\b)[A-Z])"
        parts += [rf"{before}{re.escape(s)}{after}" for s in agency.short]
    return "(?:" + "|".join(parts) + ")" + _NOT_AFTER


@dataclass(frozen=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]


def _build(agency: Agency) -> tuple[_Pattern, ...]:
    a = _alias(agency)
    the = r"(?:[Tt]he\s+)?"
    # a dateline's place: any capitalised words before an agency's full name, but only
    # an upper-case place ("NEW DELHI (AP) -") before an abbreviation, so that
    # "Andhra Pradesh (AP) - ..." is not read as one
    date = r"(?:,[^\S\n]*[A-Z][\w.]*(?:[^\S\n]+\d{1,2})?(?:,?[^\S\n]+\d{4})?)?[^\S\n]*"
    place_any = rf"(?:[A-Z][\w.'’-]*(?:[ -][\w.'’-]+){{0,4}}{date})?"
    place_caps = rf"(?:[A-Z][A-Z.'’-]+(?:[ -][A-Z.'’-]+){{0,4}}{date})?"
    dash = r"[^\S\n]*(?:-{1,2}|–|—|:|_(?=[^\S\n]))"  # "_": the dash of old wire copy, "LONDON (AP) _ The ..."
    full = _alias(agency, parenthesised=True, short=False)
    abbr = "(?:" + "|".join(map(re.escape, agency.short)) + ")" if agency.short else None
    parens = r"(?:\s*\(\s*[A-Z]{2,5}\s*\))?"  # "the Associated Press (AP) reported"
    specs = {
        # "CAIRO (Reuters) -", "MIRENHOLT, Oct 17 (Reuters) -", "(AP) —" at a paragraph start
        "dateline": rf"(?m)^[^\S\n]*(?:{place_any}\(\s*{full}\s*\)"
        + (rf"|{place_caps}\(\s*{abbr}\s*\)" if abbr else "")
        + rf"){dash}",
        # "Reuters reported", "the Associated Press (AP) reported"; not "Thomson Reuters
        # reported a profit"
        "reported": rf"(?<![\w(]){the}{a}{parens}\s+(?:has\s+|had\s+|also\s+|first\s+)?(?:reported|reports|quoted)\b(?!\s+(?:an?\s+)?(?:net\s+|quarterly\s+|annual\s+|record\s+)?(?:profits?|loss(?:es)?|revenues?|earnings|sales|results)\b)",
        # "told Reuters", "told the AP", "a filing seen by the AP"
        "told": rf"\b(?i:told|telling|said\s+to|speaking\s+to|spoke\s+to|in\s+an\s+interview\s+with|in\s+a\s+statement\s+to|interviewed\s+by|seen\s+by|obtained\s+by|reviewed\s+by)\s+{the}{a}",
        # "according to the AP", "according to a Reuters tally"
        "according": rf"\b(?i:according\s+to\s+(?:an?\s+)?){the}{a}",
        # "a Reuters reporter", "an AFP correspondent", "an AP investigation"
        "reporter": rf"\b(?:[Aa]n?|[Tt]he)\s+{a}(?:'s|’s)?\s+(?:reporters?|correspondents?|journalists?|report|interview|investigation|tally|count|witness)\b",
        # "The Associated Press contributed to this report."
        "contributor": rf"{the}{a}{parens}\s+contributed(?:\s+reporting)?\s+to\s+this\s+(?:report|story|article)",
        # "additional reporting from Reuters", "reporting by the AP"
        "reporting": rf"(?i:\breporting\s+(?:from|by)\s+){the}{a}",
        # "© 2024 The Associated Press", "Copyright Reuters"
        "copyright": rf"(?:©|\([cC]\)|(?i:copyright))\s*(?:\d{{4}}\s+)?{the}{a}",
    }
    return tuple(_Pattern(kind, re.compile(rx)) for kind, rx in specs.items())


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[Agency, tuple[_Pattern, ...], re.Pattern[str]], ...]:
    out = []
    for agency in AGENCIES:
        # a byline or author that names the agency: "By Jane Doe, Associated Press",
        # "Reuters", "AP Staff"
        author = re.compile(
            rf"^(?:(?i:by)\s+)?(?:.*?(?:,|\||·|\s)\s*)?(?:[Tt]he\s+)?{_alias(agency)}(?:\s+(?i:staff|news|wire))?\s*$"
        )
        out.append((agency, _build(agency), author))
    return tuple(out)


@dataclass(frozen=True)
class OriginEvidence:
    """Where a text says it comes from an agency: the kind of wording and its span in
    the source text (-1, -1 for metadata)."""

    agency: str
    kind: str  # dateline | reported | told | according | reporter | contributor | reporting | copyright | byline | author
    orig_start: int
    orig_end: int
    text: str


def _scannable(article: Article) -> str:
    """The source text with captions, credits and the title blanked (same length, so
    offsets stay those of the source)."""
    chars = list(article.source_text)
    for r in article.removed:
        if r.kind in _NOT_TEXT:
            for i in range(r.start, min(r.end, len(chars))):
                if not chars[i].isspace():
                    chars[i] = " "
    return "".join(chars)


def origin_evidence(article: Article) -> tuple[OriginEvidence, ...]:
    """Every statement of wire origin in an article, in source order."""
    text = _scannable(article)
    found: list[OriginEvidence] = []
    bylines = [r for r in article.removed if r.kind == "byline"]
    for agency, patterns, author in _patterns():
        for p in patterns:
            for m in p.regex.finditer(text):
                start = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
                found.append(OriginEvidence(agency.name, p.kind, start, m.end(), text[start : m.end()]))
        for r in bylines:
            if author.match(" ".join(r.text.split())):
                found.append(OriginEvidence(agency.name, "byline", r.start, r.end, r.text))
        if article.author and author.match(" ".join(article.author.split())):
            found.append(OriginEvidence(agency.name, "author", -1, -1, article.author))
    # metadata last (it has no position), the rest by position in the source
    return tuple(sorted(found, key=lambda e: (e.orig_start < 0, e.orig_start, e.agency, e.kind)))


def origins(article: Article) -> tuple[str, ...]:
    """The wire agencies the text says the report comes from, canonical names
    ("Reuters", "AP", "AFP", ...), in order of first evidence; () when the text names
    none (photo credits do not count)."""
    return tuple(dict.fromkeys(e.agency for e in origin_evidence(article)))


def origins_of(docs: Iterable[AnnotatedArticle | Article]) -> dict[str, tuple[str, ...]]:
    """Article id -> origins, for a batch."""
    return {_article(d).id: origins(_article(d)) for d in docs}
