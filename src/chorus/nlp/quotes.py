"""quotes: who said what in one article, from chorus's spaCy parse.

    quotes = extract_quotes(article, doc, sentence_starts)   # doc = nlp(article.text)

Three kinds of :class:`~chorus.models.Quote`:

* ``direct``: words between quotation marks (straight, curly, ``''…''`` and ‘…’),
  with the speaker of the cue next to them. A quote interrupted by its cue
  ("“The water is going down,” Reyhart said, “but the anger …”"), the quoted
  sentences that follow it in the same paragraph without a cue of their own, and a
  quote that runs on into the next paragraph (an opening mark with no closing one,
  continued by a paragraph that opens with a mark) are ONE quote: ``text`` joins its
  pieces with a space and ``start``/``end`` cover them all, cue included;
  :func:`quote_pieces` gives the quoted pieces alone. A quote paragraph with no cue of
  its own takes the speaker of the quote or attribution just before it (same
  paragraph, else the previous paragraph).
* ``indirect``: the clause a reporting verb governs ("Kirby said that the talks …",
  "…, the sources added", "two Egyptian security sources told Reuters that …",
  "according to X, …"), as one contiguous span, without the complementizer "that".
* ``partial``: an indirect clause that holds quoted words ("Kirby said the talks were
  “constructive”", "described the discussions as “constructive”"); the text is the
  whole clause, quotation marks kept, so a reader sees which words are verbatim.

Cues are :data:`CUE_VERBS`: verbs of saying (:data:`SPEECH`: said, told, added,
stated, announced, noted, claimed, insisted, warned, denied, confirmed, accused,
described, indicated, mentioned, reported, …) with a clause, a quote, a to-infinitive
("vowed to …"), an object of three words or more ("announced a plan to …") or
"about/of/to …"; speech acts about something (:data:`STANCE`: criticized, praised,
cited, …) with such an object; findings and beliefs (:data:`EVIDENCE`,
:data:`THOUGHT`: "a poll shows that", "he believes that") with a clause only; and
"according to X". Attributions do not nest, like PolNeAR's: a cue inside another
cue's content or inside a direct quote is not a quote of its own, except that
"X said …, Reuters reported" keeps X. An indirect quote with nobody to attribute it
to ("was asked about …", "no deal was announced") is dropped.

Speakers: the subject of the cue (climbing through "and said", ", saying",
"was quoted as saying"), the object of "according to", or the noun phrase between a
closing quotation mark and its cue. A person's name is given in its fullest form in
the article ("Kirby" -> "John Kirby"; two people who share a surname are told apart
by the nearest full name before the mention and by Mr./Ms.), with the role written
before it or in apposition ("White House national security spokesman"). "he"/"she"
resolve to the nearest person of compatible gender (gender from Mr./Ms., -man/-woman
roles and the article's own pronouns), preferring sentence subjects; "the spokesman"
resolves to the nearest person whose role has that noun, "the sources" to the
nearest earlier unnamed speaker with the same head noun. Unnamed sources stay as
written ("two Egyptian security sources", "the Egyptian official"). The speaker span
(``speaker_orig_*``) is the mention the article attributes the quote to: the name,
the pronoun or the description in that sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from chorus.models import Article, Quote

# Reporting verbs by what their content looks like. Chosen by hand from the usual
# lists (Krestel et al. 2008, textacy's REPORTING_VERBS) and checked against PolNeAR
# train: each lemma here is a gold cue in at least half of its occurrences with a
# clausal complement (counted with spaCy en_core_web_sm on train/, see
# evaluate/quotes.py); "know", "see", "make" were left out for being mostly not.
SPEECH = frozenset(
    """say tell add state announce note claim insist warn deny confirm accuse describe indicate
    mention report write argue explain declare acknowledge tweet respond reply ask suggest
    admit reveal recall promise vow pledge urge complain assert assure charge remind question
    predict conclude contend maintain stress emphasize reiterate repeat testify allege concede
    caution boast brag joke quip muse observe opine declare estimate counter retort lament
    post email quote recount propose demand agree disagree acknowledge point continue
    characterize label dub call proclaim announce threaten""".split()
)
THOUGHT = frozenset("think believe expect hope fear worry feel doubt suspect assume wonder bet reckon guess".split())
EVIDENCE = frozenset("show find suggest indicate reveal report conclude estimate predict project".split())
# speech acts whose object is what they are about ("criticized the plan for …"),
# added as a group: +0.016 content-overlap F1 on PolNeAR train
STANCE = frozenset(
    """criticize cite express defend praise denounce blame dismiss blast tout mock slam echo highlight
    condemn decry lambaste applaud hail laud rebuke refer decline refuse""".split()
)
CUE_VERBS = SPEECH | STANCE | THOUGHT | EVIDENCE
# verbs whose object is the person spoken to ("told reporters"), not what was said
ADDRESSEE = frozenset("tell ask urge warn remind assure call quote accuse charge question".split())
# verbs whose content may be a to-infinitive ("vowed to fight", "urged Congress to act")
TO_CUES = frozenset("promise vow pledge urge threaten ask tell warn call demand propose agree decline refuse".split())
# verbs whose content may be an object with its predicate ("called the talks
# “constructive”", "described X as Y", "accused X of Y")
OBJECT_CUES = frozenset("call describe label dub characterize accuse".split())
# cues that may stand after their content as a parenthetical ("…, Kirby said.")
PARENTHETICAL = SPEECH | THOUGHT | frozenset({"report"})

_SUBJECTS = frozenset({"nsubj", "nsubjpass", "csubj"})
_CLIMB = frozenset({"conj", "advcl", "xcomp", "pcomp", "prep", "acl"})
_NP_LEFT = frozenset({"det", "amod", "compound", "nmod", "nummod", "poss", "quantmod", "case", "flat", "npadvmod", "predet", "nn"})
_PERSONAL = {"he": "m", "him": "m", "she": "f", "her": "f"}
_HONORIFIC = {"mr": "m", "mr.": "m", "ms": "f", "ms.": "f", "mrs": "f", "mrs.": "f", "miss": "f"}
_FEMALE_WORDS = re.compile(r"(?i)\b(?:\w*woman|wife|mother|daughter|sister|queen|actress|girl|grandmother|widow)\b")
_MALE_WORDS = re.compile(r"(?i)\b(?:\w*(?<!wo)man|husband|father|son|brother|king|boy|grandfather)\b")

_DOUBLE_OPEN = {"“", "«", "``", "„"}
_DOUBLE_CLOSE = {"”", "»"}
_DOUBLE_STRAIGHT = {'"', "''"}
_MARK = re.compile(r"''|``|[\"“”«»„]")
_OPEN_CONTEXT = set(" \t\n([{—–-/:")
_EDGE = " \t\n,.;:—–-\"“”‘’'«»()"


# -- quotation-mark spans ------------------------------------------------------------
@dataclass
class _Marked:
    """Words between quotation marks within one paragraph."""

    open: int  # position of the opening mark (or paragraph start when continued)
    start: int  # content start
    end: int  # content end
    close: int  # end of the closing mark (== end when unclosed)
    closed: bool
    single: bool = False
    group: int = -1  # spans of one quote running over paragraphs share a group


def _paragraphs(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for part in text.split("\n\n"):
        out.append((pos, pos + len(part)))
        pos += len(part) + 2
    return out


def _side(text: str, pos: int, mark: str) -> str:
    if mark in _DOUBLE_OPEN:
        return "open"
    if mark in _DOUBLE_CLOSE:
        return "close"
    before = text[pos - 1] if pos > 0 else " "
    after = text[pos + len(mark)] if pos + len(mark) < len(text) else " "
    if before in _OPEN_CONTEXT:
        return "open"
    if after.isspace() or after in ",.;:!?)]—–-":
        return "close"
    return "open"


def find_marked(text: str) -> list[_Marked]:
    """Quoted stretches of ``text`` (cleaned article text), paragraph by paragraph.
    An unclosed quote runs to the end of its paragraph; when the next paragraph
    opens with a quotation mark both are one quote (the newspaper convention for a
    quote over several paragraphs)."""
    spans: list[_Marked] = []
    paras = _paragraphs(text)
    carry = False  # the previous paragraph ended inside a quote
    group = 0
    for p_start, p_end in paras:
        para = text[p_start:p_end]
        marks = [(p_start + m.start(), m.group()) for m in _MARK.finditer(para)]
        opening_first = bool(marks) and marks[0][0] == p_start + len(para) - len(para.lstrip()) and _side(text, marks[0][0], marks[0][1]) == "open"
        if not (carry and opening_first):
            group += 1
        carry = False
        cur: tuple[int, int] | None = None  # (mark pos, content start)
        for pos, mark in marks:
            side = _side(text, pos, mark)
            if cur is None:
                if side == "open" or mark in _DOUBLE_STRAIGHT:
                    cur = (pos, pos + len(mark))
                continue
            if side == "close" or mark in _DOUBLE_STRAIGHT:
                spans.append(_Marked(cur[0], cur[1], pos, pos + len(mark), True, group=group))
                cur = None
                group += 1
            else:  # an opening curly mark inside a quote: the previous one never closed
                spans.append(_Marked(cur[0], cur[1], pos, pos, False, group=group))
                group += 1
                cur = (pos, pos + len(mark))
        if cur is not None:
            end = p_start + len(para.rstrip())
            spans.append(_Marked(cur[0], cur[1], end, end, False, group=group))
            carry = True
    spans += _single_marked(text, spans)
    spans.sort(key=lambda s: s.open)
    return [s for s in spans if s.end > s.start and any(c.isalnum() for c in text[s.start : s.end])]


_SINGLE = re.compile(r"(?<![\w’'])‘([^‘’\n]{1,200}?)’(?![\w])")


def _single_marked(text: str, double: list[_Marked]) -> list[_Marked]:
    """‘…’ quotes outside double quotes (British style and headlines); straight single
    quotes are left alone: they are apostrophes far more often."""
    out = []
    for m in _SINGLE.finditer(text):
        if any(d.open <= m.start() < d.close for d in double):
            continue
        out.append(_Marked(m.start(), m.start(1), m.end(1), m.end(), True, single=True, group=-(m.start() + 1)))
    return out


# -- cues --------------------------------------------------------------------------
@dataclass
class _Cue:
    verb: Token
    label: str  # the cue as written: "said", "told reporters", "according to"
    source: Token | None  # head of the speaker phrase
    content: tuple[int, int] | None  # cleaned char span
    parenthetical: bool = False  # the content stands before the cue
    according: bool = False
    used: bool = False


def _subject(verb: Token) -> Token | None:
    """The subject of a cue verb, climbing "and said", ", saying", "was quoted as saying"."""
    if verb.lemma_ != "quote" and verb.tag_ == "VBN" and (
        verb.dep_ in ("advcl", "acl", "amod") or any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children)
    ):
        # passive ("was asked", "Asked about X, …"): the speaker is the agent, if named
        for child in verb.children:
            if child.dep_ == "agent":
                objs = [c for c in child.children if c.dep_ == "pobj"]
                return objs[0] if objs else None
        return None
    tok = verb
    for _ in range(4):
        for child in tok.children:
            if child.dep_ in ("nsubj", "csubj") or (child.dep_ == "nsubjpass" and tok.lemma_ in ("quote", "report", "cite")):
                return child  # a relative "who" is resolved by _Extractor.speaker
        if tok.dep_ == "relcl" and tok.head.pos_ in ("NOUN", "PROPN"):
            return tok.head
        if tok.dep_ == "acl":  # "reports saying …": the noun speaks; "a plan to …": nobody
            if tok.tag_ != "VBG" or tok.head.pos_ not in ("NOUN", "PROPN"):
                return None
            if tok.head.dep_ != "dobj":
                return tok.head
            tok = tok.head.head  # "X issued a statement saying …": X speaks
            continue
        if tok.dep_ not in _CLIMB or tok.head is tok:
            return None
        head = tok.head
        # ", adding …" / "and accused …" hung on the reported clause: it belongs to the
        # verb that reports that clause ("Hamas claimed X and accused Y")
        if head.dep_ == "ccomp" and head.head.lemma_.lower() in CUE_VERBS:
            # …but "demanded Israel withdraw and agree": same form as the clause's verb
            if (tok.dep_ == "advcl" and tok.tag_ == "VBG") or (tok.dep_ == "conj" and tok.tag_ == head.head.tag_ != head.tag_):
                head = head.head
        tok = head
    return None


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Without edge punctuation and a leading "that"; a quotation mark opened or
    closed inside the span keeps its partner ("the damage “manageable.”")."""
    s0, e0 = start, end
    while start < end and text[start] in _EDGE:
        start += 1
    while end > start and text[end - 1] in _EDGE:
        end -= 1
    if re.match(r"(?i)that\s", text[start:end]):
        start += 5
        while start < end and text[start] in _EDGE:
            start += 1
    inner = text[start:end]
    if inner.count("“") > inner.count("”") or (inner.count('"') % 2 and inner.rfind('"') > 0):
        k = max(text.find("”", end, max(e0, end + 3)), text.find('"', end, max(e0, end + 3)))
        if k >= 0:
            end = k + 1
    elif inner.count("”") > inner.count("“"):
        k = text.rfind("“", s0, start)
        if k >= 0:
            start = k
    return start, end


