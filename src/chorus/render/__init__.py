"""render: Briefing -> Markdown, JSON or self-contained HTML text."""

from __future__ import annotations

from chorus.models import Briefing
from chorus.render.html import to_html
from chorus.render.json import to_json
from chorus.render.markdown import to_markdown

FORMATS = {"md": to_markdown, "json": to_json, "html": to_html}


def render(briefing: Briefing, fmt: str = "md") -> str:
    return FORMATS[fmt](briefing)
