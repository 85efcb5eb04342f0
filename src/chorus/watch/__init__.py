"""`chorus watch`: poll feeds, sitemaps and listed pages politely; ingest what is new.

- ``sources``: the sources file (TOML) and its editing;
- ``fetch``: the polite asynchronous fetcher (robots.txt, per-host limits, conditional
  GETs, retries, timeouts, redirect and size limits);
- ``discover``: feed and sitemap links, and pages as RawDocuments;
- ``loop``: the watch loop, resumable from the store's fetch state.
"""

from chorus.watch.loop import CycleReport, WatchEvent, watch
from chorus.watch.sources import Defaults, Source, SourcesFile, load_sources

__all__ = ["CycleReport", "Defaults", "Source", "SourcesFile", "WatchEvent", "load_sources", "watch"]