def _subtree_span(tokens: Sequence[Token]) -> tuple[int, int]:
    start = min(t.left_edge.idx for t in tokens)
    last = max(t.right_edge for t in tokens)
    return start, last.idx + len(last)


def _has_own_cue(tok: Token) -> bool:
    return any(
        t.pos_ == "VERB" and t.lemma_.lower() in CUE_VERBS and any(c.dep_ in ("nsubj", "nsubjpass") for c in t.children)
        for t in tok.subtree
    )


def _clause_span(roots: Sequence[Token]) -> tuple[int, int]:
    """The span of the content clauses, without what trails them but belongs to the
    narrator: a participle after a comma (", insisting that …") or another
    attribution (", while others said …"). PolNeAR's annotators cut there. (Cutting a
    verb coordinated without a subject, "said X and promised Y", was tried and lost
    0.005 F1 on PolNeAR train: annotators mostly keep it.)"""
    pruned: set[int] = set()
    for root in roots:
        kids = [c for c in root.children if c.i > root.i]
        for c in kids:
            prev = root.doc[c.left_edge.i - 1] if c.left_edge.i > 0 else None
            after_comma = prev is not None and prev.text in (",", "—", "–", ";", "-", "--")
            drop = (
                (c.dep_ in ("advcl", "conj") and c.tag_ == "VBG" and after_comma)
                or (c.dep_ in ("advcl", "conj", "parataxis") and after_comma and _has_own_cue(c))
                or (c.dep_ == "conj" and c.pos_ == "VERB" and c.lemma_.lower() in CUE_VERBS)
            )
            if drop:
                pruned.update(t.i for t in c.subtree)
                # the "and"/comma that joined it
                for k in kids:
                    if k.i < c.i and k.dep_ in ("cc", "punct") and not any(j.i > k.i and j.i < c.i and j.i not in pruned and j.dep_ not in ("cc", "punct") for j in kids):
                        pruned.add(k.i)
    kept = [t for root in roots for t in root.subtree if t.i not in pruned]
    start = min(t.idx for t in kept)
    last = max(kept, key=lambda t: t.i)
    return start, last.idx + len(last)


