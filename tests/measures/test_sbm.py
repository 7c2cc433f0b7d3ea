"""SBM with undesirable outputs: textbook scores, hand-solved cases, an independent Dinkelbach
(fractional-programming) solution of the untransformed model, super-efficiency, batching, bad input."""
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from analysis.measures import sbm
from analysis.measures.sbm import nondominated

# Cooper, Seiford & Tone (2007), Data Envelopment Analysis, 2nd ed., Table 1.1 (single input
# "employees", single output "sales", stores A-H) with the CCR efficiencies of its Figure 1.3.
# With one input and one output the SBM score equals the CCR score (Tone 2001, EJOR 130, Thm 4 /
# rho = theta because the ratio constraint binds), so these are known SBM scores.
CST_STORES = pd.DataFrame(
    {"employees": [2, 3, 3, 4, 5, 5, 6, 8], "sales": [1, 3, 2, 3, 4, 2, 3, 5]},
    index=list("ABCDEFGH"), dtype=float,
)
CST_CCR = {"A": 0.5, "B": 1.0, "C": 2 / 3, "D": 0.75, "E": 0.8, "F": 0.4, "G": 0.5, "H": 0.625}


def test_textbook_single_input_output_scores():
    res = sbm(CST_STORES[["employees"]], CST_STORES[["sales"]], None)
    np.testing.assert_allclose(res.score.to_numpy(), [CST_CCR[k] for k in CST_STORES.index], atol=1e-9)
    assert res.efficient.tolist() == [k == "B" for k in CST_STORES.index]


def test_textbook_super_efficiency():
    # Tone (2002): with one input/output, super-SBM of the efficient store = its ratio over the best
    # remaining ratio: B (1.0) over E (0.8) = 1.25; inefficient stores keep their SBM score.
    res = sbm(CST_STORES[["employees"]], CST_STORES[["sales"]], None, super_efficiency=True)
    assert res.score["B"] == pytest.approx(1.25, abs=1e-9)
    assert res.score.drop("B").to_numpy() == pytest.approx([CST_CCR[k] for k in "ACDEFGH"], abs=1e-9)


def test_tone_2001_two_input_two_output_example():
    # Tone (2001), EJOR 130, 498-509, p. 505 (the `Tone2001` data of R deaR): five DMUs, two inputs,
    # two outputs; published SBM (CRS, non-oriented) scores A 0.798, B 0.568, C 1, D 0.667, E 1.
    x = np.array([[4, 3], [6, 3], [8, 1], [8, 1], [2, 4]], dtype=float)
    y = np.array([[2, 3], [2, 3], [6, 2], [6, 1], [1, 4]], dtype=float)
    res = sbm(x, y, None)
    np.testing.assert_allclose(res.score.to_numpy(), [0.798, 0.568, 1.0, 0.667, 1.0], atol=5e-4)
    # D's only slack: output 2 short by 1 (its projection is C): rho = 1 / (1 + 1/2 * 1/1) = 2/3
    np.testing.assert_allclose(res.slacks.iloc[3].to_numpy(), [0, 0, 0, 1], atol=1e-9)


def test_hand_solved_undesirable_output_case():
    # A: x=1, y=1, b=1; B: x=2, y=1, b=2. B's projection on A with lambda in [1, 2] gives
    # rho(lambda) = 2 lambda / (4 + lambda), minimised at lambda = 1: rho = 0.4.
    res = sbm(np.array([[1.0], [2.0]]), np.array([[1.0], [1.0]]), np.array([[1.0], [2.0]]))
    np.testing.assert_allclose(res.score.to_numpy(), [1.0, 0.4], atol=1e-10)
    np.testing.assert_allclose(res.slacks.iloc[1].to_numpy(), [1.0, 0.0, 1.0], atol=1e-9)


