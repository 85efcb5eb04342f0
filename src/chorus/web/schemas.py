"""Pydantic models of the API's answers: they make FastAPI's OpenAPI schema
(/api/v1/openapi.json) describe every endpoint."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorInfo(BaseModel):
    status: int
    code: str = Field(description="stable: not_found, invalid_request, invalid_parameter, unauthorized, "
                      "writes_disabled, too_large, unsupported_media_type, no_input, nothing_usable, ...")
    message: str = Field(description="one line a person can act on")
    details: list[dict[str, Any]] | None = None


class ErrorBody(BaseModel):
    error: ErrorInfo


class StoryItem(BaseModel):
    id: str
    title: str
    n_articles: int
    outlets: list[str]
    first_published: str | None
    last_published: str | None
    created_at: str
    updated_at: str
    page: str = Field(description="the story's page")
    api: str = Field(description="the story's briefing in this API")


class StoryList(BaseModel):
    items: list[StoryItem]
    total: int
    limit: int
    offset: int
    next: str | None = Field(description="URL of the next page; null on the last")


class StoryMeta(BaseModel):
    id: str
    requested: str
    computed_at: str
    page: str


class StoryBriefingOut(BaseModel):
    story: StoryMeta
    briefing: dict[str, Any] = Field(description="the briefing JSON of docs/briefing.md, this story alone")


class Entity(BaseModel):
    text: str
    label: str
    start: int
    end: int
    sentence: int


class QuoteOut(BaseModel):
    text: str
    kind: str
    start: int
    end: int
    speaker: str
    speaker_role: str | None
    cue: str | None
    speaker_span: list[int] | None


class TimeOut(BaseModel):
    text: str
    label: str
    start: int
    end: int


class SentenceOut(BaseModel):
    start: int
    end: int
    paragraph: int


class ArticleOut(BaseModel):
    id: str
    outlet: str
    title: str
    title_source: str
    published: str | None
    published_source: str | None
    published_range: str | None
    published_evidence: list[str]
    path: str | None
    url: str | None
    source: str
    kind: str
    author: str | None
    encoding: str | None
    removed: list[dict[str, Any]]
    story: str | None
    source_text: str = Field(description="what every start/end offset counts in")
    entities: list[Entity]
    quotes: list[QuoteOut]
    times: list[TimeOut]
    sentences: list[SentenceOut]


class Deleted(BaseModel):
    deleted: str
    story: str | None = Field(description="the story it was in, if that story still exists")


class LabelCount(BaseModel):
    label: str
    mentions: int
    articles: int


class QuoteRowOut(BaseModel):
    article_id: str
    outlet: str
    title: str
    published: str | None
    story_id: str | None
    speaker: str
    speaker_role: str | None
    text: str
    kind: str
    cue: str | None
    start: int
    end: int
    page: str


class EntityOut(BaseModel):
    name: str
    aliases: list[str] = []  # other names of the entity (data/aliases.toml), matched too
    labels: list[LabelCount]
    stories: list[StoryItem]
    stories_total: int
    quotes: list[QuoteRowOut]
    quotes_total: int
    limit: int
    offset: int


class ArticleHitOut(BaseModel):
    id: str
    outlet: str
    title: str
    published: str | None
    story_id: str | None
    snippet: str
    matches: list[list[int]] = Field(description="[start, end) of each matching word in the snippet")


class ClaimHitOut(BaseModel):
    story_id: str
    story_title: str
    claim_id: str
    snippet: str
    matches: list[list[int]]


class SearchOut(BaseModel):
    query: str
    stories: list[StoryItem]
    stories_total: int
    articles: list[ArticleHitOut]
    articles_total: int
    claims: list[ClaimHitOut]
    claims_total: int
    limit: int
    offset: int


class OutletOut(BaseModel):
    outlet: str
    articles: int


class RejectedOut(BaseModel):
    source: str
    reason: str


class IngestOut(BaseModel):
    added: list[str]
    already: list[RejectedOut]
    rejected: list[RejectedOut]
    stories: list[str]


class StoryChangesOut(BaseModel):
    story: str = Field(description="the story's id (a merged-away id answers with the story it joined)")
    requested: str
    since: str | None = Field(description="ISO time compared from; null: since the story's previous update")
    changes: dict[str, Any] | None = Field(description="StoryChanges JSON (docs/ALERTS.md); null when no update is recorded")
    page: str


class ChangesOut(BaseModel):
    since: str
    stories: list[dict[str, Any]] = Field(description="StoryChanges JSON of each changed story, latest first")