def _content(verb: Token, lemma: str, text: str) -> tuple[tuple[int, int] | None, bool]:
    """The content a cue verb governs, as a cleaned char span, and whether it stands
    before the cue (a parenthetical "…, he said")."""
    clauses = [c for c in verb.children if c.dep_ in ("ccomp", "csubj") and c.i != verb.i]
    if not clauses and lemma in TO_CUES:
        clauses = [c for c in verb.children if c.dep_ == "xcomp" and any(t.lower_ == "to" for t in c.children)]
    if not clauses and lemma in OBJECT_CUES:
        objects = [c for c in verb.children if c.dep_ == "dobj"]
        rest = [c for c in verb.children if c.dep_ in ("oprd", "xcomp", "advcl", "prep") and c.i > verb.i]
        if objects and (rest or lemma in ("describe", "call")):
            span = _subtree_span(objects + rest)
            return (_trim(text, *span), False)
    if clauses:
        start, end = _clause_span(clauses)
        if start <= verb.idx < end:
            # a bad parse hung the cue inside its own content: keep the part before it
            own = [verb] + [c.left_edge for c in verb.children if c.dep_ not in ("ccomp", "csubj", "xcomp")]
            end = min(t.idx for t in own if t.idx > start) if any(t.idx > start for t in own) else verb.idx
        if end <= verb.idx:  # content first, then the cue
            sent = verb.sent
            return (_trim(text, max(sent.start_char, start), end), True)
        return (_trim(text, start, end), False)
    # a noun phrase of three words or more as what was said ("announced a plan to
    # …", "criticized the ruling as …"); shorter ones ("praised Clinton") say too
    # little to show as a quote (dropping them costs nothing on PolNeAR train)
    if lemma in (SPEECH | STANCE | EVIDENCE) - ADDRESSEE:
        objects = [c for c in verb.children if c.dep_ == "dobj" and c.pos_ in ("NOUN", "PROPN", "NUM", "ADJ") and c.i > verb.i]
        objects = [o for o in objects if len(list(o.subtree)) >= 3]
        if objects:
            extra = [c for c in verb.children if c.dep_ == "prep" and c.lower_ in ("for", "as") and c.i > objects[-1].i]
            return (_trim(text, *_subtree_span(objects + extra)), False)
    if lemma in SPEECH | STANCE:  # "warned of …", "spoke about …", "referred to …"
        preps = [
            c
            for c in verb.children
            if c.dep_ == "prep" and c.i > verb.i and (c.lower_ in ("about", "of", "to") or (c.lower_ == "on" and lemma in ("insist", "comment", "elaborate")))
        ]
        objs = [k for c in preps for k in c.children if k.dep_ in ("pobj", "pcomp")]
        if objs:
            return (_trim(text, *_subtree_span(objs)), False)
    # "X will win, Kirby said": the parser hung the cue under the content's verb
    head = verb.head
    if lemma in PARENTHETICAL and verb.dep_ in ("parataxis", "advcl", "ccomp", "conj") and head.i < verb.i:
        left = verb.left_edge.i
        doc = verb.doc
        if left > head.left_edge.i and doc[left - 1].is_punct:
            end_tok = doc[left - 1]
            return (_trim(text, head.left_edge.idx, end_tok.idx), True)
    return None, False


