"""The names of the statistics estimators report, and of the ``info`` entries they share: one home.

Every estimator writes its scalar statistics into ``EstimationResult.stats`` under the constants
below, and a table asks for them by the same constants, so that a row asking for the within R²
gets the within R² (``R2_WITHIN``) and never the overall one (``R2``): a statistic an estimator
does not define is absent, and :meth:`EstimationResult.statistic` says so instead of falling back
to a neighbour.

A constant is a ``str`` (``R2_WITHIN == "R2_within"``), so ``res.stats[R2_WITHIN]`` and
``res.stats["R2_within"]`` are the same entry. It also carries a table ``label``, a one-line
``doc`` and a ``kind``: ``count`` statistics are integers and print without decimals,
``p`` are p-values, ``real`` anything else.

Conventions: the p-value of a test ``X`` is ``X_p``; counts start with ``N_``; a statistic computed
per endogenous regressor (IV with several) is ``f"{FIRST_STAGE_F}[{name}]"``; per threshold stage
``threshold_f(k)``.

``INFO_KEYS`` lists the ``info`` entries that mean the same thing in every estimator (fixed
effects, cluster variable, covariance type, ...); estimator-specific extras (draws, first stages,
LR curves) keep their own documented names.
"""
from __future__ import annotations

__all__ = ["Stat", "STATISTICS", "INFO_KEYS", "COUNT", "P_VALUE", "REAL", "N_NAMES", "lookup", "is_count",
           "threshold_f", "first_stage_f", "stock_yogo_key"]

COUNT, P_VALUE, REAL = "count", "p", "real"


class Stat(str):
    """A statistic name (a ``str``) with its table ``label``, one-line ``doc`` and ``kind``."""

    label: str
    doc: str
    kind: str

    def __new__(cls, name: str, label: str, doc: str, kind: str = REAL) -> "Stat":
        obj = super().__new__(cls, name)
        obj.label, obj.doc, obj.kind = label, doc, kind
        return obj

    def __reduce__(self):  # pickles (multiprocessing, caches) as the plain constant
        return (Stat, (str(self), self.label, self.doc, self.kind))


STATISTICS: dict[str, Stat] = {}


def _stat(name: str, label: str, doc: str, kind: str = REAL) -> Stat:
    if name in STATISTICS:
        raise ValueError(f"statistic {name!r} is defined twice")
    STATISTICS[name] = Stat(name, label, doc, kind)
    return STATISTICS[name]


# ---------------------------------------------------------------- fit
R2 = _stat("R2", "R²", "R² of the whole model, fixed effects counted as fitted: 1 - SSR / TSS of the raw "
                       "outcome (Stata areg / reghdfe r2, fixest r2)")
R2_WITHIN = _stat("R2_within", "R² (within)", "R² of the regression on demeaned data: 1 - SSR / sum of squared "
                                              "demeaned outcome (xtreg, fe 'within'; fixest wr2)")
ADJ_R2 = _stat("adj_R2", "Adj. R²", "adjusted R², every absorbed fixed effect counted as a parameter: "
                                    "1 - (1 - R2)(N - 1)/(N - k - sum(levels - 1) - 1) (fixest ar2)")
R2_CORR = _stat("R2_corr", "R² (corr²)", "squared correlation of the fitted and observed (transformed) outcome, "
                                         "the pseudo R² of ML spatial models")
LOGLIK = _stat("loglik", "Log-likelihood", "maximised log-likelihood")
SIGMA2 = _stat("sigma2", "σ²", "ML estimate of the error variance")
PHI = _stat("phi", "φ", "random-effects weight phi^2 = sigma2 / (T sigma_mu^2 + sigma2) (Baltagi), its root")

