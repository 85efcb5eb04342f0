"""What changed in stories, for people: Markdown (``chorus changes``, ``chorus digest``)
and Atom feeds (``chorus serve``: ``/feeds/...``). Everything reads the stable JSON
of :meth:`chorus.changes.StoryChanges.to_dict`, as stored with each snapshot."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

STATUS = {"corroborated": "corroborated", "single_source": "single-source", "disputed": "disputed", None: "new"}


def when(at: str | None) -> str:
    """``2026-11-21T17:28:44.444165+00:00`` -> ``2026-11-21 17:28 UTC``."""
    return f"{at[:10]} {at[11:16]} UTC" if at else "—"


def _md(text: str) -> str:
    """Plain text safe inside Markdown: one line, Markdown's markup characters escaped
    (article text must not turn into links, images or HTML in a Markdown viewer)."""
    text = " ".join(str(text).split())
    return "".join("\\" + ch if ch in "\\`*[]<>#|!" else ch for ch in text)


def cite(c: Mapping, outlet_of: Mapping[str, str], *, new: bool = False) -> str:
    """One citation: outlet, article id, the character span of its source text, and
    the cited words when known."""
    head = f"[{_md(outlet_of.get(c['article'], c['article']))} · {c['article']} · chars {c['start']}–{c['end']}]"
    words = f" “{_md(c['text'])}”" if c.get("text") else ""
    return f"{head}{words}{' (new)' if new else ''}"


def _claim_lines(c: Mapping, outlet_of: Mapping[str, str]) -> list[str]:
    fresh = {(x["article"], x["start"]) for x in c["new_citations"]}
    before = f"was {STATUS.get(c['before'], c['before'])}" if c["before"] else "new claim"
    who = f" — {_md(c['attributed_to'])}" if c.get("attributed_to") else ""
    lines = [f"- {_md(c['text'])}{who}  ", f"  *{STATUS.get(c['status'], c['status'])}, {c['independent_sources']} independent "
             f"source{'s' * (c['independent_sources'] != 1)}; {before}*"]  # fmt: skip
    lines += [f"  - {cite(x, outlet_of, new=(x['article'], x['start']) in fresh and c['before'] is not None)}" for x in c["citations"]]
    return lines


def story_markdown(ch: Mapping, level: int = 2) -> str:
    """One story's changes as Markdown, every item cited."""
    h = "#" * level
    outlet_of = {a["id"]: a["outlet"] for a in ch["articles"]}
    out = [f"{h} {_md(ch['title'])}", ""]
    if ch["is_new"]:
        out.append(f"New story (`{ch['story_id']}`), first recorded {when(ch['at'])}: everything below is new.")
    else:
        out.append(f"Story `{ch['story_id']}`: changes between {when(ch['since'])} and {when(ch['at'])}.")
    out.append("")
    for n in ch["history"]:
        text = {
            "merged": f"Story `{n['story']}` ({_md(n['title'])}) joined this story; its reports count as new here.",
            "merged_into": f"This story joined story `{n['story']}`.",
            "split": f"{len(n['articles'])} report(s) moved to a story of their own: `{n['story']}`.",
            "split_from": f"Split off story `{n['story']}`.",
            "removed": f"Article `{n['articles'][0]}` was removed.",
        }.get(n["kind"], n["kind"])
        out.append(f"- {text} ({when(n['at'])})")
    if ch["history"]:
        out.append("")

    def section(title: str, lines: Sequence[str]) -> None:
        if lines:
            out.extend([f"{h}# {title}", "", *lines, ""])

    section(f"New reports ({len(ch['new_articles'])})", [
        f"- {_md(a['outlet'])}: {_md(a['title'])}{' (' + a['published'] + ')' if a.get('published') else ''} · article `{a['id']}`"
        for a in ch["new_articles"]
    ])  # fmt: skip
    section("New outlets", [f"- {_md(o['outlet'])} ({', '.join(f'`{i}`' for i in o['articles'])})" for o in ch["new_outlets"]])
    section("Newly corroborated", [line for c in ch["newly_corroborated"] for line in _claim_lines(c, outlet_of)])
    section("Newly disputed", [line for c in ch["newly_disputed"] for line in _claim_lines(c, outlet_of)])
    listed = {c["id"] for c in (*ch["newly_corroborated"], *ch["newly_disputed"])}
    section("Status changed", [
        line for c in ch["status_changed"] if c["id"] not in listed for line in _claim_lines(c, outlet_of)
    ])  # fmt: skip
    section("New single-source claims", [line for c in ch["new_single_source"] for line in _claim_lines(c, outlet_of)])
    section("New disputes", [
        line
        for d in ch["new_disputes"]
        for line in [f"- {_md(d['topic'])} ({d['kind']})"] + [
            f"  - {_md(s['position'])} ({_md(', '.join(s['who']) or 'unattributed')}): " + "; ".join(cite(x, outlet_of) for x in s["support"])
            for s in d["sides"]
        ]
    ])  # fmt: skip
    section("New speakers", [
        f"- {_md(s['speaker'])}: " + "; ".join(f"“{_md(q['text'])}” {cite(q['cite'], outlet_of)}" for q in s["quotes"])
        for s in ch["new_speakers"]
    ])  # fmt: skip
    section("New quotes", [
        f"- {_md(q['speaker'] or 'unattributed')}: “{_md(q['text'])}” ({q['kind']}) {cite(q['cite'], outlet_of)}" for q in ch["new_quotes"]
    ])  # fmt: skip
    section("New timeline events", [
        f"- {e['date']}: {_md(e['text'])} " + "; ".join(cite(c, outlet_of) for c in e["citations"]) for e in ch["new_events"]
    ])  # fmt: skip
    section("Reports no longer in this story", [f"- {_md(a['outlet'])}: {_md(a['title'])} · article `{a['id']}`" for a in ch["removed_articles"]])
    return "\n".join(out).rstrip() + "\n"


