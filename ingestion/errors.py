"""One error type for bad input: it names the file, where in it, what is wrong and how to fix it."""
from __future__ import annotations

from pathlib import Path


class DualcarbonError(Exception):
    """Base class of the errors the CLI reports on one line (no traceback)."""


class IngestError(DualcarbonError):
    """Bad input. Raised before anything is written, so the warehouse stays as it was."""

    def __init__(self, file: str | Path | None, where: str | None, problem: str, fix: str | None = None):
        self.file = str(file) if file is not None else None
        self.where = where
        self.problem = problem
        self.fix = fix
        parts = []
        if self.file:
            parts.append(self.file)
        if where:
            parts.append(where)
        head = ": ".join(parts)
        msg = f"{head}: {problem}" if head else problem
        if fix:
            msg += f". How to fix: {fix}"
        super().__init__(msg)


class WarehouseInUse(DualcarbonError):
    """Another process holds the warehouse for writing."""


class ConfigError(DualcarbonError):
    """A setting (path, world, source name) is not usable."""


class ClusterUnreachable(DualcarbonError):
    """``--dask ADDRESS`` names no scheduler that answers (raised before any file is read)."""


class ClusterFailed(DualcarbonError):
    """A task failed on the Dask cluster after Dask's retries (a worker died too often): nothing is written."""
