"""Optional abstractive summary through any OpenAI-compatible chat endpoint
(``--llm-url``; off by default).

The model sees the story's claims, numbered, and must end every sentence with the
numbers of the claims it rests on. Each sentence is then checked against the source
sentences of the claims it cites: its numbers and names must all be there, and most
of its content words. A sentence that fails, or cites nothing, is dropped and
counted. chorus never prints an ungrounded sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from chorus.analyze.textsim import content_words
from chorus.errors import ChorusError
from chorus.models import Citation, Claim, SummarySentence

_CITE = re.compile(r"\[\s*((?:C?\d+\s*,?\s*)+)\]")
_NUMBER = re.compile(r"\d[\d,.]*")
_NAME = re.compile(r"\b[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*")
_SENTENCE = re.compile(r"(?<=[.!?\]”\"])\s+(?=[A-Z\"“])")
PROMPT = """You summarise news for an editor. Below are claims from several reports of one story, numbered.
Write a summary of at most {words} words in plain sentences. Use only facts stated in the claims.
End EVERY sentence with the numbers of the claims it rests on, in square brackets, like [C2, C5].
Keep attributions ("X said ..."). Do not add anything the claims do not say.

Claims:
{claims}
"""


@dataclass(frozen=True)
class LLMOptions:
    url: str
    model: str = "default"
    words: int = 150
    timeout: float = 60.0
    max_claims: int = 40
    min_content_share: float = 0.7  # share of a sentence's content words found in its cited sources


@dataclass(frozen=True)
class AbstractiveResult:
    sentences: tuple[SummarySentence, ...]
    dropped: tuple[tuple[str, str], ...]  # (sentence, why)


def endpoint(url: str) -> str:
    url = url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if not url.endswith("/v1"):
        url += "/v1"
    return url + "/chat/completions"


def ask(prompt: str, options: LLMOptions) -> str:
    try:
        response = httpx.post(
            endpoint(options.url),
            json={"model": options.model, "temperature": 0, "messages": [{"role": "user", "content": prompt}]},
            timeout=options.timeout,
        )
        response.raise_for_status()
        return response.json()["choices"][0]["message"]["content"]
    except httpx.HTTPError as exc:
        raise ChorusError(f"the summary model at {options.url} did not answer: {exc}") from None
    except (KeyError, IndexError, TypeError, ValueError):
        raise ChorusError(f"the summary model at {options.url} sent no chat completion (not OpenAI-compatible?)") from None


def summarize_abstractive(claims: Sequence[Claim], options: LLMOptions) -> AbstractiveResult:
    chosen = list(claims[: options.max_claims])
    listing = "\n".join(f"C{i}. {c.text}" for i, c in enumerate(chosen, 1))
    reply = ask(PROMPT.format(words=options.words, claims=listing), options)
    return check(reply, chosen, options)


def check(reply: str, claims: Sequence[Claim], options: LLMOptions) -> AbstractiveResult:
    """Keep only the sentences that their cited claims support."""
    kept, dropped = [], []
    for raw in (s.strip() for s in _SENTENCE.split(reply.strip())):
        if not raw:
            continue
        refs = [int(n) for m in _CITE.finditer(raw) for n in re.findall(r"\d+", m.group(1))]
        text = _CITE.sub("", raw).strip()
        text = re.sub(r"\s+([.,;!?])", r"\1", text)
        if not text:
            continue
        cited = [claims[n - 1] for n in dict.fromkeys(refs) if 1 <= n <= len(claims)]
        if not cited:
            dropped.append((text, "cites no claim"))
            continue
        why = unsupported(text, [s.text for c in cited for s in c.support], options)
        if why:
            dropped.append((text, why))
            continue
        cites = tuple(dict.fromkeys(Citation(s.article, s.start, s.end) for c in cited for s in c.support))
        kept.append(SummarySentence(text, cites))
    return AbstractiveResult(tuple(kept), tuple(dropped))


def unsupported(sentence: str, sources: Sequence[str], options: LLMOptions) -> str | None:
    """Why the sources do not support the sentence, or None when they do."""
    pool = " ".join(sources)
    numbers = {n.rstrip(".,") for n in _NUMBER.findall(pool)}
    for n in _NUMBER.findall(sentence):
        if n.rstrip(".,") not in numbers:
            return f"number {n.rstrip('.,')} is not in the cited sources"
    first = sentence.split()[0] if sentence.split() else ""
    for name in _NAME.findall(sentence):
        words = [w for w in name.split() if w != first]
        if words and not all(w in pool for w in words):
            return f"name {name!r} is not in the cited sources"
    mine = content_words(sentence)
    if mine:
        theirs = set(content_words(pool))
        share = sum(w in theirs for w in mine) / len(mine)
        if share < options.min_content_share:
            return f"only {share:.0%} of its content words are in the cited sources"
    return None