def _according(tok: Token, text: str) -> _Cue | None:
    """ "according to X" (also "as X said" is left to the verb rule)."""
    if tok.lower_ != "according" or tok.i + 1 >= len(tok.doc) or tok.doc[tok.i + 1].lower_ != "to":
        return None
    to = tok.doc[tok.i + 1]
    objs = [c for c in to.children if c.dep_ == "pobj"]
    if not objs:
        return None
    phrase_start, phrase_end = tok.idx, objs[0].right_edge.idx + len(objs[0].right_edge)
    sent = tok.sent
    s_start, s_end = sent.start_char, sent.end_char
    # the content is the rest of the sentence on the longer side of the phrase
    if phrase_start - s_start >= s_end - phrase_end:
        content = _trim(text, s_start, phrase_start)
    else:
        content = _trim(text, phrase_end, s_end)
    if content[1] - content[0] < 3:
        return None
    return _Cue(tok, "according to", objs[0], content, parenthetical=phrase_start > content[0], according=True)


def _cue_label(verb: Token) -> str:
    parts = [verb]
    parts += [c for c in verb.children if c.dep_ == "prt"]
    if verb.lemma_ == "tell":
        parts += [t for c in verb.children if c.dep_ in ("dobj", "dative") for t in c.subtree]
    parts.sort(key=lambda t: t.i)
    return " ".join(t.text for t in parts)


def find_cues(doc: Doc, text: str, inside: Sequence[bool]) -> list[_Cue]:
    """Reporting cues outside quotation marks, with their subject and content."""
    cues = []
    for tok in doc:
        if inside[tok.i]:
            continue
        acc = _according(tok, text)
        if acc is not None:
            cues.append(acc)
            continue
        lemma = tok.lemma_.lower()
        if tok.pos_ != "VERB" or lemma not in CUE_VERBS:
            continue
        if tok.lower_ == "called" and tok.i > 1 and tok.doc[tok.i - 1].text == "-" and tok.doc[tok.i - 2].lower_ == "so":
            continue  # "so-called"
        if tok.dep_ in ("acl", "relcl", "amod", "advcl") and any(c.dep_ == "aux" and c.lower_ == "to" for c in tok.children):
            continue  # "an initiative to conclude …": a purpose, not an attribution
        content, parenthetical = _content(tok, lemma, text)
        if content is not None and len(re.findall(r"\w+", text[content[0] : content[1]])) < 2:
            content = None
        if lemma not in SPEECH and content is None:
            continue
        cues.append(_Cue(tok, _cue_label(tok), _subject(tok), content, parenthetical))
    return cues


# -- people ------------------------------------------------------------------------
@dataclass
class _Person:
    name: str  # the fullest form seen
    tokens: tuple[str, ...]
    first_pos: int
    mentions: list[int] = field(default_factory=list)  # char positions of every mention
    role: str | None = None
    gender: dict[str, int] = field(default_factory=lambda: {"m": 0, "f": 0})

    def sex(self) -> str | None:
        m, f = self.gender["m"], self.gender["f"]
        return "m" if m > f else "f" if f > m else None


@dataclass
class _Speaker:
    name: str
    role: str | None
    span: tuple[int, int]  # cleaned span of the mention in the attributing sentence
    person: _Person | None = None
    description_head: str | None = None  # lemma of an unnamed speaker's head noun
    plural: bool = False

    def sex(self) -> str | None:
        if self.person is not None:
            return self.person.sex()
        if _FEMALE_WORDS.search(self.name):
            return "f"
        return "m" if _MALE_WORDS.search(self.name) else None


def _clean_name(text: str) -> str:
    from chorus.nlp.annotate import clean_name

    a, b = clean_name(text)
    return text[a:b]


