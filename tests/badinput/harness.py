"""Running one corpus case: ingest its broken source tree into a copy of the loaded warehouse, then judge
the outcome (one clear IngestError and nothing changed, or -- for accepted formats -- the expected values
and no row lost). Used by the tests and by ``python -m tests.badinput.make_corpus --summary``.
"""
from __future__ import annotations

import filecmp
import shutil
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ingestion import registry
from ingestion.errors import IngestError
from ingestion.load import ingest
from tests.conftest import warehouse_snapshot


@dataclass(frozen=True)
class Outcome:
    case: str
    source: str
    issue: str
    expect: str  # rejected | accepted
    ok: bool  # rejected (or accepted) as the case says
    rows_lost: int  # rows of the loaded warehouse missing or changed afterwards (accepted: keys missing)
    message: str | None  # the error message, one line
    problems: tuple[str, ...] = ()  # why the outcome is not ok

    def as_dict(self) -> dict:
        return asdict(self)


@lru_cache(maxsize=4)
def _snapshot(path: str, mtime: float) -> dict:
    return warehouse_snapshot(Path(path))


def pristine_snapshot(path: Path) -> dict:
    return _snapshot(str(path), path.stat().st_mtime)


def message_problems(record: dict, exc: IngestError) -> list[str]:
    """What a rejection message lacks: the file, a location, the expected words, a fix; one line."""
    text = str(exc)
    problems = []
    if type(exc) is not IngestError:
        problems.append(f"raised {type(exc).__name__}, not IngestError")
    name = Path(record["file"]).name
    if not exc.file or name not in text:
        problems.append(f"does not name the file {name}")
    if not exc.where:
        problems.append("names no location (where)")
    if not exc.fix:
        problems.append("gives no fix")
    if "\n" in text:
        problems.append("is more than one line")
    for word in [*record["words"], *record["where"]]:
        if word not in text:
            problems.append(f"lacks {word!r}")
    return problems


def run_case(record: dict, corpus: Path, pristine: Path, work: Path) -> Outcome:
    """Ingest ``corpus/<case>`` (its one source) into a copy of ``pristine`` and judge the outcome."""
    work.mkdir(parents=True, exist_ok=True)
    warehouse = work / f"{record['id']}.duckdb"
    shutil.copy(pristine, warehouse)
    error: BaseException | None = None
    try:
        ingest(corpus / record["id"], warehouse, only=[record["source"]], progress=False, force=True,
               echo=lambda *_: None)
    except Exception as exc:  # judged below: anything but one IngestError is a failure
        error = exc
    problems: list[str] = []
    if record["expect"] == "rejected":
        if error is None:
            problems.append("was accepted")
        elif not isinstance(error, IngestError):
            problems.append(f"raised {type(error).__name__}: {error}")
        else:
            problems += message_problems(record, error)
        # a rejected load leaves the file byte-identical; should DuckDB ever rewrite it, the tables decide
        unchanged = (filecmp.cmp(pristine, warehouse, shallow=False)
                     or warehouse_snapshot(warehouse) == pristine_snapshot(pristine))
        lost = 0 if unchanged else rows_changed(pristine, warehouse)
        if not unchanged:
            problems.append(f"the warehouse changed ({lost} row(s) lost or changed)")
    else:
        if error is not None:
            problems.append(f"was rejected: {error}")
            lost = 0
        else:
            lost, value_problems = check_accepted(record, pristine, warehouse)
            problems += value_problems
    warehouse.unlink(missing_ok=True)
    message = str(error) if error is not None else None
    return Outcome(record["id"], record["source"], record["issue"], record["expect"], not problems, lost, message,
                   tuple(problems))


