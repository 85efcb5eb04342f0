"""chorus in a browser and over HTTP: ``create_app(settings)`` builds the FastAPI app
that ``chorus serve`` runs (server-rendered pages, a JSON API under /api/v1/).

Nothing here runs the analysis on a request that can avoid it: story pages read the
briefing cached in the store at ingest (``pipeline.refresh_briefings``) and compute
it only when it is missing or older than the story.
"""

from __future__ import annotations

from chorus.web.app import WebOptions, create_app

__all__ = ["WebOptions", "create_app"]