# ---------------------------------------------------------------- counts
N_CLUSTERS = _stat("N_clusters", "Clusters", "number of clusters G of the cluster-robust covariance", COUNT)
N_UNITS = _stat("N_units", "Units", "number of panel units (entities) in the estimation sample", COUNT)
N_INSTRUMENTS = _stat("N_instruments", "Instruments", "number of instrument columns (GMM)", COUNT)
N_TREATED_OBS = _stat("N_treated_obs", "Treated obs.", "treated observations whose effect is imputed", COUNT)
N_UNTREATED_OBS = _stat("N_untreated_obs", "Untreated obs.", "untreated observations of the first stage", COUNT)
N_MATCHED_TREATED = _stat("N_matched_treated", "Matched treated", "treated rows with at least one match", COUNT)
N_UNMATCHED_TREATED = _stat("N_unmatched_treated", "Unmatched treated", "treated rows without a match", COUNT)
N_MATCHED_CONTROL = _stat("N_matched_control", "Matched controls", "control rows used at least once", COUNT)
N_GROUP0 = _stat("N_group0", "N (group 0)", "observations of the first group of a split sample", COUNT)
N_GROUP1 = _stat("N_group1", "N (group 1)", "observations of the second group of a split sample", COUNT)
N_FOLDS = _stat("N_folds", "Folds", "number of cross-fitting folds K", COUNT)
N_REPETITIONS = _stat("N_repetitions", "Repetitions", "number of cross-fitting repetitions", COUNT)
N_DRAWS = _stat("N_draws", "Draws", "number of random draws (placebo, bootstrap, permutation)", COUNT)

# ---------------------------------------------------------------- instruments (IV, GMM)
FIRST_STAGE_F = _stat("first_stage_F", "First-stage F", "F of the excluded instruments in the first stage, "
                                                        "same covariance convention as the second stage")
PARTIAL_R2 = _stat("partial_R2", "Partial R²", "partial R² of the excluded instruments in the first stage")
KP_RK_LM = _stat("KP_rk_LM", "Kleibergen-Paap rk LM", "Kleibergen-Paap (2006) rank LM statistic (under-identification)")
KP_RK_LM_P = _stat("KP_rk_LM_p", "Kleibergen-Paap rk LM p", "p-value of KP_rk_LM, chi2(L - K1 + 1)", P_VALUE)
KP_RK_WALD = _stat("KP_rk_Wald", "Kleibergen-Paap rk Wald", "Kleibergen-Paap (2006) rank Wald statistic")
KP_RK_WALD_F = _stat("KP_rk_Wald_F", "Kleibergen-Paap rk Wald F", "KP rk Wald statistic as an F (weak identification)")
CRAGG_DONALD_F = _stat("Cragg_Donald_F", "Cragg-Donald Wald F", "Cragg-Donald (1993) F (weak identification, iid)")
SARGAN = _stat("Sargan", "Sargan", "Sargan over-identification statistic (not robust)")
SARGAN_P = _stat("Sargan_p", "Sargan p", "p-value of the Sargan test", P_VALUE)
HANSEN_J = _stat("Hansen_J", "Hansen J", "Hansen (1982) J over-identification statistic (robust)")
HANSEN_J_P = _stat("Hansen_J_p", "Hansen J p", "p-value of the Hansen J test", P_VALUE)
AR1_Z = _stat("AR1_z", "AR(1) z", "Arellano-Bond test of first-order serial correlation in differences")
AR1_P = _stat("AR1_p", "AR(1) p", "p-value of the AR(1) test", P_VALUE)
AR2_Z = _stat("AR2_z", "AR(2) z", "Arellano-Bond test of second-order serial correlation in differences")
AR2_P = _stat("AR2_p", "AR(2) p", "p-value of the AR(2) test", P_VALUE)

# ---------------------------------------------------------------- difference in differences
ATT = _stat("ATT", "ATT", "overall average treatment effect on the treated of an aggregation")
ATT_SE = _stat("ATT_se", "ATT SE", "standard error of ATT")
PRETREND_F = _stat("pretrend_F", "Pre-trend F", "joint Wald F that all lead (pre-period) coefficients are zero")
PRETREND_CHI2 = _stat("pretrend_chi2", "Pre-trend chi2", "joint Wald chi2 that all pre-period ATT(g,t) are zero")
PRETREND_P = _stat("pretrend_p", "Pre-trend p", "p-value of the joint pre-trend test", P_VALUE)
PLACEBO_P = _stat("placebo_p", "Placebo p", "share of placebo estimates at least as large in absolute value", P_VALUE)
PLACEBO_MEAN = _stat("placebo_mean", "Placebo mean", "mean of the placebo estimates")
PLACEBO_SD = _stat("placebo_sd", "Placebo SD", "standard deviation of the placebo estimates")
MEAN_ABS_BIAS_BEFORE = _stat("mean_abs_bias_before", "Mean |bias| before",
                             "mean absolute standardised % bias of the covariates before matching")
