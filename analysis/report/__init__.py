"""The static HTML report: ``build_report(*, warehouse, out)``.

One page, ``<out>/index.html``, that links every replicated study's tables (embedded) and figures
(copied next to the page, so the folder can be moved or zipped), the data-quality summary of the
expectations (``data_docs/`` beside the warehouse, when ``dualcarbon check`` wrote one), dbt's docs
(``dbt_docs/`` beside the report folder, written by ``dualcarbon build --dbt-docs``), and the run
metadata: git commit, dbt manifest hash, the sample world and seed, package versions.

Where the replications are: ``$DUALCARBON_REPLICATIONS``, else ``replications/`` beside ``out``
(``dualcarbon run`` writes ``work/replications`` and ``work/report``; the stand-alone commands default
to ``replications`` and ``report``). If none exist the page says how to make them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from ingestion.settings import dbt_docs_dir, replications_dir

__all__ = ["build_report", "run_metadata"]

PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "pandas", "numpy", "scipy", "geopandas", "shapely",
            "matplotlib", "doubleml", "scikit-learn", "great-expectations", "libpysal")


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                              cwd=Path(__file__).resolve().parents[2]).stdout.strip()
    except Exception:  # pragma: no cover - git missing
        return ""


def run_metadata(warehouse: Path, replications: Path | None = None) -> dict:
    """Git commit, dbt manifest hash, sample-world seed, Python and package versions."""
    repo = Path(__file__).resolve().parents[2]
    meta: dict = {"generated_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
                  "git_commit": _git("rev-parse", "HEAD") or "unknown",
                  "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
                  "warehouse": str(Path(warehouse).resolve()), "python": platform.python_version()}
    manifest = repo / "dbt_project" / "target" / "manifest.json"
    if not manifest.exists():
        manifest = repo / "target" / "manifest.json"
    meta["dbt_manifest_sha256"] = (hashlib.sha256(manifest.read_bytes()).hexdigest()[:16]
                                   if manifest.exists() else "not built")
    from analysis.replications.truth import find_truth, world_label

    # what the replications ran on (dualcarbon run passes its truth.json to them), else a truth.json
    # found beside the warehouse
    worlds = {json.loads(p.read_text(encoding="utf-8")).get("sample_world")
              for p in (Path(replications).glob("*/index.json") if replications else [])} - {None}
    label = ", ".join(sorted(worlds)) or world_label(find_truth(Path(warehouse)))
    meta["sample_world"] = label or "none (no truth.json found: real data)"
    versions = {}
    for p in PACKAGES:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            continue
    meta["packages"] = versions
    return meta


def _find_replications(out: Path) -> Path | None:
    named = replications_dir()
    for c in ([named] if named else []) + [out.parent / "replications", out / "replications"]:
        if c.is_dir() and any(c.glob("*/index.json")):
            return c
    return None


def _data_quality(warehouse: Path, out: Path) -> str:
    """Summary of the expectations' data docs (copied beside the report) or a note that there is none."""
    docs = Path(warehouse).resolve().parent / "data_docs"
    if not docs.is_dir():
        return "<p>No data-quality summary: run <code>dualcarbon check</code> (writes <code>data_docs/</code> beside the warehouse).</p>"
    target = out / "data_docs"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(docs, target)
    suites = sorted((target / "expectations").glob("*.html"))
    links = "".join(f'<li><a href="{p.relative_to(out).as_posix()}">{html.escape(p.stem)}</a></li>' for p in suites)
    home = target / "index.html"
    head = (f'<p><a href="{home.relative_to(out).as_posix()}">Data docs of the last check</a> (Great Expectations, '
            f'copied from <code>{html.escape(str(docs))}</code>): {len(suites)} suites.</p>') if home.exists() else ""
    return head + f"<ul>{links}</ul>"


def _dbt_docs(out: Path) -> str:
    """Copy dbt's self-contained docs page (``dualcarbon build --dbt-docs DIR``; ``run`` writes
    ``work/dbt_docs``) beside the report and link it; ``$DUALCARBON_DBT_DOCS`` names another folder."""
    named = dbt_docs_dir()
    found = next((c / "index.html" for c in ([named] if named else []) + [out.parent / "dbt_docs"]
                  if (c / "index.html").is_file()), None)
    if found is None:
        return ("<p>dbt docs: not generated (<code>dualcarbon build --dbt-docs dbt_docs</code> beside the report "
                "folder writes them; <code>dualcarbon run</code> does it).</p>")
    target = out / "dbt_docs"
    target.mkdir(exist_ok=True)
    shutil.copyfile(found, target / "index.html")
    return ('<p><a href="dbt_docs/index.html">dbt docs</a>: lineage of every model, columns, contracts and tests '
            f'(one self-contained page, copied from <code>{html.escape(str(found.parent))}</code>).</p>')


