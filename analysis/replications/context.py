"""What a replication run knows besides the panel: :class:`RunContext`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from analysis.replications.truth import TruthResolver, truth_value
from ingestion.settings import DEFAULT_SEED

__all__ = ["RunContext"]


@dataclass
class RunContext:
    """The warehouse, the planted truth, the random seed of every draw and the test-only overrides.

    ``fast`` holds small draw counts (``n_boot``, ``n_perm``, ``n_draws``, ``n_trees``) passed ONLY by
    the test suite so that the tiny world runs in seconds; ``None`` keeps every study's own numbers.
    ``cache`` is shared by the columns of one study (paired IV stages, the two sides of a split, the
    weights matrices) and cleared between studies. ``executor`` (``ingestion.executor``; ``None``: serial)
    runs the chunks of draws of the estimators that take one (placebo, threshold bootstrap).
    """

    warehouse: Path
    truth: Mapping[str, Any] | None = None
    seed: int = DEFAULT_SEED
    fast: Mapping[str, int] | None = None
    echo: Callable[..., None] = print
    cache: dict = field(default_factory=dict)
    executor: Any = None

    def draws(self, name: str, default: int) -> int:
        """A study's number of draws ``name``, or the test suite's smaller one."""
        return int(self.fast[name]) if self.fast and name in self.fast else default

    def truth_value(self, key: str):
        """The planted parameter ``key`` of this run's world (see :func:`.truth.truth_value`)."""
        return truth_value(self.truth, key)

    def resolver(self, panel) -> TruthResolver:
        """The planted-truth resolver of this run's world for the study whose panel is ``panel`` (kept in
        ``cache`` for the study's tables)."""
        key = ("truth", id(panel))
        if key not in self.cache:
            self.cache[key] = TruthResolver(self.truth, self.warehouse, panel)
        return self.cache[key]
