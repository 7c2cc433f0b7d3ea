"""Every setting the project reads from the environment, in one place, and the paths derived from them.

The command line, the loaders, the analysis package, the expectations and dbt's ``profiles.yml`` (which
reads ``DUALCARBON_WAREHOUSE`` through dbt's ``env_var``) all take their settings from here; no other
module reads a ``DUALCARBON_*`` variable.

| variable | meaning | default |
|---|---|---|
| ``DUALCARBON_WAREHOUSE`` | the DuckDB file | ``warehouse/dualcarbon.duckdb`` of the project root |
| ``DUALCARBON_TRUTH`` | the sample world's ``truth.json`` | found beside the warehouse (see ``truth_candidates``) |
| ``DUALCARBON_REPLICATIONS`` | the replications folder the report reads | ``replications/`` beside the report |
| ``DUALCARBON_DBT_DOCS`` | dbt's docs page the report links | ``dbt_docs/`` beside the report, or ``work/dbt_docs`` |
| ``DUALCARBON_DRIFT`` | drift policy of the expectations: ``fail``, ``warn`` or ``off`` | ``fail`` |
| ``DUALCARBON_NTL_LAYER`` | the VIIRS VNL radiance layer summed as ``ntl``: ``average_masked``, ``average``, ``median_masked`` or ``median`` | ``average_masked`` |
| ``DUALCARBON_DASK_TIMEOUT`` | seconds ``--dask tcp://...`` waits for the scheduler to answer before giving up | ``10`` |

Two of them change what a loader writes (``LOADER_SETTINGS``): ``DUALCARBON_PILOT_PROVINCES`` (policy_lists)
and ``DUALCARBON_NTL_LAYER`` (ntl). A source names the ones its reader reads (``Source.settings``); every load
records their values with its other inputs (``raw._loads.inputs``), and a changed value reloads the source
(``ingestion.load``: "policy_lists  reloaded, setting DUALCARBON_PILOT_PROVINCES changed (refuse -> expand)").

Default paths (the warehouse, ``work/``, the replications and report folders) are resolved against the
project root (:func:`repo_root`), so a command run from another folder finds the same files; a path given
on the command line or in a variable is taken as given (relative to the working directory). Commands print
paths absolute. ``DEFAULT_SEED`` is the random seed of ``dualcarbon run`` (and ``make run``, which passes
no seed), of the replications' draws and the first seed of ``dualcarbon validate``.
"""
from __future__ import annotations

import os
from pathlib import Path

DEFAULT_WAREHOUSE = Path("warehouse") / "dualcarbon.duckdb"   # relative to the project root
DEFAULT_SEED = 20240601
WAREHOUSE_ENV = "DUALCARBON_WAREHOUSE"
TRUTH_ENV = "DUALCARBON_TRUTH"
REPLICATIONS_ENV = "DUALCARBON_REPLICATIONS"
DBT_DOCS_ENV = "DUALCARBON_DBT_DOCS"
DRIFT_ENV = "DUALCARBON_DRIFT"
DRIFT_MODES = ("fail", "warn", "off")
PILOT_PROVINCES_ENV = "DUALCARBON_PILOT_PROVINCES"
PILOT_PROVINCE_RULES = ("refuse", "expand")  # a pilot list row naming a province (the 2010 low-carbon batch)
NTL_LAYER_ENV = "DUALCARBON_NTL_LAYER"
NTL_LAYERS = ("average_masked", "average", "median_masked", "median")  # the VNL layers that are radiance
DASK_TIMEOUT_ENV = "DUALCARBON_DASK_TIMEOUT"
DASK_TIMEOUT_S = 10.0
DASK_TASK_RETRIES = 2   # a task whose worker raised is run again this many times (a dead worker: Dask's own rule)


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value) if value else None


def resolve_warehouse(path: str | os.PathLike | None = None) -> Path:
    """``--warehouse`` if given, else ``$DUALCARBON_WAREHOUSE``, else ``warehouse/dualcarbon.duckdb`` of the
    project root; absolute."""
    if path:
        return Path(path).resolve()
    named = _env_path(WAREHOUSE_ENV)
    return named.resolve() if named else project_path(DEFAULT_WAREHOUSE)


