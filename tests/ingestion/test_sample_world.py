"""The sample world generator: deterministic, complete, and honest about what it planted."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ingestion import registry
from ingestion.sample import generate
from ingestion.sample.geography import build_world
from ingestion.sample.history import History
from ingestion.sample.model import AI_PILOT_ZONES, simulate
from expectations.suites._common import RANGES
from tests.conftest import TINY_SEED


def tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_world_and_seed_give_identical_bytes(tiny_sources, tmp_path):
    again = tmp_path / "again"
    generate("tiny", TINY_SEED, again, progress=False)
    first, second = tree_digest(tiny_sources), tree_digest(again)
    assert first.keys() == second.keys()
    differing = [k for k in first if first[k] != second[k]]
    assert differing == []


def test_another_seed_gives_other_values(tiny_sources, tmp_path):
    other = tmp_path / "other"
    generate("tiny", TINY_SEED + 1, other, progress=False)
    a, b = tree_digest(tiny_sources), tree_digest(other)
    changed = [k for k in a if k in b and a[k] != b[k]]
    assert len(changed) > 0.8 * len(a)


def test_every_registered_source_has_files(tiny_sources):
    for name, source in registry.all_sources().items():
        if source.optional:  # a product of the county world only (daily PM2.5)
            assert not (tiny_sources / name).exists(), name
            continue
        assert source.find_files(tiny_sources), name


def test_truth_json_holds_the_planted_parameters(tiny_sources):
    truth = json.loads((tiny_sources / "truth.json").read_text(encoding="utf-8"))
    params = truth["parameters"]
    assert truth["seed"] == TINY_SEED and truth["world"] == "tiny" and truth["cities"] == 20
    for name in ("kappa", "beta_regime", "rho_so2", "beta_so2", "theta_so2", "pilot_effect_by_event_time",
                 "a_green", "b_green", "a_ins", "b_ins", "b_robot", "smart_city_effect"):
        assert name in params, name
        assert params[name]["meaning"], name
    assert params["rho_so2"]["value"] == pytest.approx(0.85)
    assert params["kappa"]["value"] == sorted(params["kappa"]["value"])
    assert len(params["beta_regime"]["value"]) == len(params["kappa"]["value"]) + 1


def test_the_planted_sdm_is_what_generated_so2():
    """(I - rho W) ln SO2_t is linear in A_t, W A_t and ln pgdp_t with city and year effects: OLS on it
    recovers the planted beta, theta and gamma within 4 standard errors (noise sd 0.12)."""
    world = build_world("tiny")
    sim = simulate(world, 5)
    truth = sim.truth.params
    from ingestion.geometry import centroids_lonlat, inverse_distance_weights

    w = inverse_distance_weights(centroids_lonlat(world.cities.geometry))
    c = sim.city.sort_values(["year", "adcode"])
    n, t = len(world.cities), c.year.nunique()
    y = c.ln_so2.to_numpy().reshape(t, n)
    a = c.ln_ai_firms.to_numpy().reshape(t, n)
    lhs = (y - truth["rho_so2"]["value"] * y @ w.T).ravel()
    x = np.column_stack([a.ravel(), (a @ w.T).ravel(), c.ln_pgdp.to_numpy() - 10,
                         np.kron(np.eye(t), np.ones((n, 1))), np.kron(np.ones((t, 1)), np.eye(n))[:, 1:]])
    beta, *_ = np.linalg.lstsq(x, lhs, rcond=None)
    resid = lhs - x @ beta
    sigma2 = resid @ resid / (len(lhs) - x.shape[1])
    se = np.sqrt(np.diag(sigma2 * np.linalg.pinv(x.T @ x)))
    for k, name in enumerate(("beta_so2", "theta_so2", "gamma_so2")):
        assert abs(beta[k] - truth[name]["value"]) < 4 * se[k], (name, beta[k], se[k])
    assert 0.08 < np.sqrt(sigma2) < 0.16  # the planted noise sd is 0.12


def test_calibration_of_the_default_world_model():
    """The default world's panel is near the studies' descriptive statistics (seed 000: AI mean 5.42)."""
    sim = simulate(build_world("default"), 20240601)
    c = sim.city
    window = c[(c.year >= 2013) & (c.year <= 2022)]
    assert len(sim.world.cities) == 296
    assert 4.9 < window.ln_ai_firms.mean() < 5.9
    assert 1.2 < window.ln_ai_firms.std() < 2.2
    assert 10.3 < window.ln_pgdp.mean() < 11.2  # seed 001: 10.72
    # each regime of the planted thresholds holds at least 5% of the city-years
    assert np.bincount(c.regime, minlength=4).min() > 0.05 * len(c)
    pilots = c[c.adcode.isin(list(AI_PILOT_ZONES))]
    assert pilots.adcode.nunique() == 12
    assert c.pilot.sum() == sum(max(0, 2023 - y + 1) for y in AI_PILOT_ZONES.values())
    prov = sim.province
    assert prov.province_adcode.nunique() == 30  # seed 003: 30 provinces, Tibet excluded
    by_year = prov.groupby("year").robot_exposure.mean()
    assert (by_year.diff().dropna() > 0).all() and by_year.iloc[0] > 0  # robot stocks keep growing
    # the world stays inside the ranges the expectations hold real data to (make run checks the marts)
    low, high, _why = RANGES["trade_gdp_ratio"]
    ratio = c.trade_10k_yuan / c.gdp_10k_yuan
    assert low <= ratio.min() and ratio.max() <= high


def test_a_unit_missing_its_own_value_is_not_reported_by_its_transferred_part():
    """公主岭 went from 四平 to 长春 in 2020: before it, 四平's row carries the transferred tenth of 长春's
    vintage values. A year without 四平's own value must be missing, not a tenth of 长春 (a tenfold jump)."""
    history = History(pd.DataFrame({"adcode": ["220100", "220300"], "name_zh": ["长春市", "四平市"]}))
    frame = pd.DataFrame({"adcode": ["220100", "220300", "220100", "220300"], "year": [2010, 2010, 2011, 2011],
                          "co2": [20.0, np.nan, 21.0, 3.0]})
    out = history.reported(frame, "end", extensive=["co2"]).set_index(["adcode", "year"]).co2
    assert out[("220100", 2010)] == pytest.approx(18.0)
    assert np.isnan(out[("220300", 2010)])
    assert out[("220300", 2011)] == pytest.approx(3.0 + 0.1 * 21.0)


