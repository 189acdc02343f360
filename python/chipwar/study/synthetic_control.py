"""Section (a): synthetic control for China's semiconductor patenting around the first chip-control wave (2019).

The outcome is the log of an economy's semiconductor patents (CPC H01L and H10) over all its patents. Using the
share, not the count, removes each economy's overall patent growth, which for China (about 30% a year) lies far
outside what any weighted average of other economies can reproduce; what remains is whether China's patenting
shifted toward semiconductors after the controls.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import events
from .._errors import ChipwarError
from . import _text, single_unit
from .document import Paragraph, Plot, Section, Table


def panel(
    country_patents: pd.DataFrame, years: list[int], min_count: float, treated: str
) -> tuple[pd.DataFrame, str, list[str]]:
    """Balanced ``unit, year, y, y_cf`` of the log semiconductor share (or log count without totals).

    Donors need ``min_count`` semiconductor patents in every year of the window, since a log of a few patents is
    mostly noise; the treated unit is kept regardless but must have patents in every year.

    Returns
    -------
    (panel, outcome label, dropped donors)
    """
    data = country_patents[country_patents["year"].between(*years)]
    share = data["total"].notna().all()
    num, num_cf = data["semiconductor"], data["semiconductor_cf"]
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(num / data["total"]) if share else np.log(num)
        y_cf = np.log(num_cf / data["total_cf"]) if share else np.log(num_cf)
    frame = pd.DataFrame({"unit": data["unit"], "year": data["year"], "y": y, "y_cf": y_cf, "count": num})
    n_years = frame["year"].nunique()
    ok = frame.groupby("unit").agg(n=("y", lambda s: np.isfinite(s).sum()), low=("count", "min"))
    keep = ok.index[(ok["n"] == n_years) & (ok["low"] >= min_count)]
    if treated not in ok.index or ok.loc[treated, "n"] < n_years:
        raise ChipwarError(
            f"the treated unit {treated!r} needs semiconductor patents in every year {years[0]}-{years[1]}; "
            "narrow synthetic_control.years"
        )
    keep = keep.union([treated])
    label = "log(semiconductor / all patents)" if share else "log(semiconductor patents)"
    dropped = sorted(set(ok.index) - set(keep))
    return frame[frame["unit"].isin(keep)].drop(columns="count").reset_index(drop=True), label, dropped


def run(inputs, config: dict) -> Section:
    """Estimate, compare with the truth (default world) and write the section."""
    cfg = config["synthetic_control"]
    section = Section("synthetic_control", "(a) Synthetic control: China's semiconductor patenting after 2019")
    if inputs.country_patents is None:
        section.add(
            Paragraph("Not run: no patent table by economy was given (NCSES table 10557 or the default world).")
        )
        return section
    treated = cfg["treated"] if inputs.simulated else cfg["treated_ncses"]
    first_year = events.first_period(cfg["wave"])
    years = [
        max(cfg["years"][0], int(inputs.country_patents["year"].min())),
        min(cfg["years"][1], int(inputs.country_patents["year"].max())),
    ]
    data, label, dropped = panel(inputs.country_patents, years, cfg["min_count"], treated)
    result = single_unit.analyse(
        data,
        treated,
        first_year,
        cfg["estimators"],
        config["seed"],
        cfg["placebo_waves"],
        inputs.simulated,
        reps=cfg["reps"],
    )
    donors = data["unit"].nunique() - 1
    section.add(
        Paragraph(
            f"Outcome: {label} of each economy, {years[0]}-{years[1]}. Treated: {treated}, from {first_year}, the first "
            f"full year after the wave of {cfg['wave']} (Huawei's Entity List listing). Donors: {donors} economies with at "
            f"least {cfg['min_count']:g} semiconductor patents in every year ({len(dropped)} smaller economies left out)."
        )
    )
    for note in result.notes:
        section.add(Paragraph(note))
    section.add(
        Table(
            "a_estimates",
            result.estimates,
            "Average effect on the treated years, by estimator"
            + (" (truth: the injected effect on this outcome)" if inputs.simulated else ""),
        )
    )
    section.add(
        Table(
            "a_placebo_waves",
            result.placebos,
            "Placebo waves: fake first treated years, estimated on the "
            "years before the real wave (the effect should be zero)",
        )
    )
    section.add(Table("a_path", result.path, "Treated unit, DiD comparison and gap by year"))
    section.add(
        Plot(
            "a_synthetic_control",
            single_unit.plot(result, first_year, label, treated),
            f"{treated} against the donors; right: its gap among the donors' placebo gaps",
        )
    )
    counts = inputs.country_patents.query("unit == @treated").set_index("year")["semiconductor"]
    section.add(Paragraph(_conclusion(result, inputs.simulated, first_year, counts[counts.index <= years[1]])))
    section.summary = result.estimates.assign(section="a", effect="China's semiconductor patent share")
    return section


def _conclusion(result: single_unit.SingleUnitResult, simulated: bool, first_year: int, counts: pd.Series) -> str:
    """The plain-language conclusion; ``counts`` are the treated unit's semiconductor patents by year."""
    main = result.estimates.iloc[0]
    text = (
        f"**Conclusion.** With {main['estimator']}, China's semiconductor share of patents changed by "
        f"{_text.estimate(main['estimate'], main['conf_low'], main['conf_high'])} log points "
        f"({_text.percent(main['estimate'])}) relative to the donors from {first_year} on "
        f"(placebo p-value {main['p_value']:.3f})."
    )
    if simulated:
        return text + (
            f" On this SIMULATED world {_text.verdict(main['truth'], main['conf_low'], main['conf_high'])}. "
            "In plain words: China's semiconductor share of patenting "
            f"{_text.moved(main['conf_low'], main['conf_high'])} after the first wave."
        )
    last = int(counts.index.max())
    shows = (
        f" **What these real data show:** China's USPTO semiconductor patents went from "
        f"{counts.loc[first_year - 1]:,.0f} in {first_year - 1} to {counts.loc[last]:,.0f} in {last} "
        f"({_text.percent(np.log(counts.loc[last] / counts.loc[first_year - 1]))}); measured as a share of all its "
        "patents and against the donors, "
    )
    if main["conf_low"] <= 0 <= main["conf_high"]:
        shows += "the change after the controls cannot be told apart from zero with these data."
    else:
        shows += "the semiconductor share moved by the amount above, an interval that excludes zero."
    return (
        text
        + shows
        + (
            f" **What they do not show:** a causal effect. The table ends in {last}, so only {last - first_year + 1} "
            "treated years are seen and USPTO grants lag filings by two to three years; China's counts include Hong Kong "
            "and are fractional by inventor residence; Chinese patenting was already shifting toward semiconductors "
            "under industrial policy (the 2014 IC fund, Made in China 2025); and patents at the USPTO miss inventions "
            "filed only in China. A wide interval here is absence of evidence, not evidence of no effect."
        )
    )
