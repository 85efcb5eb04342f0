"""The briefing as Markdown, readable in a terminal as it is.

Citations read ``[2:120-245]``: article 2 of the story's article table, characters
120 to 245 of its source text.
"""

from __future__ import annotations

from chorus.models import Article, Briefing, StoryBriefing

ENTITY_ROWS = 12


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def _story(n: int, sb: StoryBriefing, articles: dict[str, Article]) -> list[str]:
    members = [articles[i] for i in sb.story.article_ids]
    number = {a.id: k for k, a in enumerate(members, 1)}
    outlets = sorted({a.outlet for a in members})
    dates = sorted(a.published for a in members if a.published)
    span = f" · {dates[0]} to {dates[-1]}" if dates and dates[0] != dates[-1] else (f" · {dates[0]}" if dates else " · no publication dates")
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
        out.append(f"- {s.text} [{refs}]")
    if not sb.summary:
        out.append("- (no sentence could be extracted)")
    out += ["", "### Articles", "", "| # | Outlet | Title | Published | Id |", "|---|---|---|---|---|"]
    for a in members:
        date = a.published + (" (inferred)" if a.published_source == "inferred" else "") if a.published else "—"
        out.append(f"| {number[a.id]} | {_cell(a.outlet)} | {_cell(a.title)} | {date} | {a.id} |")
    if sb.entities:
        out += ["", "### Main entities", "", "| Entity | Type | Articles | Also called |", "|---|---|---|---|"]
        for e in sb.entities[:ENTITY_ROWS]:
            aliases = ", ".join(e.aliases) or "—"
            out.append(f"| {_cell(e.name)} | {e.type} | {len(e.articles)} of {len(members)} | {_cell(aliases)} |")
    out.append("")
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
