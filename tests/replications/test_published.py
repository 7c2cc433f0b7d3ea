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
