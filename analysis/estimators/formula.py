"""Formulas of the formula-based estimators (``fit_fe``, ``fit_iv``, ``compare_groups``).

``parse_formula("y ~ x1 + x2 | fe1 + fe2 | endog ~ z1 + z2")`` reads the pyfixest-style formula; the input
checks (unknown columns, the missing-values policy, vcov forms) are ``analysis.estimators.inputs``'. The fixed
effects themselves (demeaning, degrees of freedom, covariances) are the engine's:
``analysis.estimators.fixed_effects``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


# ---------------------------------------------------------------------------- formula
@dataclass(frozen=True)
class Formula:
    """A parsed pyfixest-style formula ``y ~ x1 + x2 | fe1 + fe2 | endog ~ z1 + z2``."""

    y: str
    exog: tuple[str, ...]
    fe: tuple[str, ...] = ()
    endog: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    intercept: bool = True

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys([self.y, *self.exog, *self.fe, *self.endog, *self.instruments]))


def _terms(text: str, where: str) -> tuple[list[str], bool]:
    terms, intercept = [], True
    for raw in text.split("+"):
        term = raw.strip()
        if term in ("", "1"):
            continue
        if term in ("0", "-1"):
            intercept = False
            continue
        if not _NAME.match(term):
            raise ValueError(
                f"formula term {term!r} in {where} is not a plain column name; create the "
                "transformed column in the data first (e.g. data['ln_x'] = np.log(data['x']))"
            )
        terms.append(term)
    return terms, intercept


def parse_formula(formula: str) -> Formula:
    """Parse ``"y ~ x1 + x2 | fe1 + fe2 | endog ~ z1 + z2"`` (FE and IV parts optional).

    With two parts the second is the IV part if it contains ``~``, otherwise the FE part.
    """
    if not isinstance(formula, str) or "~" not in formula:
        raise ValueError(f"formula must look like 'y ~ x1 + x2 | fe1 + fe2', got {formula!r}")
    parts = [p.strip() for p in formula.split("|")]
    if len(parts) > 3:
        raise ValueError(f"formula has more than three '|' parts: {formula!r}")
    lhs, rhs = parts[0].split("~", 1)
    y = lhs.strip()
    if not _NAME.match(y):
        raise ValueError(f"dependent variable {y!r} must be a plain column name")
    exog, intercept = _terms(rhs, "the regressors")
    fe: list[str] = []
    endog: list[str] = []
    inst: list[str] = []
    for part in parts[1:]:
        if "~" in part:
            e, z = part.split("~", 1)
            endog, _ = _terms(e, "the endogenous part")
            inst, _ = _terms(z, "the instruments")
            if not endog or not inst:
                raise ValueError(f"IV part {part!r} needs 'endog ~ instrument(s)'")
        else:
            if part.strip() in ("", "0"):
                continue
            fe, _ = _terms(part, "the fixed effects")
    return Formula(y, tuple(exog), tuple(fe), tuple(endog), tuple(inst), intercept and not fe)