def project_path(default: str | os.PathLike) -> Path:
    """A default path of the project (``work``, ``replications``, ...) resolved against the project root."""
    return (repo_root() / default).resolve()


def truth_file() -> Path | None:
    """``$DUALCARBON_TRUTH``: the sample world's ``truth.json`` when named explicitly, else None."""
    return _env_path(TRUTH_ENV)


def replications_dir() -> Path | None:
    """``$DUALCARBON_REPLICATIONS``: the replications the report reads when named explicitly, else None."""
    return _env_path(REPLICATIONS_ENV)


def dbt_docs_dir() -> Path | None:
    """``$DUALCARBON_DBT_DOCS``: the folder of dbt's docs page the report links, else None."""
    return _env_path(DBT_DOCS_ENV)


def drift_mode(given: str | None = None) -> str:
    """The expectations' drift policy: ``given``, else ``$DUALCARBON_DRIFT``, else ``fail``."""
    mode = given or os.environ.get(DRIFT_ENV) or "fail"
    if mode not in DRIFT_MODES:
        raise ValueError(f"drift mode {mode!r}: use one of {', '.join(DRIFT_MODES)} ({DRIFT_ENV} or --drift)")
    return mode


_LOADER_SETTINGS_READ: set[str] = set()


def _loader_choice(env: str, choices: tuple[str, ...], what: str = "") -> str:
    """A setting of ``LOADER_SETTINGS`` that names one of ``choices`` (unset: the first), recorded as read."""
    from ingestion.errors import ConfigError

    _LOADER_SETTINGS_READ.add(env)
    value = os.environ.get(env) or choices[0]
    if value not in choices:
        raise ConfigError(f"{env}={value!r}: use one of {', '.join(choices)}{what}")
    return value


def pilot_provinces() -> str:
    """What a pilot list row naming a province means: ``refuse`` (default: an error asking to choose) or
    ``expand`` (every prefecture-level unit of the province in the code table of the batch's year is listed),
    from ``$DUALCARBON_PILOT_PROVINCES``."""
    return _loader_choice(PILOT_PROVINCES_ENV, PILOT_PROVINCE_RULES)


def ntl_layer() -> str:
    """The VIIRS VNL radiance layer the lights loader sums: ``$DUALCARBON_NTL_LAYER``, else ``average_masked``."""
    return _loader_choice(NTL_LAYER_ENV, NTL_LAYERS, " (the radiance layers)")


# the settings that change a loader's rows -> the function giving their value in effect (default included)
LOADER_SETTINGS = {PILOT_PROVINCES_ENV: pilot_provinces, NTL_LAYER_ENV: ntl_layer}


def loader_setting(name: str) -> str:
    """The value in effect of a setting of ``LOADER_SETTINGS`` (unset = its default): what a load records."""
    return LOADER_SETTINGS[name]()


def loader_settings_read() -> frozenset[str]:
    """Every setting of ``LOADER_SETTINGS`` this process has read: the test of the loaders' declared inputs
    (``Source.settings``) observes it, as it observes the seeds read."""
    return frozenset(_LOADER_SETTINGS_READ)


def dask_timeout() -> float:
    """Seconds ``--dask tcp://HOST:PORT`` waits for the scheduler: ``$DUALCARBON_DASK_TIMEOUT``, else 10."""
    from ingestion.errors import ConfigError

    value = os.environ.get(DASK_TIMEOUT_ENV) or str(DASK_TIMEOUT_S)
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ConfigError(f"{DASK_TIMEOUT_ENV}={value!r}: give a positive number of seconds")
    return seconds


def repo_root() -> Path:
    """The repository root (where dbt_project.yml lives)."""
    return Path(__file__).resolve().parents[1]


def inside(path: Path, root: Path) -> bool:
    """True if ``path`` resolves to a location inside ``root`` (no escaping through .. or links)."""
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False
