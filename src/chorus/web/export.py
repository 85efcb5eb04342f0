"""Exports of one story from its cached briefing JSON: the JSON itself, Markdown and
self-contained HTML (chorus.render, as `chorus show` writes them), CSV of claims and
of quotes."""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from dataclasses import fields, is_dataclass

from chorus.models import (
    Article,
    Briefing,
    Citation,
    Claim,
    CoverageRow,
    Dispute,
    Framing,
    OffsetMap,
    Removed,
    Story,
    StoryBriefing,
    StoryEntity,
    StoryQuote,
    SummarySentence,
    TimelineEvent,
)
from chorus.web.views import claims_csv, quotes_csv

# format -> (media type, file suffix)
FORMATS = {
    "json": ("application/json", "json"),
    "md": ("text/markdown; charset=utf-8", "md"),
    "html": ("text/html; charset=utf-8", "html"),
    "claims.csv": ("text/csv; charset=utf-8", "claims.csv"),
    "quotes.csv": ("text/csv; charset=utf-8", "quotes.csv"),
}


def export(data: Mapping, sources: Mapping[str, str], fmt: str) -> str:
    """One story's briefing (``briefing_dict`` of it alone) in ``fmt``."""
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt == "claims.csv":
        return claims_csv(data)
    if fmt == "quotes.csv":
        return quotes_csv(data)
    from chorus.render import render

    return render(briefing_from_dict(data, sources), fmt)


def _build(kind: object, value: object) -> object:
    """``value`` (from JSON) as ``kind``: dataclasses from dicts, tuples from lists."""
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        inner = [k for k in typing.get_args(kind) if k is not type(None)]
        return _build(inner[0], value)
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)  # type: ignore[union-attr]
        return tuple(_build(k, v) for k, v in zip(args, value))  # type: ignore[arg-type]
    if isinstance(kind, type) and is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        given = {f.name: _build(hints[f.name], value[f.name]) for f in fields(kind) if f.name in value}  # type: ignore[operator,index]
        return kind(**given)
    return value


def briefing_from_dict(data: Mapping, sources: Mapping[str, str]) -> Briefing:
    """The Briefing that ``briefing_dict`` wrote, rebuilt for the renderers (articles
    carry their source text, which citations quote; cleaned text is not needed)."""
    articles = tuple(
        Article(
            id=a["id"], content_hash="", source=a["source"], kind=a["kind"], outlet=a["outlet"], title=a["title"],
            title_source=a["title_source"], source_text=sources.get(a["id"], ""), text="", offsets=OffsetMap(()),
            removed=tuple(Removed(r["start"], r["end"], r["kind"], "") for r in a["removed"]), author=a.get("author"),
            published=a.get("published"), published_source=a.get("published_source"), url=a.get("url"),
            path=a.get("path"), encoding=a.get("encoding"), published_evidence=tuple(a.get("published_evidence", ())),
            published_range=a.get("published_range"),
        )  # fmt: skip
        for a in data["articles"]
    )
    stories = []
    for s in data["stories"]:
        stories.append(
            StoryBriefing(
                story=Story(s["id"], s["title"], tuple(s["articles"])),
                summary=tuple(
                    SummarySentence(x["text"], tuple(Citation(**c) for c in x["citations"])) for x in s["summary"]
                ),
                entities=tuple(_build(StoryEntity, e) for e in s["entities"]),  # type: ignore[misc]
                quotes=tuple(_build(StoryQuote, q) for q in s["quotes"]),  # type: ignore[misc]
                claims=tuple(_build(Claim, c) for c in s["claims"]),  # type: ignore[misc]
                timeline=tuple(_build(TimelineEvent, t) for t in s["timeline"]),  # type: ignore[misc]
                framing=tuple(_build(Framing, f) for f in s["framing"]),  # type: ignore[misc]
                disputes=tuple(_build(Dispute, d) for d in s["disputes"]),  # type: ignore[misc]
                coverage=tuple(_build(CoverageRow, r) for r in s["coverage"]),  # type: ignore[misc]
                articles=tuple(a for a in articles if a.id in set(s["articles"])),
                summary_mode=s.get("summary_mode", "extractive"),
                summary_dropped=tuple((d["text"], d["why"]) for d in s.get("summary_dropped", ())),
            )
        )
    return Briefing(articles=articles, stories=tuple(stories))
