"""The briefing as Markdown, readable in a terminal as it is.

Citations read ``[2:120-245]``: article 2 of the story's article table, characters
120 to 245 of its source text.
"""

from __future__ import annotations

from chorus.models import Article, Briefing, StoryBriefing

ENTITY_ROWS = 12
SINGLE_SOURCE_ROWS = 6
COVERAGE_ROWS = 10


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _story(n: int, sb: StoryBriefing, articles: dict[str, Article]) -> list[str]:
    members = [articles[i] for i in sb.story.article_ids]
    number = {a.id: k for k, a in enumerate(members, 1)}
    outlets = sorted({a.outlet for a in members})
    dates = sorted(a.published for a in members if a.published)
    ranges = sorted(d for a in members if a.published_range for d in a.published_range.split("/") if d and d != "..")
    if dates:
        span = f" · {dates[0]} to {dates[-1]}" if dates[0] != dates[-1] else f" · {dates[0]}"
    elif ranges:
        span = f" · no publication dates; inferred {ranges[0]} to {ranges[-1]}"
    else:
        span = " · no publication dates"
    out = [
        f"## {n}. {sb.story.title}",
        "",
        f"{len(members)} article{'s' * (len(members) != 1)} from {len(outlets)} outlet{'s' * (len(outlets) != 1)}{span} · story {sb.story.id}",
        "",
        "### Summary",
        "",
    ]
    for s in sb.summary:
        refs = "; ".join(f"{number[c.article]}:{c.start}-{c.end}" for c in s.citations)
        also = f"; also {_refs(s.support, number)}" if s.support else ""
        out.append(f"- {s.text} [{refs}{also}]")
    if not sb.summary:
        out.append("- (no sentence could be extracted)")
    out += ["", "### Articles", "", "| # | Outlet | Title | Published | Id |", "|---|---|---|---|---|"]
    for a in members:
        if a.published:
            date = a.published + (" (inferred)" if a.published_source == "inferred" else "")
        elif a.published_range:
            lo, _, hi = a.published_range.partition("/")
            date = f"{lo} to {hi} (inferred)" if hi and hi != ".." else f"on or after {lo} (inferred)"
        else:
            date = "—"
        out.append(f"| {number[a.id]} | {_cell(a.outlet)} | {_cell(a.title)} | {date} | {a.id} |")
    out += _claims(sb, number, articles)
    out += _quotes(sb, number)
    out += _timeline(sb, number)
    if sb.entities:
        out += ["", "### Main entities", "", "| Entity | Type | Articles | Also called |", "|---|---|---|---|"]
        for e in sb.entities[:ENTITY_ROWS]:
            aliases = ", ".join(e.aliases) or "—"
            out.append(f"| {_cell(e.name)} | {e.type} | {len(e.articles)} of {len(members)} | {_cell(aliases)} |")
    out.append("")
    return out


