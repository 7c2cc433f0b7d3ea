"""``MartSuite``: what a mart must satisfy, declared in code (one module per mart in ``suites/``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import great_expectations as gx
import pandas as pd

from expectations.checks import Check, columns_present
from expectations.drift import drift_checks
from ingestion.vocabulary import dbt_vars  # noqa: F401  (the suites read dbt's vars through here)

# one YAML per mart beside its SQL: dbt_project/models/marts/<mart>.yml (description, contract, tests)
MARTS_DIR = Path("dbt_project") / "models" / "marts"


@dataclass(frozen=True)
class MartSuite:
    """One GX expectation suite guarding one mart.

    ``key`` names the offending rows in failure messages; ``checks`` are the rules; ``drift_columns``
    are the key columns whose means are compared with the last successful check; ``skip_columns`` are
    not read (geometry blobs).
    """

    mart: str
    key: tuple[str, ...]
    checks: tuple[Check, ...]
    drift_columns: tuple[str, ...] = ()
    skip_columns: tuple[str, ...] = ()
    schema: str = "marts"
    row_id: tuple[str, ...] = field(default=())

    @property
    def sample_columns(self) -> list[str]:
        """Columns shown beside each offending value."""
        return list(self.row_id or self.key)

    def all_checks(self, previous: dict | None = None) -> list[Check]:
        """The mart's checks: its documented columns present, its own rules, drift against ``previous``."""
        documented = [c for c in documented_columns(self.mart) if c not in self.skip_columns]
        head = [columns_present(documented)] if documented else []
        checks = [*head, *self.checks, *drift_checks(previous)]
        names = [c.name for c in checks]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"suite {self.mart}: check names must be unique, repeated: {', '.join(duplicated)}")
        return checks

    def prepare(self, frame: pd.DataFrame, checks: list[Check]) -> pd.DataFrame:
        """The mart frame plus the derived ``check__*`` columns its checks read (the input is not changed).

        A derived column that cannot be computed (an input column missing or of the wrong type) is
        left out: its expectation then fails on the missing column, so the run still fails loudly and
        the other checks still run.
        """
        derived: dict[str, pd.Series] = {}
        for check in checks:
            for name, fn in check.derive.items():
                try:
                    derived[name] = fn(frame)
                except Exception:  # noqa: BLE001 - reported as the check's failure, see above
                    continue
        return frame.assign(**derived) if derived else frame.copy()

    def expectation_suite(self, checks: list[Check], *, drift_severity: str | None = None,
                          name: str | None = None) -> gx.ExpectationSuite:
        """The GX suite (built in one go: ``add_expectation`` compares each new expectation with all
        earlier ones, quadratic in the suite's size)."""
        expectations = [check.expectation(drift_severity if (drift_severity and check.name.startswith("drift:"))
                                          else None) for check in checks]
        return gx.ExpectationSuite(name=name or self.mart, expectations=expectations,
                                   meta={"mart": f"{self.schema}.{self.mart}"})


@lru_cache(maxsize=None)
def _mart_yaml(mart: str) -> dict:
    from ingestion.settings import repo_root
    import yaml

    path = repo_root() / MARTS_DIR / f"{mart}.yml"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no dbt YAML for mart {mart!r}; every mart documents its columns "
                                "(its contract) in <mart>.yml beside its SQL")
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def documented_columns(mart: str) -> list[str]:
    """The mart's columns as documented in dbt's ``marts/<mart>.yml`` (its enforced contract)."""
    for model in _mart_yaml(mart).get("models", []):
        if model.get("name") == mart:
            return [c["name"] for c in model.get("columns", []) if c.get("data_type") != "blob"]
    raise ValueError(f"{MARTS_DIR / (mart + '.yml')}: does not document the model {mart!r}")
