"""JSON encodings of the structured Article fields, shared by every backend.

The shapes are part of the stored format: change them only with a migration.
"""

from __future__ import annotations

import json

from chorus.models import OffsetMap, Removed


def dump_offsets(offsets: OffsetMap) -> str:
    """``[[clean_start, orig_start, length], ...]``"""
    return json.dumps([list(piece) for piece in offsets.pieces], separators=(",", ":"))


def load_offsets(data: str) -> OffsetMap:
    # Tuples, not the lists JSON gives back, so the frozen dataclass compares equal.
    return OffsetMap(tuple((cs, os_, n) for cs, os_, n in json.loads(data)))


def dump_removed(removed: tuple[Removed, ...]) -> str:
    """``[{"start", "end", "kind", "text"}, ...]``"""
    items = [{"start": r.start, "end": r.end, "kind": r.kind, "text": r.text} for r in removed]
    return json.dumps(items, ensure_ascii=False, separators=(",", ":"))


def load_removed(data: str) -> tuple[Removed, ...]:
    return tuple(
        Removed(start=item["start"], end=item["end"], kind=item["kind"], text=item["text"])
        for item in json.loads(data)
    )
