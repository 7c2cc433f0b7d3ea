"""The nuisance learners of ``fit_dml``: scikit-learn regressors by short name, with the settings that
change numbers (trees, depth, penalty grid) written once."""
from __future__ import annotations

from typing import Any

__all__ = ["LEARNERS", "LEARNER_LABELS", "make_learner"]

LEARNERS = ("rf", "lasso", "gbm", "svm", "stack", "ols")
LEARNER_LABELS = {"rf": "RF", "lasso": "Lassocv", "gbm": "Gradboost", "svm": "Svm", "stack": "Stack", "ols": "OLS"}


def make_learner(name: str | Any, seed: int = 0, params: dict | None = None, n_jobs: int | None = -1):
    """A fresh scikit-learn regressor for a learner name (or a clone of a given estimator).

    rf: RandomForestRegressor(100 trees, min_samples_leaf=5, max_features=1/3, Breiman's p/3 for
    regression); lasso: standardise + LassoCV(5-fold, 50 alphas); gbm: GradientBoostingRegressor(100 trees,
    depth 3, learning rate 0.1, subsample 0.8); svm: standardise X and y + RBF SVR(C=1, epsilon=0.1);
    stack: StackingRegressor(rf, lasso, gbm) with a non-negative linear meta-learner;
    ols: LinearRegression (used to validate against hand-coded partialling-out).
    ``params`` overrides the constructor arguments of the base estimator (for ``stack``: a dict of
    such overrides per base learner, ``{"rf": {...}, "gbm": {...}}``).
    """
    from sklearn.base import clone, is_regressor
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor, StackingRegressor
    from sklearn.linear_model import LassoCV, LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVR

    params = dict(params or {})
    if not isinstance(name, str):
        if not is_regressor(name):
            raise ValueError(f"learner {name!r} is not a scikit-learn regressor")
        return clone(name).set_params(**params) if params else clone(name)
    if name == "rf":
        kw = dict(n_estimators=100, min_samples_leaf=5, max_features=1 / 3, n_jobs=n_jobs, random_state=seed)
        return RandomForestRegressor(**{**kw, **params})
    if name == "lasso":
        kw = dict(cv=5, alphas=50, max_iter=5000, random_state=seed)
        return make_pipeline(StandardScaler(), LassoCV(**{**kw, **params}))
    if name == "gbm":
        kw = dict(n_estimators=100, max_depth=3, learning_rate=0.1, subsample=0.8, random_state=seed)
        return GradientBoostingRegressor(**{**kw, **params})
    if name == "svm":
        kw = dict(C=1.0, epsilon=0.1, kernel="rbf")
        return TransformedTargetRegressor(regressor=make_pipeline(StandardScaler(), SVR(**{**kw, **params})),
                                          transformer=StandardScaler())
    if name == "stack":
        # params for the stack: {"rf": {...}, "lasso": {...}, "gbm": {...}} passed to each base learner
        base = [(k, make_learner(k, seed, params.get(k), n_jobs)) for k in ("rf", "lasso", "gbm")]
        return StackingRegressor(estimators=base, final_estimator=LinearRegression(positive=True), cv=3)
    if name == "ols":
        return LinearRegression(**params)
    raise ValueError(f"unknown learner {name!r}; choose one of {LEARNERS} or pass a scikit-learn regressor")