class _People:
    """The persons named in one article, with roles and gender evidence."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.persons: list[_Person] = []
        self.by_pos: dict[int, _Person] = {}  # token index -> person
        ents = []
        for ent in doc.ents:
            if ent.label_ != "PERSON" or "\n" in ent.text:
                continue
            toks = tuple(w for w in re.findall(r"[\w.'’-]+", _clean_name(ent.text)) if w.lower() not in _HONORIFIC)
            if toks:
                ents.append((ent, toks))
        # full names first: each is a person ("Donald J. Trump" = "Donald Trump");
        # two full names that share a surname stay two people
        full: dict[tuple[str, str], _Person] = {}
        for ent, toks in ents:
            if len(toks) >= 2:
                key = (toks[0].lower(), toks[-1].lower())
                person = full.get(key)
                if person is None:
                    person = full[key] = _Person(" ".join(toks), toks, ent.start_char)
                    self.persons.append(person)
                elif len(toks) > len(person.tokens):
                    person.name, person.tokens = " ".join(toks), toks
                self._evidence(ent, person)
        single: dict[str, _Person] = {}
        for ent, toks in ents:
            if len(toks) >= 2:
                person = full[(toks[0].lower(), toks[-1].lower())]
                person.mentions.append(ent.start_char)
                for t in ent:
                    self.by_pos[t.i] = person
                continue
            else:
                before = doc[ent.start - 1].lower_ if ent.start > 0 else None
                person = self.by_surname(toks[0], ent.start_char, before if before in _HONORIFIC else None)
                if person is None:
                    person = single.get(toks[0].lower())
                    if person is None:
                        person = single[toks[0].lower()] = _Person(toks[0], toks, ent.start_char)
                        self.persons.append(person)
            person.mentions.append(ent.start_char)
            for t in ent:
                self.by_pos[t.i] = person
            self._evidence(ent, person)

    def _evidence(self, ent: Span, person: _Person) -> None:
        """Gender clues around one mention: Mr./Ms., a gendered noun in apposition or
        just before the name ("her brother, Lars Berg", "Congresswoman …"), and
        he/she/his/her later in a sentence where this is the only person."""
        doc = self.doc
        before = doc[ent.start - 1].lower_ if ent.start > 0 else ""
        if before in _HONORIFIC:
            person.gender[_HONORIFIC[before]] += 3
        root = ent.root
        near = [t for t in doc[max(ent.sent.start, ent.start - 3) : ent.start]]
        near += [c for c in root.children if c.dep_ == "appos"]
        if root.dep_ == "appos":
            near.append(root.head)
        for t in near:
            if _FEMALE_WORDS.fullmatch(t.lower_):
                person.gender["f"] += 2
            elif _MALE_WORDS.fullmatch(t.lower_):
                person.gender["m"] += 2
        # pronouns in the rest of the sentence when this is its only person
        sent = ent.sent
        others = [e for e in sent.ents if e.label_ == "PERSON" and e.start != ent.start]
        if not others:
            for t in doc[ent.end : sent.end]:
                g = _PERSONAL.get(t.lower_) or {"his": "m", "hers": "f", "herself": "f", "himself": "m"}.get(t.lower_)
                if g:
                    person.gender[g] += 1

    def person_at(self, tok: Token) -> _Person | None:
        return self.by_pos.get(tok.i)

    def add_role(self, person: _Person, role: str) -> None:
        if role and person.role is None:
            person.role = role
        if _FEMALE_WORDS.search(role):
            person.gender["f"] += 3
        elif _MALE_WORDS.search(role):
            person.gender["m"] += 3

    def by_surname(self, word: str, pos: int, honorific: str | None) -> _Person | None:
        """The full-name person a lone surname (or first name) refers to: the one
        named nearest before ``pos`` (else nearest after), of the honorific's gender."""
        word = word.lower()
        cands = [p for p in self.persons if len(p.tokens) > 1 and word in (p.tokens[-1].lower(), p.tokens[0].lower())]
        if honorific:
            g = _HONORIFIC.get(honorific.lower())
            cands = [p for p in cands if p.sex() in (None, g)] or cands
        if not cands:
            return None
        before = [p for p in cands if any(m <= pos for m in p.mentions) or p.first_pos <= pos]
        if before:
            return max(before, key=lambda p: max([m for m in p.mentions if m <= pos] or [p.first_pos]))
        return min(cands, key=lambda p: p.first_pos)


# -- the extractor -----------------------------------------------------------------
def _sentence_starts(doc: Doc) -> list[int]:
    """Starts of chorus's sentences (as annotate_doc makes them): whitespace-only
    sentences dropped, a sentence of closing marks only merged into the one before."""
    text = doc.text
    starts: list[int] = []
    last_end = -1
    for sent in doc.sents:
        s = sent.text
        if not s.strip():
            continue
        start = sent.start_char + len(s) - len(s.lstrip())
        end = sent.end_char - (len(s) - len(s.rstrip()))
        if starts and not any(c.isalnum() for c in text[start:end]) and "\n" not in text[last_end:start]:
            last_end = end
            continue
        starts.append(start)
        last_end = end
    return starts or [0]


@dataclass
class _Found:
    """A quote under construction."""

    pieces: list[tuple[int, int]]
    kind: str
    cue: _Cue | None
    paragraph: int