def build_report(*, warehouse, out) -> int:
    """Write ``<out>/index.html`` (and copies of the figures and data docs). Returns 0."""
    from analysis.tables import CSS

    warehouse, out = Path(warehouse), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    reps = _find_replications(out)
    meta = run_metadata(warehouse, reps)
    toc, body = [], []
    if reps is None:
        body.append("<p>No replications found: run <code>dualcarbon replicate all --out replications</code> "
                    "(beside the report folder) first.</p>")
    else:
        for idx_path in sorted(reps.glob("*/index.json")):
            idx = json.loads(idx_path.read_text(encoding="utf-8"))
            study, folder = idx["study"], idx_path.parent
            fig_dir = out / "figures" / study
            fig_dir.mkdir(parents=True, exist_ok=True)
            toc.append(f'<li><a href="#s{study}">Study {study}: {html.escape(idx["title"])}</a></li>')
            body.append(f'<section id="s{study}"><h2>Study {study}: {html.escape(idx["title"])}</h2>'
                        f'<p>Unit: {idx["unit"]}; window {idx["window"][0]}-{idx["window"][1]}; '
                        f'planted truth shown: {"yes" if idx.get("truth") else "no"}.</p>')
            if idx.get("variables"):
                rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                               for k, v in idx["variables"].items())
                body.append(f'<details><summary>Variable mapping (study symbol → mart column)</summary>'
                            f'<table class="vars">{rows}</table></details>')
            for t in idx["tables"]:
                page = folder / f"{t['stem']}.html"
                text = page.read_text(encoding="utf-8")
                inner = text[text.find('<table class="reg">'):text.rfind("</ul>") + 5] if "<table" in text else ""
                links = " · ".join(f'<a href="{os.path.relpath(folder / (t["stem"] + ext), out)}">{ext[1:]}</a>'
                                   for ext in (".csv", ".md", ".html"))
                body.append(f'<div class="table" id="s{study}-{t["stem"]}">{inner}<p class="links">{links} '
                            f'({t["seconds"]} s)</p></div>')
            for f in idx.get("figures", []):
                src = folder / f["file"]
                if src.exists():
                    shutil.copy2(src, fig_dir / f["file"])
                    caption = html.escape(f.get("caption") or f["file"].removesuffix(".png").replace("_", " "))
                    where = f" ({html.escape(f['table'])})" if f.get("table") and f["table"] not in caption else ""
                    body.append(f'<figure><img src="figures/{study}/{f["file"]}" alt="{caption}">'
                                f'<figcaption>Study {study}{where}: {caption}</figcaption></figure>')
            body.append("</section>")
    dbt_link = _dbt_docs(out)
    meta_rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                        for k, v in meta.items() if k != "packages")
    pkg_rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in meta["packages"].items())
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>dualcarbon report</title>
<style>{CSS}
h1{{font-size:22px}} h2{{font-size:18px;border-bottom:1px solid #ccc;margin-top:2em}}
figure img{{max-width:100%;border:1px solid #ddd}} figcaption{{font-size:12px;color:#555}}
table.vars th,table.meta th{{text-align:left;padding-right:1em;font-weight:normal;color:#555}}
p.links{{font-size:12px}} div.table{{overflow-x:auto}}</style></head><body>
<h1>dualcarbon: replications of five studies on AI and pollution/carbon in Chinese cities</h1>
<p>Each table shows our estimate (<b>ours</b>), the study's printed number (<b>published</b>) and, on the
sample world, the planted parameter (<b>truth</b>) where the world has one. The sample world is not the
studies' data: compare structure (rows, statistics, N coverage), and on the sample world whether the
method recovers the truth.</p>
<h2>Contents</h2><ul>{''.join(toc)}<li><a href="#quality">Data quality</a></li><li><a href="#meta">Run metadata</a></li></ul>
{''.join(body)}
<section id="quality"><h2>Data quality</h2>{_data_quality(warehouse, out)}{dbt_link}</section>
<section id="meta"><h2>Run metadata</h2><table class="meta">{meta_rows}</table>
<h3>Package versions</h3><table class="meta">{pkg_rows}</table></section>
</body></html>"""
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    (out / "metadata.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    print(f"report: {index.resolve()}")
    return 0
