"""Lineage readable without the Code tab: every column a model renames (``old as new``) is documented in the
model's YAML, and its description names the upstream column."""
from __future__ import annotations

import re

import yaml

from tests.conftest import REPO

MODELS = REPO / "dbt_project" / "models"
RENAME = re.compile(r"^\s*(?:\w+\.)?(\w+)\s+as\s+(\w+),?\s*$")


def _column_docs() -> dict[str, dict[str, str]]:
    docs: dict[str, dict[str, str]] = {}
    for path in MODELS.rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []) or []:
            docs[model["name"]] = {c["name"]: c.get("description", "") or "" for c in model.get("columns", []) or []}
    return docs


def _renames() -> list[tuple[str, str, str]]:
    found = []
    for sql in sorted(MODELS.rglob("*.sql")):
        for line in sql.read_text(encoding="utf-8").splitlines():
            m = RENAME.match(line)
            # "end as x" closes a case expression: a computed column, not a rename
            if m and not line.strip().startswith("--") and m.group(1) != m.group(2) and m.group(1) != "end":
                found.append((sql.stem, m.group(1), m.group(2)))
    return found


def test_every_renamed_column_names_its_upstream_column():
    docs = _column_docs()
    renames = _renames()
    assert len(renames) > 30          # the staging, intermediate and mart renames of the project
    missing = [f"{model}.{new} (from {old})" for model, old, new in renames
               if not re.search(rf"`{re.escape(old)}`", docs.get(model, {}).get(new, ""))]
    assert not missing, "renamed columns whose docs do not name the upstream column:\n" + "\n".join(missing)


def test_the_rule_sees_a_rename_without_docs(tmp_path):
    assert RENAME.match("        rasters.elevation_std_m as terrain_relief_m,").groups() == ("elevation_std_m",
                                                                                              "terrain_relief_m")
    assert RENAME.match("        coalesce(a, b) as c,") is None
    assert RENAME.match("        end as rule,").group(1) == "end"      # skipped by the rule above
