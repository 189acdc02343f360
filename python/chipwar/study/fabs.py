"""Section (d): fab capacity. Did China build fabs faster after the October 2022 rule cut it off from advanced tools?

The outcome is the log of capacity added per year (200 mm-equivalent wafers per month), China against the other
fab economies, with the same estimators as the patent synthetic control.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import events
from . import _text, single_unit
from .document import Paragraph, Plot, Section, Table


def panel(fabs: pd.DataFrame, years: list[int]) -> tuple[pd.DataFrame, list[str]]:
    """Balanced ``unit, year, y, y_cf`` of log capacity additions; economies with a year without additions are left
    out (log of zero) and returned."""
    data = fabs[fabs["year"].between(*years)]
    positive = data.groupby("unit")["additions_200mm"].min() > 0
    kept = data[data["unit"].isin(positive.index[positive])]
    frame = pd.DataFrame(
        {
            "unit": kept["unit"],
            "year": kept["year"],
            "y": np.log(kept["additions_200mm"]),
            "y_cf": np.log(kept["additions_cf"]),
        }
    )
    return frame.reset_index(drop=True), sorted(positive.index[~positive])


def run(inputs, config: dict) -> Section:
    """Estimate, compare with the truth (default world) and write the section."""
    cfg = config["fabs"]
    section = Section("fabs", "(d) Fab capacity: China's build-out after the October 2022 rule")
    if inputs.fabs is None:
        section.add(
            Paragraph(
                "Not run: no fab list was given (the default world, or a fab list in Wikipedia's "
                "columns at data.files.fabs)."
            )
        )
        return section
    treated = cfg["treated"] if inputs.simulated else cfg["treated_name"]
    first_year = events.first_period(cfg["wave"])
    data, dropped = panel(inputs.fabs, cfg["years"])
    if treated not in set(data["unit"]):
        section.add(
            Paragraph(
                f"Not run: {treated} has a year without new capacity in {cfg['years']}, so the log of "
                "its additions is undefined; narrow fabs.years."
            )
        )
        return section
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
    section.add(
        Paragraph(
            f"Outcome: log capacity added per year (200 mm-equivalent wafers per month), {cfg['years'][0]}-"
            f"{cfg['years'][1]}. Treated: {treated} from {first_year}, the first full year after the wave of "
            f"{cfg['wave']}. Comparison: {data['unit'].nunique() - 1} other fab economies"
            + (f" ({', '.join(dropped)} left out: years without new capacity)." if dropped else ".")
        )
    )
    for note in result.notes:
        section.add(Paragraph(note))
    section.add(Table("d_estimates", result.estimates, "Effect on China's yearly capacity additions, by estimator"))
    section.add(Table("d_placebo_waves", result.placebos, "Placebo waves before the October 2022 rule"))
    section.add(Table("d_path", result.path, "China and its DiD comparison by year"))
    section.add(
        Plot(
            "d_fab_capacity",
            single_unit.plot(result, first_year, "log capacity additions", treated),
            f"{treated}'s yearly capacity additions against other economies",
        )
    )
    main = result.estimates.iloc[0]
    text = (
        f"**Conclusion.** China's yearly capacity additions changed by "
        f"{_text.estimate(main['estimate'], main['conf_low'], main['conf_high'])} log points "
        f"({_text.percent(main['estimate'])}) after the October 2022 rule, relative to other economies "
        f"(placebo p-value {main['p_value']:.3f})."
    )
    if inputs.simulated:
        text += (
            f" On this SIMULATED world {_text.verdict(main['truth'], main['conf_low'], main['conf_high'])}. "
            "With two treated years and one treated economy the interval is wide: the placebo standard error "
            "reflects how much any single economy's additions move in two years. In plain words: China's fab "
            f"build-out {_text.moved(main['conf_low'], main['conf_high'], 'accelerated', 'slowed')} after the "
            "October 2022 rule."
        )
    else:
        text += " On a real fab list, announced capacity and start dates are noisy; treat this as descriptive."
    section.add(Paragraph(text))
    section.summary = result.estimates.assign(section="d", effect="China's fab capacity additions")
    return section
