"""Which studies the package replicates: every module ``s<NNN>.py`` of this package that declares
``STUDY`` (adding a study is adding its module, and its printed tables to ``published/``)."""
from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from analysis.replications.spec import StudySpec

__all__ = ["available_studies", "load_study"]

_MODULE = re.compile(r"s(\d{3})")


def available_studies() -> list[str]:
    """The study numbers (``"000"`` ...) whose module is in this checkout, in order."""
    names = (m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]))
    return sorted(m.group(1) for m in map(_MODULE.fullmatch, names) if m)


def load_study(study: str) -> StudySpec:
    """The ``STUDY`` declared by study ``study``'s module."""
    return importlib.import_module(f"analysis.replications.s{study}").STUDY