MEAN_ABS_BIAS_AFTER = _stat("mean_abs_bias_after", "Mean |bias| after",
                            "mean absolute standardised % bias of the covariates after matching")
SUM_WEIGHTS = _stat("sum_weights", "Sum of weights", "sum of the Goodman-Bacon 2x2 weights (1 by construction)")
FORBIDDEN_WEIGHT = _stat("forbidden_weight", "Weight on forbidden comparisons",
                         "Goodman-Bacon weight of comparisons that use already treated units as controls")

# ---------------------------------------------------------------- mediation
SOBEL_Z = _stat("Sobel_z", "Sobel z", "Sobel (1982) z of the indirect effect a*b")
SOBEL_P = _stat("Sobel_p", "Sobel p", "two-sided normal p-value of Sobel_z", P_VALUE)
AROIAN_Z = _stat("Aroian_z", "Aroian z", "Aroian (1947) z of the indirect effect")
AROIAN_P = _stat("Aroian_p", "Aroian p", "two-sided normal p-value of Aroian_z", P_VALUE)
GOODMAN_Z = _stat("Goodman_z", "Goodman z", "Goodman (1960) z of the indirect effect")
GOODMAN_P = _stat("Goodman_p", "Goodman p", "two-sided normal p-value of Goodman_z", P_VALUE)
SHARE_MEDIATED = _stat("share_mediated", "Share mediated", "indirect over total effect, a*b / c")
BOOT_CI_LOW = _stat("boot_ci_low", "Bootstrap CI low", "lower bound of the bootstrap interval")
BOOT_CI_HIGH = _stat("boot_ci_high", "Bootstrap CI high", "upper bound of the bootstrap interval")
BOOT_SE = _stat("boot_se", "Bootstrap SE", "standard deviation of the bootstrap draws")

EFFECTIVE_F = _stat("effective_F", "Effective F (MOP)",
                    "Montiel Olea-Pflueger (2013) effective first-stage F, pi' S pi / tr(V_pi S) with S = z'z of the "
                    "partialled instruments and V_pi their first-stage covariance under the fit's convention; the "
                    "robust first-stage F with one instrument, the classical one with iid errors")
ANDERSON_RUBIN_F = _stat("anderson_rubin_F", "Anderson-Rubin F",
                         "Anderson-Rubin (1949) statistic of H0: endogenous coefficient = b0 (default 0): the Wald F "
                         "of the instruments in the regression of y - x b0, under the fit's covariance; weak-IV robust")
ANDERSON_RUBIN_P = _stat("anderson_rubin_p", "Anderson-Rubin p", "p-value of anderson_rubin_F, F(L, fit df)", P_VALUE)
AR_SET_LOW = _stat("anderson_rubin_low", "AR set low",
                   "lower end of the hull of the Anderson-Rubin set {b0 : AR(b0) <= F_crit(1 - alpha; L, df)} "
                   "(-inf: unbounded, which happens exactly when the first stage does not reject pi = 0)")
AR_SET_HIGH = _stat("anderson_rubin_high", "AR set high", "upper end of the same hull (see anderson_rubin_low)")

# ---------------------------------------------------------------- inference beyond the fit's covariance
WILD_P = _stat("wild_p", "Wild bootstrap p",
               "wild cluster bootstrap p-value of H0: the column's main coefficient = 0 (WCR for FE-OLS, WRE for "
               "FE-2SLS; symmetric, share of |t*| > |t|; analysis.estimators.inference.wild_bootstrap)", P_VALUE)
WILD_CI_LOW = _stat("wild_ci_low", "Wild bootstrap CI low",
                    "lower end of the wild bootstrap interval {r : p(r) > alpha}, each r imposed as the null "
                    "(test inversion, Roodman et al. 2019 boottest; WCU: estimate - q se, q the quantile of |t*|)")
