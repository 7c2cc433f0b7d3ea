"""The planted truth of a sample world, and the planted counterpart of every estimate a table prints.

A sample world (``dualcarbon sample``) writes ``sources/truth.json`` (``world``, ``seed``, every planted
``parameters`` entry with its meaning) and ``sources/truth_effects.csv``: per city-year, the planted
derivative or policy contrast of each latent quantity with respect to each cause (``co2__ai`` = d ln CO2 /
d A, ``co2__pilot`` = ln CO2 with the AI pilot zone minus without it, ``so2__ai_total`` = the SDM row sum,
... ; the columns are described in ``truth.json["effects"]``). On real data there is neither and every
lookup gives None.

A column of a study declares, per printed row, what its planted counterpart is
(:class:`~analysis.replications.spec.ColumnSpec` ``truth={printed row: declaration}``):

* :class:`Param` (or a plain string): a planted parameter of ``truth.json``, e.g. ``"b_robot"`` or
  ``"kappa"``; with ``per_log1p=X`` the effect of ln(1 + X) implied by a planted effect of X
  (b (1 + X), averaged over the estimation sample).
* :class:`Effect`: the average planted effect of a cause (a mart regressor) on an outcome (a mart
  column, default the column's dependent) over the column's estimation sample, derived from the effects
  panel by the outcome's definition (:data:`OUTCOMES`):

  - a log outcome (``ln_co2_ceads_10k_t``): the mean of the planted semi-elasticity;
  - a level outcome (``carbon_intensity`` = CO2 / GDP): the mean of Y x d ln CO2 (GDP does not respond);
  - an entropy index (``pollution_index_000``): index = sum_j w_j (X_j - min_j) / (max_j - min_j), so
    d index = sum_j (w_j / range_j) X_j d ln X_j, with the weights of ``mart_pollution_index_weights``
    and the ranges over the rows the index pools (every city-year with all components);
  - a treatment (``ai_pilot``): the contrast averaged over the treated rows of the sample (an ATT);
    for a level outcome Y (1 - exp(-contrast)) since the observed Y is the treated one;
  - a proxy regressor (``ln_ai_attention`` = ln(1 + Baidu index), a proxy of A in the world with no
    effect of its own): A's effect per unit of the proxy that A moves, d ln(1 + B) / dA = b B / (1 + B);
  - ``spatial="direct" | "indirect" | "total"``: LeSage-Pace effects (the SDM multiplier's diagonal,
    row sum minus diagonal, row sum); ``regime=r``: the rows in the planted regime r of the thresholds.

* :class:`NotPlanted`: the world plants no such effect, so the counterpart is 0 (with the reason).
* :class:`NoCounterpart`: the estimate has no planted counterpart (a specification test, an index the
  world does not generate, a coefficient of a misspecified model); the reason goes into the notes.

Derivatives exclude the jumps of the CO2 thresholds (study 004's x = q = A): a linear fit of a
regressor that crosses thresholds also picks up the upward jumps, so it lies a little above the
derivative (see ``ingestion/sample/README.md``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Union

import numpy as np

from ingestion.settings import repo_root, truth_file

__all__ = ["TRUTH_FILE", "find_truth", "find_truth_file", "read_truth", "world_label", "truth_value", "planted",
           "Param", "Effect", "NotPlanted", "NoCounterpart", "Declaration", "TruthResolver", "Resolved",
           "CAUSES", "OUTCOMES", "IndexOutcome", "Outcome", "Cause"]

TRUTH_FILE = "truth.json"


# ------------------------------------------------------------------------------ finding truth.json
def find_truth_file(warehouse: Path) -> Path | None:
    """``truth.json`` of the sample world: ``$DUALCARBON_TRUTH``, else a ``sources/truth.json`` next to
    the warehouse or one level up (``dualcarbon run`` layout), else ``work/sources/truth.json`` of the
    project root, else None (real data)."""
    named = truth_file()
    w = Path(warehouse).resolve()
    candidates = ([named] if named else []) + [
        w.parent / TRUTH_FILE, w.parent / "sources" / TRUTH_FILE, w.parent.parent / "sources" / TRUTH_FILE,
        repo_root() / "work" / "sources" / TRUTH_FILE]
    return next((c.resolve() for c in candidates if c.is_file()), None)


def read_truth(path: Path) -> dict:
    """The parsed ``truth.json`` at ``path``, with ``"_folder"``: where its effects panel lies."""
    truth = json.loads(Path(path).read_text(encoding="utf-8"))
    truth["_folder"] = str(Path(path).resolve().parent)
    return truth


def find_truth(warehouse: Path) -> dict | None:
    """The sample world's truth found by :func:`find_truth_file`, or None (real data)."""
    path = find_truth_file(warehouse)
    return read_truth(path) if path else None


