"""Building blocks of the mart suites: each returns one named ``Check``.

A check is a Great Expectations expectation plus, where GX has no built-in expectation for the rule
(rows summing to one, a cohort constant within a city, a stock that must not fall), the *derived
column* the rule needs. Derived columns are computed in pandas from the mart frame before validation,
named ``check__<what>``, and then validated by a stock GX expectation (usually
``expect_column_values_to_be_between``). Because the derived value sits on the offending row, GX's
unexpected-row samples show the mart's key next to the value that broke the rule.

Every check carries a stable ``name`` (``key_unique``, ``row_stochastic``, ``range:pm25_ugm3``, ...):
the runner prints it with the GX expectation type, the tests assert it, and the data docs show it in
the expectation's ``meta``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import pandas as pd
import great_expectations.expectations as gxe
from great_expectations.expectations.metadata_types import FailureSeverity

Derive = Callable[[pd.DataFrame], pd.Series]
PREFIX = "check__"


@dataclass(frozen=True)
class Check:
    """One named rule: a GX expectation factory and the derived columns it reads."""

    name: str
    build: Callable[[], gxe.Expectation]
    derive: dict[str, Derive] = field(default_factory=dict)
    severity: str = "critical"   # "warning": reported in the summary and the docs, never fails the run

    def expectation(self, severity: str | None = None) -> gxe.Expectation:
        """A fresh GX expectation (GX binds an expectation to one suite), tagged with the check's name."""
        exp = self.build()
        exp.meta = {**(exp.meta or {}), "check": self.name}
        exp.severity = FailureSeverity(severity or self.severity)
        return exp

    def warning(self) -> "Check":
        """The same check at warning severity."""
        return replace(self, severity="warning")


def _between(column: str, lo: float | None, hi: float | None, description: str, **kw: Any):
    return lambda: gxe.ExpectColumnValuesToBeBetween(column=column, min_value=lo, max_value=hi,
                                                    description=description, **kw)


def _by(cols: Sequence[str]) -> str:
    return "_".join(cols)


# ------------------------------------------------------------------------------------------ keys
def unique_key(columns: Sequence[str]) -> Check:
    """No two rows share the key."""
    cols = list(columns)
    if len(cols) == 1:
        return Check("key_unique", lambda: gxe.ExpectColumnValuesToBeUnique(
            column=cols[0], description=f"key {cols[0]} is unique"))
    return Check("key_unique", lambda: gxe.ExpectCompoundColumnsToBeUnique(
        column_list=cols, description=f"key ({', '.join(cols)}) is unique"))


def complete(columns: Iterable[str]) -> list[Check]:
    """The columns are never null (keys, and values every row must have)."""
    return [Check(f"not_null:{c}", (lambda c=c: gxe.ExpectColumnValuesToNotBeNull(
        column=c, description=f"{c} is never null"))) for c in columns]


def columns_present(columns: Sequence[str]) -> Check:
    """The mart has (at least) these columns, so a dropped or renamed column fails loudly."""
    cols = list(columns)
    return Check("columns_present", lambda: gxe.ExpectTableColumnsToMatchSet(
        column_set=cols, exact_match=False, description="every documented column is present"))


def row_count_at_least(n: int) -> Check:
    return Check("not_empty", lambda: gxe.ExpectTableRowCountToBeBetween(
        min_value=n, max_value=None, description=f"at least {n} row(s)"))


def balanced_panel(entity: str, period: str, *, within: Sequence[str] = ()) -> Check:
    """Every entity has every period seen in the mart (within each group of ``within``).

    Derived: periods the entity misses = distinct periods of its group - its distinct periods.
    """
    col = f"{PREFIX}periods_missing_for_{entity}"

    def derive(df: pd.DataFrame) -> pd.Series:
        group = list(within)
        if group:
            all_periods = df.groupby(group, dropna=False)[period].transform("nunique")
        else:
            all_periods = pd.Series(df[period].nunique(), index=df.index)
        own = df.groupby([*group, entity], dropna=False)[period].transform("nunique")
        return (all_periods - own).astype("float64")

    return Check("balanced_panel", _between(col, 0, 0, f"balanced panel: every {entity} has every {period}"
                                            + (f" of its {', '.join(within)}" if within else "")),
                 {col: derive})


