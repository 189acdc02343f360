"""One treated unit against donor units: synthetic control (``cw.synth``), synthetic DiD (``cw.sdid``) and a
two-way fixed-effects DiD (``cw.feols``) with placebo-in-space inference, plus placebo waves.

Used for China's semiconductor patenting, China's fab build-out and China's real chip exports. The DiD is always
available; its standard error is the placebo (permutation) standard error of Arkhangelsky et al. (2021, Algorithm 4):
each donor in turn is treated as if it were the treated unit, among the other donors, and the spread of those
placebo estimates is the standard error. With a single treated unit a clustered standard error would have one
cluster on the treated side and cannot be used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .._errors import ChipwarError
from . import _estimators

Z95 = 1.959963984540054  # normal quantile of the 95% intervals


@dataclass
class SingleUnitResult:
    """Estimates of one section that compares one treated unit with donors.

    Attributes
    ----------
    estimates : DataFrame
        ``estimator, estimate, se, conf_low, conf_high, p_value`` and, on simulated data, ``truth, covered``.
    placebos : DataFrame
        Placebo waves: ``first_year, estimator, estimate, se, conf_low, conf_high, covered_zero``.
    path : DataFrame
        ``year, treated, comparison, gap`` (DiD: donors' mean shifted to the treated unit's pre-period level) and
        ``true_gap`` (the injected effect on the outcome; simulated data only).
    donor_gaps : DataFrame
        Year x donor gaps of the placebo-in-space DiDs (for the figure).
    notes : list of str
    """

    estimates: pd.DataFrame
    placebos: pd.DataFrame
    path: pd.DataFrame
    donor_gaps: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _matrix(panel: pd.DataFrame, column: str) -> pd.DataFrame:
    wide = panel.pivot(index="unit", columns="year", values=column)
    if wide.isna().any().any():
        raise ChipwarError(f"the panel of {column!r} is not balanced after filtering; every unit needs every year")
    return wide


def _did_all_units(y: pd.DataFrame, first_year: int) -> pd.Series:
    """DiD of each unit against the mean of all others (balanced panel): the TWFE coefficient with that unit treated."""
    post = y.columns >= first_year
    change = y.loc[:, post].mean(axis=1) - y.loc[:, ~post].mean(axis=1)
    n = len(change)
    return change - (change.sum() - change) / (n - 1)


def _did(panel: pd.DataFrame, treated_unit: str, first_year: int) -> tuple[dict, pd.DataFrame]:
    """TWFE DiD via cw.feols, with the placebo standard error and permutation p-value over the donors."""
    data = panel.assign(treat=((panel["unit"] == treated_unit) & (panel["year"] >= first_year)).astype(float))
    fit = _estimators.get("feols")("y ~ treat | unit + year", data)
    estimate = float(fit.coef["treat"])
    y = _matrix(panel, "y")
    donors = y.drop(index=treated_unit)
    placebo = _did_all_units(donors, first_year)
    se = float(np.sqrt(np.mean((placebo - placebo.mean()) ** 2)))
    p_value = float((1 + np.sum(np.abs(placebo) >= abs(estimate))) / (1 + len(placebo)))
    pre = y.columns < first_year
    # gaps of every unit against the mean of the other donors, each centred on its own pre-period mean
    others = (donors.sum() - donors) / (len(donors) - 1)
    donor_gaps = (donors - others).sub((donors - others).loc[:, pre].mean(axis=1), axis=0).T
    row = {
        "estimator": "did",
        "estimate": estimate,
        "se": se,
        "conf_low": estimate - Z95 * se,
        "conf_high": estimate + Z95 * se,
        "p_value": p_value,
    }
    return row, donor_gaps


def _synth(panel: pd.DataFrame, treated_unit: str, first_year: int) -> dict:
    """ADH synthetic control; it has no standard error, so inference is the placebo-in-space p-value only."""
    sc = _estimators.get("synth")(
        panel, outcome="y", unit="unit", time="year", treated_unit=treated_unit, treatment_time=first_year
    )
    placebo = sc.placebo("space")
    return {
        "estimator": "synth",
        "estimate": float(sc.att),
        "se": np.nan,
        "conf_low": np.nan,
        "conf_high": np.nan,
        "p_value": float(placebo.p_value),
    }


def _sdid(panel: pd.DataFrame, treated_unit: str, first_year: int, seed: int, reps: int) -> dict:
    data = panel.assign(treat=((panel["unit"] == treated_unit) & (panel["year"] >= first_year)).astype(int))
    est = _estimators.get("sdid")(
        data,
        outcome="y",
        unit="unit",
        time="year",
        treated="treat",
        estimator="sdid",
        se="placebo",
        reps=reps,
        seed=seed,
    )
    ci = est.confint()
    return {
        "estimator": "sdid",
        "estimate": float(est.estimate),
        "se": float(est.se),
        "conf_low": float(ci["conf_low"].iloc[0]),
        "conf_high": float(ci["conf_high"].iloc[0]),
        "p_value": est.pvalue,
    }


def _estimate(
    panel: pd.DataFrame,
    treated_unit: str,
    first_year: int,
    estimators: list[str],
    seed: int,
    reps: int,
    notes: list[str],
) -> tuple[list[dict], pd.DataFrame | None]:
    rows, donor_gaps = [], None
    for name in estimators:
        if name == "did":
            row, donor_gaps = _did(panel, treated_unit, first_year)
            rows.append(row)
        elif not _estimators.available(name):
            note = _estimators.missing_note(name, "the two-way fixed-effects DiD with placebo inference stands in.")
            if note not in notes:
                notes.append(note)
        elif name == "synth":
            rows.append(_synth(panel, treated_unit, first_year))
        else:
            rows.append(_sdid(panel, treated_unit, first_year, seed, reps))
    return rows, donor_gaps


def analyse(
    panel: pd.DataFrame,
    treated_unit: str,
    first_year: int,
    estimators: list[str],
    seed: int,
    placebo_waves: list[int],
    simulated: bool,
    reps: int = 200,
) -> SingleUnitResult:
    """Estimate the effect on ``treated_unit`` from ``first_year`` on.

    Parameters
    ----------
    panel : DataFrame
        Balanced ``unit, year, y, y_cf``: the outcome and its counterfactual without the injected effects (equal to
        ``y`` for real data).
    treated_unit : str
    first_year : int
        First treated year (the wave's first full year).
    estimators : list of str
        Among ``"synth"``, ``"sdid"``, ``"did"``; those not available are noted and skipped.
    seed : int
        Seed of the randomised inference (``sdid``).
    placebo_waves : list of int
        Fake first treated years, estimated on the years before ``first_year`` (by the estimators other than
        ``synth``, which has no interval to check against zero).
    simulated : bool
        Whether the truth (``y - y_cf``) is known.
    reps : int
        Placebo replications of ``sdid``'s standard error.

    Returns
    -------
    SingleUnitResult
    """
    if treated_unit not in set(panel["unit"]):
        raise ChipwarError(
            f"treated unit {treated_unit!r} is not in the panel (units: {sorted(panel['unit'].unique())[:10]}...)"
        )
    years = panel["year"]
    if not (years.min() < first_year <= years.max()):
        raise ChipwarError(
            f"first treated year {first_year} must lie inside the panel's years {years.min()}-{years.max()}"
        )
    notes: list[str] = []
    treated = panel[panel["unit"] == treated_unit].set_index("year").sort_index()
    true_gap = treated["y"] - treated["y_cf"]
    truth = float(true_gap[true_gap.index >= first_year].mean())
    rows, donor_gaps = _estimate(panel, treated_unit, first_year, estimators, seed, reps, notes)
    estimates = pd.DataFrame(rows)
    if simulated:
        estimates["truth"] = truth
        covered = (estimates["conf_low"] <= truth) & (truth <= estimates["conf_high"])
        # no interval (synth), no verdict
        estimates["covered"] = covered.astype(object).where(estimates["conf_low"].notna(), None)

    placebo_rows = []
    for fake in placebo_waves:
        before = panel[panel["year"] < first_year]
        if not (before["year"].min() < fake <= before["year"].max()):
            raise ChipwarError(
                f"placebo wave {fake} must lie inside the pre-treatment years "
                f"{before['year'].min()}-{before['year'].max()}"
            )
        # the estimators with an interval: synth's in-space placebo refits every donor and adds no interval to test
        fake_rows, _ = _estimate(before, treated_unit, fake, [e for e in estimators if e != "synth"], seed, reps, notes)
        placebo_rows += [{"first_year": fake, **row} for row in fake_rows]
    placebos = pd.DataFrame(
        placebo_rows, columns=["first_year", "estimator", "estimate", "se", "conf_low", "conf_high", "p_value"]
    )
    covered = (placebos["conf_low"] <= 0) & (placebos["conf_high"] >= 0)
    placebos["covered_zero"] = covered.astype(object).where(placebos["conf_low"].notna(), None)

    donors = panel[panel["unit"] != treated_unit].groupby("year")["y"].mean()
    pre = treated.index < first_year
    shift = (treated["y"] - donors)[pre].mean()
    path = pd.DataFrame(
        {"year": treated.index, "treated": treated["y"].to_numpy(), "comparison": (donors + shift).to_numpy()}
    )
    path["gap"] = path["treated"] - path["comparison"]
    if simulated:
        path["true_gap"] = true_gap.to_numpy()
    return SingleUnitResult(estimates, placebos, path, donor_gaps, notes)


def plot(result: SingleUnitResult, first_year: int, ylabel: str, treated_label: str) -> Figure:
    """Two panels: the treated unit against the DiD comparison, and its gap among the donors' placebo gaps."""
    fig = Figure(figsize=(10, 4))
    left, right = fig.subplots(1, 2)
    path = result.path
    left.plot(path["year"], path["treated"], color="C3", label=treated_label)
    left.plot(path["year"], path["comparison"], color="C0", ls="--", label="donors (DiD comparison)")
    left.axvline(first_year - 0.5, color="grey", lw=0.8)
    left.set(xlabel="year", ylabel=ylabel, title="Treated unit and comparison")
    left.legend(frameon=False)
    if result.donor_gaps is not None:
        right.plot(result.donor_gaps.index, result.donor_gaps.to_numpy(), color="0.8", lw=0.7)
    right.plot(path["year"], path["gap"], color="C3", lw=2, label=f"{treated_label} gap")
    if "true_gap" in path:
        right.plot(path["year"], path["true_gap"], color="k", ls=":", label="true effect (simulated)")
    right.axhline(0, color="grey", lw=0.8)
    right.axvline(first_year - 0.5, color="grey", lw=0.8)
    right.set(xlabel="year", ylabel="gap", title="Gap, with placebo gaps of the donors (grey)")
    right.legend(frameon=False)
    for ax in (left, right):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return fig
