"""The published numbers ship with the package, with their provenance, and are what the tables print."""
from __future__ import annotations

import hashlib
import re

from analysis.tables import published_table, studies_dir


def test_the_package_carries_every_study_with_its_provenance():
    folder = studies_dir()
    readme = (folder / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| (\d{3}) \|.*\| `([0-9a-f]{64})` \|$", readme, flags=re.M))
    assert sorted(listed) == ["000", "001", "002", "003", "004"]
    for study, digest in listed.items():
        data = (folder / f"s{study}.yaml").read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"s{study}.yaml differs from the extract its README records"


def test_published_tables_are_read_from_the_package():
    from ingestion.settings import repo_root

    assert studies_dir().resolve().is_relative_to(repo_root())
    table = published_table("004", "Table 3")
    assert table is not None and table["columns"], "study 004's Table 3 should come from the package data"


CLONE_RUN = r'''
import sys
from pathlib import Path

opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" and isinstance(args[0], str) else None)

import numpy as np
import pandas as pd

from analysis.replications import load_study
from analysis.replications.context import RunContext
from analysis.replications.runner import run_table

study = load_study("004")
spec = next(t for t in study.tables if t.id == "Table 1")
rng = np.random.default_rng(0)
panel = pd.DataFrame([(c, y) for c in range(40) for y in range(2011, 2024)], columns=["adcode", "year"])
for name in {c for col in spec.columns for c in (col.dependent, *col.regressors, *col.controls)}:
    panel[name] = rng.normal(size=len(panel))
table, _ = run_table(panel, spec, study, RunContext(warehouse=Path("none.duckdb"), echo=lambda *a: None))
frame = table.to_frame()
print("PUBLISHED", int(frame["published"].notna().sum()))
print(table.to_markdown())
root = Path.cwd().resolve()
data = {p for p in opened if p.endswith((".yaml", ".yml", ".json", ".csv", ".txt"))}
print("OUTSIDE", sorted(p for p in data if not Path(p).resolve().is_relative_to(root)
                        and not any(Path(p).resolve().is_relative_to(Path(x).resolve())
                                    for x in (sys.prefix, sys.base_prefix))))
'''


def test_a_clone_alone_shows_the_published_numbers(tmp_path):
    """A copy of the packages in a folder with no ``../shared`` beside it: a replicated table still has
    its published sub-column, and no data file outside the copy is opened on the way."""
    import shutil
    import subprocess
    import sys

    from ingestion.settings import repo_root

    clone = tmp_path / "alone" / "dualcarbon"
    for pkg in ("analysis", "ingestion"):
        shutil.copytree(repo_root() / pkg, clone / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    assert not (clone.parent / "shared").exists()
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("DUALCARBON_")}
    env |= {"PYTHONPATH": str(clone), "MPLBACKEND": "Agg"}
    out = subprocess.run([sys.executable, "-c", CLONE_RUN], cwd=clone, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    counts = [line for line in out.stdout.splitlines() if line.startswith("PUBLISHED")]
    assert counts and int(counts[0].split()[1]) > 20, out.stdout[-2000:]
    assert "-0.1918***" in out.stdout and "(0.0429)" in out.stdout     # study 004 Table 1, column (1), as printed
    assert "OUTSIDE []" in out.stdout, out.stdout.splitlines()[-1]