def world_label(truth: Mapping | None) -> str | None:
    """``"default (seed 20240601)"`` for a sample world's truth.json (the random seed it was drawn
    with), None for real data."""
    if not truth:
        return None
    value = {k: v.get("value") if isinstance(v, dict) else v for k, v in truth.items() if k in ("world", "seed")}
    return f"{value.get('world')} (seed {value.get('seed')})"


def truth_value(truth: Mapping | None, key: str) -> Any:
    """The planted parameter ``key`` (``"b_robot"``; a dotted index such as ``"kappa.0"`` picks a list
    element or a mapping entry), or None when the world planted none (or there is no world)."""
    if not truth:
        return None
    params = truth.get("parameters", {})
    head, *rest = key.split(".")
    if head not in params:
        return None
    value = params[head]["value"] if isinstance(params[head], dict) and "value" in params[head] else params[head]
    for part in rest:
        value = value[int(part)] if isinstance(value, list) else value.get(part)
    return value


# ------------------------------------------------------------------------------ declarations
@dataclass(frozen=True)
class Param:
    """A planted parameter of truth.json (``key``; ``per_log1p``: see the module docstring)."""

    key: str
    per_log1p: str | None = None


@dataclass(frozen=True)
class Effect:
    """The average planted effect of the mart regressor ``cause`` on ``outcome`` (default: the column's
    dependent) over the estimation sample; ``spatial`` and ``regime`` as in the module docstring."""

    cause: str
    outcome: str | None = None
    spatial: str = "direct"
    regime: int | None = None
    where: str | None = None      # a pandas query restricting the rows (``"year - ai_pilot_cohort == 0"``)


@dataclass(frozen=True)
class NotPlanted:
    """The world plants no effect here: the counterpart is 0."""

    reason: str


@dataclass(frozen=True)
class NoCounterpart:
    """The estimate has no planted counterpart (shown blank; the reason is noted)."""

    reason: str


Declaration = Union[str, Param, Effect, NotPlanted, NoCounterpart]


@dataclass(frozen=True)
class Cause:
    """A mart regressor as a cause in the effects panel: ``key`` (the ``__<cause>`` suffix), whether it
    is a 0/1 treatment (an ATT over its treated rows), the proxy parameter when it stands in for A."""

    key: str
    what: str
    treatment: bool = False
    proxy: str | None = None


@dataclass(frozen=True)
class Outcome:
    """A mart column as a function of one latent quantity of the effects panel (``<quantity>__``):
    ``scale`` ``log`` (d ln X), ``level`` (X itself moves by X d ln X) or ``change`` (the quantity's own
    units)."""

    quantity: str
    scale: str
    what: str


@dataclass(frozen=True)
class IndexOutcome:
    """An entropy index of the mart (``name`` in ``mart_pollution_index_weights``) over its components:
    mart column -> latent quantity."""

    name: str
    components: Mapping[str, str]
    what: str


# the regressors of the studies that are causes in the world (mart column -> effects-panel cause)
CAUSES: dict[str, Cause] = {
    "ln_ai_firms": Cause("ai", "A = ln(1 + AI firms)"),
    "ln_robot_exposure": Cause("robot", "R = ln(1 + robot exposure)"),
    "ai_pilot": Cause("pilot", "the AI pilot zone", treatment=True),
    "ai_pilot_lag1": Cause("pilot", "the AI pilot zone (lagged one year)", treatment=True),
    "smart_city_pilot": Cause("smart", "the smart-city pilot", treatment=True),
    "ln_ai_attention": Cause("ai", "AI attention (a proxy of A)", proxy="attention_proxy"),
}

