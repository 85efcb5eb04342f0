"""The machine-readable briefing (documented in docs/briefing.md; key names are stable)."""

from __future__ import annotations

import json
from dataclasses import asdict

from chorus import __version__
from chorus.models import Article, Briefing, StoryBriefing


def article_dict(a: Article) -> dict:
    return {
        "id": a.id,
        "outlet": a.outlet,
        "title": a.title,
        "title_source": a.title_source,
        "published": a.published,
        "published_source": a.published_source,
        "published_range": a.published_range,
        "published_evidence": list(a.published_evidence),
        "path": a.path,
        "url": a.url,
        "source": a.source,
        "kind": a.kind,
        "author": a.author,
        "encoding": a.encoding,
        "removed": [{"kind": r.kind, "start": r.start, "end": r.end} for r in a.removed],
    }


def story_dict(sb: StoryBriefing, articles: dict[str, Article]) -> dict:
    members = [articles[i] for i in sb.story.article_ids if i in articles]
    dates = sorted(a.published for a in members if a.published)
    return {
        "id": sb.story.id,
        "title": sb.story.title,
        "articles": list(sb.story.article_ids),
        "outlets": sorted({a.outlet for a in members}),
        "first_published": dates[0] if dates else None,
        "last_published": dates[-1] if dates else None,
        "summary": [
            {
                "text": s.text,
                "citations": [asdict(c) for c in s.citations],
                "support": [{"article": x.article, "start": x.start, "end": x.end, "text": x.text} for x in s.support],
            }
            for s in sb.summary
        ],
        "summary_mode": sb.summary_mode,
        "summary_dropped": [{"text": t, "why": why} for t, why in sb.summary_dropped],
        "entities": [
            {"name": e.name, "type": e.type, "aliases": list(e.aliases), "articles": list(e.articles), "mentions": e.mentions}
            for e in sb.entities
        ],
        "quotes": [_plain(q) for q in sb.quotes],
        "claims": [_plain(c) for c in sb.claims],
        "timeline": [_plain(t) for t in sb.timeline],
        "framing": [_plain(f) for f in sb.framing],
        "disputes": [_plain(d) for d in sb.disputes],
        "coverage": [_plain(r) for r in sb.coverage],
    }


def _plain(item: object) -> object:
    return asdict(item) if hasattr(item, "__dataclass_fields__") else item


def briefing_dict(briefing: Briefing) -> dict:
    articles = {a.id: a for a in briefing.articles}
    return {
        "chorus_version": __version__,
        "articles": [article_dict(a) for a in briefing.articles],
        "stories": [story_dict(s, articles) for s in briefing.stories],
        "rejected": [{"source": r.source, "reason": r.reason} for r in briefing.rejected],
    }


def to_json(briefing: Briefing) -> str:
    return json.dumps(briefing_dict(briefing), ensure_ascii=False, indent=2) + "\n"