def test_the_effects_panel_describes_every_planted_channel(tiny_sources):
    """truth_effects.csv: one row per city-year, the columns truth.json describes, and the invariants of
    the structural model (contrasts vanish where no policy is in force; the SDM's row sums)."""
    from ingestion.sample.model import EFFECT_COLUMNS, P

    truth = json.loads((tiny_sources / "truth.json").read_text(encoding="utf-8"))
    assert truth["effects"]["columns"] == EFFECT_COLUMNS and truth["effects"]["file"] == "truth_effects.csv"
    eff = pd.read_csv(tiny_sources / "truth_effects.csv", dtype={"adcode": str})
    assert list(eff.columns) == ["adcode", "year", *EFFECT_COLUMNS]
    assert len(eff) == truth["cities"] * (truth["years"][1] - truth["years"][0] + 1)
    sim = simulate(build_world("tiny"), TINY_SEED)
    m = sim.city.merge(eff, on=["adcode", "year"])
    untreated = m[m.pilot == 0]
    assert (untreated[["co2__pilot", "green__pilot", "er_share__pilot", "ai__pilot"]] == 0).all().all()
    assert (m.loc[m.smart_city == 0, "co2__smart"] == 0).all()
    assert np.allclose(m.loc[m.smart_city == 1, "co2__smart"], P.smart_city)
    # a treated city-year whose firm count the pilot did not change feels the direct effect alone
    direct = m[(m.pilot == 1) & (m.ai__pilot == 0)]
    cohort = np.array([AI_PILOT_ZONES[a] for a in direct.adcode])
    assert np.allclose(direct.co2__pilot, P.pilot_co2_effect(direct.year - cohort))
    # row sums of (I - rho W)^-1 (beta I + theta W) for a row-standardised W: (beta + theta) / (1 - rho)
    assert np.allclose(eff.so2__ai_total, (P.beta_so2 + P.theta_so2) / (1 - P.rho_so2))
    assert (eff.so2__ai < 0).all() and np.allclose(eff.wastewater__ai, P.pass_through["wastewater"] * eff.so2__ai)
    assert np.allclose(eff.co2__robot.dropna(), P.b_robot_co2)


def test_the_derivative_of_ln_co2_in_a_is_the_regime_slope_plus_the_mediator_paths():
    """d ln CO2 / d A = beta_r + a_green b_green + a_ins (b_ins - 1.2 [sec = 0.97 - ins]) where no clipping
    binds, and a finite change of A inside a regime moves ln CO2 by that slope (checked on the model's own
    equation through the counterfactual of the pilot: a pilot city-year whose firm count rose stays in its
    regime and its contrast is direct effect + slope x the change of A, up to the rounding of patents)."""
    from ingestion.sample.model import P

    sim = simulate(build_world("tiny"), TINY_SEED)
    m = sim.city.merge(sim.effects, on=["adcode", "year"])
    sec = m.gdp_secondary_10k_yuan / m.gdp_10k_yuan
    bound = np.isclose(sec + m.tertiary_share, 0.97)
    slope = (np.array(P.beta_regime)[m.regime] + P.a_green * P.b_green
             + P.a_ins * (P.b_ins - 1.2 * bound))
    unclipped = (m.green__ai > 0) & (m.tertiary_share__ai > 0)
    assert unclipped.mean() > 0.5
    assert np.allclose(m.loc[unclipped, "co2__ai"], slope[unclipped])


def test_the_pm25_background_stays_positive_where_the_smooth_field_peaks(monkeypatch):
    """The background of the PM2.5 rasters is positive even at the smooth field's extreme (six waves in
    phase: -6 / sqrt(3)); an additive background went negative there and the loader refused the file."""
    from ingestion.sample import rasters
    from ingestion.sample.geography import build_world as world_of

    grid = world_of("tiny").grid(0.05)
    extreme = -6 / np.sqrt(3)
    monkeypatch.setattr(rasters, "smooth_field", lambda g, rng, **kw: np.full((g.height, g.width), extreme))
    background = rasters.pm25_background(grid, np.random.default_rng(0))
    assert (background > 0).all() and background.min() == pytest.approx(25.0 * np.exp(0.32 * extreme))
