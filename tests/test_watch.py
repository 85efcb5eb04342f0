"""`chorus watch` against real HTTP servers on 127.0.0.1: politeness, conditional GETs,
every failure with its reason, robots.txt, resuming without refetching, new articles.

The fetcher tests need no NLP and run fast; the loop tests ingest through the whole
pipeline (spaCy) and are marked slow."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import Loopback, article_page, http_date, invented_paragraphs, rss, sitemap, sitemap_index  # noqa: E402

from chorus.config import Settings  # noqa: E402
from chorus.store import open_store  # noqa: E402
from chorus.watch.fetch import Fetched, FetchFailed, Fetcher, FetchPolicy, NotModified  # noqa: E402
from chorus.watch.loop import watch  # noqa: E402
from chorus.watch.sources import Defaults, Source, SourcesFile  # noqa: E402

FAST = FetchPolicy(per_host_concurrency=2, per_host_delay_s=0.05, timeout_s=1.0, max_bytes=200_000, max_redirects=3,
                   retries=2, backoff_s=0.05, max_backoff_s=0.5, user_agent="chorus-test")  # fmt: skip
ROBOTS = "User-agent: *\nDisallow: /private/\n"
DATE = http_date(1_717_000_000)


def run(coro):
    return asyncio.run(coro)


async def fetch_all(policy, urls, **kw):
    async with Fetcher(policy) as f:
        return await asyncio.gather(*(f.get(u, **kw) for u in urls))


# -- the fetcher ------------------------------------------------------------------
def test_per_host_concurrency_and_gap_are_held_and_hosts_run_side_by_side():
    policy = FetchPolicy(per_host_concurrency=2, per_host_delay_s=0.1, timeout_s=5, user_agent="chorus-test")
    with Loopback(hold_s=0.3) as a, Loopback(hold_s=0.3) as b:
        for site in (a, b):
            for i in range(8):
                site.route(f"/p{i}", article_page(f"p{i}", ["text"]))
        urls = [a.url(f"/p{i}") for i in range(8)] + [b.url(f"/p{i}") for i in range(8)]
        start = time.monotonic()
        results = run(fetch_all(policy, urls))
        elapsed = time.monotonic() - start
        assert all(isinstance(r, Fetched) for r in results)
        for site in (a, b):
            pages = [r for r in site.requests if r.path.startswith("/p")]
            assert len(pages) == 8
            assert max(r.in_flight for r in site.requests) <= 2  # never more than 2 at once on a host
            assert max(r.in_flight for r in pages) == 2  # and the limit is used, not one at a time
            starts = sorted(r.at for r in site.requests)  # robots.txt included: it counts too
            assert min(b2 - b1 for b1, b2 in zip(starts, starts[1:])) >= 0.08  # 0.1 s, less scheduling jitter
    # 9 requests per host, 2 at a time, 0.3 s each: ~1.5 s per host; the hosts overlap
    assert elapsed < 2 * 1.5


def test_conditional_get_sends_validators_and_304_is_not_modified():
    with Loopback() as site:
        site.route("/feed.xml", rss("Meridal Times", []), content_type="application/rss+xml", etag='"v1"')
        site.route("/dated.xml", rss("Meridal Times", []), content_type="application/rss+xml", last_modified=DATE)
        first, dated = run(fetch_all(FAST, [site.url("/feed.xml"), site.url("/dated.xml")], expect="xml"))
        assert isinstance(first, Fetched) and first.etag == '"v1"' and dated.last_modified == DATE

        async def again():
            async with Fetcher(FAST) as f:
                return (
                    await f.get(site.url("/feed.xml"), expect="xml", etag=first.etag),
                    await f.get(site.url("/dated.xml"), expect="xml", last_modified=dated.last_modified),
                )

        one, two = run(again())
        assert isinstance(one, NotModified) and isinstance(two, NotModified)
        sent = [r.headers for r in site.requests if r.path != "/robots.txt"][2:]
        assert sent[0]["If-None-Match"] == '"v1"' and sent[1]["If-Modified-Since"] == DATE
        assert all(r.headers["User-Agent"] == "chorus-test" for r in site.requests)


def test_every_failure_has_a_one_line_reason_and_the_rest_of_the_batch_lands():
    with Loopback() as site:
        site.route("/ok", article_page("fine", ["All good here."]))
        site.route("/forbidden", "no", status=403)
        site.route("/gone", "gone", status=410)
        site.route("/slow", article_page("late", ["x"]), delay_s=1.6)
        site.route("/loop-a", status=302, location="/loop-b")
        site.route("/loop-b", status=302, location="/loop-a")
        for i in range(5):
            site.route(f"/hop{i}", status=301, location=f"/hop{i + 1}")
        site.route("/declared-big", "x" * 300_000)
        site.route("/streamed-big", stream_bytes=1_000_000)
        site.route("/image", b"\x89PNG", content_type="image/png")
        paths = ["/ok", "/forbidden", "/gone", "/slow", "/loop-a", "/hop0", "/declared-big", "/streamed-big", "/image"]
        policy = FetchPolicy(**{**FAST.__dict__, "timeout_s": 0.5, "retries": 1})
        results = dict(zip(paths, run(fetch_all(policy, [site.url(p) for p in paths]))))
    assert isinstance(results.pop("/ok"), Fetched)
    reasons = {p: r.reason for p, r in results.items()}
    assert all(isinstance(r, FetchFailed) for r in results.values())
    assert reasons["/forbidden"] == "403 Forbidden"
    assert reasons["/gone"] == "410 Gone" and results["/gone"].permanent
    assert reasons["/slow"] == "timed out after 0.5 s (after 2 tries)"
    assert reasons["/loop-a"].startswith("redirect loop (") and "/loop-b ->" in reasons["/loop-a"]
    assert reasons["/hop0"] == "more than 3 redirects"
    assert reasons["/declared-big"] == "body over 200 kB (Content-Length 300,000)"
    assert reasons["/streamed-big"] == "body over 200 kB"
    assert reasons["/image"] == "content type image/png is not an HTML page"
    assert all("\n" not in r for r in reasons.values())


def test_retries_back_off_and_honour_retry_after():
    with Loopback() as site:
        site.route("/busy", "wait", status=503, headers={"Retry-After": "1"})
        site.route("/limited", "slow down", status=429)
        policy = FetchPolicy(**{**FAST.__dict__, "retries": 2, "backoff_s": 0.1, "max_backoff_s": 2.0})
        busy, limited = run(fetch_all(policy, [site.url("/busy"), site.url("/limited")]))
        assert busy.reason == "503 Service Unavailable (after 3 tries)"
        assert limited.reason == "429 Too Many Requests (after 3 tries)"
        at = [r.at for r in site.requests if r.path == "/busy"]
        assert len(at) == 3 and at[1] - at[0] >= 0.9 and at[2] - at[1] >= 0.9  # Retry-After: 1 beats 0.1 s backoff
        at = [r.at for r in site.requests if r.path == "/limited"]
        assert len(at) == 3 and at[1] - at[0] >= 0.08 and at[2] - at[1] >= 0.17  # 0.1 s, then 0.2 s (less jitter)
        # a 403 is not retried: asking again at once would not change the answer
        site.route("/forbidden", "no", status=403)
        run(fetch_all(policy, [site.url("/forbidden")]))
        assert site.paths().count("/forbidden") == 1


def test_robots_disallowed_pages_are_never_requested_and_missing_robots_allows():
    with Loopback() as site, Loopback() as bare:
        site.route("/robots.txt", ROBOTS, content_type="text/plain")
        site.route("/private/secret", "secret")
        site.route("/public", article_page("public", ["open"]))
        bare.route("/page", article_page("page", ["open"]))  # no robots.txt: 404
        secret, public, page = run(fetch_all(FAST, [site.url("/private/secret"), site.url("/public"), bare.url("/page")]))
        assert secret.reason == "disallowed by robots.txt" and secret.disallowed
        assert isinstance(public, Fetched) and isinstance(page, Fetched)
        assert "/private/secret" not in site.paths()
        assert site.paths().count("/robots.txt") == 1  # fetched once per host, kept


def test_robots_5xx_backs_off_the_host():
    with Loopback() as site:
        site.route("/robots.txt", "down", status=500)
        site.route("/page", article_page("page", ["open"]))
        policy = FetchPolicy(**{**FAST.__dict__, "retries": 0})
        first, second = run(fetch_all(policy, [site.url("/page"), site.url("/page")]))
        assert first.reason.startswith("robots.txt unavailable (500 Internal Server Error)")
        assert second.reason == first.reason
        assert "/page" not in site.paths() and site.paths().count("/robots.txt") == 1


# -- the watch loop ----------------------------------------------------------------
def _feed_site(site: Loopback, n: int, *, extra: list[tuple[str, str]] = ()) -> None:
    items = []
    for i in range(n):
        path = f"/news/{i}"
        site.route(path, article_page(f"Kessel dam talks, report {i}", invented_paragraphs(i), date=f"2024-05-{i + 1:02d}"))
        items.append((site.url(path), f"Kessel dam talks, report {i}", DATE))
    items += [(site.url(p), t, DATE) for p, t in extra]
    site.route("/feed.xml", rss("Meridal Times", items), content_type="application/rss+xml", etag=f'"{len(items)}"')


def _sources(*sources: Source) -> SourcesFile:
    return SourcesFile(None, Defaults(interval_s=3600), tuple(sources))


SETTINGS = Settings(workers=1)


@pytest.mark.slow
def test_watch_ingests_reports_failures_and_resumes_without_refetching(store_url):
    db = store_url
    with Loopback() as site:
        site.route("/robots.txt", ROBOTS, content_type="text/plain")
        site.route("/news/forbidden", "no", status=403)
        site.route("/private/leak", article_page("leak", invented_paragraphs(99)))
        site.route("/news/empty", "<html><head><title>Empty</title></head><body><div><script>load()</script></div></body></html>")
        _feed_site(site, 3, extra=[("/news/forbidden", "Forbidden"), ("/private/leak", "Leak"), ("/news/empty", "Empty")])
        sources = _sources(Source("meridal", site.url("/feed.xml"), "feed", 3600, None))
        events, cycles = [], []
        with open_store(db) as store:
            reports = watch(sources, store, SETTINGS, once=True, policy=FAST, on_event=events.append,
                            after_cycle=lambda s: cycles.append(s.count_articles()))  # fmt: skip
            assert len(reports[0].ingested) == 3 and store.count_articles() == 3
            assert cycles == [3]  # the hook ran once, after the articles were stored
            titles = {r.title for r in store.list_articles()}
            assert titles == {f"Kessel dam talks, report {i}" for i in range(3)}
            assert all(store.story_of(i) for i in reports[0].ingested)  # each in its story
            outlets = {r.outlet for r in store.list_articles()}
            assert outlets == {"Meridal Times"}  # the pages name no site: the feed's title
            failures = {e.url.split("/", 3)[3]: (e.kind, e.detail) for e in reports[0].errors}
            assert failures == {
                "news/forbidden": ("error", "403 Forbidden"),
                "private/leak": ("disallowed", "disallowed by robots.txt"),
                "news/empty": ("rejected", "no article text found in the HTML page"),
            }
            log = store.fetch_log(source="meridal")
            assert {(e.outcome, e.reason) for e in log if e.url.endswith("/news/forbidden")} == {("error", "403 Forbidden")}
        assert "/private/leak" not in site.paths()
        page_requests = [p for p in site.paths() if p.startswith("/news/")]

        # a restart: a new watch over the same store fetches no page it has, and asks for
        # the feed conditionally; the 403 page is tried again (it may pass), the rest not
        with open_store(db) as store:
            again = watch(sources, store, SETTINGS, once=True, policy=FAST)
            assert again[0].ingested == () and store.count_articles() == 3
        feed_requests = [r for r in site.requests if r.path == "/feed.xml"]
        assert feed_requests[-1].headers.get("If-None-Match") == '"6"'
        assert [p for p in site.paths() if p.startswith("/news/")] == page_requests  # 304: nothing listed, nothing fetched

        # the feed changes (a new article, and its ETag): only the new page is fetched
        _feed_site(site, 4, extra=[("/news/forbidden", "Forbidden"), ("/private/leak", "Leak"), ("/news/empty", "Empty")])
        with open_store(db) as store:
            third = watch(sources, store, SETTINGS, once=True, policy=FAST)
            assert len(third[0].ingested) == 1 and store.count_articles() == 4
            (new,) = third[0].ingested
            assert store.get(new).article.title == "Kessel dam talks, report 3" and store.story_of(new)
        fetched = [p for p in site.paths() if p.startswith("/news/")][len(page_requests):]
        assert sorted(fetched) == ["/news/3", "/news/forbidden"]  # the new page, and the 403 retried
        assert "/private/leak" not in site.paths()


@pytest.mark.slow
def test_a_running_watch_picks_up_an_article_added_between_two_polls(tmp_path):
    with Loopback() as site:
        _feed_site(site, 2)
        sources = SourcesFile(None, Defaults(), (Source("meridal", site.url("/feed.xml"), "feed", 1.0, None),))
        stop = threading.Event()
        ingested: list[tuple[float, str]] = []

        def on_event(e):
            if e.kind == "ingested":
                ingested.append((time.monotonic(), e.url))
                if len(ingested) == 2:  # first poll done: the feed gains an article
                    _feed_site(site, 3)
                    added_at.append(time.monotonic())
                if len(ingested) == 3:
                    stop.set()

        added_at: list[float] = []
        with open_store(str(tmp_path / "w.db")) as store:
            timer = threading.Timer(30, stop.set)  # never hang the suite
            timer.start()
            try:
                reports = watch(sources, store, SETTINGS, stop=stop, on_event=on_event, policy=FAST)
            finally:
                timer.cancel()
            assert [u.rsplit("/", 1)[1] for _t, u in ingested] == ["0", "1", "2"]
            assert len(reports) >= 2 and reports[-1].ingested and store.count_articles() == 3
        # the second poll sent the first poll's ETag, and got the new feed
        feeds = [r for r in site.requests if r.path == "/feed.xml"]
        assert feeds[1].headers.get("If-None-Match") == '"2"'
        # stored within one poll interval (1 s) plus its processing
        assert ingested[2][0] - added_at[0] < 1.0 + 5.0


@pytest.mark.slow
def test_sitemap_index_and_listed_page(tmp_path):
    with Loopback() as site:
        for i in range(2):
            site.route(f"/a/{i}", article_page(f"Sitemap report {i}", invented_paragraphs(10 + i), date="2024-05-10", site="Brenna Courier"))
        site.route("/sitemap-1.xml", sitemap([(site.url("/a/0"), "2024-05-10"), (site.url("/a/1"), "2024-05-11")]), content_type="application/xml")
        site.route("/sitemap.xml", sitemap_index([site.url("/sitemap-1.xml")]), content_type="application/xml")
        site.route("/live", article_page("Live page", invented_paragraphs(20)), etag='"live1"')
        sources = _sources(
            Source("courier", site.url("/sitemap.xml"), "sitemap", 3600, None),
            Source("live", site.url("/live"), "page", 3600, "Live Desk"),
        )
        with open_store(str(tmp_path / "w.db")) as store:
            first = watch(sources, store, SETTINGS, once=True, policy=FAST)
            rows = {r.title: r for r in store.list_articles()}
            assert set(rows) == {"Sitemap report 0", "Sitemap report 1", "Live page"}
            assert rows["Sitemap report 0"].outlet == "Brenna Courier" and rows["Live page"].outlet == "Live Desk"
            assert len(first[0].ingested) == 3
            # unchanged live page: a 304, nothing new; a changed one is ingested as a new version
            assert watch(sources, store, SETTINGS, once=True, policy=FAST)[0].ingested == ()
            site.route("/live", article_page("Live page", invented_paragraphs(21)), etag='"live2"')
            third = watch(sources, store, SETTINGS, once=True, policy=FAST)
            assert len(third[0].ingested) == 1 and store.count_articles() == 4
        live = [r for r in site.requests if r.path == "/live"]
        assert [r.headers.get("If-None-Match") for r in live] == [None, '"live1"', '"live1"']


@pytest.mark.slow
def test_cli_watch_once_sources_and_fetch_log(tmp_path, monkeypatch):
    from chorus.cli import cli

    monkeypatch.chdir(tmp_path)
    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    with Loopback() as site:
        site.route("/news/forbidden", "no", status=403)
        _feed_site(site, 2, extra=[("/news/forbidden", "Forbidden")])
        added = runner.invoke(cli, ["sources", "add", site.url("/feed.xml"), "--name", "meridal", "--interval", "5m"])
        assert added.exit_code == 0, added.output
        assert "added meridal (feed, every 5m) to sources.toml" in added.output
        result = runner.invoke(cli, ["watch", "sources.toml", "--once", "--db", db])
        assert result.exit_code == 3, result.output  # partial: one page failed
        ingested = [line for line in result.stdout.splitlines() if line.startswith("ingested")]
        assert len(ingested) == 2 and all("meridal" in line and "Kessel dam talks" in line for line in ingested)
        assert f"error  meridal  {site.url('/news/forbidden')}: 403 Forbidden" in result.stderr
        listing = runner.invoke(cli, ["sources", "list", "--db", db])
        assert "meridal  feed  every 5m" in listing.output and "2 ingested, 1 errors" in listing.output
        assert "last error" in listing.output and "403 Forbidden" in listing.output
        log = runner.invoke(cli, ["fetch-log", "--db", db, "--errors", "--since", "1h"])
        assert log.exit_code == 0 and len(log.output.splitlines()) == 1 and "403 Forbidden" in log.output
        removed = runner.invoke(cli, ["sources", "remove", "meridal"])
        assert removed.exit_code == 0 and "removed meridal" in removed.output
        empty = runner.invoke(cli, ["watch", "sources.toml", "--once", "--db", db])
        assert empty.exit_code == 1 and "no enabled source" in empty.output


@pytest.mark.slow
def test_cli_watch_process_exits_and_stops_cleanly_on_sigterm(tmp_path):
    """`chorus watch --once` as a process ingests and exits; a running watch stops
    cleanly on SIGTERM (exit 0, after saying so)."""
    import os
    import signal
    import subprocess

    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "chorus", "watch", str(tmp_path / "sources.toml"), "--db", str(tmp_path / "p.db")]
    with Loopback() as site:
        _feed_site(site, 4)
        (tmp_path / "sources.toml").write_text(f'[defaults]\nper_host_delay_s = 0\n\n[[source]]\nname = "meridal"\nurl = "{site.url("/feed.xml")}"\n')
        once = subprocess.run([*cmd, "--once"], capture_output=True, text=True, timeout=300, env=env)
        assert once.returncode == 0, once.stderr
        assert sum(line.startswith("ingested") for line in once.stdout.splitlines()) == 4
        running = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            deadline = time.monotonic() + 120
            while site.paths().count("/feed.xml") < 2 and time.monotonic() < deadline:
                time.sleep(0.1)  # the running watch has polled (a 304: nothing new)
            running.send_signal(signal.SIGTERM)
            out, err = running.communicate(timeout=60)
        finally:
            if running.poll() is None:
                running.kill()
        assert running.returncode == 0, err
        assert "stopping after the current item" in err and "stopped: 0 articles ingested" in err


@pytest.mark.slow
def test_an_article_added_to_the_feed_is_a_change_and_fires_a_webhook(tmp_path):
    """The issue's whole path: a watched feed gains an article between two polls; the
    second poll ingests it, the story's snapshot records it as new, and a saved watch's
    webhook (the `after_cycle` hook delivering) POSTs it to a second loopback server."""
    import json

    from chorus.alerts import deliver_webhooks
    from chorus.cli import cli

    db = str(tmp_path / "w.db")
    settings = Settings(workers=1, db=db)
    with Loopback() as site, Loopback() as receiver:
        _feed_site(site, 2)
        sources = _sources(Source("meridal", site.url("/feed.xml"), "feed", 3600, None))
        with open_store(db) as store:
            watch(sources, store, settings, once=True, policy=FAST)
            story = store.story_of(store.list_articles()[0].id)
            store.add_watch("story", story, webhook=receiver.url("/hook"))
            _feed_site(site, 3)  # the feed gains report 2
            hooked = []
            second = watch(sources, store, settings, once=True, policy=FAST,
                           after_cycle=lambda s: hooked.append(deliver_webhooks(s, settings)))  # fmt: skip
            (new,) = second[0].ingested
            assert store.story_of(new) == story  # the new report joined the followed story
        assert len(hooked) == 1 and len(hooked[0].delivered) == 1
        ((path, body),) = receiver.posts
        sent = json.loads(body)
        assert path == "/hook" and sent["story"]["id"] == story
        assert [a["id"] for a in sent["changes"]["new_articles"]] == [new]
        assert sent["changes"]["new_articles"][0]["url"] == site.url("/news/2")
    shown = CliRunner().invoke(cli, ["changes", "--since", "1h", "--story", story, "--db", db])
    assert shown.exit_code == 0 and "Kessel dam talks, report 2" in shown.output
