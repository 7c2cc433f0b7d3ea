"""The first contacts with the command line: help texts, defaults, exit codes and one-line errors."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from dualcarbon.cli import build_parser, main
from ingestion.settings import DEFAULT_SEED, repo_root, resolve_warehouse
from tests.conftest import REPO, holding_write_lock

RST = re.compile(r"``|:(func|class|mod|meth|data|attr):`")


def _subparsers():
    parser = build_parser()
    action = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return parser, action.choices


def test_every_command_has_a_description_and_every_option_help_and_default():
    parser, commands = _subparsers()
    assert set(commands) == {"sample", "ingest", "build", "check", "replicate", "report", "run", "validate"}
    for name, sub in commands.items():
        assert sub.description and len(sub.description) > 40, f"{name}: no description"
        for action in sub._actions:
            if action.dest == "help":
                continue
            assert action.help, f"{name} {action.option_strings or action.dest}: no help"
            text = "".join(sub.format_help().split())      # the help wraps long paths
            if action.option_strings and action.default not in (None, False):
                assert "".join(str(action.default).split()) in text or "default" in action.help, \
                    f"{name} {action.option_strings}: the default {action.default!r} is not shown"


def test_help_texts_carry_no_rst_markup():
    parser, commands = _subparsers()
    for text in [parser.format_help(), *(sub.format_help() for sub in commands.values())]:
        assert not RST.search(text), RST.search(text).group(0)


def test_replicate_lists_the_studies_with_their_titles():
    _, commands = _subparsers()
    text = commands["replicate"].format_help()
    for study, title in (("000", "spatial Durbin panel"), ("003", "30 provinces"), ("004", "carbon intensity")):
        assert re.search(rf"{study}\s+.*{title}", text), study


def test_run_and_sample_default_to_the_seed_of_make_run():
    _, commands = _subparsers()
    for name in ("run", "sample"):
        seed = next(a for a in commands[name]._actions if a.dest == "seed")
        assert seed.default == DEFAULT_SEED == 20240601
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert str(DEFAULT_SEED) not in makefile          # one home for the number: ingestion.settings
    assert "dualcarbon run --world default" in makefile and "--seed" not in makefile.split("run:")[1].split("\n\n")[0]


def test_default_paths_resolve_against_the_project_root(monkeypatch, tmp_path):
    monkeypatch.delenv("DUALCARBON_WAREHOUSE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_warehouse() == repo_root() / "warehouse" / "dualcarbon.duckdb"
    assert resolve_warehouse("here.duckdb") == tmp_path / "here.duckdb"      # a given path: the working directory
    _, commands = _subparsers()
    for name, dest, folder in (("run", "workdir", "work"), ("replicate", "out", "replications"),
                               ("report", "out", "report")):
        action = next(a for a in commands[name]._actions if a.dest == dest)
        assert action.default == str(repo_root() / folder)


def _cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("DUALCARBON_WAREHOUSE", None)
    env.pop("DUALCARBON_REPLICATIONS", None)
    return subprocess.run([sys.executable, "-m", "dualcarbon", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_report_without_a_warehouse_fails_with_one_line(tmp_path):
    proc = _cli("report", "--warehouse", str(tmp_path / "missing.duckdb"), "--out", str(tmp_path / "report"),
                cwd=tmp_path)
    assert proc.returncode == 1
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "missing.duckdb: no warehouse" in err[0]
    assert not (tmp_path / "report" / "index.html").exists()


def test_report_without_replications_fails_with_one_line(tiny_marts, tmp_path, capsys):
    code = main(["report", "--warehouse", str(tiny_marts), "--out", str(tmp_path / "report")])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no replications found" in err[0] and str(tmp_path / "replications") in err[0]
    assert not (tmp_path / "report" / "index.html").exists()
    code = main(["report", "--warehouse", str(tiny_marts), "--out", str(tmp_path / "report"),
                 "--replications", str(tmp_path / "nowhere")])
    assert code == 1 and "nowhere" in capsys.readouterr().err


def test_build_on_a_warehouse_in_use_is_one_line_and_exit_code_3(warehouse_copy, capsys):
    with holding_write_lock(warehouse_copy) as holder:
        code = main(["build", "--warehouse", str(warehouse_copy), "--skip-checks"])
    assert code == 3
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and f"in use by PID {holder.pid}" in err[0]
    assert "dbt" not in captured.out.lower()              # refused before dbt starts: no traceback, no dbt log


def test_a_command_run_from_another_folder_finds_the_project_defaults(tmp_path):
    proc = _cli("report", cwd=tmp_path)
    assert proc.returncode == 1
    assert str(repo_root() / "warehouse" / "dualcarbon.duckdb") in proc.stderr or "no replications" in proc.stderr
    assert str(tmp_path) not in proc.stderr
