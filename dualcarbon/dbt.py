"""Run dbt from the repository root with the in-repo ``profiles.yml``, offline and quiet about telemetry.

Used by ``dualcarbon build`` and by the benchmarks; the warehouse is passed to ``profiles.yml`` through
``$DUALCARBON_WAREHOUSE`` (the one variable dbt reads, see ``ingestion.settings``).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ingestion.errors import ConfigError
from ingestion.settings import WAREHOUSE_ENV, repo_root


def project_file() -> Path:
    """``dbt_project.yml`` at the repository root; a checkout without it is an error."""
    path = repo_root() / "dbt_project.yml"
    if not path.exists():
        raise ConfigError(f"{path}: no dbt project in this checkout; restore dbt_project.yml and dbt_project/")
    return path


def dbt_env(warehouse: Path) -> dict[str, str]:
    """The environment dbt runs in: the warehouse for ``profiles.yml``, no usage statistics, no version check."""
    env = dict(os.environ)
    env[WAREHOUSE_ENV] = str(Path(warehouse).resolve())
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
    env.setdefault("DBT_VERSION_CHECK", "False")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("DBT_PROFILES_DIR", str(repo_root()))
    return env


def run_dbt(warehouse: Path, *args: str) -> int:
    """Run ``dbt ARGS`` from the repository root, streaming its progress lines; returns dbt's exit code."""
    project_file()
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt) if dbt.exists() else "dbt", *args, "--project-dir", str(repo_root()),
               "--profiles-dir", str(repo_root())]
    proc = subprocess.Popen(command, cwd=repo_root(), env=dbt_env(warehouse), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    assert proc.stdout is not None
    for line in proc.stdout:
        print(line, end="", flush=True)
    return proc.wait()


def write_dbt_docs(warehouse: Path, out: Path, *options: str) -> int:
    """``dbt docs generate --static`` into a scratch target, then ``<out>/index.html``: one self-contained
    page (manifest and catalog embedded) that opens from disk, which dbt's plain index.html does not."""
    with tempfile.TemporaryDirectory(prefix="dbt-docs-") as scratch:
        code = run_dbt(warehouse, "docs", "generate", "--static", "--target-path", scratch, *options)
        page = Path(scratch) / "static_index.html"
        if code != 0 or not page.exists():
            print(f"dbt docs generate failed (exit {code})", file=sys.stderr)
            return code or 1
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(page, out / "index.html")
    print(f"dbt docs: {(out / 'index.html').resolve()}")
    return 0
