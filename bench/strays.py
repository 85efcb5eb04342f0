"""The second look at small stories and the re-check's quiet-spell cut on a synthetic
stream: stories against the stream's generator topics, with and without each, in the
same run.

    .venv/bin/python bench/strays.py [--n 3000] [--seeds 7,11] [--per-day 300]

Input: the synthetic stream of bench/synth.py (recombined te3-silver wire copy, read at
run time from ../shared/eval/bulk/te3-silver) with its WordLlama-equivalent lead
vectors. Each variant assigns it into a fresh in-memory store one day per run
(``pipeline.assign_stories``, as a daily `chorus ingest` would), then scores pooled
B-cubed against the generator topics:

* *without*: ``RecheckOptions(stray_max=0)`` (no second look);
* *with*: ``RecheckOptions()`` (as shipped);
* *no quiet cut*: ``RecheckOptions(quiet_days=0)`` (the re-check cuts only where
  complete linkage does; use ``--per-day 50`` for a stream whose stories have quiet
  weeks).

The stream's topics are told apart mostly by renamed names over shared sentences, which
is hard on any merge of small stories (the fold this replaced merged other topics here).
Prints a Markdown table; nothing is written.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import DEFAULT_DATA, Plan, SynthOptions, load_source  # noqa: E402

from chorus import pipeline  # noqa: E402
from chorus.config import Settings  # noqa: E402
from chorus.evaluate.clusters import bcubed  # noqa: E402
from chorus.store import open_store  # noqa: E402
from chorus.stories import RecheckOptions  # noqa: E402

VARIANTS = {"without": RecheckOptions(stray_max=0), "with": RecheckOptions(), "no quiet cut": RecheckOptions(quiet_days=0)}


def run(stream, recheck: RecheckOptions) -> dict:
    gold = {a.doc.id: int(a.topic) for a in stream}
    vectors = {a.doc.id: a.embedding for a in stream}
    days = defaultdict(list)
    for a in stream:
        days[a.doc.article.published[:10]].append(a.doc)
    start = time.process_time()
    with open_store(":memory:") as store:
        for day in sorted(days):
            for d in days[day]:
                store.add(d)
            pipeline.assign_stories(days[day], store, Settings(), vectors=vectors, recheck=recheck)
        ids = sorted(gold)
        labels = [store.story_of(i) for i in ids]
    p, r, f = bcubed(labels, [gold[i] for i in ids])
    return {"p": p, "r": r, "f1": f, "stories": len(set(labels)), "days": len(days), "cpu_s": time.process_time() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--seeds", default="7,11")
    parser.add_argument("--per-day", type=int, default=300)
    args = parser.parse_args()
    source = load_source(DEFAULT_DATA)
    print("| seed | articles | days | variant | stories | B³ P | B³ R | B³ F1 | CPU s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for seed in (int(s) for s in args.seeds.split(",")):
        stream = list(Plan(source, args.n, seed, SynthOptions(per_day=args.per_day)).articles())
        for name, recheck in VARIANTS.items():
            r = run(stream, recheck)
            print(f"| {seed} | {args.n:,} | {r['days']} | {name} | {r['stories']} | {r['p']:.3f} | {r['r']:.3f} | **{r['f1']:.3f}** | {r['cpu_s']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
