"""The briefing as one self-contained HTML file (no scripts, no external assets).
Every piece of article text goes through Jinja2's autoescaping."""

from __future__ import annotations

from jinja2 import Environment, PackageLoader, select_autoescape

from chorus.models import Briefing
from chorus.render.json import briefing_dict

_env = Environment(loader=PackageLoader("chorus", "render/templates"), autoescape=select_autoescape(default=True))


def to_html(briefing: Briefing) -> str:
    data = briefing_dict(briefing)
    sources = {a.id: a.source_text for a in briefing.articles}
    articles = {a["id"]: a for a in data["articles"]}
    for story in data["stories"]:
        number = {aid: k for k, aid in enumerate(story["articles"], 1)}
        story["number"] = number
        for sentence in story["summary"]:
            for c in sentence["citations"]:
                c["n"] = number.get(c["article"], "?")
                c["outlet"] = articles[c["article"]]["outlet"]
                c["quote"] = sources[c["article"]][c["start"] : c["end"]]
    return _env.get_template("briefing.html").render(data=data, articles=articles)
