"""`chorus ingest` then `chorus serve`, driven in a real browser (Debian's Chromium
through Playwright): the seeds' story with a working citation popover, the article
with its highlights, and hostile article markup that must neither run nor inject.

Only a server these tests start on 127.0.0.1 is contacted. Chromium comes from
scripts/install-system-deps.sh (`playwright install` cannot download browsers here).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import SEEDS, need

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
CHORUS = str(Path(sys.executable).with_name("chorus"))

# Invented reports whose text, title, outlet and URL carry markup that must stay text.
HOSTILE_TXT = """Quay works at <script>window.__xss = "title"</script> Port Elmary

Port Elmary began rebuilding its old quay on Monday <img src=x onerror="window.__xss='img'">, the harbour office said.

"We will rebuild the <b>quay</b> by spring," said harbour master Odile Fenwick <a href="javascript:window.__xss='link'">more</a>.

Fishing boats will dock at the north pier <svg onload="window.__xss='svg'"></svg> until the works end in April.
"""
HOSTILE_JSON = {
    "url": "javascript:window.__xss='url'",
    "outlet": "<img src=x onerror=\"window.__xss='outlet'\">Elmary Courier",
    "title": "<script>window.__xss='jsontitle'</script>Elmary quay rebuilt",
    "published": "2031-05-06",
    "text": "Port Elmary started work on its quay on Monday, harbour master Odile Fenwick said. "
    "<iframe src=\"javascript:window.__xss='iframe'\"></iframe> The north pier takes the fishing boats until April. "
    "\"It is overdue <script>window.__xss='quote'</script>,\" Fenwick told the Courier.",
}

CHECK_PAGE = """() => {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    for (const at of el.attributes) {
      const v = at.value.trim().toLowerCase();
      if (at.name.startsWith('on')) bad.push(el.tagName + '[' + at.name + ']');
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(at.name) && v.startsWith('javascript:'))
        bad.push(el.tagName + '[' + at.name + ']');
    }
  }
  return {
    bad,
    scripts: [...document.scripts].map(s => s.getAttribute('src')),
    embeds: document.querySelectorAll('img, iframe, svg:not(.chart), object, embed').length,
    xss: window.__xss === undefined ? null : String(window.__xss),
  };
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`chorus ingest ../shared/seeds <hostile files>` then `chorus serve`, as a user runs them."""
    seeds = need(SEEDS)
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run scripts/install-system-deps.sh (as root)")
    pytest.importorskip("playwright.sync_api")
    work = tmp_path_factory.mktemp("web-browser")
    hostile = work / "hostile"
    hostile.mkdir()
    (hostile / "elmary-harbour.txt").write_text(HOSTILE_TXT, encoding="utf-8")
    (hostile / "courier.json").write_text(json.dumps(HOSTILE_JSON), encoding="utf-8")
    db = str(work / "chorus.db")
    env = {k: v for k, v in os.environ.items() if k != "CHORUS_TOKEN"}
    subprocess.run([CHORUS, "ingest", str(seeds), str(hostile), "--db", db], check=True, env=env, cwd=work, timeout=300)
    port = _free_port()
    log = (work / "serve.log").open("w")
    proc = subprocess.Popen([CHORUS, "serve", "--db", db, "--port", str(port)], env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/v1/outlets", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chorus serve did not start: {(work / 'serve.log').read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.dialogs = []  # type: ignore[attr-defined]
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    yield pg
    context.close()


def _story_of_seeds(server: str) -> str:
    items = httpx.get(f"{server}/api/v1/stories", params={"limit": 50}).json()["items"]
    seeds = [s for s in items if s["n_articles"] == 5]
    assert seeds, items
    return seeds[0]["id"]


def test_seeds_story_citation_popover_shows_the_source_sentence(server, page, tmp_path):
    story = _story_of_seeds(server)
    page.goto(f"{server}/stories")
    page.click(f'a.story-title[href="/stories/{story}"]')
    page.wait_for_url(f"**/stories/{story}")
    page.mouse.move(1, 1)  # not hovering anything: the popover must wait for the click
    marker = page.locator("#summary .cite-mark").first
    pop = page.locator(f"#{marker.get_attribute('aria-controls')}")
    assert not pop.is_visible()
    marker.click()
    assert pop.is_visible()
    href = pop.locator("a").get_attribute("href")  # /articles/<id>?hl=<start>-<end>#hl
    article_id, span = href.split("/articles/")[1].split("#")[0].split("?hl=")
    start, end = (int(x) for x in span.split("-"))
    article = httpx.get(f"{server}/api/v1/articles/{article_id}").json()
    source = Path(article["path"]).read_text(encoding="utf-8")  # the seed file itself
    assert " ".join(pop.locator(".pop-text").inner_text().split()) == " ".join(source[start:end].split())
    assert pop.locator(".pop-outlet").inner_text() == article["outlet"]
    shot = tmp_path / "story-page.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 10_000
    print(f"story page screenshot: {shot}")
    page.keyboard.press("Escape")
    page.mouse.move(1, 1)
    assert not pop.is_visible()


def test_article_page_highlights_the_cited_passage_and_quotes(server, page):
    story = _story_of_seeds(server)
    page.goto(f"{server}/stories/{story}")
    marker = page.locator("#quotes .cite-mark").first
    marker.click()
    pop = page.locator(f"#{marker.get_attribute('aria-controls')}")
    cited = " ".join(pop.locator(".pop-text").inner_text().split())
    pop.locator("a").click()
    page.wait_for_url("**/articles/**")
    assert page.locator("mark#hl").is_visible()
    assert " ".join(page.locator(".source-text mark.cited").all_inner_texts()).split() == cited.split()
    quote = page.locator(".source-text mark.quote").first
    assert quote.is_visible() and len(quote.inner_text()) > 10
    assert page.locator(f'a[href="/stories/{story}"]').count() >= 1


def test_hostile_article_markup_neither_runs_nor_is_injected(server, page):
    stories = httpx.get(f"{server}/api/v1/stories", params={"q": "Elmary"}).json()["items"]
    assert stories, "the hostile articles were not ingested"
    articles = [a for s in stories for a in httpx.get(f"{server}/api/v1/stories/{s['id']}").json()["briefing"]["stories"][0]["articles"]]
    urls = ["/stories", "/search?q=Elmary+quay", "/entities/Odile%20Fenwick", "/stories?q=Elmary"]
    urls += [f"/stories/{s['id']}" for s in stories] + [f"/articles/{a}" for a in articles]
    for url in urls:
        page.goto(server + url)
        for marker in page.locator(".cite-mark").all()[:12]:  # open popovers: they show article text
            page.keyboard.press("Escape")  # an open popover may cover the next marker
            marker.click()
        found = page.evaluate(CHECK_PAGE)
        assert found["bad"] == [], (url, found)
        assert found["xss"] is None, (url, found)
        assert found["embeds"] == 0, (url, found)
        assert all(src and src.startswith("/static/chorus.js") for src in found["scripts"]), (url, found)
    assert page.dialogs == []  # type: ignore[attr-defined]
    page.goto(f"{server}/articles/{articles[0]}")
    text = page.locator(".source-text").inner_text()
    assert "<script>" in text or "<img src=x" in text  # shown, as text
    assert page.locator("a", has_text="Original article").count() == 0  # a javascript: URL is never a link
