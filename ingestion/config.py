"""Paths and settings shared by the CLI, the loaders and dbt's profiles.yml."""
from __future__ import annotations

import os
from pathlib import Path

DEFAULT_WAREHOUSE = Path("warehouse") / "dualcarbon.duckdb"
WAREHOUSE_ENV = "DUALCARBON_WAREHOUSE"


def resolve_warehouse(path: str | os.PathLike | None = None) -> Path:
    """``--warehouse`` if given, else ``$DUALCARBON_WAREHOUSE``, else ``warehouse/dualcarbon.duckdb``."""
    if path:
        return Path(path)
    env = os.environ.get(WAREHOUSE_ENV)
    return Path(env) if env else DEFAULT_WAREHOUSE


def repo_root() -> Path:
    """The repository root (where dbt_project.yml lives)."""
    return Path(__file__).resolve().parents[1]


def inside(path: Path, root: Path) -> bool:
    """True if ``path`` resolves to a location inside ``root`` (no escaping through .. or links)."""
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False