# the outcomes of the studies by what they measure in the world (mart column -> latent quantity)
OUTCOMES: dict[str, Outcome | IndexOutcome] = {
    "carbon_intensity": Outcome("co2", "level", "CO2 / GDP (GDP does not respond)"),
    "co2_per_capita_t": Outcome("co2", "level", "CO2 / population (population does not respond)"),
    "ln_co2_ceads_10k_t": Outcome("co2", "log", "ln CEADs CO2 = ln EDGAR CO2 + a city discrepancy"),
    "ln_co2_edgar_10k_t": Outcome("co2", "log", "ln EDGAR CO2"),
    "ln_industrial_so2": Outcome("so2", "log", "ln industrial SO2"),
    "ln_green_applications": Outcome("green", "log", "ln(1 + green applications)"),
    "tertiary_share": Outcome("tertiary_share", "change", "tertiary share of GDP"),
    "environment_word_share": Outcome("er_share", "change", "environmental word share of the work report"),
    "pollution_index_000": IndexOutcome("pollution_index_000", {
        "industrial_wastewater_t": "wastewater", "industrial_so2_t": "so2", "industrial_dust_t": "dust"},
        "entropy index of wastewater, SO2 and dust"),
    "pollution_carbon_index_001": IndexOutcome("pollution_carbon_index_001", {
        "co2_edgar_t": "co2", "pm25_ugm3": "pm25"}, "entropy index of CO2 and PM2.5"),
}


@dataclass(frozen=True)
class Resolved:
    """A planted counterpart: its ``value`` (None: none) and how it was derived (a note)."""

    value: Any
    derivation: str