# ------------------------------------------------------------------------------------------ values
def between(column: str, lo: float | None, hi: float | None, why: str) -> Check:
    """Values within [lo, hi] (nulls pass: completeness is a separate check). ``why`` cites the source."""
    return Check(f"range:{column}", _between(column, lo, hi, f"{column} within [{lo}, {hi}]: {why}"))


def positive(column: str, why: str) -> Check:
    """Strictly positive (ln-able, usable as an efficiency input)."""
    return Check(f"positive:{column}", _between(column, 0, None, f"{column} > 0: {why}", strict_min=True))


def share(column: str, why: str = "a share") -> Check:
    return Check(f"share:{column}", _between(column, 0, 1, f"{column} within [0, 1]: {why}"))


def count_true_at_most(column: str, n: int, why: str) -> Check:
    """At most ``n`` rows have ``column`` true."""
    col = f"{PREFIX}{column}_as_int"
    return Check(f"count:{column}", lambda: gxe.ExpectColumnSumToBeBetween(
        column=col, min_value=0, max_value=n, description=f"at most {n} rows with {column}: {why}"),
        {col: lambda df: df[column].fillna(False).astype("int64")})


def in_set(column: str, values: Sequence[Any], name: str | None = None) -> Check:
    vals = list(values)
    return Check(name or f"in_set:{column}", lambda: gxe.ExpectColumnValuesToBeInSet(
        column=column, value_set=vals, description=f"{column} in {vals}"))


def matches(column: str, regex: str) -> Check:
    return Check(f"format:{column}", lambda: gxe.ExpectColumnValuesToMatchRegex(
        column=column, regex=regex, description=f"{column} matches {regex}"))


def identity(name: str, residual: Derive, tol: float, description: str) -> Check:
    """An accounting identity: |residual| <= tol on every row where it is defined (NaN = not defined)."""
    col = f"{PREFIX}{name.replace(':', '_')}"
    return Check(name, _between(col, 0, tol, description), {col: lambda df: residual(df).abs().astype("float64")})


def log1p_of(log_col: str, level_col: str, tol: float = 1e-9) -> Check:
    """``log_col`` = ln(1 + ``level_col``)."""
    def residual(df: pd.DataFrame) -> pd.Series:
        with np.errstate(invalid="ignore", divide="ignore"):  # a negative count is range:'s to report
            return df[log_col] - np.log1p(df[level_col].astype("float64"))

    return identity(f"log1p:{log_col}", residual, tol, f"{log_col} = ln(1 + {level_col})")


# ------------------------------------------------------------------------------------------ panels
def constant_within(column: str, by: Sequence[str], name: str) -> Check:
    """``column`` takes one value per group (null counts as a value: null -> 2019 is a change)."""
    col = f"{PREFIX}distinct_{column}_within_{_by(by)}"

    def derive(df: pd.DataFrame) -> pd.Series:
        return df.groupby(list(by), dropna=False)[column].transform(lambda s: s.nunique(dropna=False)).astype("float64")

    return Check(name, _between(col, 1, 1, f"{column} constant within each ({', '.join(by)})"), {col: derive})


def previous_value(df: pd.DataFrame, column: str, entity: Sequence[str], period: str,
              consecutive: bool = True) -> pd.Series:
    """Value of ``column`` in the entity's previous period (NaN if none, or not period - 1)."""
    order = df.sort_values([*entity, period])
    prev = order.groupby(list(entity), dropna=False)[column].shift()
    if consecutive:
        prev_period = order.groupby(list(entity), dropna=False)[period].shift()
        prev = prev.where(prev_period == order[period] - 1)
    return prev.reindex(df.index)