def _refs(supports, number) -> str:
    return "; ".join(f"{number[s.article]}:{s.start}-{s.end}" for s in supports if s.article in number)


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _claims(sb: StoryBriefing, number: dict[str, int], articles: dict[str, Article]) -> list[str]:
    out: list[str] = []
    confirmed = [c for c in sb.claims if c.corroborated and c.status != "disputed"]
    single = [c for c in sb.claims if c.status == "single_source"]
    if confirmed:
        out += ["", "### What is confirmed", "", "Said by at least two independent sources (copies and shared wire origins count once)."]
        out.append("")
        for c in confirmed:
            outlets = ", ".join(dict.fromkeys(articles[a].outlet for a in c.sources))
            who = f" ({c.attributed_to})" if c.attributed_to else ""
            out.append(f"- {c.text}{who} — {c.independent_sources} independent of {len(c.sources)} reports: {outlets} [{_refs(c.support, number)}]")
    if sb.disputes:
        out += ["", "### Disputed", ""]
        for d in sb.disputes:
            sides = []
            for side in d.sides:
                who = ", ".join(side.who) or "unattributed"
                example = _short(side.support[0].text, 110) if side.support else ""
                sides.append(f"**{side.position}** ({who}): “{example}” [{_refs(side.support[:4], number)}]")
            out.append(f"- {d.topic}: " + "  \n  against " .join(sides) + (f" — {d.note}" if d.note else ""))
    if single:
        out += ["", f"### Single-source (top {min(len(single), SINGLE_SOURCE_ROWS)} of {len(single)})", ""]
        for c in single[:SINGLE_SOURCE_ROWS]:
            out.append(f"- {c.text} — only {articles[c.sources[0]].outlet}" + (f" ({len(c.sources)} copies)" if len(c.sources) > 1 else "") + f" [{_refs(c.support, number)}]")
    if sb.framing:
        out += ["", "### How outlets put it", ""]
        for f in sb.framing:
            variants = " · ".join(
                f"“{v.phrase}”{' (loaded)' if v.loaded else ''} {', '.join(str(number[a]) for a in v.articles if a in number)}"
                for v in f.variants
            )
            out.append(f"- {f.referent}: {variants}")
    if sb.coverage and len(number) > 1:
        outlets = sorted({a.outlet for a in articles.values() if a.id in number})
        rows = [r for r in sb.coverage if len(r.reported_by) > 1 or r.alone][:COVERAGE_ROWS]
        out += ["", "### Coverage", "", "| Claim | " + " | ".join(_cell(o[:14]) for o in outlets) + " |", "|---|" + "---|" * len(outlets)]
        texts = {c.id: c.text for c in sb.claims}
        for r in rows:
            marks = " | ".join("✓" if o in r.reported_by else "·" for o in outlets)
            out.append(f"| {_cell(_short(texts[r.claim], 60))} | {marks} |")
    return out


def _quotes(sb: StoryBriefing, number: dict[str, int]) -> list[str]:
    if not sb.quotes:
        return []
    by_speaker: dict[str, list] = {}
    for q in sb.quotes:
        by_speaker.setdefault(q.speaker or "unattributed", []).append(q)
    out = ["", "### Who said what", ""]
    for speaker, quotes in sorted(by_speaker.items(), key=lambda kv: (kv[0] == "unattributed", -len(kv[1]), kv[0])):
        roles = sorted({q.speaker_role for q in quotes if q.speaker_role})
        out.append(f"- **{speaker}**" + (f" ({'; '.join(roles)})" if roles else ""))
        for q in quotes:
            text = f"“{_short(q.text, 160)}”" if q.kind != "indirect" else _short(q.text, 160)
            out.append(f"  - {text} — {q.kind}{', ' + q.cue if q.cue else ''} [{number[q.article]}:{q.start}-{q.end}]")
    return out


def _timeline(sb: StoryBriefing, number: dict[str, int]) -> list[str]:
    if not sb.timeline:
        return []
    out = ["", "### Timeline", ""]
    for e in sb.timeline:
        out.append(f"- {e.date} — {_short(e.text, 160)} [{_refs(e.citations, number)}]")
    return out


def to_markdown(briefing: Briefing) -> str:
    articles = {a.id: a for a in briefing.articles}
    n_stories = len(briefing.stories)
    lines = [
        f"# chorus briefing: {n_stories} stor{'ies' if n_stories != 1 else 'y'} from {len(briefing.articles)} article{'s' * (len(briefing.articles) != 1)}",
        "",
        "Citations read [article number:start-end], characters of that article's source text.",
        "",
    ]
    for n, sb in enumerate(briefing.stories, 1):
        lines += _story(n, sb, articles)
    if briefing.rejected:
        lines += [f"## Skipped inputs ({len(briefing.rejected)})", ""]
        lines += [f"- {r.source}: {r.reason}" for r in briefing.rejected]
        lines.append("")
    return "\n".join(lines)
