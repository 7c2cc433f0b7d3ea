"""The README's analyst quick start runs as written (on the tiny world)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.conftest import REPO


def quick_start() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Analyst quick start", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_analyst_quick_start_runs(tiny_marts, tmp_path):
    script = tmp_path / "quick_start.py"
    script.write_text(quick_start(), encoding="utf-8")
    env = dict(os.environ, DUALCARBON_WAREHOUSE=str(tiny_marts), PYTHONPATH=str(REPO), MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2SLS" in proc.stdout and "inverse_distance" in proc.stdout
