"""Observations a Poisson model cannot fit: fixed-effect groups with an all-zero outcome and, more generally,
separation (Santos Silva & Tenreyro 2010; Correia, Guimarães & Zylkin 2021).

At such observations the likelihood keeps rising as their fitted value goes to zero, so the maximum does not
exist; dropping them leaves the estimates of every other parameter unchanged (Correia et al. 2021, Prop. 3).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

from .. import kernels
from .._errors import ChipwarError, ChipwarWarning, ConvergenceWarning
from ..model.design import Design, restrict_design

CHECKS = ("fe", "ir")


def separation_checks(separation: object) -> tuple[str, ...]:
    """The checks named by fepois's ``separation`` argument: True (both), False or None (none), or a subset of
    ``"fe"`` and ``"ir"`` (a string or a list of them)."""
    if separation is True:
        return CHECKS
    if separation is False or separation is None:
        return ()
    names = [separation] if isinstance(separation, str) else separation
    if isinstance(names, Sequence) and all(isinstance(c, str) and c in CHECKS for c in names):
        return tuple(c for c in CHECKS if c in names)
    raise ChipwarError(
        f'separation={separation!r} is not understood; use True (both checks), False (none), "fe" (all-zero '
        'fixed-effect groups, as fixest), "ir" (iterated rectifier) or ["fe", "ir"]'
    )


@dataclass
class SeparationReport:
    """What :func:`drop_separated` removed."""

    n_separated: int = 0  # all-zero fixed-effect groups plus rectifier-detected separation
    n_singletons: int = 0  # singletons that appeared only after separated rows were dropped
    relu_iterations: int = 0
    relu_skipped: int = 0  # rectifier runs made unnecessary by the full-rank condition on the positive rows


def drop_separated(
    design: Design,
    fixef_rm: str = "singleton",
    tol: float = 1e-6,
    max_iter: int = 1000,
    checks: tuple[str, ...] = CHECKS,
) -> tuple[Design, SeparationReport]:
    """Drop separated observations (and the singletons their removal creates) until none are left.

    Two checks run in turn: ``"fe"``, the fixed-effect check (a group of any fixed effect whose outcome is zero
    throughout), and ``"ir"``, the iterated rectifier ("ReLU") method of Correia, Guimarães & Zylkin (2021), which
    finds separation by the regressors and fixed effects jointly. The rectifier is skipped when the rows with
    y > 0 have the full rank of the design (Santos Silva & Tenreyro 2010's sufficient condition for the estimates
    to exist), which takes one demeaning instead of one per rectifier step. One warning reports the total.
    ``design`` is restricted in place (its old arrays are freed while the checks run) and returned.
    """
    report = SeparationReport()
    while True:
        changed = False
        if design.fe_names and "fe" in checks:
            zero = kernels.zero_outcome_groups(design.y, design.fe_codes, design.n_groups)
            if zero.any():
                report.n_separated += int(zero.sum())
                design = restrict_design(design, ~zero, in_place=True)
                changed = True
            if fixef_rm == "singleton":
                single = ~kernels.singleton_keep_mask(design.fe_codes, design.n_groups)
                if single.any():
                    report.n_singletons += int(single.sum())
                    design = restrict_design(design, ~single, in_place=True)
                    changed = True
        if changed:
            continue
        if "ir" not in checks:
            break
        if kernels.separation_impossible(design.x, design.y, design.fe_codes, design.n_groups):
            report.relu_skipped += 1
            break
        separated, iterations, converged = kernels.relu_separation(
            design.x, design.y, design.fe_codes, design.n_groups, tol, max_iter
        )
        report.relu_iterations += iterations
        if not converged:
            warnings.warn(
                f"the separation check (iterated rectifier) did not converge in {max_iter} iterations; "
                "some separated observations may remain (estimates of their fixed effects diverge)",
                ConvergenceWarning,
                stacklevel=3,
            )
        if not separated.any():
            break
        report.n_separated += int(separated.sum())
        design = restrict_design(design, ~separated, in_place=True)
    if report.n_separated:
        warnings.warn(
            f"{report.n_separated} observation(s) removed because of separation (their fitted value is zero at the "
            "optimum, e.g. a fixed-effect group with an all-zero outcome)"
            + (f"; {report.n_singletons} singleton(s) removed after that" if report.n_singletons else ""),
            ChipwarWarning,
            stacklevel=3,
        )
    return design, report
