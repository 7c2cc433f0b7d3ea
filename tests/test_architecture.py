"""The house rules of the code layout, checked on the source text (nothing is imported or run).

Layers, bottom to top: ``ingestion`` (settings, DuckDB, loaders, sample world) <- ``expectations`` and
``analysis`` <- ``dualcarbon`` (the command). A module may import its own layer and the layers below.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("ingestion", "expectations", "analysis", "dualcarbon")
ALLOWED = {
    "ingestion": {"ingestion"},
    "expectations": {"expectations", "ingestion"},
    "analysis": {"analysis", "ingestion"},
    "dualcarbon": set(PACKAGES),
}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _imports(path: Path, module: str) -> set[str]:
    """Every module named by an import statement anywhere in the file (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in PACKAGES}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        graph[name] = {imp for imp in _imports(path, name) if imp in modules and imp != name}
    return graph


def test_each_layer_imports_only_itself_and_the_layers_below():
    wrong = []
    for name, path in _modules().items():
        layer = name.split(".")[0]
        for imp in _imports(path, name):
            if imp.split(".")[0] not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(ROOT)} imports {imp}")
    assert not wrong, "imports against the layers:\n" + "\n".join(sorted(wrong))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one file (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            # a package's __init__ importing its own submodules is how re-exports work, not a cycle
            if v == w.rpartition(".")[0] or w == v.rpartition(".")[0]:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_between_files():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_environment_is_read_only_in_the_settings_module():
    pattern = re.compile(r"DUALCARBON_[A-Z_]+")
    offenders = []
    for name, path in _modules().items():
        if name == "ingestion.settings":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"os\.environ(\.get)?\s*[\[(]\s*[\"']DUALCARBON_|os\.getenv\(\s*[\"']DUALCARBON_", text):
            offenders.append(str(path.relative_to(ROOT)))
        elif "os.environ" in text and pattern.search(text) and "environ[" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"DUALCARBON_* read outside ingestion/settings.py: {offenders}"


def test_no_run_time_path_outside_the_repository():
    offenders = []
    for name, path in _modules().items():
        text = path.read_text(encoding="utf-8")
        if re.search(r"[\"']\.\./shared|[\"']shared[\"']|parents\[\d\]\.parent", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"run-time paths outside the repository in {offenders}"


# __init__.py files still holding logic on other issue-15 branches (replications, report, sample world):
# each leaves this list when its logic moves into a named module.
INIT_WITH_LOGIC = {"analysis/replications/__init__.py", "analysis/report/__init__.py", "ingestion/sample/__init__.py"}


def test_init_files_only_re_export():
    """A package's __init__.py holds a docstring, imports, ``__all__`` and constants, no functions or classes,
    so that a reader finds every piece of logic in a module named for it."""
    offenders, cleaned = [], []
    for path in sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("__init__.py")):
        rel = str(path.relative_to(ROOT))
        tree = ast.parse(path.read_text(encoding="utf-8"))
        logic = [type(n).__name__ for n in tree.body
                 if not isinstance(n, (ast.Import, ast.ImportFrom, ast.Expr, ast.Assign, ast.AnnAssign))
                 or isinstance(n, ast.Expr) and not isinstance(n.value, ast.Constant)]
        if logic and rel not in INIT_WITH_LOGIC:
            offenders.append(f"{rel}: {logic}")
        if not logic and rel in INIT_WITH_LOGIC:
            cleaned.append(rel)
    assert not offenders, "logic in __init__.py (move it into a named module):\n" + "\n".join(offenders)
    assert not cleaned, f"{cleaned} hold no logic any more: drop them from INIT_WITH_LOGIC"
    assert all((ROOT / rel).exists() for rel in INIT_WITH_LOGIC), "drop moved files from INIT_WITH_LOGIC"
