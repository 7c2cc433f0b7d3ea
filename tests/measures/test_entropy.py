"""Entropy weights. The dbt macro ``entropy_weights`` is the project's one home for them; these tests check
the reference implementation (``tests/measures/entropy_reference.py``) by hand on Elsayed, Dawood &
Karthikeyan's (2017) decision matrix, with the study 001 / study 000 conventions, by-year pooling and bad
input, and hold the macro (run by DuckDB) to it."""
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.measures.entropy_reference import entropy_weights

REF = Path(__file__).resolve().parents[2].parent / "shared" / "reference-data"
ELSAYED = REF / "econometrics" / "ewm_elsayed2017_matrix.csv"


@pytest.fixture(scope="module")
def matrix() -> pd.DataFrame:
    return pd.read_csv(ELSAYED)


def _hand_entropy(r: np.ndarray) -> np.ndarray:
    """Textbook entropy weights written out loop by loop (independent of the vectorised code)."""
    n, k = r.shape
    w = []
    for j in range(k):
        col = r[:, j]
        total = sum(col)
        e = 0.0
        for v in col:
            p = v / total
            if p > 0:
                e += p * np.log(p)
        e = -e / np.log(n)
        w.append(1 - e)
    w = np.array(w)
    return w / w.sum()


def test_elsayed_raw_shares_match_hand_computation(matrix):
    # Elsayed et al. (2017) compute shares on the raw (benefit) matrix: standardise="none".
    res = entropy_weights(matrix, list(matrix.columns), standardise="none", zero="none")
    expected = _hand_entropy(matrix.to_numpy(float))
    np.testing.assert_allclose(res.weights.to_numpy(), expected, rtol=1e-12)
    assert res.weights.sum() == pytest.approx(1.0)
    # c4 and c5 (heavy-tailed columns) carry most of the information, c1 more than c2/c3
    order = res.weights.sort_values(ascending=False).index.tolist()
    assert order[:2] == ["c5", "c4"] or order[:2] == ["c4", "c5"]


def test_minmax_matches_hand_computation_with_directions(matrix):
    direction = {"c1": "negative", "c3": "negative"}
    res = entropy_weights(matrix, list(matrix.columns), direction=direction, epsilon=1e-5)
    r = matrix.to_numpy(float)
    x = np.empty_like(r)
    for j, c in enumerate(matrix.columns):
        lo, hi = r[:, j].min(), r[:, j].max()
        x[:, j] = (hi - r[:, j]) / (hi - lo) if c in direction else (r[:, j] - lo) / (hi - lo)
    x = np.maximum(x, 1e-5)  # study 001: standardised 0 set to 0.00001
    w = _hand_entropy(x)
    np.testing.assert_allclose(res.weights.to_numpy(), w, rtol=1e-12)
    np.testing.assert_allclose(res.index.to_numpy(), x @ w, rtol=1e-12)
    assert res.index.between(0, 1).all()


def test_negative_direction_mirrors_standardisation():
    # study 000 prints pollutants as negative criteria (higher index = cleaner): x_neg = 1 - x_pos
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"so2": rng.lognormal(0, 1, 50), "dust": rng.lognormal(0, 1, 50)})
    pos = entropy_weights(df, ["so2", "dust"], zero="none").standardised
    neg = entropy_weights(df, ["so2", "dust"], zero="none",
                          direction={"so2": "negative", "dust": "negative"}).standardised
    np.testing.assert_allclose(neg.to_numpy(), 1 - pos.to_numpy(), atol=1e-15)


def test_by_year_pooling_equals_separate_fits():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"year": np.repeat([2019, 2020, 2021], 30),
                       "co2": rng.lognormal(0, 1, 90), "pm25": rng.normal(40, 8, 90)})
    res = entropy_weights(df, ["co2", "pm25"], pooling="by_year", year_col="year")
    for yr in (2019, 2020, 2021):
        sub = df[df.year == yr]
        one = entropy_weights(sub, ["co2", "pm25"])
        np.testing.assert_allclose(res.weights.loc[yr].to_numpy(), one.weights.to_numpy(), rtol=1e-12)
        np.testing.assert_allclose(res.index[sub.index].to_numpy(), one.index.to_numpy(), rtol=1e-12)


MACRO = Path(__file__).resolve().parents[2] / "dbt_project" / "macros" / "entropy_weights.sql"