class _Extractor:
    def __init__(self, article: Article, doc: Doc, sentence_starts: Sequence[int] | None) -> None:
        self.article = article
        self.doc = doc
        self.text = article.text  # = doc.text, which spaCy rebuilds on every read
        self.sent_starts = list(sentence_starts) if sentence_starts else _sentence_starts(doc)
        self.para_starts = [a for a, _ in _paragraphs(self.text)]
        self.people = _People(doc)
        self.marked = find_marked(self.text)
        inside = [False] * len(doc)
        for m in self.marked:
            if m.single:
                continue
            for t in doc.char_span(m.start, m.end, alignment_mode="expand") or ():
                inside[t.i] = True
        self.inside = inside
        self.cues = find_cues(doc, self.text, inside)
        self.speakers_seen: list[_Speaker] = []
        # roles as first written ("White House national security spokesman John
        # Kirby"), so that a later "Kirby said" or "the spokesman said" has them
        for ent in doc.ents:
            person = self.people.person_at(ent.root) if ent.label_ == "PERSON" else None
            if person is not None:
                role = self._role(self._np(ent.root), list(ent), ent.root)
                if role:
                    self.people.add_role(person, role)

    # positions
    def sentence_of(self, pos: int) -> int:
        return max(0, bisect_right(self.sent_starts, pos) - 1)

    def paragraph_of(self, pos: int) -> int:
        return max(0, bisect_right(self.para_starts, pos) - 1)

    # -- speakers
    def speaker(self, tok: Token | None) -> _Speaker | None:
        if tok is None:
            return None
        doc = self.doc
        if tok.lower_ in ("who", "that", "which") and tok.head.dep_ == "relcl":
            # "Kirby, who said …": the noun the clause hangs on, cited at the "who"
            found = self.speaker(tok.head.head)
            if found is None:
                return None
            return _Speaker(found.name, found.role, (tok.idx, tok.idx + len(tok)), found.person, found.description_head, found.plural)
        if tok.lower_ in _PERSONAL or (tok.pos_ == "PRON" and not any(c.dep_ == "prep" and c.lower_ == "of" for c in tok.children)):
            return self._pronoun(tok)
        person = self.people.person_at(tok)
        if person is None and tok.pos_ == "NOUN":
            # "Her brother, shop owner Lars Berg, said": the named apposition speaks
            for child in tok.children:
                if child.dep_ == "appos" and self.people.person_at(child) is not None:
                    return self.speaker(child)
        np = self._np(tok)
        if person is None and tok.pos_ == "PROPN" and tok.ent_type_ not in ("ORG", "GPE", "NORP", "FAC", "LOC"):
            before = doc[tok.i - 1].text if tok.i > 0 else ""
            person = self.people.by_surname(tok.text, tok.idx, before if before.lower() in _HONORIFIC else None)
        if person is not None:
            ent_tokens = [t for t in np if self.people.person_at(t) is person] or [tok]
            name_start = ent_tokens[0].idx
            name_end = ent_tokens[-1].idx + len(ent_tokens[-1])
            role = self._role(np, ent_tokens, tok)
            if role:
                self.people.add_role(person, role)
            return _Speaker(person.name, role or person.role, (name_start, name_end), person)
        if tok.ent_type_ in ("ORG", "GPE", "NORP", "PERSON") or tok.pos_ == "PROPN":
            ents = [e for e in doc.ents if e.start <= tok.i < e.end]
            if ents:
                e = ents[0]
                a, b = _name_bounds(e)
                return _Speaker(self.text[a:b], None, (a, b))
        return self._description(tok, np)

    def _np(self, head: Token) -> list[Token]:
        keep = {head.i}
        for child in head.children:
            if child.dep_ in _NP_LEFT or (child.dep_ in ("cc", "conj") and child.i > head.i):
                keep.update(t.i for t in child.subtree)
            elif child.dep_ == "prep" and child.lower_ == "of" and child.i > head.i:
                keep.update(t.i for t in child.subtree)
        lo, hi = min(keep), max(keep)
        return [self.doc[i] for i in range(lo, hi + 1) if not (self.doc[i].is_punct and i in (lo, hi))]

    def _role(self, np: list[Token], name_tokens: list[Token], head: Token) -> str | None:
        before = [t for t in np if t.i < name_tokens[0].i and self.people.person_at(t) is None]
        while before and (before[0].dep_ in ("det", "predet") or before[0].lower_ in _HONORIFIC):
            before = before[1:]
        while before and before[-1].lower_ in _HONORIFIC:
            before = before[:-1]
        if before and before[-1].dep_ != "case" and any(t.pos_ in ("NOUN", "PROPN") for t in before):
            a, b = before[0].idx, before[-1].idx + len(before[-1])
            return self.text[a:b]
        for child in head.children:
            if child.dep_ == "appos" and child.pos_ in ("NOUN", "PROPN") and self.people.person_at(child) is None:
                # "a Democratic pollster [who worked on …]": without the clause
                cut = {t.i for d in child.subtree if d.dep_ in ("relcl", "acl") for t in d.subtree}
                toks = [t for t in child.subtree if t.i not in cut and not t.is_punct]
                while toks and toks[0].dep_ in ("det", "predet"):
                    toks = toks[1:]
                if toks:
                    a, b = toks[0].idx, toks[-1].idx + len(toks[-1])
                    if b - a <= 80:
                        return self.text[a:b]
        return None

    def _pronoun(self, tok: Token) -> _Speaker | None:
        span = (tok.idx, tok.idx + len(tok))
        g = _PERSONAL.get(tok.lower_)
        if g is None:
            if tok.lower_ in ("they", "it"):
                prev = self._previous_description(tok, plural=tok.lower_ == "they")
                if prev is not None:
                    return _Speaker(prev.name, prev.role, span, prev.person, prev.description_head)
            return None
        found = self._antecedent(tok, g)
        if found is None:
            return None
        if isinstance(found, _Speaker):
            return _Speaker(found.name, found.role, span, None, found.description_head)
        return _Speaker(found.name, found.role, span, found)

    def _antecedent(self, tok: Token, gender: str) -> _Person | _Speaker | None:
        """The nearest person before ``tok`` of compatible gender: sentence by sentence
        backwards (at most 6), the subject of a sentence before its other persons; a
        person known to have that gender before one whose gender is unknown."""
        doc = self.doc
        sents = list(doc.sents)
        here = next((i for i, s in enumerate(sents) if s.start <= tok.i < s.end), 0)
        unknown: _Person | _Speaker | None = None
        for k in range(here, max(-1, here - 7), -1):
            sent = sents[k]
            found: list[tuple[int, _Person | _Speaker]] = []
            for t in sent:
                if k == here and t.i >= tok.i:
                    break
                person = self.people.person_at(t)
                if person is None:
                    continue
                rank = 0 if t.dep_ in _SUBJECTS or (t.head.dep_ in _SUBJECTS and t.dep_ in ("compound", "flat")) else 1
                if k == here and rank:
                    continue  # "Asked about Melania Trump, he said": not her
                found.append((rank, person))
            # an unnamed speaker ("said the woman") is a subject too
            for sp in self.speakers_seen:
                if sp.person is None and not sp.plural and sent.start_char <= sp.span[0] < min(sent.end_char, tok.idx):
                    found.append((0, sp))
            # within the sentence: subjects first, then the latest mention
            found.sort(key=lambda x: x[0])
            for _, cand in found:
                sex = cand.sex()
                if sex == gender:
                    return cand
                if sex is None and unknown is None:
                    unknown = cand
            if unknown is not None and k < here:
                return unknown
        return unknown

    def _previous_description(self, tok: Token, plural: bool) -> _Speaker | None:
        for sp in reversed(self.speakers_seen):
            if sp.span[0] >= tok.idx:
                continue
            if sp.person is None and sp.plural == plural:
                return sp
            break
        return None

    def _description(self, head: Token, np: list[Token]) -> _Speaker | None:
        quantified = any(c.dep_ == "prep" and c.lower_ == "of" for c in head.children)  # "some of his allies"
        if (head.pos_ not in ("NOUN", "PROPN", "NUM") and not quantified) or not np:
            return None
        a, b = np[0].idx, np[-1].idx + len(np[-1])
        text = self.text[a:b]
        if np[0].pos_ != "PROPN" and np[0].is_title:  # "Two city officials said" -> "two city officials"
            text = np[0].lower_ + text[len(np[0].text) :]
        lemma = head.lemma_.lower()
        definite = np[0].lower_ in ("the", "this", "that", "these", "those")
        if definite:
            # "the spokesman": a person whose role has that noun
            for person in sorted(self.people.persons, key=lambda p: -max([m for m in p.mentions if m < a] or [-1])):
                if not [m for m in person.mentions if m < a]:
                    continue
                if person.role and re.search(rf"(?i)\b{re.escape(head.text)}\b", person.role):
                    return _Speaker(person.name, person.role, (a, b), person)
            # "the sources": an earlier unnamed speaker with the same head noun
            mods = {t.lower_ for t in np if t.i != head.i and t.dep_ not in ("det", "predet")}
            for sp in reversed(self.speakers_seen):
                if sp.person is None and sp.description_head == lemma and sp.span[0] < a:
                    if mods <= set(sp.name.lower().split()):
                        return _Speaker(sp.name, sp.role, (a, b), None, lemma)
        return _Speaker(text, None, (a, b), None, lemma, head.tag_ in ("NNS", "NNPS"))

    # -- quotes
    def run(self) -> list[_Found]:
        found = self._direct()
        found += self._indirect(found)
        found.sort(key=lambda f: f.pieces[0][0])
        return found

    def _touching(self, start: int, end: int) -> set[int]:
        return set(range(self.sentence_of(start), self.sentence_of(max(start, end - 1)) + 1))

    def _cue_for(self, m: _Marked) -> _Cue | None:
        """The cue of a quoted stretch: one whose content overlaps it, else the
        nearest cue in the sentences it touches, outside every quote."""
        sents = self._touching(m.open, m.close)
        para = self.paragraph_of(m.start)
        best: tuple[int, _Cue] | None = None
        for cue in self.cues:
            pos = cue.verb.idx
            if self.sentence_of(pos) not in sents or self.paragraph_of(pos) != para:
                continue
            if cue.content and cue.content[0] <= m.start and m.end <= cue.content[1] + 2:
                dist = -1
            elif cue.content and cue.content[1] > m.open and cue.content[0] < m.close:
                dist = 0
            else:
                dist = min(abs(pos - m.open), abs(pos - m.close))
                if cue.content and not cue.according:  # a cue busy with another clause
                    dist += 1000
            if best is None or dist < best[0]:
                best = (dist, cue)
        return best[1] if best else None

    def _is_embedded(self, m: _Marked, cue: _Cue) -> bool:
        """Quoted words inside a longer reported clause ("said the talks were
        “constructive”")."""
        if cue.content is None:
            return False
        c0, c1 = cue.content
        if not (c0 <= m.start and m.end <= c1 + 2):
            return False
        outside = sum(1 for i in range(c0, c1) if not (m.open <= i < m.close) and self.text[i].isalnum())
        inside = sum(1 for i in range(m.start, m.end) if self.text[i].isalnum())
        return outside > 0.25 * max(inside, 1) and outside > 8

    def _direct(self) -> list[_Found]:
        text = self.text
        groups: dict[int, list[_Marked]] = {}
        for m in self.marked:
            groups.setdefault(m.group, []).append(m)
        units = sorted(groups.values(), key=lambda g: g[0].open)
        out: list[_Found] = []
        prev: _Found | None = None
        for unit in units:
            cue = None
            for m in unit:
                cue = self._cue_for(m)
                if cue is not None:
                    break
            first = unit[0]
            para = self.paragraph_of(first.start)
            if cue is not None and all(self._is_embedded(m, cue) for m in unit):
                continue  # a partial quote: the indirect pass takes the whole clause
            short = sum(1 for w in re.findall(r"\w+", " ".join(text[m.start : m.end] for m in unit))) < 4
            if cue is None and (short or first.single or self._in_narration(first)):
                continue  # scare quotes, titles, nicknames: not speech
            pieces = [(m.start, m.end) for m in unit]
            kind = "partial" if first.single or (short and self._in_narration(first)) else "direct"
            if cue is not None:
                cue.used = True
                # the same cue in the same paragraph: one quote ("A," he said, "B.")
                if prev is not None and prev.cue is cue and prev.paragraph == para:
                    prev.pieces += pieces
                    continue
                found = _Found(pieces, kind, cue, para)
            else:
                # no cue: continue the quote before it in this paragraph or, opening
                # a paragraph, the previous paragraph's quote or attribution
                opens_para = text[self.para_starts[para] : first.open].strip() == ""
                if prev is not None and prev.paragraph == para and prev.kind == "direct":
                    prev.pieces += pieces
                    continue
                # (None: a quote whose speaker the article does not give here)
                found = _Found(pieces, kind, self._previous_attribution(first.open, para, opens_para), para)
            out.append(found)
            prev = found
        # a quote whose cue comes in a later quote of the same paragraph ("“A.” “B,” he said.")
        merged: list[_Found] = []
        for f in out:
            if merged and merged[-1].cue is None and f.cue is not None and merged[-1].paragraph == f.paragraph:
                f.pieces = merged[-1].pieces + f.pieces
                merged[-1] = f
            else:
                merged.append(f)
        return merged

    def _in_narration(self, m: _Marked) -> bool:
        """Quoted words in the middle of the narrator's sentence (not opening it, not
        after a colon or comma)."""
        s_start = self.sent_starts[self.sentence_of(m.open)]
        before = self.text[max(s_start, self.para_starts[self.paragraph_of(m.open)]) : m.open].rstrip()
        return bool(before) and before[-1] not in ":,—–"

    def _previous_attribution(self, pos: int, para: int, opens_para: bool) -> _Cue | None:
        """The attribution a cue-less quote continues: the last cue of this paragraph
        before it, or (when the quote opens its paragraph) of the previous one."""
        for p in ([para, para - 1] if opens_para else [para]):
            if p < 0:
                continue
            cands = [c for c in self.cues if self.paragraph_of(c.verb.idx) == p and c.verb.idx < pos and c.source is not None]
            if cands:
                return cands[-1]
        return None

    def _indirect(self, direct: list[_Found]) -> list[_Found]:
        quoted = [(m.open, m.close) for m in self.marked if not m.single]
        taken = [(f.pieces[0][0], f.pieces[-1][1]) for f in direct]
        cues = [c for c in self.cues if not c.used and c.content is not None]
        # attributions do not nest: drop a cue inside another cue's content, except
        # that a report of a report keeps the speaker ("X said …, Reuters reported")
        keep = []
        for cue in cues:
            pos = cue.verb.idx
            outer = [o for o in cues if o is not cue and o.content[0] <= pos < o.content[1]]
            if any(not (o.parenthetical or o.according) for o in outer):
                continue
            keep.append(cue)
        out = []
        for cue in keep:
            # a parenthetical/according cue around a kept inner cue yields to it
            if (cue.parenthetical or cue.according) and any(o is not cue and cue.content[0] <= o.verb.idx < cue.content[1] for o in keep):
                continue
            c0, c1 = cue.content
            if any(a <= c0 and c1 <= b for a, b in taken):
                continue
            if any(a <= cue.verb.idx < b for a, b in quoted):
                continue
            kind = "partial" if any(c0 <= a and b <= c1 + 2 for a, b in quoted) else "indirect"
            out.append(_Found([(c0, c1)], kind, cue, self.paragraph_of(c0)))
        return out