def rows_changed(pristine: Path, warehouse: Path) -> int:
    """Rows of the pristine warehouse's raw tables (manifest included) not found unchanged afterwards."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute(f"attach '{pristine}' as before (read_only)")
        tables = [r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'before' and schema_name = 'raw'").fetchall()]
        total = 0
        for t in tables:
            total += con.execute(f"select count(*) from (select * from before.raw.{t} "
                                 f"except all select * from raw.{t})").fetchone()[0]
        return total
    finally:
        con.close()


def _key_of(table: str) -> list[str]:
    for source in registry.all_sources().values():
        for contract in source.contracts:
            if contract.table == table:
                return list(contract.key)
    raise KeyError(table)


def _frame(path: Path, table: str, key: list[str]) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select * from raw.{table} order by {', '.join(key)}").df()
    finally:
        con.close()


def check_accepted(record: dict, pristine: Path, warehouse: Path) -> tuple[int, list[str]]:
    """(rows lost, problems): every expected value is there and the rest of the table is as before."""
    problems: list[str] = []
    tables = {v["table"] for v in record["values"]}
    before_all, after_all = pristine_snapshot(pristine), warehouse_snapshot(warehouse)
    for t in set(before_all) - tables - {"_loads"}:
        if before_all[t] != after_all.get(t):
            problems.append(f"raw.{t} changed although the case only touches {sorted(tables)}")
    lost = 0
    for table in tables:
        key = _key_of(table)
        before, after = _frame(pristine, table, key), _frame(warehouse, table, key)
        merged = before.merge(after, on=key, how="outer", suffixes=("_before", ""), indicator=True)
        lost += int((merged["_merge"] == "left_only").sum())
        gained = int((merged["_merge"] == "right_only").sum())
        if gained:
            problems.append(f"raw.{table} gained {gained} row(s)")
        both = merged[merged["_merge"] == "both"].reset_index(drop=True)
        expected = [v for v in record["values"] if v["table"] == table]
        for v in expected:
            hit = both.loc[np.logical_and.reduce([both[k] == x for k, x in v["key"].items()])]
            if len(hit) != 1:
                problems.append(f"raw.{table} has no row {v['key']}")
                continue
            got = hit[v["column"]].iloc[0]
            if not _same(got, v["value"]):
                problems.append(f"raw.{table} {v['key']} {v['column']} = {got!r}, expected {v['value']!r}")
        for column in [c for c in before.columns if c not in key]:
            differs = ~_equal(both[f"{column}_before"], both[column])
            for v in (v for v in expected if v["column"] == column):
                differs &= ~np.logical_and.reduce([both[k].to_numpy() == x for k, x in v["key"].items()])
            if differs.any():
                i = int(np.flatnonzero(differs)[0])
                problems.append(f"raw.{table} {({k: _plain(both[k].iloc[i]) for k in key})} {column} changed: "
                                f"{both[f'{column}_before'].iloc[i]!r} -> {both[column].iloc[i]!r}")
    if lost:
        problems.append(f"{lost} row(s) lost")
    return lost, problems


def _plain(x):
    return x.item() if hasattr(x, "item") else x


def _same(a, b) -> bool:
    return bool(_equal(pd.Series([a]), pd.Series([b]))[0])


def _equal(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality; numbers to 1e-9 relative (unit conversions round), missing equals missing."""
    missing = a.isna().to_numpy() & b.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
        return missing | np.isclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-9, atol=0)
    return missing | (a.astype(object).to_numpy() == b.astype(object).to_numpy())


def summarise(outcomes: list[Outcome]) -> dict:
    """The README figures: cases tried, rejected/accepted correctly, rows lost; per loader and per issue."""
    def count(rows):
        return {"cases": len(rows), "rejected_correctly": sum(o.ok for o in rows if o.expect == "rejected"),
                "accepted_correctly": sum(o.ok for o in rows if o.expect == "accepted"),
                "expected_rejections": sum(o.expect == "rejected" for o in rows),
                "expected_acceptances": sum(o.expect == "accepted" for o in rows),
                "rows_lost": sum(o.rows_lost for o in rows)}

    by_source = {s: count([o for o in outcomes if o.source == s]) for s in registry.SOURCE_MODULES}
    issues = sorted({o.issue for o in outcomes})
    return {"total": count(outcomes), "by_source": by_source,
            "by_issue": {i: count([o for o in outcomes if o.issue == i]) for i in issues},
            "failures": [o.as_dict() for o in outcomes if not o.ok]}
