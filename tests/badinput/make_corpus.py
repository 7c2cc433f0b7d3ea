"""Write the bad-input corpus: every broken variant as its own source tree, plus ``cases.json``.

    python -m tests.badinput.make_corpus --out DIR             # the corpus only
    python -m tests.badinput.make_corpus --out DIR --summary   # ... then run every case and print the figures

The variants are made from the tiny sample world (generated here unless ``--world`` names one), so
nothing binary is kept in the repository. ``DIR/<case>/<source>/...`` is a sources folder with the one
source the case breaks; ``DIR/cases.json`` lists the cases: id, source, issue, what was broken, the
file, and either the words the error must contain or the values the accepted file must give.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.badinput.cases import CASES, ISSUES, OPTIONAL_SEEDS, by_id

TINY_SEED = 11  # the seed of the tests' tiny world (tests/conftest.py)


def make_corpus(tiny_sources: Path, out: Path) -> list[dict]:
    """Write every case under ``out`` (replacing what is there) and return the records of cases.json."""
    tiny_sources, out = Path(tiny_sources), Path(out)
    by_id()  # ids are unique
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for case in CASES:
        folder = out / case.id / case.source
        if folder.parent.exists():
            shutil.rmtree(folder.parent)
        if (tiny_sources / case.source).is_dir():
            shutil.copytree(tiny_sources / case.source, folder)
        else:  # an optional product the tiny world lacks: written from its other files
            OPTIONAL_SEEDS[case.source](tiny_sources, folder)
        values = case.values(folder) if case.accepted else None  # from the intact files
        expected = case.expected_text(folder)                     # likewise
        case.apply(folder)
        records.append(case.record(values, expected))
    (out / "cases.json").write_text(json.dumps(records, ensure_ascii=False, indent=1, default=float), encoding="utf-8")
    return records


def load_records(corpus: Path) -> list[dict]:
    return json.loads((Path(corpus) / "cases.json").read_text(encoding="utf-8"))


def run_corpus(corpus: Path, pristine: Path, work: Path, *, progress=None) -> list:
    """Every case of the corpus against a copy of the loaded warehouse ``pristine``."""
    from tests.badinput.harness import run_case

    outcomes = []
    for record in load_records(corpus):
        outcomes.append(run_case(record, corpus, pristine, work))
        if progress:
            progress(outcomes[-1])
    return outcomes


def format_summary(summary: dict, seconds: float) -> str:
    t = summary["total"]
    lines = [f"cases tried: {t['cases']}  (to be rejected {t['expected_rejections']}, "
             f"to be accepted {t['expected_acceptances']})",
             f"rejected correctly: {t['rejected_correctly']} of {t['expected_rejections']}",
             f"accepted correctly: {t['accepted_correctly']} of {t['expected_acceptances']}",
             f"rows lost: {t['rows_lost']}",
             f"time: {seconds:.0f} s", "",
             f"{'loader':<13} {'cases':>5} {'rejected':>8} {'accepted':>8} {'rows lost':>9}"]
    for source, c in summary["by_source"].items():
        lines.append(f"{source:<13} {c['cases']:>5} {c['rejected_correctly']:>4}/{c['expected_rejections']:<3} "
                     f"{c['accepted_correctly']:>4}/{c['expected_acceptances']:<3} {c['rows_lost']:>9}")
    lines += ["", f"{'issue':<48} {'cases':>5}"]
    for issue, c in summary["by_issue"].items():
        lines.append(f"{ISSUES[issue]:<48} {c['cases']:>5}")
    for failure in summary["failures"]:
        lines.append(f"FAILED {failure['case']}: {'; '.join(failure['problems'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.badinput.make_corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, metavar="DIR", help="folder to write the corpus into")
    parser.add_argument("--world", metavar="DIR", help="the tiny world's sources (default: generate them)")
    parser.add_argument("--summary", action="store_true",
                        help="load the tiny world, run every case, print the figures")
    parser.add_argument("--json", metavar="FILE", help="with --summary: also write the figures as JSON here")
    args = parser.parse_args(argv)
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="dualcarbon_badinput_") as tmp:
        world = Path(args.world) if args.world else _generate_world(Path(tmp) / "sources")
        t0 = time.perf_counter()
        records = make_corpus(world, out)
        print(f"{len(records)} cases written under {out} ({time.perf_counter() - t0:.0f} s)")
        if not args.summary:
            return 0
        from ingestion.load import ingest
        from tests.badinput.harness import summarise

        pristine = Path(tmp) / "pristine.duckdb"
        ingest(world, pristine, progress=False, echo=lambda *_: None)
        t0 = time.perf_counter()
        outcomes = run_corpus(out, pristine, Path(tmp) / "work")
        summary = summarise(outcomes)
        print(format_summary(summary, time.perf_counter() - t0))
        if args.json:
            Path(args.json).write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0 if not summary["failures"] else 1


def _generate_world(out: Path) -> Path:
    from ingestion.sample import generate

    generate("tiny", TINY_SEED, out, progress=False)
    return out


if __name__ == "__main__":
    sys.exit(main())
