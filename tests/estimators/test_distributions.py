"""The estimators' reference distributions (``analysis.estimators.distributions``) and the light import.

They must equal scipy.stats to the last bit (the replication outputs do not move), and importing the
estimators must not import scipy.stats, scipy.optimize or scikit-learn: those cost about a second of a
fresh process's first estimate (the cold start of an event study, ``bench/bench_event_study.py``).
"""
import subprocess
import sys
from pathlib import Path

import numpy as np
from scipy import stats

from analysis.estimators import distributions as dist

ROOT = Path(__file__).resolve().parents[2]


def test_equal_to_scipy_stats():
    x = np.linspace(-6, 40, 400)
    q = np.linspace(1e-4, 1 - 1e-4, 201)
    np.testing.assert_array_equal(dist.norm_sf(x), stats.norm.sf(x))
    np.testing.assert_array_equal(dist.norm_cdf(x), stats.norm.cdf(x))
    np.testing.assert_array_equal(dist.norm_ppf(q), stats.norm.ppf(q))
    for df in (1, 2.5, 29, 1e4):
        np.testing.assert_array_equal(dist.t_sf(x, df), stats.t.sf(x, df))
        np.testing.assert_array_equal(dist.t_ppf(q, df), stats.t.ppf(q, df))
        np.testing.assert_array_equal(dist.chi2_sf(np.abs(x), df), stats.chi2.sf(np.abs(x), df))
        np.testing.assert_array_equal(dist.chi2_ppf(q, df), stats.chi2.ppf(q, df))
        np.testing.assert_array_equal(dist.f_sf(np.abs(x), df, 17), stats.f.sf(np.abs(x), df, 17))
        np.testing.assert_array_equal(dist.f_ppf(q, df, 17), stats.f.ppf(q, df, 17))


def test_importing_the_estimators_stays_light():
    code = ("import sys; import analysis.estimators; "
            "print(sorted(m for m in ('scipy.stats', 'scipy.optimize', 'sklearn', 'statsmodels', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"