WILD_CI_HIGH = _stat("wild_ci_high", "Wild bootstrap CI high", "upper end of the same interval (see wild_ci_low)")

# ---------------------------------------------------------------- split samples
PERM_P = _stat("perm_p", "Permutation p", "two-sided Fisher permutation p-value of the between-group difference",
               P_VALUE)
PERM_P_ONE_SIDED = _stat("perm_p_one_sided", "Permutation p (one-sided)",
                         "one-sided permutation p-value in the direction of the observed difference", P_VALUE)
SUEST_Z = _stat("suest_z", "SUR z", "seemingly-unrelated (suest) z of the between-group difference")
SUEST_P = _stat("suest_p", "SUR p", "two-sided normal p-value of suest_z", P_VALUE)


def threshold_f(stage: int) -> str:
    """Hansen (1999) F of the ``stage``-th threshold (``"F1"``, ``"F2"``, ``"F3"``)."""
    return f"F{int(stage)}"


def first_stage_f(endog: str | None = None) -> str:
    """First-stage F; with several endogenous regressors one per regressor, ``first_stage_F[x]``."""
    return FIRST_STAGE_F if endog is None else f"{FIRST_STAGE_F}[{endog}]"


def stock_yogo_key(kind: str, percent: int) -> str:
    """Stock-Yogo (2005) critical value: ``kind`` "size" (maximal 2SLS size) or "bias" (relative bias)."""
    return f"SY_{kind}_{int(percent)}%"


#: the names (lower-cased) under which tables print the number of observations, itself a count
N_NAMES = ("n", "nobs", "obs", "obs.", "observations", "number of observations")


def is_count(name: str) -> bool:
    """True if the statistic ``name`` is a count, printed without decimals: the number of observations under
    any of ``N_NAMES``, a constant of kind ``count`` (``N_CLUSTERS``) or its table label (``"Clusters"``).
    The one place that decides it for ``summary()``, ``etable`` and the replicated tables."""
    text = str(name).strip()
    if text.lower() in N_NAMES:
        return True
    stat = lookup(text)
    if stat is not None:
        return stat.kind == COUNT
    return any(s.kind == COUNT and s.label == text for s in STATISTICS.values())


def lookup(name: str) -> Stat | None:
    """The constant named ``name`` (one of the families above resolves to a plain description)."""
    if name in STATISTICS:
        return STATISTICS[name]
    if name.startswith(f"{FIRST_STAGE_F}["):
        return Stat(name, f"First-stage F ({name[len(FIRST_STAGE_F) + 1:-1]})", FIRST_STAGE_F.doc)
    if len(name) == 2 and name[0] == "F" and name[1].isdigit():
        return Stat(name, f"Threshold F{name[1]}", f"Hansen (1999) F of the test of {int(name[1]) - 1} "
                                                   f"against {name[1]} threshold(s)")
    if name.startswith("SY_"):
        return Stat(name, "Stock-Yogo " + name[3:].replace("_", " "), "Stock-Yogo (2005) critical value")
    return None


# ---------------------------------------------------------------- info keys
INFO_KEYS: dict[str, str] = {
    "formula": "the formula as given (formula-based estimators)",
    "dep_var": "name of the dependent variable",
    "fe": "list of the fixed-effect columns absorbed ([] if none)",
    "cluster": "column the covariance is clustered on, None if not clustered",
    "vcov": "covariance type: 'iid', 'HC1', 'CR1' (the engine's conventions, "
            "analysis.estimators.fixed_effects) or the estimator's own (e.g. 'Windmeijer', 'ML information')",
    "df_k": "K of the small-sample factor: slopes + absorbed fixed effects not nested in the clusters",
    "controls": "list of the control variables",
    "entity": "panel unit column",
    "time": "panel period column",
    "seed": "random seed of the draws",
    "resid": "residuals of the (demeaned) estimation sample, in its row order",
    "n_excluded": "rows dropped by the estimator's ``exclude`` argument",
    "n_dropped_na": "rows dropped for missing outcome or controls (listwise)",
}

__all__ += [name for name, value in list(globals().items()) if isinstance(value, Stat)]