def _dinkelbach(x, y, b, o, vrs, super_eff=False):
    """Brute force: the fractional SBM (or super-SBM) solved by Dinkelbach's iteration on the
    *untransformed* variables (lambda, slacks), full reference set, one LP per step."""
    n, m = x.shape
    s1, s2 = y.shape[1], b.shape[1]
    refs = [j for j in range(n) if not (super_eff and j == o)]
    nr = len(refs)
    nv = nr + m + s1 + s2
    num = np.zeros(nv)  # numerator = 1 + sgn * num @ z ; denominator = 1 + sgn2 * den @ z
    den = np.zeros(nv)
    num[nr : nr + m] = 1 / (m * x[o])
    den[nr + m : nr + m + s1] = 1 / ((s1 + s2) * y[o])
    den[nr + m + s1 :] = 1 / ((s1 + s2) * b[o])
    sn, sd = (1.0, -1.0) if super_eff else (-1.0, 1.0)
    xr, yr, br = x[refs], y[refs], b[refs]
    a = np.zeros((m + s1 + s2, nv))
    a[:m, :nr], a[m : m + s1, :nr], a[m + s1 :, :nr] = xr.T, yr.T, br.T
    if super_eff:  # X L - s- <= x_o ; Y L + sg >= y_o ; B L - sb <= b_o ; sg <= y_o ; den > 0
        a[:m, nr : nr + m] = -np.eye(m)
        a[m : m + s1, nr + m : nr + m + s1] = np.eye(s1)
        a[m + s1 :, nr + m + s1 :] = -np.eye(s2)
        a_ub = np.vstack([a[:m], -a[m : m + s1], a[m + s1 :]])
        b_ub = np.concatenate([x[o], -y[o], b[o]])
        extra = np.zeros((s1, nv))
        extra[:, nr + m : nr + m + s1] = np.eye(s1)
        a_ub = np.vstack([a_ub, extra, den[None, :]])
        b_ub = np.concatenate([b_ub, y[o], [1 - 1e-6]])
        a_eq, b_eq = None, None
    else:
        a[:m, nr : nr + m] = np.eye(m)
        a[m : m + s1, nr + m : nr + m + s1] = -np.eye(s1)
        a[m + s1 :, nr + m + s1 :] = np.eye(s2)
        a_eq, b_eq = a, np.concatenate([x[o], y[o], b[o]])
        a_ub, b_ub = None, None
    if vrs:
        row = np.zeros((1, nv))
        row[0, :nr] = 1
        a_eq = row if a_eq is None else np.vstack([a_eq, row])
        b_eq = np.array([1.0]) if b_eq is None else np.append(b_eq, 1.0)
    q = 1.0
    for _ in range(100):
        res = linprog(sn * num - q * sd * den, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq,
                      bounds=(0, None), method="highs")
        if res.status != 0:
            return np.nan
        z = res.x
        q_new = (1 + sn * num @ z) / (1 + sd * den @ z)
        if abs(q_new - q) < 1e-12:
            break
        q = q_new
    return q


@pytest.fixture(scope="module")
def small_world():
    rng = np.random.default_rng(20240601)
    n = 25
    x = rng.lognormal(0, 0.4, (n, 3))
    y = (x.prod(axis=1) ** 0.3 * rng.lognormal(0, 0.3, n))[:, None]
    b = y * rng.lognormal(0, 0.4, (n, 2))
    return x, y, b


@pytest.mark.parametrize("rts", ["crs", "vrs"])
def test_sbm_matches_brute_force_dinkelbach(small_world, rts):
    x, y, b = small_world
    res = sbm(x, y, b, rts=rts, batch_size=7)
    brute = np.array([_dinkelbach(x, y, b, o, rts == "vrs") for o in range(len(x))])
    np.testing.assert_allclose(res.sbm_score.to_numpy(), brute, atol=1e-7)
    assert res.efficient.sum() >= 1
    if rts == "vrs":
        assert (res.sbm_score >= sbm(x, y, b, rts="crs").sbm_score - 1e-9).all()  # VRS frontier is tighter


@pytest.mark.parametrize("rts", ["crs", "vrs"])
def test_super_efficiency_matches_brute_force(small_world, rts):
    x, y, b = small_world
    res = sbm(x, y, b, rts=rts, super_efficiency=True)
    eff = np.flatnonzero(res.efficient.to_numpy())
    assert len(eff) >= 2
    for o in eff:
        assert res.score.iloc[o] == pytest.approx(_dinkelbach(x, y, b, o, rts == "vrs", super_eff=True),
                                                  abs=1e-7, nan_ok=True)
        assert np.isnan(res.score.iloc[o]) or res.score.iloc[o] >= 1.0
    ineff = ~res.efficient.to_numpy()
    np.testing.assert_allclose(res.score.to_numpy()[ineff], res.sbm_score.to_numpy()[ineff])


def test_batching_and_pruning_do_not_change_scores(small_world):
    x, y, b = small_world
    one = sbm(x, y, b, batch_size=1).sbm_score
    many = sbm(x, y, b, batch_size=25).sbm_score
    np.testing.assert_allclose(one, many, atol=1e-9)
    z = np.hstack([x, -y, b])
    keep = nondominated(z)
    assert keep.sum() < len(z)  # something is pruned in this world
    # an efficient DMU is never pruned
    assert keep[sbm(x, y, b).efficient.to_numpy()].all()


def test_units_invariance_and_dataframe_labels(small_world):
    x, y, b = small_world
    dfx = pd.DataFrame(x, columns=["capital", "labour", "energy"], index=[f"c{i}" for i in range(len(x))])
    res = sbm(dfx, pd.DataFrame(y * 1e4, index=dfx.index, columns=["gdp"]),
              pd.DataFrame(b * 10, index=dfx.index, columns=["so2", "co2"]))
    np.testing.assert_allclose(res.sbm_score.to_numpy(), sbm(x, y, b).sbm_score.to_numpy(), atol=1e-9)
    assert res.score.index[0] == "c0" and "s_bad_co2" in res.slacks.columns


def test_bad_input_messages(small_world):
    x, y, b = small_world
    with pytest.raises(ValueError, match="strictly positive"):
        sbm(x, y, np.where(b > 1, 0.0, b))
    with pytest.raises(ValueError, match="one row per DMU"):
        sbm(x, y[:-1], b)
    xx = x.copy()
    xx[2, 1] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        sbm(xx, y, b)
    with pytest.raises(ValueError, match="rts"):
        sbm(x, y, b, rts="drs")
    with pytest.raises(ValueError, match="not numeric"):
        sbm(pd.DataFrame({"k": ["1", "2"]}), [[1.0], [2.0]], None)