def _render_macro(**kwargs) -> str:
    """Render the dbt macro with plain Jinja (it uses no dbt context) into a select statement."""
    import jinja2

    env = jinja2.Environment()
    template = env.from_string(MACRO.read_text() + "{{ entropy_weights(**args) }}")
    return template.render(args=kwargs)


@pytest.mark.parametrize("pooling", ["all", "by_year"])
def test_python_and_dbt_macro_agree(pooling):
    rng = np.random.default_rng(11)
    panel = pd.DataFrame({"adcode": np.repeat(np.arange(40), 5), "year": np.tile(np.arange(2018, 2023), 40),
                          "co2": rng.lognormal(3, 1, 200), "pm25": rng.normal(45, 10, 200),
                          "so2": rng.lognormal(1, 0.5, 200)})
    indicators = [{"name": "co2", "direction": "positive"}, {"name": "pm25", "direction": "positive"},
                  {"name": "so2", "direction": "negative"}]
    con = duckdb.connect()
    con.register("panel", panel)
    args = dict(relation="panel", keys=["adcode", "year"], indicators=indicators, pooling=pooling,
                year_column="year", epsilon=1e-5)
    sql_index = con.execute(_render_macro(**args, output="index")).df().sort_values(["adcode", "year"])
    sql_weights = con.execute(_render_macro(**args, output="weights")).df()
    res = entropy_weights(panel, ["co2", "pm25", "so2"], direction={"so2": "negative"}, epsilon=1e-5,
                          pooling=pooling, year_col="year")
    ours = panel.assign(idx=res.index).sort_values(["adcode", "year"])
    np.testing.assert_allclose(sql_index["entropy_index"].to_numpy(), ours["idx"].to_numpy(), rtol=1e-10)
    if pooling == "all":
        w = sql_weights.set_index("indicator")["weight"]
        np.testing.assert_allclose(w[["co2", "pm25", "so2"]].to_numpy(), res.weights.to_numpy(), rtol=1e-10)
    else:
        w = sql_weights.assign(year=sql_weights.pooling_group.astype(int)).pivot(
            index="year", columns="indicator", values="weight")[["co2", "pm25", "so2"]]
        np.testing.assert_allclose(w.to_numpy(), res.weights.to_numpy(), rtol=1e-10)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(columns=["c1", "zz"]), "not in the data"),
        (dict(columns=["c1", "c2"], direction={"c1": "up"}), "positive' or 'negative"),
        (dict(columns=["c1", "c2"], pooling="by_year"), "year_col"),
        (dict(columns=["c1"]), "at least two"),
    ],
)
def test_bad_input_raises_clear_error(matrix, kwargs, message):
    with pytest.raises(ValueError, match=message):
        entropy_weights(matrix, **kwargs)


def test_nan_and_text_rejected(matrix):
    m = matrix.copy()
    m.loc[3, "c2"] = np.nan
    with pytest.raises(ValueError, match="'c2' has 1 missing"):
        entropy_weights(m, ["c1", "c2"])
    m = matrix.astype({"c1": str})
    with pytest.raises(ValueError, match="not numeric"):
        entropy_weights(m, ["c1", "c2"])


def test_study_presets():
    from tests.measures.entropy_reference import study_entropy_index

    rng = np.random.default_rng(8)
    df = pd.DataFrame({"wastewater": rng.lognormal(0, 1, 80), "so2": rng.lognormal(0, 1, 80),
                       "dust": rng.lognormal(0, 1, 80), "co2": rng.lognormal(0, 1, 80), "pm25": rng.normal(40, 9, 80)})
    three = ["wastewater", "so2", "dust"]
    defensible = study_entropy_index(df, "000", three)
    printed = study_entropy_index(df, "000", three, printed=True)
    # the printed (negative-criterion) index runs the other way: higher = cleaner
    assert np.corrcoef(defensible.index, printed.index)[0, 1] < -0.8
    assert np.corrcoef(defensible.index, df[three].sum(axis=1))[0, 1] > 0
    ei = study_entropy_index(df, "001", ["co2", "pm25"])
    assert ei.index.min() > 0 and ei.index.max() <= 1  # zero -> 1e-5 rule keeps every x positive
    with pytest.raises(ValueError, match="combines 2 pollutants"):
        study_entropy_index(df, "001", three)
