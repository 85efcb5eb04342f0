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
    layer; a span crossing another's edge is cut into pieces, each its own <mark>.
    Spans outside the text or empty are dropped."""
    n = len(text)
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    kept = sorted(
        (s for s in spans if 0 <= s.start < s.end <= n),
        key=lambda s: (rank.get(s.layer, len(LAYERS)), s.start, -s.end),
    )
    cuts = sorted({0, n, *(s.start for s in kept), *(s.end for s in kept)})
    # spans starting at or covering each piece: a sweep over the sorted cut points
    out: list[str] = []
    anchored: set[int] = set()
    active: list[tuple[int, Span]] = []
    by_start: dict[int, list[tuple[int, Span]]] = {}
    for i, s in enumerate(kept):
        by_start.setdefault(s.start, []).append((i, s))
    for a, b in zip(cuts, cuts[1:]):
        active = [(i, s) for i, s in active if s.end > a] + by_start.get(a, [])
        active.sort(key=lambda item: item[0])  # layer order, then start
        piece = str(escape(text[a:b]))  # str, not Markup: Markup + str would escape the tags
        if not active:
            out.append(piece)
            continue
        opened = []
        for i, s in active:
            attrs = f' class="{escape(s.classes)}"'
            if s.title:
                attrs += f' title="{escape(s.title)}"'
            if s.anchor and i not in anchored:
                anchored.add(i)
                attrs += f' id="{escape(s.anchor)}"'
            opened.append(f"<mark{attrs}>")
        out.append("".join(opened) + piece + "</mark>" * len(opened))
    return Markup("".join(out))


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