def non_decreasing(column: str, entity: Sequence[str], period: str, why: str) -> Check:
    """A cumulative stock (or absorbing state) never falls from one period to the next."""
    col = f"{PREFIX}change_in_{column}"

    def derive(df: pd.DataFrame) -> pd.Series:
        return (df[column].astype("float64") - previous_value(df, column, entity, period, consecutive=False)
                .astype("float64"))

    return Check(f"non_decreasing:{column}", _between(col, 0, None, f"{column} never falls: {why}"), {col: derive})


def lag_of(lag_col: str, column: str, entity: Sequence[str], period: str, tol: float = 1e-12) -> Check:
    """``lag_col`` equals ``column`` of the previous period."""
    return identity(f"lag:{lag_col}",
                    lambda df: df[lag_col].astype("float64") - previous_value(df, column, entity, period).astype("float64"),
                    tol, f"{lag_col} = {column} of the previous {period}")


def year_on_year(column: str, entity: Sequence[str], period: str, factor: float = 5.0) -> Check:
    """No entity's value jumps (or collapses) by more than ``factor`` from one year to the next.

    Derived: x_t / x_{t-1} on consecutive years; 0/0 is undefined (passes), x/0 is infinite (fails).
    """
    col = f"{PREFIX}yoy_ratio_{column}"

    def derive(df: pd.DataFrame) -> pd.Series:
        cur = df[column].astype("float64")
        prev = previous_value(df, column, entity, period).astype("float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            return cur / prev

    return Check(f"yoy_change:{column}", _between(col, 1 / factor, factor,
                                                  f"{column} changes by at most {factor:g}x from one year to the next"),
                 {col: derive})


# ------------------------------------------------------------------------------------------ matrices
def row_stochastic(weight: str, row_by: Sequence[str], tol: float = 1e-9) -> Check:
    """Row-standardised weights: every row (``row_by``) sums to one within ``tol``."""
    col = f"{PREFIX}row_sum_{weight}"
    return Check("row_stochastic", _between(col, 1 - tol, 1 + tol,
                                            f"{weight} rows ({', '.join(row_by)}) sum to 1 within {tol:g}"),
                 {col: lambda df: df.groupby(list(row_by), dropna=False)[weight].transform("sum")})


def no_self_pairs(origin: str, destination: str) -> Check:
    col = f"{PREFIX}self_pair"
    return Check("no_self_weights", lambda: gxe.ExpectColumnValuesToBeInSet(
        column=col, value_set=[False], description=f"no edge from a unit to itself ({origin} != {destination})"),
        {col: lambda df: (df[origin] == df[destination]).astype(bool)})


def symmetric(value: str, origin: str, destination: str, *, group: Sequence[str], where: Derive,
              name: str, tol: float = 1e-9) -> Check:
    """w(i, j) = w(j, i) for the rows selected by ``where`` (relative difference; a missing transpose fails)."""
    col = f"{PREFIX}asymmetry_{value}_{name.split(':')[-1]}"

    def derive(df: pd.DataFrame) -> pd.Series:
        keys = [*group, origin, destination]
        transposed = df[[*group, destination, origin, value]].rename(
            columns={destination: origin, origin: destination, value: "__t"}).drop_duplicates(keys)
        merged = df[keys + [value]].merge(transposed, on=keys, how="left")  # duplicates: key_unique's job
        merged.index = df.index
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = (merged[value] - merged["__t"]).abs() / merged[value].abs().where(merged[value] != 0, 1.0)
        rel = rel.fillna(np.inf).where(where(df))
        return rel.astype("float64")

    return Check(name, _between(col, 0, tol, f"{value} symmetric: w(i,j) = w(j,i) within {tol:g} (relative)"),
                 {col: derive})


def group_count(name: str, by: Sequence[str], expected: Derive, description: str) -> Check:
    """Rows per group minus the expected count (from ``expected``, NaN = not checked) is zero."""
    col = f"{PREFIX}{name.replace(':', '_')}_count_gap"

    def derive(df: pd.DataFrame) -> pd.Series:
        n = df.groupby(list(by), dropna=False)[by[0]].transform("size").astype("float64")
        return n - expected(df).astype("float64")

    return Check(name, _between(col, 0, 0, description), {col: derive})