def _name_bounds(ent: Span) -> tuple[int, int]:
    from chorus.nlp.annotate import clean_name

    a, b = clean_name(ent.text)
    return ent.start_char + a, ent.start_char + b


def _piece_text(text: str, a: int, b: int) -> str:
    return " ".join(text[a:b].split())


def extract_quotes(article: Article, doc: Doc, sentence_starts: Sequence[int] | None = None) -> tuple[Quote, ...]:
    """Quotes of one article. ``doc`` is chorus's spaCy parse of ``article.text``;
    ``sentence_starts`` are the cleaned-text starts of chorus's sentences (from the
    AnnotatedArticle) so that ``Quote.sentence`` indexes them; without it they are
    recomputed from ``doc`` the way :func:`chorus.nlp.annotate.annotate_doc` does."""
    ex = _Extractor(article, doc, sentence_starts)
    found = ex.run()
    quotes = []
    for f in found:
        speaker = None
        if f.cue is not None:
            speaker = ex.speaker(f.cue.source)
            if speaker is None and f.cue.source is None:
                speaker = _speaker_by_position(ex, f)
        if speaker is None and f.kind != "direct" and (f.cue is None or f.cue.source is None):
            continue  # "was asked about …", "no breakthrough was announced": nobody to attribute it to
        if speaker is not None and speaker not in ex.speakers_seen:
            ex.speakers_seen.append(speaker)
        start, end = f.pieces[0][0], f.pieces[-1][1]
        o_start, o_end = article.offsets.to_original(start, end)
        s_start = s_end = -1
        if speaker is not None:
            s_start, s_end = article.offsets.to_original(*speaker.span)
        quotes.append(
            Quote(
                text=" ".join(_piece_text(ex.text, a, b) for a, b in f.pieces),
                kind=f.kind,
                start=start,
                end=end,
                orig_start=o_start,
                orig_end=o_end,
                speaker=speaker.name if speaker else "",
                speaker_role=speaker.role if speaker else None,
                cue=f.cue.label if f.cue else None,
                sentence=ex.sentence_of(start),
                speaker_orig_start=s_start,
                speaker_orig_end=s_end,
            )
        )
    return tuple(quotes)


