"""The `chorus` command: parse arguments, call the pipeline, format the result.

Exit status: 0 every input was used; 3 partial: some inputs were skipped (each with a
one-line reason on stderr) and the rest went through; 4 nothing usable among the
inputs; 1 an error that stopped the command (message on stderr); 2 a usage error.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from chorus import __version__, pipeline
from chorus.config import Settings, load_settings
from chorus.errors import ChorusError
from chorus.models import Rejected
from chorus.store import display_location

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL, EXIT_NOTHING = 0, 1, 2, 3, 4


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(overrides)
    except ChorusError as exc:
        raise click.ClickException(str(exc)) from None


def _report(rejected: list[Rejected], label: str = "skipped") -> None:
    for r in rejected:
        click.echo(f"{label}: {r.source}: {r.reason}", err=True)


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _status(used: int, rejected: int) -> int:
    if rejected and used:
        return EXIT_PARTIAL
    if rejected or not used:
        return EXIT_NOTHING
    return EXIT_OK


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="chorus")
def cli() -> None:
    """chorus: many news reports of the same events, one cited account.

    \b
    Example:
      chorus brief examples/corpus
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["md", "json", "html"]), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@click.option("--words", type=int, default=None, help="Summary length in words (default 150).")
@click.option("--workers", type=int, default=None, help="Annotation processes (default: one per core, at most 2).")
@click.option("--llm-url", default=None, help="OpenAI-compatible endpoint for an abstractive summary (off by default); ungrounded sentences are dropped.")
@click.option("--llm-model", default=None, help="Model name to ask the endpoint for.")
def brief(
    paths: tuple[str, ...], fmt: str, out: Path | None, words: int | None, workers: int | None, llm_url: str | None, llm_model: str | None
) -> None:
    """Read news files and print a briefing per story.

    PATHS are files, directories (read recursively), glob patterns, or - for stdin:
    .txt, .html/.htm, .json/.jsonl, RSS/Atom (.rss/.atom/.xml), TimeML (.tml).

    \b
    Examples:
      chorus brief examples/corpus
      chorus brief ../shared/seeds --format json --out briefing.json
      cat story.html | chorus brief - --format html --out story.html
    """
    from chorus.render import render

    settings = _settings(summary_words=words, workers=workers, llm_url=llm_url, llm_model=llm_model)
    try:
        briefing = pipeline.brief(paths, settings)
    except ChorusError as exc:
        raise click.ClickException(str(exc)) from None
    _report(list(briefing.rejected))
    for sb in briefing.stories:
        if sb.summary_dropped:
            click.echo(f"summary of story {sb.story.id}: dropped {len(sb.summary_dropped)} ungrounded sentence(s)", err=True)
    text = render(briefing, fmt)
    if out:
        _write_atomically(out, text)
        click.echo(f"wrote {out} ({len(briefing.stories)} stories, {len(briefing.articles)} articles)", err=True)
    else:
        click.echo(text, nl=False)
    sys.exit(_status(len(briefing.articles), len(briefing.rejected)))


def _open_store(db: str | None):
    from chorus.store import open_store

    settings = _settings(db=db)
    try:
        return settings, open_store(settings.db_path)
    except ChorusError as exc:
        raise click.ClickException(str(exc)) from None


