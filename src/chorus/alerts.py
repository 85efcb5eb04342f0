"""Alerts: saved watches (an entity, a keyword query, a story) matched against each
story's changes, and the webhook deliveries of their notifications.

Matching is pure (:func:`matches`); :func:`deliver_webhooks` POSTs what is due and
records every attempt in the store, backing off exponentially after a failure. A
failing endpoint costs one short timeout per due delivery and never raises.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chorus.analyze.entities import alias_table, normalise
from chorus.changes import Snapshot, StoryChanges, iso, utc_now
from chorus.config import Settings
from chorus.errors import ChorusError
from chorus.store.base import Store, WatchRow

KINDS = ("entity", "query", "story")
BACKOFF_SECONDS = 30  # first retry after 30 s, then 1, 2, 4 ... minutes
BACKOFF_CAP_SECONDS = 6 * 3600
USER_AGENT = "chorus-alerts"


def check_watch(kind: str, value: str, webhook: str | None) -> None:
    """A clear one-line reason when a watch cannot be saved."""
    if kind not in KINDS:
        raise ChorusError(f"unknown watch kind {kind!r}; choose one of {', '.join(KINDS)}")
    if not value.strip():
        raise ChorusError(f"an {kind} watch needs a value")
    if kind == "query" and not words(value):
        raise ChorusError(f"query {value!r} has no words to look for")
    if webhook is not None and not re.match(r"^https?://[^/\s]+", webhook):
        raise ChorusError(f"webhook {webhook!r} is not an http(s) URL")


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


def _entity_key(name: str) -> str:
    key = normalise(name)
    return normalise(alias_table().get(key, key))


def matches(watch: WatchRow, changes: StoryChanges, snapshot: Snapshot, *, texts: Mapping[str, str] = {}, story: str | None = None) -> bool:
    """Whether a (non-empty) change of a story concerns the watch.

    entity: the story names it (its canonical name or any alias, as ``analyze.entities``
    merges them); query: every word of the query is in one new article (title and
    text, ``texts`` by article id) or in one new or changed claim; story: the watched
    story is this one (``story``: the watch's story id with merges followed)."""
    if changes.empty:
        return False
    if watch.kind == "story":
        return (story or watch.value) == changes.story_id
    if watch.kind == "entity":
        key = _entity_key(watch.value)
        return any(key in {_entity_key(e.name), *(_entity_key(a) for a in e.aliases)} for e in snapshot.entities)
    if watch.kind == "query":
        wanted = set(words(watch.value))
        pieces = [f"{a.title}\n{texts.get(a.id, '')}" for a in changes.new_articles] + changes.claim_texts()
        return any(wanted <= set(words(p)) for p in pieces)
    return False


def payload(watch: WatchRow, changes: StoryChanges) -> dict:
    """The webhook body (and the stored notification); ``id`` is added at delivery."""
    return {
        "event": "story.changed",
        "watch": {"id": watch.id, "kind": watch.kind, "value": watch.value},
        "story": {"id": changes.story_id, "title": changes.title, "page": f"/stories/{changes.story_id}"},
        "at": changes.at,
        "changes": changes.to_dict(),
    }


# -- webhook delivery ------------------------------------------------------------
@dataclass(frozen=True)
class DeliveryReport:
    delivered: tuple[int, ...] = ()  # notification ids
    failed: tuple[tuple[int, str], ...] = ()  # (notification id, reason): tried again later
    gave_up: tuple[int, ...] = ()  # failed for the last allowed time
    skipped: tuple[int, ...] = field(default=())  # not tried this round: their host just failed


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min ... at most 6 h."""
    return timedelta(seconds=min(BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_CAP_SECONDS))


def deliver_webhooks(store: Store, settings: Settings, *, now: datetime | None = None, client=None) -> DeliveryReport:
    """POST every due webhook delivery once (JSON body, ``X-Chorus-Notification``
    header with its id so a receiver can drop repeats). A 2xx answer marks it
    delivered; anything else (an error status, a timeout, a refused connection) is
    recorded with its reason and tried again after :func:`backoff`, up to
    ``settings.webhook_attempts`` attempts. Never raises for an endpoint's failure; a
    host that fails is not tried again in the same round."""
    import httpx

    now = now or utc_now()
    due = store.due_deliveries(iso(now), settings.webhook_attempts)
    if not due:
        return DeliveryReport()
    own = client is None
    client = client or httpx.Client(
        timeout=httpx.Timeout(settings.webhook_timeout, connect=min(5.0, settings.webhook_timeout)),
        follow_redirects=False,
        headers={"user-agent": USER_AGENT},
    )
    delivered, failed, gave_up, skipped = [], [], [], []
    down: set[str] = set()
    try:
        for d in due:
            host = httpx.URL(d.url).host
            if host in down:
                skipped.append(d.notification_id)
                continue
            body = json.dumps({"id": d.notification_id, **json.loads(d.payload)}, ensure_ascii=False).encode()
            error = None
            try:
                resp = client.post(
                    d.url, content=body,
                    headers={"content-type": "application/json", "x-chorus-notification": str(d.notification_id)},
                )  # fmt: skip
                if not 200 <= resp.status_code < 300:
                    error = f"HTTP {resp.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}".rstrip(": ")
                down.add(host)
            at = iso(now)
            if error is None:
                store.record_delivery(d.notification_id, at=at, ok=True)
                delivered.append(d.notification_id)
                continue
            attempts = d.attempts + 1
            store.record_delivery(d.notification_id, at=at, ok=False, error=error, next_try_at=iso(now + backoff(attempts)))
            (gave_up.append(d.notification_id) if attempts >= settings.webhook_attempts else failed.append((d.notification_id, error)))
    finally:
        if own:
            client.close()
    return DeliveryReport(tuple(delivered), tuple(failed), tuple(gave_up), tuple(skipped))


def live_story(store: Store, story_id: str) -> str | None:
    """The story a (possibly merged-away) id stands for now; None when it is gone."""
    from chorus.store.base import ArticleNotFound

    try:
        return store.get_story(story_id).id
    except ArticleNotFound:
        return None


def live_stories(store: Store, story_ids: Iterable[str]) -> list[str]:
    """The live story each id stands for, once each, in order; gone ones dropped."""
    return list(dict.fromkeys(sid for sid in (live_story(store, t) for t in dict.fromkeys(story_ids)) if sid))


def notify_for(store: Store, watches: Sequence[WatchRow], changes: StoryChanges, snapshot: Snapshot) -> list[tuple[WatchRow, dict]]:
    """The watches a story's changes concern, each with its notification payload."""
    if changes.empty or not watches:
        return []
    texts = store.source_texts(a.id for a in changes.new_articles) if any(w.kind == "query" for w in watches) else {}
    out = []
    for w in watches:
        story = live_story(store, w.value) if w.kind == "story" else None
        if matches(w, changes, snapshot, texts=texts, story=story):
            out.append((w, payload(w, changes)))
    return out


def digest(store: Store, since: str) -> list[tuple[WatchRow | None, list[StoryChanges]]]:
    """Per watch, what changed since ``since`` in each story it was notified about
    (one comparison per story over the whole period, not one per ingest); with no
    watches saved, every changed story under ``None``."""
    from chorus import pipeline

    watches = store.list_watches()
    if not watches:
        return [(None, pipeline.changes_since(store, since))]
    out = []
    for w in watches:
        stories = live_stories(store, (n.story_id for n in store.notifications(w.id, since=since)))
        found = [c for sid in stories for c in pipeline.changes_since(store, since, sid)]
        out.append((w, found))
    return out