def changes_markdown(changes: Sequence[Mapping], since: str, *, title: str | None = None) -> str:
    head = title or f"What's new since {when(since)}"
    if not changes:
        return f"# {head}\n\nNothing new.\n"
    n = len(changes)
    body = "\n".join(story_markdown(c) for c in changes)
    return f"# {head}\n\n{n} stor{'ies' if n != 1 else 'y'} changed. Citations: [outlet · article id · characters of its source text].\n\n{body}"


def summary_line(ch: Mapping) -> str:
    """A one-line summary of a story's changes (feed entry titles, listings)."""
    parts = []
    for key, label in (("new_articles", "report"), ("new_outlets", "outlet"), ("newly_corroborated", "newly corroborated claim"),
                       ("newly_disputed", "newly disputed claim"), ("new_quotes", "quote"), ("new_events", "dated event")):  # fmt: skip
        k = len(ch[key])
        if k:
            parts.append(f"{k} {'new ' if key in ('new_articles', 'new_outlets', 'new_quotes', 'new_events') else ''}{label}{'s' * (k != 1)}")
    return ", ".join(parts) or "updated"


# -- Atom ------------------------------------------------------------------------------
ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class AtomEntry:
    id: str  # stable: a tag: URI
    title: str
    updated: str  # RFC 3339
    link: str  # absolute URL of the story page
    content: str  # plain text (Markdown)


def atom_feed(feed_id: str, title: str, self_url: str, home_url: str, entries: Sequence[AtomEntry], updated: str) -> bytes:
    """An Atom 1.0 document (RFC 4287) built with ElementTree, which escapes all text."""
    ET.register_namespace("", ATOM)
    q = lambda tag: f"{{{ATOM}}}{tag}"  # noqa: E731
    feed = ET.Element(q("feed"))
    ET.SubElement(feed, q("id")).text = feed_id
    ET.SubElement(feed, q("title")).text = title
    ET.SubElement(feed, q("updated")).text = _rfc3339(updated)
    ET.SubElement(ET.SubElement(feed, q("author")), q("name")).text = "chorus"
    ET.SubElement(feed, q("link"), rel="self", href=self_url, type="application/atom+xml")
    ET.SubElement(feed, q("link"), rel="alternate", href=home_url, type="text/html")
    ET.SubElement(feed, q("generator")).text = "chorus"
    for e in entries:
        entry = ET.SubElement(feed, q("entry"))
        ET.SubElement(entry, q("id")).text = e.id
        ET.SubElement(entry, q("title")).text = e.title
        ET.SubElement(entry, q("updated")).text = _rfc3339(e.updated)
        ET.SubElement(entry, q("link"), rel="alternate", href=e.link, type="text/html")
        ET.SubElement(entry, q("content"), type="text").text = e.content
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)


def _rfc3339(at: str) -> str:
    """The store's ISO time as RFC 3339 without fractions ('Z' for UTC)."""
    if not at:
        return "1970-01-01T00:00:00Z"
    return at[:19] + "Z" if at.endswith("+00:00") or len(at) in (19, 26) else at[:19] + at[-6:]


def tag_uri(*parts: str) -> str:
    """A stable entry id: ``tag:chorus,2026:story/ID/2026-11-21T17:28:44.444165Z``."""
    return "tag:chorus,2026:" + "/".join(p.replace("+00:00", "Z") for p in parts)


def digest_markdown(sections: Sequence[tuple[object, Sequence[Mapping]]], since: str, now: str) -> str:
    """The digest: per watch (or for all stories when there are none), its stories'
    changes since ``since``, every item cited."""
    out = [f"# chorus digest, {when(since)} to {when(now)}", ""]
    for watch, changes in sections:
        if watch is not None:
            hook = " · webhook" if getattr(watch, "webhook", None) else ""
            out += [f"## Watch {watch.id}: {watch.kind} “{_md(watch.value)}”{hook}", ""]
        else:
            out += ["## All stories (no watches saved; add one with `chorus alerts add`)", ""]
        if not changes:
            out += ["Nothing new.", ""]
            continue
        out += [story_markdown(c, level=3) for c in changes]
    return "\n".join(out).rstrip() + "\n"
