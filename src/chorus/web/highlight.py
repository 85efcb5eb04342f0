"""Highlighted article text, built by slicing the source text at stored offsets and
escaping every slice; nothing is ever marked up by searching or replacing text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

# Nesting order, outermost first: a quote holds the names and dates inside it; the
# cited passage sits inside the quote layer so its colour shows over the quote's.
LAYERS = ("removed", "quote", "cited", "speaker", "entity", "time")


@dataclass(frozen=True)
class Span:
    """One highlight: source-text offsets [start, end) and how to show it."""

    start: int
    end: int
    layer: str  # one of LAYERS
    classes: str  # CSS classes of the <mark>
    title: str = ""  # tooltip (plain text; escaped on output)
    anchor: str = ""  # id given to the span's first piece, for links to it


def highlight(text: str, spans: Iterable[Span]) -> Markup:
    """``text`` as HTML with each span in a ``<mark>``. Overlapping spans nest by
    layer; only a span that crosses the edge of one nesting outside it is cut, each
    piece its own <mark>. Spans outside the text or empty are dropped."""
    n = len(text)
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    kept = sorted(
        (s for s in spans if 0 <= s.start < s.end <= n),
        key=lambda s: (rank.get(s.layer, len(LAYERS)), s.start, -s.end),
    )
    by_start: dict[int, list[int]] = {}
    for i, s in enumerate(kept):
        by_start.setdefault(s.start, []).append(i)
    cuts = sorted({0, n, *(s.start for s in kept), *(s.end for s in kept)})
    out: list[str] = []
    anchored: set[int] = set()
    opened: list[int] = []  # the marks open now, outermost first
    active: list[int] = []
    for a, b in zip(cuts, cuts[1:]):
        # what covers [a, b): spans still running plus those starting at a, in nesting order
        active = sorted([i for i in active if kept[i].end > a] + by_start.get(a, []))
        keep = 0
        while keep < len(opened) and keep < len(active) and opened[keep] == active[keep]:
            keep += 1
        out.append("</mark>" * (len(opened) - keep))
        for i in active[keep:]:
            out.append(_open(kept[i], anchor=i not in anchored))
            anchored.add(i)
        opened = active
        out.append(str(escape(text[a:b])))  # str, not Markup: Markup + str would escape the tags
    out.append("</mark>" * len(opened))
    return Markup("".join(out))


def _open(s: Span, *, anchor: bool) -> str:
    attrs = f' class="{escape(s.classes)}"'
    if s.title:
        attrs += f' title="{escape(s.title)}"'
    if anchor and s.anchor:
        attrs += f' id="{escape(s.anchor)}"'
    return f"<mark{attrs}>"


def snippet_html(snippet: str) -> Markup:
    """A search snippet whose matches are delimited by \\x02 ... \\x03 (see
    ``ArticleHit``) as HTML: split at the delimiters, escape each piece, <mark> the
    matches."""
    out: list[str] = []
    for i, part in enumerate(snippet.split("\x02")):
        match, _, rest = part.partition("\x03") if i else ("", "", part)
        if match:
            out.append(f"<mark>{escape(match)}</mark>")
        out.append(str(escape(rest.replace("\x03", ""))))
    return Markup("".join(out))


def shorten(text: str, limit: int) -> str:
    """One line of at most ``limit`` characters, cut at a word."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"
