"""The hostile corpus (tests/hostile.py): every bad input gets a one-line reason, in
bounded time and memory, and the rest of its batch lands; valid oddities are read.

Each case runs in a forked child with an address-space limit and a timeout, so a hang
or a memory blow-up fails the case instead of the machine."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from chorus.config import Settings
from chorus.pipeline import prepare  # imported here, once: each forked case inherits it
from hostile import CASES, GOOD_TEXT, applicable, run_bounded, write_case, write_good

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="bounded runs use fork and /proc")

SECONDS = 30  # generous: the slowest case takes ~3 s here
EXTRA_MB = 1500  # address space on top of what the test process maps


@pytest.fixture(scope="session")
def written(tmp_path_factory: pytest.TempPathFactory):
    """Each case's input written once per session (some are hundreds of MB)."""
    top = tmp_path_factory.mktemp("hostile")
    done: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in done:
            done[name] = write_case(CASES[name], top)
        return done[name]

    get.good = write_good(top)  # type: ignore[attr-defined]
    return get


def summarize(paths: list[str]) -> dict:
    prepared = prepare(paths, Settings())
    return {
        "articles": [(a.source, a.text, a.source_text, a.title, a.published) for a in prepared.articles],
        "rejected": [(r.source, r.reason) for r in prepared.rejected + prepared.duplicates],
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input_gets_a_reason_and_the_batch_lands(name: str, written) -> None:
    case = CASES[name]
    if not applicable(case):
        pytest.skip("needs a POSIX file system and a user without root's read-anything permission")
    path, good = written(name), written.good
    out = run_bounded(lambda: summarize([str(path), str(good)]), seconds=SECONDS, extra_mb=EXTRA_MB)
    assert out.ok, out.value
    articles, rejected = out.value["articles"], out.value["rejected"]
    # the good file of the batch always lands, whole
    assert [a for a in articles if a[0] == str(good)][0][2] == GOOD_TEXT
    mine = [a for a in articles if a[0] != str(good)]
    for source, reason in rejected:
        assert reason and "\n" not in reason and len(reason) < 400, reason
        assert "Error:" not in reason, f"a raw exception leaked: {reason}"
        source.encode("utf-8")  # printable and storable
    if case.expect == "rejected":
        assert mine == [] and len(rejected) == 1, rejected
        assert case.reason.lower() in rejected[0][1].lower()
    elif case.expect == "partial":
        assert mine and rejected
        assert any(case.reason in r for _, r in rejected), rejected
    else:
        assert rejected == []
    if case.docs >= 0:
        assert len(mine) == (case.docs if case.expect != "rejected" else 0)
    for source, text, source_text, title, _published in mine:
        for value in (source, text, source_text, title):
            value.encode("utf-8")  # no lone surrogates: the store and the terminal take it


def test_made_up_dates_are_dropped_and_real_ones_kept(written) -> None:
    for name in ("feed_dates", "json_dates"):
        out = summarize([str(written(name))])
        dates = [a[4] for a in out["articles"]]
        assert set(dates) <= {None, "1969-12-31"}, dates
    assert "1969-12-31" in dates  # the one real date among them (negative epoch, written as a date)


def test_damaged_utf8_keeps_its_accents(written) -> None:
    [article] = summarize([str(written("invalid_utf8_middle"))])["articles"]
    assert article[3] == "Café owners in Malmö protest"
    assert "Naïve résumé, said Zoë." in article[2] and article[2].count("\ufffd") == 3


def test_utf16_without_byte_order_mark_reads_as_text(written) -> None:
    for name in ("utf16_le_nobom", "utf16_be_nobom"):
        [article] = summarize([str(written(name))])["articles"]
        assert article[2].startswith("Harbour works in Vessby, part 1")


def test_a_million_bad_items_are_reported_in_a_bounded_number_of_lines(written) -> None:
    out = run_bounded(lambda: summarize([str(written("json_million_items"))]), seconds=SECONDS, extra_mb=EXTRA_MB)
    rejected = out.value["rejected"]
    assert len(rejected) == 21
    assert rejected[-1][1].startswith("999,980 more records of this input rejected, the first of them: item 20: expected a JSON object")


def test_lone_surrogates_become_replacement_characters_at_the_same_offsets(written) -> None:
    [article] = summarize([str(written("json_lone_surrogates"))])["articles"]
    assert article[3] == "Harbour \ufffd works"
    assert article[2].endswith("Broken \ufffd pair \ufffd end.\n")


# -- end to end: the whole corpus in one batch through the CLI ----------------------


# read by name below (a walk would list them too, but this names them); and the one
# huge valid article, whose analysis alone takes minutes (read and clean are tested above)
E2E_LEFT_OUT = ("fifo", "device", "symlink_loop", "bullet_box_3000")


def _limited(mb: int):
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (mb * 1024 * 1024, mb * 1024 * 1024))

    return limit


def corpus(tmp_path: Path) -> tuple[Path, list]:
    folder = tmp_path / "in"
    cases = [c for c in CASES.values() if applicable(c) and c.name not in E2E_LEFT_OUT]
    for case in cases:  # links to pipes and devices are read by name below, not walked
        write_case(case, folder)
    write_good(folder)
    return folder, cases


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_cli_ingest_and_brief_of_the_whole_hostile_corpus(tmp_path: Path, store_url: str) -> None:
    """Into an SQLite file, then into PostgreSQL (which refuses NUL characters in text,
    among others: each such article must still be a one-line reason, not a crash)."""
    folder, cases = corpus(tmp_path)
    extra = [write_case(CASES[n], tmp_path / "special") for n in ("fifo", "device", "symlink_loop")]
    db = store_url
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(Path(__file__).parents[1] / "src"), os.environ.get("PYTHONPATH")) if p)}
    cmd = [sys.executable, "-m", "chorus", "ingest", str(folder), *map(str, extra), "--db", str(db), "--workers", "1"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=400, env=env, preexec_fn=_limited(4096))
    assert run.returncode == 3, run.stderr[-2000:]  # partial: some inputs skipped, the rest stored
    skipped = [line for line in run.stderr.splitlines() if line.startswith(("skipped: ", "already stored: "))]
    for case in cases:
        if case.expect in ("rejected", "partial"):
            assert any(f"/{case.name}/" in line and case.reason in line for line in skipped), case.name
    for path in extra:
        assert any(str(path) in line for line in skipped)
    assert not [line for line in run.stderr.splitlines() if "Traceback" in line]
    postgres = db.startswith("postgresql://")
    if not postgres:
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    from chorus.store import open_store

    with open_store(db) as store:
        sources = [r.source for r in store.list_articles()]
        assert store.unassigned_article_ids() == []
    for case in cases:
        landed = [s for s in sources if f"/{case.name}/" in s]
        if case.docs > 0:
            assert len(landed) == case.docs, (case.name, landed)
    assert any(s.endswith("carrow_report.txt") for s in sources)
    if postgres:
        return  # the briefing below does not touch the store
    # the stored text of the odd-but-valid inputs comes back exactly
    brief = subprocess.run(
        [sys.executable, "-m", "chorus", "brief", str(folder), "--format", "json", "--workers", "1"],
        capture_output=True, text=True, timeout=400, env=env, preexec_fn=_limited(4096),
    )
    assert brief.returncode == 3, brief.stderr[-2000:]
    import json

    data = json.loads(brief.stdout)
    titles = {a["title"] for a in data["articles"]}
    assert "Café owners in Malmö protest" in titles and "Harbour festival draws crowds 🎉" in titles