_PARTITION_HELP = (
    "Assign stories in windows of DAYS publication days, in parallel on Ray, then stitch stories across "
    "window edges (7: weekly; 0: serially, the default; see docs/SCALING.md for what differs)."
)
_DB_HELP = (
    "Store: a SQLite file path, sqlite:///PATH or postgresql://USER@HOST[:PORT]/DBNAME"
    " (default: $CHORUS_DB, else chorus.db in your data directory)."
)


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--db", default=None, help=_DB_HELP)
@click.option("--workers", type=int, default=None, help="Annotation processes, or Ray actors with --engine ray (default: one per core, at most 2).")
@click.option("--briefings", is_flag=True, default=None, help="Also compute the briefing of every changed story now (for `chorus serve`; otherwise computed on first view).")
@click.option("--snapshots/--no-snapshots", default=None, help="Record what changed in each changed story (default on; `chorus changes` and alerts read it). --no-snapshots for bulk loads.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True, help="local: processes on this machine; ray: Ray Data (pip install 'chorus-news[ray]').")
@click.option("--ray-address", default=None, metavar="ADDR", help="Ray cluster to join (e.g. ray://head:10001); default: start a local Ray.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, help="With --engine ray: write Parquet files to this directory instead of the store.")
@click.option("--partition-days", type=click.IntRange(min=0), default=None, metavar="DAYS", help=_PARTITION_HELP)
def ingest(
    paths: tuple[str, ...],
    db: str | None,
    workers: int | None,
    briefings: bool | None,
    snapshots: bool | None,
    engine: str,
    ray_address: str | None,
    out: Path | None,
    partition_days: int | None,
) -> None:
    """Add news files to the store. Ingesting the same files again adds nothing.
    Each changed story is analysed once and what changed is recorded (see `chorus
    changes`); due alert webhooks are then sent (a failing one never stops ingest).

    With --engine ray the same stages run on Ray (a local Ray on 127.0.0.1 unless
    --ray-address names a cluster); big .jsonl and .warc(.gz) files are split and
    streamed. With --out DIR the annotated articles go to Parquet files instead of the
    store (load them later with `chorus load-parquet DIR`).

    \b
    Examples:
      chorus ingest examples/corpus
      chorus ingest ../shared/seeds --db /tmp/seeds.db
      chorus ingest archive/ --no-snapshots     # a bulk load: no per-story analysis
      chorus ingest --engine ray --workers 2 crawl/*.warc.gz
      chorus ingest --engine ray --out /data/parquet dump.jsonl && chorus load-parquet /data/parquet
      chorus ingest --engine ray --partition-days 7 --no-snapshots 'cc-news/*.warc.gz'
    """
    if (ray_address or out or partition_days) and engine != "ray":
        raise click.UsageError("--ray-address, --out and --partition-days need --engine ray")
    if partition_days and out is not None:
        raise click.UsageError("--partition-days assigns stories in the store: give it to `chorus load-parquet`, not with --out")
    overrides = {"workers": workers, "briefings": int(bool(briefings)) if briefings else None,
                 "snapshots": None if snapshots is None else int(snapshots), "partition_days": partition_days}  # fmt: skip
    if out is not None:
        settings = replace(_settings(), **{k: v for k, v in overrides.items() if v is not None})
        _ingest_ray_to_parquet(paths, settings, ray_address, out)
        return
    settings, store = _open_store(db)
    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    with store:
        try:
            if engine == "ray":
                from chorus.engine.ray_engine import ingest_ray

                report = ingest_ray(paths, settings, store=store, address=ray_address)
            else:
                report = pipeline.ingest(paths, store, settings)
        except ChorusError as exc:
            raise click.ClickException(str(exc)) from None
        _report(report.rejected)
        _report(report.already, label="already stored")
        if report.deferred:
            click.echo(
                f"{len(report.deferred)} stories changed: a bulk load (over snapshot_limit {settings.snapshot_limit}), "
                "not analysed now; each story's next change is compared with its state before it",
                err=True,
            )
        total = store.count_articles()
        _deliver(store, settings)
    click.echo(
        f"added {len(report.added)} article{'s' * (len(report.added) != 1)}, "
        f"{len(report.already)} already stored, {len(report.rejected)} skipped; "
        f"{total} in {display_location(settings.db_path)}"
    )
    sys.exit(_status(len(report.added) + len(report.already), len(report.rejected)))


def _ingest_ray_to_parquet(paths: tuple[str, ...], settings, ray_address: str | None, out: Path) -> None:
    from chorus.engine.ray_engine import ingest_ray

    try:
        report = ingest_ray(paths, settings, out=out, address=ray_address)
    except ChorusError as exc:
        raise click.ClickException(str(exc)) from None
    _report(report.rejected)
    _report(report.already, label="duplicate")
    click.echo(
        f"wrote {len(report.added)} article{'s' * (len(report.added) != 1)} to {report.parts} Parquet file(s) in {out}, "
        f"{len(report.already)} duplicate, {len(report.rejected)} skipped; load with `chorus load-parquet {out}`"
    )
    sys.exit(_status(len(report.added) + len(report.already), len(report.rejected)))


@cli.command(name="load-parquet")
@click.argument("directory", type=click.Path(exists=True, path_type=Path))
@click.option("--db", default=None, help=_DB_HELP)
@click.option("--partition-days", type=click.IntRange(min=0), default=None, metavar="DAYS", help=_PARTITION_HELP)
@click.option("--workers", type=int, default=None, help="With --partition-days: windows assigned at once on the local Ray (default: one per core, at most 2).")
def load_parquet(directory: Path, db: str | None, partition_days: int | None, workers: int | None) -> None:
    """Bulk-load Parquet written by `chorus ingest --engine ray --out DIR` into the
    store, then assign stories. Loading the same files again adds nothing.

    \b
    Examples:
      chorus load-parquet /data/parquet --db /data/chorus.db
      chorus load-parquet /data/parquet --db /data/chorus.db --partition-days 7 --workers 8
    """
    from chorus.engine.ray_engine import load_parquet as load

    settings, store = _open_store(db)
    overrides = {"partition_days": partition_days, "workers": workers}
    settings = replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    with store:
        try:
            report = load(directory, store, settings)
        except ChorusError as exc:
            raise click.ClickException(str(exc)) from None
        total = store.count_articles()
        _deliver(store, settings)
    click.echo(f"added {len(report.added)} article{'s' * (len(report.added) != 1)}, {len(report.already)} already stored; {total} in {display_location(settings.db_path)}")


def _deliver(store, settings: Settings) -> None:
    """Send due alert webhooks; report on stderr, never fail the command."""
    from chorus.alerts import deliver_webhooks

    try:
        done = deliver_webhooks(store, settings)
    except ChorusError as exc:
        click.echo(f"webhooks: not sent ({exc})", err=True)
        return
    if done.delivered:
        click.echo(f"webhooks: delivered {len(done.delivered)}", err=True)
    for nid, reason in done.failed:
        click.echo(f"webhooks: notification {nid} not delivered ({reason}); will retry", err=True)
    for nid in done.gave_up:
        click.echo(f"webhooks: notification {nid} given up after {settings.webhook_attempts} attempts", err=True)


def _since(text: str) -> str:
    from chorus.changes import iso, parse_since

    try:
        return iso(parse_since(text))
    except ChorusError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None


@cli.command()
@click.option("--since", "since_text", default="24h", show_default=True, help="A duration (30m, 24h, 2d, 1w) or an ISO date/time (UTC unless it says).")
@click.option("--story", default=None, help="Only this story (a merged-away id means the story it joined).")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@click.option("--db", default=None, help=_DB_HELP)
def changes(since_text: str, story: str | None, fmt: str, out: Path | None, db: str | None) -> None:
    """What is new in the stored stories since a time: new reports and outlets, newly
    corroborated or disputed claims, claims whose status changed, new quotes, speakers
    and timeline events, each cited. A story born since then shows everything as new.

    \b
    Examples:
      chorus changes                       # the last 24 hours
      chorus changes --since 2d --story s58392e2844b
      chorus changes --since 2026-11-20T08:00 --format json
    """
    import json

    from chorus.render.changes import changes_markdown

    since = _since(since_text)
    _settings_, store = _open_store(db)
    with store:
        try:
            found = pipeline.changes_since(store, since, story)
        except ChorusError as exc:
            raise click.ClickException(str(exc)) from None
    data = [c.to_dict() for c in found]
    if fmt == "json":
        text = json.dumps({"since": since, "stories": data}, ensure_ascii=False, indent=2) + "\n"
    else:
        text = changes_markdown(data, since)
    _emit(text, out, f" ({len(data)} changed stor{'ies' if len(data) != 1 else 'y'})")


def _emit(text: str, out: str | None, what: str = "") -> None:
    """``text`` to the file ``out`` (atomically, saying so on stderr) or to stdout."""
    if out:
        _write_atomically(out, text)
        click.echo(f"wrote {out}{what}", err=True)
    else:
        click.echo(text, nl=False)


@cli.group()
def alerts() -> None:
    """Saved watches: an entity, a keyword query or a story. Each ingest that changes a
    story they concern makes a notification: in the Atom feed /feeds/alerts/ID.atom of
    `chorus serve`, in `chorus digest`, and POSTed to the watch's webhook if it has one.

    \b
    Examples:
      chorus alerts add --entity "Kaldoria"
      chorus alerts add --query "dam inspection" --webhook https://example.org/hook
      chorus alerts list
      chorus alerts remove 2
    """


@alerts.command(name="add")
@click.option("--entity", default=None, help="A name (any alias counts: 'U.S.' = 'United States').")
@click.option("--query", default=None, help="Words that must all appear in a new report or a new or changed claim.")
@click.option("--story", default=None, help="A story id (followed through merges).")
@click.option("--webhook", default=None, help="POST each notification as JSON to this http(s) URL (retried with backoff).")
@click.option("--db", default=None, help=_DB_HELP)
def alerts_add(entity: str | None, query: str | None, story: str | None, webhook: str | None, db: str | None) -> None:
    """Save a watch (exactly one of --entity, --query, --story).

    \b
    Examples:
      chorus alerts add --entity "Kaldoria"
      chorus alerts add --query "dam inspection" --webhook https://example.org/hook
      chorus alerts add --story s58392e2844b
    """
    from chorus.alerts import check_watch

    given = [(k, v) for k, v in (("entity", entity), ("query", query), ("story", story)) if v is not None]
    if len(given) != 1:
        raise click.UsageError("give exactly one of --entity, --query, --story")
    kind, value = given[0]
    _settings_, store = _open_store(db)
    with store:
        try:
            check_watch(kind, value, webhook)
            if kind == "story":
                value = store.get_story(value).id
            row = store.add_watch(kind, value.strip(), webhook)
        except ChorusError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"watch {row.id}: {row.kind} {row.value!r}" + (f", webhook {row.webhook}" if row.webhook else ""))


@alerts.command(name="list")
@click.option("--db", default=None, help=_DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def alerts_list(db: str | None, as_json: bool) -> None:
    """List saved watches with their notification counts.

    \b
    Example:
      chorus alerts list --json
    """
    import json
    from dataclasses import asdict

    _settings_, store = _open_store(db)
    with store:
        rows = [(w, len(store.notifications(w.id))) for w in store.list_watches()]
    if as_json:
        for w, n in rows:
            click.echo(json.dumps({**asdict(w), "notifications": n, "feed": f"/feeds/alerts/{w.id}.atom"}, ensure_ascii=False))
        return
    if not rows:
        click.echo("no watches yet; add one with `chorus alerts add --entity NAME`")
        return
    click.echo(f"{'id':>4}  {'kind':6}  {'notified':>8}  {'created':16}  value")
    for w, n in rows:
        click.echo(f"{w.id:4}  {w.kind:6}  {n:8}  {w.created_at[:16].replace('T', ' ')}  {w.value}" + (f"  → {w.webhook}" if w.webhook else ""))


@alerts.command(name="remove")
@click.argument("watch_id", type=int)
@click.option("--db", default=None, help=_DB_HELP)
def alerts_remove(watch_id: int, db: str | None) -> None:
    """Remove a watch with its notifications.

    \b
    Example:
      chorus alerts remove 2
    """
    _settings_, store = _open_store(db)
    with store:
        if not store.remove_watch(watch_id):
            raise click.ClickException(f"no watch {watch_id}; see `chorus alerts list`")
    click.echo(f"removed watch {watch_id}")


@cli.command()
@click.option("--since", "since_text", default="24h", show_default=True, help="A duration (24h, 7d) or an ISO date/time.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (atomically) instead of stdout.")
@click.option("--db", default=None, help=_DB_HELP)
def digest(since_text: str, out: Path | None, db: str | None) -> None:
    """A Markdown digest of what changed, per saved watch (or of every story when no
    watch is saved), each item cited: for mailing with your own tools.

    \b
    Examples:
      chorus digest --out digest.md
      chorus digest --since 7d | mail -s "chorus weekly" me@example.org
    """
    from chorus import alerts as alerting
    from chorus.changes import iso, utc_now
    from chorus.render.changes import digest_markdown

    since = _since(since_text)
    _settings_, store = _open_store(db)
    with store:
        try:
            sections = alerting.digest(store, since)
        except ChorusError as exc:
            raise click.ClickException(str(exc)) from None
    _emit(digest_markdown([(w, [c.to_dict() for c in found]) for w, found in sections], since, iso(utc_now())), out)


@cli.command()
@click.option("--db", default=None, help=_DB_HELP)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def articles(db: str | None, limit: int, as_json: bool) -> None:
    """List stored articles, newest ingested first.

    \b
    Example:
      chorus articles --limit 20
    """
    import json
    from dataclasses import asdict

    _settings_, store = _open_store(db)
    with store:
        rows = store.list_articles(limit=limit)
        total = store.count_articles()
    if as_json:
        for row in rows:
            click.echo(json.dumps(asdict(row), ensure_ascii=False))
        return
    if not rows:
        click.echo("no articles stored yet; add some with `chorus ingest PATH`")
        return
    click.echo(f"{'id':12}  {'published':10}  {'outlet':22}  title")
    for row in rows:
        click.echo(f"{row.id:12}  {row.published or '—':10}  {row.outlet[:22]:22}  {row.title[:80]}")
    if total > len(rows):
        click.echo(f"({len(rows)} of {total}; use --limit)")


@cli.command()
@click.option("--db", default=None, help=_DB_HELP)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def stories(db: str | None, limit: int, as_json: bool) -> None:
    """List stored stories, most recently updated first.

    \b
    Example:
      chorus stories --limit 20
    """
    import json
    from dataclasses import asdict

    _settings_, store = _open_store(db)
    with store:
        rows = store.list_stories(limit=limit)
    if as_json:
        for row in rows:
            click.echo(json.dumps(asdict(row), ensure_ascii=False))
        return
    if not rows:
        click.echo("no stories yet; add articles with `chorus ingest PATH`")
        return
    click.echo(f"{'id':12}  {'articles':>8}  {'outlets':>7}  {'first':10}  {'last':10}  title")
    for r in rows:
        click.echo(
            f"{r.id:12}  {r.n_articles:8}  {len(r.outlets):7}  {r.first_published or '—':10}  {r.last_published or '—':10}  {r.title[:70]}"
        )


@cli.command()
@click.argument("story")
@click.option("--db", default=None, help=_DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["md", "json", "html"]), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
def show(story: str, db: str | None, fmt: str, out: Path | None) -> None:
    """Print the briefing of one stored story (an id from `chorus stories`).

    \b
    Example:
      chorus show s58392e2844b --format json
    """
    from chorus.render import render

    settings, store = _open_store(db)
    with store:
        try:
            briefing = pipeline.story_briefing(store, story, settings)
        except ChorusError as exc:
            raise click.ClickException(str(exc)) from None
    text = render(briefing, fmt)
    if out:
        _write_atomically(out, text)
    else:
        click.echo(text, nl=False)


@cli.command(name="eval")
@click.argument("task")
@click.option("--data", type=click.Path(exists=True, path_type=Path), default=None, help="Data directory (default: the task's folder under ../shared/eval).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--check", is_flag=True, help="Exit 1 when a score drops below its pinned baseline.")
@click.option("--set", "options", multiple=True, metavar="KEY=VALUE", help="Task option, e.g. --set limit=20.")
def eval_(task: str, data: Path | None, fmt: str, check: bool, options: tuple[str, ...]) -> None:
    """Score one analysis stage on real annotated data, beside baselines run on the
    same data. Tasks: quotes, time, clusters, dedup, summary, stance.

    \b
    Examples:
      chorus eval time --data ../shared/eval/timebank
      chorus eval quotes --format json --check
    """
    import json

    from chorus import evaluate

    if task not in evaluate.TASKS:
        raise click.UsageError(f"unknown task {task!r}; tasks: {', '.join(evaluate.TASKS)}")
    if task not in evaluate.available():
        raise click.ClickException(f"evaluation {task!r} is not built yet in this version of chorus")
    opts = {}
    for item in options:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.UsageError(f"--set takes KEY=VALUE, got {item!r}")
        opts[key] = value
    try:
        result = evaluate.run(task, data, opts)
    except (ChorusError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(f"{result.task} on {result.data} (n={result.n})")
        rows = {"chorus": result.metrics, **result.baselines}
        names = list(dict.fromkeys(k for m in rows.values() for k in m))
        click.echo(f"{'system':28}" + "".join(f"{n[:14]:>15}" for n in names))
        for system, metrics in rows.items():
            click.echo(f"{system[:28]:28}" + "".join(f"{metrics[n]:15.4f}" if n in metrics else f"{'—':>15}" for n in names))
        for note in result.notes:
            click.echo(f"note: {note}")
    if check:
        failed = evaluate.regressions(result, opts)
        for line in failed:
            click.echo(f"regression: {line}", err=True)
        if failed:
            sys.exit(EXIT_ERROR)


@cli.command()
@click.option("--db", default=None, help=_DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
def serve(db: str | None, host: str, port: int) -> None:
    """Browse the stored stories in a web browser, and serve the JSON API under
    /api/v1/ (schema: /api/v1/openapi.json). Read-only unless CHORUS_TOKEN is set:
    then ingest and delete accept `Authorization: Bearer $CHORUS_TOKEN`.

    \b
    Example:
      chorus ingest ../shared/seeds && chorus serve
      CHORUS_TOKEN=s3cret chorus serve --db /tmp/seeds.db --port 8080
    """
    import uvicorn

    from chorus.web import WebOptions, create_app

    settings = _settings(db=db)
    options = WebOptions.from_env()
    try:
        from chorus.store import open_store

        with open_store(settings.db_path):  # fail here, with a one-line reason, not in a request
            pass
        app = create_app(settings, options)
    except ChorusError as exc:
        raise click.ClickException(str(exc)) from None
    writes = "writes need the token" if options.token else "read-only (set CHORUS_TOKEN to allow ingest)"
    click.echo(f"chorus serving {display_location(settings.db_path)} on http://{host}:{port}/ ({writes}); Ctrl-C stops", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, server_header=False)


# -- watch ------------------------------------------------------------------------
_SOURCES_HELP = "The sources file (TOML; see docs/WATCH.md)."


def _load_sources_file(path: Path):
    from chorus.watch.sources import load_sources

    try:
        sources = load_sources(path)
    except ChorusError as exc:
        raise click.ClickException(str(exc)) from None
    for problem in sources.problems:
        click.echo(f"skipped: {problem}", err=True)
    return sources


@cli.command()
@click.argument("sources_file", metavar="SOURCES.toml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--once", is_flag=True, help="Poll every enabled source once, now, then exit.")
@click.option("--db", default=None, help=_DB_HELP)
@click.option("--verbose", "-v", is_flag=True, help="Also print each poll (listed / not modified).")
def watch(sources_file: Path, once: bool, db: str | None, verbose: bool) -> None:
    """Poll the feeds, sitemaps and pages of SOURCES.toml on their schedules, fetch new
    article pages politely (robots.txt, per-host limits, conditional GETs) and ingest
    them. Prints one line per ingested article and per error (stderr); every outcome
    is also in `chorus fetch-log`. Ctrl-C or SIGTERM stops after the current item; a
    restarted watch fetches nothing it already has.

    \b
    Examples:
      chorus sources add https://example.org/world/rss.xml --outlet "Example News"
      chorus watch sources.toml --db news.db
      chorus watch sources.toml --once
    """
    import os
    import signal
    import threading

    from chorus.watch import WatchEvent
    from chorus.watch import watch as run_watch

    sources = _load_sources_file(sources_file)
    if not sources.enabled:
        raise click.ClickException(f"{sources_file}: no enabled source to watch; add one with `chorus sources add URL --file {sources_file}`")
    settings, store = _open_store(db)
    stop = threading.Event()
    errors = 0

    owner = os.getpid()

    def on_signal(signum: int, _frame: object) -> None:
        if os.getpid() != owner:  # a forked annotation worker inherits this handler: die as usual
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if not stop.is_set():
            click.echo("stopping after the current item (again to abort)", err=True)
            stop.set()
            signal.signal(signal.SIGINT, signal.default_int_handler)

    def on_event(e: WatchEvent) -> None:
        nonlocal errors
        if e.kind == "ingested":
            click.echo(f"ingested  {e.source}  {e.detail}  {e.url}")
        elif e.kind in ("poll_error", "error", "disallowed", "rejected"):
            errors += 1
            click.echo(f"{e.kind}  {e.source}  {e.url}: {e.detail}", err=True)
        elif verbose:
            click.echo(f"{e.kind}  {e.source}  {e.url}{'  ' + e.detail if e.detail else ''}")

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    click.echo(
        f"watching {len(sources.enabled)} source{'s' * (len(sources.enabled) != 1)} from {sources_file} into "
        f"{display_location(settings.db_path)}{'' if once else '; Ctrl-C stops'}",
        err=True,
    )
    try:
        with store:
            # after each cycle that ingested something: the alert webhooks it made due
            reports = run_watch(sources, store, settings, once=once, stop=stop, on_event=on_event,
                                after_cycle=lambda s: _deliver(s, settings))  # fmt: skip
    except ChorusError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    ingested = sum(len(r.ingested) for r in reports)
    click.echo(f"{'stopped' if stop.is_set() else 'done'}: {ingested} article{'s' * (ingested != 1)} ingested, {errors} error{'s' * (errors != 1)}", err=True)
    if once and errors:
        sys.exit(EXIT_PARTIAL)


@cli.group()
def sources() -> None:
    """Edit and list the sources file of `chorus watch`.

    \b
    Examples:
      chorus sources add https://example.org/world/rss.xml --name example-world
      chorus sources add https://example.org/sitemap-news.xml --kind sitemap --interval 1h
      chorus sources list --db news.db
      chorus sources remove example-world
    """


_FILE_OPTION = click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path), default=Path("sources.toml"), show_default=True, help=_SOURCES_HELP)


@sources.command(name="add")
@click.argument("url")
@click.option("--kind", type=click.Choice(["feed", "sitemap", "page"]), default="feed", show_default=True)
@click.option("--name", default=None, help="A short name (default: made from the URL).")
@click.option("--interval", default=None, help='How often to poll it, e.g. "10m", "2h" (default: the file\'s [defaults]).')
@click.option("--outlet", default=None, help="The outlet of its articles (default: the page's site name, else the feed title).")
@_FILE_OPTION
def sources_add(url: str, kind: str, name: str | None, interval: str | None, outlet: str | None, path: Path) -> None:
    """Add a source to the sources file (created if absent)."""
    from chorus.watch.sources import Source, add_source, check_url, name_from_url, parse_duration, parse_sources

    try:
        url = check_url(url)
        seconds = parse_duration(interval) if interval else None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        defaults = parse_sources(path.read_text(encoding="utf-8"), path).defaults if path.exists() else None
        source = Source(name or name_from_url(url), url, kind, seconds or (defaults.interval_s if defaults else Source.interval_s), outlet)
        add_source(path, source)
    except ChorusError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {source.name} ({kind}, every {_duration(source.interval_s)}) to {path}")


def _duration(seconds: float) -> str:
    from chorus.watch.sources import format_duration

    return format_duration(seconds)


@sources.command(name="list")
@_FILE_OPTION
@click.option("--db", default=None, help="Also show each source's last poll and last error from this store.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def sources_list(path: Path, db: str | None, as_json: bool) -> None:
    """List the sources, with their last poll and last error when --db is given."""
    import json
    from dataclasses import asdict

    sf = _load_sources_file(path)
    activity = {}
    if db:
        _settings_, store = _open_store(db)
        with store:
            activity = store.source_activity()
    if as_json:
        for s in sf.sources:
            a = activity.get(s.name)
            click.echo(json.dumps({**asdict(s), **({k: v for k, v in asdict(a).items() if k != "source"} if a else {})}, ensure_ascii=False))
        return
    if not sf.sources:
        click.echo(f"no sources in {path}; add one with `chorus sources add URL --file {path}`")
        return
    for s in sf.sources:
        state = "" if s.enabled else "  (disabled)"
        click.echo(f"{s.name}  {s.kind}  every {_duration(s.interval_s)}  {s.url}{state}")
        if db:
            a = activity.get(s.name)
            if a is None:
                click.echo("    never polled")
            else:
                click.echo(f"    last poll {a.last_poll or '—'}; {a.ingested} ingested, {a.errors} errors")
                if a.last_error:
                    click.echo(f"    last error {a.last_error_at}: {a.last_error}")


@sources.command(name="remove")
@click.argument("name_or_url")
@_FILE_OPTION
def sources_remove(name_or_url: str, path: Path) -> None:
    """Remove a source (by name or URL) from the sources file. What was fetched from
    it stays in the store."""
    from chorus.watch.sources import remove_source

    try:
        removed = remove_source(path, name_or_url)
    except ChorusError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"removed {removed.name} ({removed.url}) from {path}")


@cli.command(name="fetch-log")
@click.option("--db", default=None, help=_DB_HELP)
@click.option("--source", default=None, help="Only this source (its name in the sources file).")
@click.option("--since", default=None, help='Only entries this recent: "24h", "30m", or an ISO date/time (UTC).')
@click.option("--errors", "errors_only", is_flag=True, help="Only failures (errors, robots.txt refusals, unusable pages).")
@click.option("--limit", type=int, default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def fetch_log(db: str | None, source: str | None, since: str | None, errors_only: bool, limit: int, as_json: bool) -> None:
    """Show what `chorus watch` fetched and what went wrong, newest first.

    \b
    Examples:
      chorus fetch-log --errors --since 24h
      chorus fetch-log --source example-world --limit 20
    """
    import json
    from dataclasses import asdict
    from datetime import datetime, timedelta, timezone

    from chorus.watch.sources import parse_duration

    start = None
    if since:
        try:
            start = (datetime.now(timezone.utc) - timedelta(seconds=parse_duration(since))).isoformat(timespec="microseconds")
        except ValueError:
            try:
                parsed = datetime.fromisoformat(since)
            except ValueError:
                raise click.BadParameter(f"{since!r} is neither a duration (24h) nor an ISO date", param_hint="--since") from None
            start = (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).isoformat(timespec="microseconds")
    _settings_, store = _open_store(db)
    with store:
        rows = store.fetch_log(source=source, since=start, limit=None if errors_only else limit)
    if errors_only:
        rows = [r for r in rows if r.outcome in ("error", "poll_error", "disallowed", "rejected")][:limit]
    for r in rows:
        if as_json:
            click.echo(json.dumps(asdict(r), ensure_ascii=False))
        else:
            click.echo(f"{r.at[:19]}  {r.source}  {r.outcome}  {r.url}{'  ' + r.reason if r.reason else ''}")
    if not rows and not as_json:
        click.echo("nothing in the fetch log" + (" for these filters" if source or since or errors_only else "; run `chorus watch`"))


@cli.command()
def info() -> None:
    """Show the version, the spaCy model that runs, and the default store.

    \b
    Example:
      chorus info
    """
    from chorus.nlp.model import model_description

    settings = _settings()
    click.echo(f"chorus {__version__}")
    try:
        click.echo(f"spaCy model: {model_description(settings.model)}")
    except ChorusError as exc:
        click.echo(f"spaCy model: not available ({exc})")
    click.echo(f"store: {display_location(settings.db_path)}")


def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_ERROR)
    except click.Abort:
        click.echo("aborted", err=True)
        sys.exit(EXIT_ERROR)