class TruthResolver:
    """Resolves declarations against one world (``truth``) and one warehouse (index weights).

    ``panel``: the study's whole panel (the rows an entropy index pools, for the components' ranges).
    """

    def __init__(self, truth: Mapping | None, warehouse: Path | None = None, panel=None):
        self.truth, self.warehouse, self.panel = truth, warehouse, panel
        self._effects = None
        self._index: dict[str, tuple[dict, dict]] = {}

    # ---------------------------------------------------------------- data of the world
    @property
    def effects(self):
        """The effects panel ``truth_effects.csv`` beside truth.json (None when the world has none)."""
        if self._effects is None and self.truth and self.truth.get("effects") and self.truth.get("_folder"):
            import pandas as pd

            path = Path(self.truth["_folder"]) / self.truth["effects"]["file"]
            if path.is_file():
                self._effects = pd.read_csv(path, dtype={"adcode": str})
        return self._effects

    def _index_terms(self, index: IndexOutcome) -> tuple[dict, dict]:
        """(weights, ranges) of ``index``: the mart's entropy weights and each component's max - min over
        the rows the index pools (every city-year with all components)."""
        if index.name not in self._index:
            from analysis.marts import query

            w = query("select indicator, weight from marts.mart_pollution_index_weights "
                      "where index_name = ? and pooling_group = 'all'", self.warehouse, [index.name])
            weights = dict(zip(w["indicator"], w["weight"].astype(float)))
            pooled = self.panel.dropna(subset=list(index.components))
            ranges = {c: float(pooled[c].max() - pooled[c].min()) for c in index.components}
            self._index[index.name] = (weights, ranges)
        return self._index[index.name]

    # ---------------------------------------------------------------- resolution
    def resolve(self, decl: Declaration, data, dependent: str) -> Resolved:
        """The planted counterpart of ``decl`` on the estimation sample ``data`` of a column whose
        dependent variable is ``dependent``."""
        if not self.truth:
            return Resolved(None, "")
        if isinstance(decl, str):
            decl = Param(decl)
        if isinstance(decl, NoCounterpart):
            return Resolved(None, f"no planted counterpart: {decl.reason}")
        if isinstance(decl, NotPlanted):
            return Resolved(0.0, f"0: {decl.reason}")
        if isinstance(decl, Param):
            return self._param(decl, data)
        return self._effect(decl, data, dependent)

    def _param(self, decl: Param, data) -> Resolved:
        value = truth_value(self.truth, decl.key)
        if value is None or decl.per_log1p is None:
            return Resolved(value, f"planted parameter {decl.key}")
        return Resolved(float(value) * float((1.0 + data[decl.per_log1p]).mean()),
                        f"{decl.key} x mean(1 + {decl.per_log1p}): the effect of ln(1 + {decl.per_log1p}) "
                        f"implied by the planted effect of {decl.per_log1p}")

    def _effect(self, decl: Effect, data, dependent: str) -> Resolved:
        effects = self.effects
        cause = CAUSES.get(decl.cause)
        outcome = OUTCOMES.get(decl.outcome or dependent)
        if effects is None or cause is None or outcome is None:
            missing = "the effects panel" if effects is None else (
                f"cause {decl.cause!r}" if cause is None else f"outcome {decl.outcome or dependent!r}")
            return Resolved(None, f"no planted counterpart ({missing} unknown to the world)")
        rows = data.merge(effects, on=["adcode", "year"], how="left", suffixes=("", "__effects"))
        if cause.treatment:
            rows = rows[rows[decl.cause] == 1]
        if decl.regime is not None:
            kappa = np.asarray(truth_value(self.truth, "kappa"), float)
            rows = rows[np.searchsorted(kappa, rows["ln_ai_firms"].to_numpy(), side="left") == decl.regime]
        if decl.where:
            rows = rows.query(decl.where)
        if rows.empty:
            return Resolved(None, "no planted counterpart (no rows)")
        per_row, how = self._per_row(rows, cause, outcome, decl.outcome or dependent, decl.spatial)
        if cause.proxy:
            slope = truth_value(self.truth, f"{cause.proxy}.slope_on_A")
            b = rows["ai_attention"].to_numpy(float)
            per_row = per_row / (slope * b / (1.0 + b))
            how += f", per unit of ln(1 + B) that A moves ({slope} B / (1 + B); {cause.what})"
        value = float(np.nanmean(per_row))
        where = ("the treated rows" if cause.treatment else "the rows") + (
            f" in planted regime {decl.regime + 1}" if decl.regime is not None else "") + (
            f" with {decl.where}" if decl.where else "")
        return Resolved(value, f"average over {where} of the estimation sample of {how} (truth_effects.csv)")

    def _per_row(self, rows, cause: Cause, outcome, column: str, spatial: str) -> tuple[np.ndarray, str]:
        """Per-row planted effect of ``cause`` on ``outcome`` and its formula in words."""
        suffix = {"direct": "", "total": "_total"}

        def semi(quantity: str) -> np.ndarray:
            if spatial == "indirect":
                return (rows[f"{quantity}__{cause.key}_total"] - rows[f"{quantity}__{cause.key}"]).to_numpy(float)
            return rows[f"{quantity}__{cause.key}{suffix[spatial]}"].to_numpy(float)

        kind = f"{spatial} " if cause.key == "ai" and _spatial(outcome) else ""
        if isinstance(outcome, IndexOutcome):
            weights, ranges = self._index_terms(outcome)
            total = np.zeros(len(rows))
            for col, quantity in outcome.components.items():
                total += weights[col] / ranges[col] * _moved(rows[col].to_numpy(float), semi(quantity), cause)
            return total, (f"sum_j (w_j / range_j) X_j x the {kind}planted change of ln X_j ({outcome.what}; "
                           f"weights from mart_pollution_index_weights)")
        s = semi(outcome.quantity)
        if outcome.scale == "level":
            y = rows[column].to_numpy(float)
            return _moved(y, s, cause), f"Y x the {kind}planted change of ln {outcome.quantity} ({outcome.what})"
        return s, f"the {kind}planted change of {'ln ' if outcome.scale == 'log' else ''}{outcome.quantity}"


def _spatial(outcome) -> bool:
    """Outcomes that A moves through the spatial Durbin SO2 process (LeSage-Pace kinds apply)."""
    quantities = outcome.components.values() if isinstance(outcome, IndexOutcome) else [outcome.quantity]
    return any(q in ("so2", "wastewater", "dust", "nox", "pm25") for q in quantities)


def _moved(level: np.ndarray, semi: np.ndarray, cause: Cause) -> np.ndarray:
    """How much a level X moves: X d ln X for a derivative; X (1 - exp(-c)) for a treatment contrast c
    (the observed X is the treated one)."""
    return level * (1.0 - np.exp(-semi)) if cause.treatment else level * semi


def planted(truth: Mapping | None, rows: Mapping[str, Declaration], *, data=None, dependent: str = "",
            resolver: TruthResolver | None = None) -> dict[str, Resolved]:
    """``printed row -> Resolved`` (value and derivation) for a column's ``truth`` mapping on its
    estimation sample ``data``; empty on real data."""
    if not truth or not rows:
        return {}
    resolver = resolver or TruthResolver(truth)
    return {row: resolver.resolve(decl, data, dependent) for row, decl in rows.items()}