def _speaker_by_position(ex: _Extractor, f: _Found) -> _Speaker | None:
    """A cue the parser left without a subject: the noun phrase between the closing
    quotation mark and the cue ("“…,” the Egyptian official, told the AP"), or right
    after it ("“…,” said Kirby")."""
    cue = f.cue
    if cue is None or f.kind != "direct" or cue.verb.idx < f.pieces[0][0]:
        return None
    doc = ex.doc
    verb = cue.verb
    end = f.pieces[-1][1]
    between = [t for t in doc[: verb.i] if t.idx >= end and t.sent == verb.sent and not t.is_punct]
    if 0 < len(between) <= 8 and between[-1].pos_ in ("NOUN", "PROPN", "PRON"):
        return ex.speaker(between[-1])
    after = [t for t in doc[verb.i + 1 : verb.i + 6] if t.sent == verb.sent]
    for t in after:
        if t.is_punct:
            break
        if t.pos_ in ("PROPN", "NOUN") and t.dep_ not in ("compound", "amod"):
            return ex.speaker(t)
    return None


def quote_pieces(article: Article, quote: Quote) -> tuple[tuple[int, int], ...]:
    """The quoted pieces of a quote in cleaned-text offsets: for a direct quote, the
    stretches inside quotation marks (without the cue that interrupts them or the
    paragraph break a long quote runs over); otherwise the whole content."""
    if quote.kind != "direct":
        return ((quote.start, quote.end),)
    text = article.text
    pieces, start = [], quote.start
    marks = list(_MARK.finditer(text, quote.start, quote.end))
    pos = quote.start
    i = 0
    while i < len(marks):
        m = marks[i]
        if m.group() in _DOUBLE_OPEN:
            i += 1
            continue
        # a closing mark ends a piece; the next opening mark starts the next one
        if m.start() > start:
            pieces.append((start, m.start()))
        nxt = next((k for k in range(i + 1, len(marks)) if marks[k].group() not in _DOUBLE_CLOSE), None)
        if nxt is None:
            start = quote.end
            break
        start = marks[nxt].end()
        i = nxt + 1
    pos = start
    if pos < quote.end:
        pieces.append((pos, quote.end))
    # paragraph breaks inside a piece (a quote over paragraphs, unclosed)
    out = []
    for a, b in pieces:
        for part in re.split(r"(\n\n)", text[a:b]):
            if part and part != "\n\n" and part.strip():
                out.append((a, a + len(part)))
            a += len(part)
    out = [_strip_marks(text, a, b) for a, b in out]
    return tuple(p for p in out if p[1] > p[0]) or ((quote.start, quote.end),)


def _strip_marks(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and (text[a].isspace() or _MARK.match(text, a)):
        a += 2 if text.startswith(("''", "``"), a) else 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in "\"“”«»„"):
        b -= 1
    return a, b
