"""Section (b): staggered DiD and event study over technology classes and control waves (China x targeted class x
post).

Units are technology classes (CPC subclasses; the 2023 subclasses H10B, H10K and H10N are pooled into class H10,
whose counts alone are too small to log). The outcome is the log of China's patents in the class over the rest of
the world's: dividing by the rest of the world removes each class's worldwide trend (AI grows everywhere), and
the log removes China's overall growth, which is common to its classes and absorbed by the year effects. Cohorts are
the first full year of the first wave targeting a class (``cw.events.cohorts``); untargeted classes are the controls.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .. import events
from .._errors import ChipwarError
from . import _estimators, _text
from .document import Paragraph, Plot, Section, Table
from .single_unit import Z95

_POOLED = "H10"
# estimator names of the study file -> the public function each calls
_PUBLIC = {"att_gt_notyet": "att_gt", "twfe": "feols", "triple_twfe": "feols"}


def class_panel(patents: pd.DataFrame, years: list[int], treated: str = "CHN") -> tuple[pd.DataFrame, list[str]]:
    """Balanced ``unit, year, cohort, y, y_cf, effect`` (effect: true effect on ``y``), and classes left out because
    China had no patent in some year of the window."""
    data = patents[patents["year"].between(*years)]
    unit = data["cpc"].where(~data["cpc"].str.startswith(_POOLED), _POOLED)
    cohort_of = pd.Series(events.cohorts(data["cpc"].unique(), kind="cpc").to_numpy(), index=data["cpc"].unique())
    china = data["country"].eq(treated)
    frame = pd.DataFrame(
        {
            "unit": unit,
            "year": data["year"],
            "china": china,
            "n": data["patents"].astype(float),
            "n_cf": np.exp(-data["effect"]) * data["patents"],
            "cohort": data["cpc"].map(cohort_of),
        }
    )
    grouped = frame.groupby(["unit", "year", "china"]).agg(
        n=("n", "sum"), n_cf=("n_cf", "sum"), cohort=("cohort", "min")
    )
    wide = grouped.unstack("china")
    out = pd.DataFrame(
        {
            "unit": wide.index.get_level_values("unit"),
            "year": wide.index.get_level_values("year"),
            "cohort": wide[("cohort", True)].to_numpy().astype(int),
            "china": wide[("n", True)].to_numpy(),
            "china_cf": wide[("n_cf", True)].to_numpy(),
            "world": wide[("n", False)].to_numpy(),
            "world_cf": wide[("n_cf", False)].to_numpy(),
        }
    )
    zero = out.groupby("unit")["china"].min() <= 0
    out = out[~out["unit"].isin(zero.index[zero])].reset_index(drop=True)
    out["y"] = np.log(out["china"] / out["world"])
    out["y_cf"] = np.log(out["china_cf"] / out["world_cf"])
    out["effect"] = out["y"] - out["y_cf"]
    out["treat"] = ((out["cohort"] > 0) & (out["year"] >= out["cohort"])).astype(float)
    return out, sorted(zero.index[zero])


def true_effects(data: pd.DataFrame) -> tuple[float, pd.Series]:
    """True overall ATT (mean over treated class-years) and true effect by event time (mean over treated classes),
    the estimands of the simple and dynamic aggregations."""
    treated = data[data["cohort"] > 0]
    post = treated[treated["year"] >= treated["cohort"]]
    by_event = treated.groupby(treated["year"] - treated["cohort"])["effect"].mean()
    by_event.index.name = "event_time"
    return float(post["effect"].mean()), by_event


def _row(name: str, att: float, se: float) -> dict:
    return {"estimator": name, "estimate": att, "se": se, "conf_low": att - Z95 * se, "conf_high": att + Z95 * se}


def _estimate(data: pd.DataFrame, name: str, seed: int) -> tuple[dict, pd.DataFrame | None, dict]:
    """One estimator: the overall row, its event-time table (``event_time, estimate, se``) and extra facts."""
    kw = dict(outcome="y", unit="unit", time="year", cohort="cohort")
    if name in ("att_gt", "att_gt_notyet"):
        res = _estimators.get("att_gt")(data, **kw, control="never" if name == "att_gt" else "notyet", seed=seed)
        simple, dynamic = res.aggregate("simple"), res.aggregate("dynamic")
        table = dynamic.table.rename(columns={"att": "estimate"})[["event_time", "estimate", "se"]]
        try:
            stat, p_value = res.pretest()
        except ChipwarError:  # a singular pre-period covariance: no test, and the report says why
            return _row(name, simple.att, simple.se), table, {"pretest_stat": np.nan, "pretest_p": np.nan}
        return _row(name, simple.att, simple.se), table, {"pretest_stat": stat, "pretest_p": p_value}
    if name in ("sun_abraham", "did_imputation"):
        res = _estimators.get(name)(data, **kw)
        table = res.table.rename(columns={res.index_name: "event_time"})[["event_time", "estimate", "se"]]
        return _row(name, res.att, res.se), table, {}
    # twfe: the static two-way fixed-effects regression whose weights the Bacon decomposition shows
    fit = _estimators.get("feols")("y ~ treat | unit + year", data, vcov={"CRV1": "unit"})
    return _row(name, float(fit.coef["treat"]), float(fit.se["treat"])), None, {}


def triple_difference(patents: pd.DataFrame, years: list[int], treated: str = "CHN") -> dict:
    """TWFE on the full economy x class panel: log patents on China x targeted class x post, with economy-year,
    class-year and economy-class effects. Cells with zero patents are dropped (their log is undefined)."""
    data = patents[patents["year"].between(*years) & (patents["patents"] > 0)]
    cohort = events.cohorts(data["cpc"], kind="cpc").to_numpy()
    frame = pd.DataFrame(
        {
            "country": data["country"].to_numpy(),
            "cpc": data["cpc"].to_numpy(),
            "year": data["year"].to_numpy(),
            "y": np.log(data["patents"].to_numpy(dtype=float)),
            "treat": (
                (data["country"].to_numpy() == treated) & (cohort > 0) & (data["year"].to_numpy() >= cohort)
            ).astype(float),
        }
    )
    fit = _estimators.get("feols")("y ~ treat | country^year + cpc^year + country^cpc", frame, vcov={"CRV1": "cpc"})
    truth = float(data["effect"].to_numpy()[frame["treat"].to_numpy() == 1].mean())
    row = _row("triple_twfe", float(fit.coef["treat"]), float(fit.se["treat"]))
    zero_cells = int((patents["year"].between(*years) & (patents["patents"] <= 0)).sum())
    return {**row, "truth": truth, "dropped_zero_cells": zero_cells}


def run(inputs, config: dict) -> Section:
    """Estimate, compare with the truth and write the section."""
    cfg = config["event_study"]
    section = Section("event_study", "(b) Staggered DiD and event study: China x targeted class x post")
    if inputs.patents is None:
        section.add(
            Paragraph(
                "Not run: this needs patents by economy and technology class (the PatentsView grant "
                "tables g_patent, g_application, g_cpc_current, g_inventor_disambiguated and "
                "g_location_disambiguated, .tsv or .tsv.zip, in the data folder), which these inputs do "
                "not include. The NCSES tables give one semiconductor series per economy, with no "
                "untargeted classes to compare with."
            )
        )
        return section
    treated = cfg["treated"] if inputs.simulated else cfg["treated_patentsview"]
    data, dropped = class_panel(inputs.patents, cfg["years"], treated)
    truth_att, truth_dynamic = true_effects(data)
    rows, dynamic, facts = [], {}, {}
    for name in cfg["estimators"]:
        if name == "triple_twfe":
            rows.append(triple_difference(inputs.patents, cfg["years"], treated))
            continue
        if not _estimators.available(_PUBLIC.get(name, name)):
            section.add(Paragraph(_estimators.missing_note(name, "the other estimators stand in.")))
            continue
        row, table, extra = _estimate(data, name, config["seed"])
        rows.append({**row, "truth": truth_att})
        facts.update({f"{name}_{k}": v for k, v in extra.items()})
        if table is not None:
            dynamic[name] = table.set_index("event_time")
    estimates = pd.DataFrame(rows)
    estimates["covered"] = (estimates["conf_low"] <= estimates["truth"]) & (
        estimates["truth"] <= estimates["conf_high"]
    )
    event_table = _event_table(dynamic, truth_dynamic)
    placebo = _placebo(data, cfg, config["seed"])
    cohorts = data.drop_duplicates("unit").query("cohort > 0").groupby("cohort")["unit"].agg(", ".join)
    section.add(
        Paragraph(
            f"Units: {data['unit'].nunique()} technology classes, {cfg['years'][0]}-{cfg['years'][1]}; outcome: log of "
            "China's patents in the class over the rest of the world's. Cohorts (first full year of the first wave "
            "targeting the class): "
            + "; ".join(f"{g}: {u}" for g, u in cohorts.items())
            + f". Controls: the {int((data.drop_duplicates('unit')['cohort'] == 0).sum())} classes no wave targeted."
            + (f" Left out (a year without Chinese patents): {', '.join(dropped)}." if dropped else "")
        )
    )
    shown = estimates if inputs.simulated else estimates.drop(columns=["truth", "covered"])
    section.add(
        Table(
            "b_estimates",
            shown,
            "Overall ATT by estimator (truth: mean injected effect over the "
            "treated class-years; the triple difference's truth is over its own treated cells)",
        )
    )
    section.add(Table("b_event_study", event_table, "Effects by years since the cohort's first treated year"))
    section.add(
        Plot(
            "b_event_study",
            plot_event_table(event_table),
            "Event study by estimator, from 6 years before treatment "
            "(all leads are in the table); dotted: the true effect",
        )
    )
    if _estimators.available("bacon"):
        bacon = _estimators.get("bacon")(data, outcome="y", unit="unit", time="year", treated="treat")
        section.add(Table("b_bacon", bacon.table, "Goodman-Bacon decomposition of the static TWFE estimate"))
    section.add(
        Table(
            "b_placebo_waves",
            placebo,
            f"Placebo waves: every cohort moved {cfg['placebo_shift']} years "
            "earlier, on the years before the first real cohort (the effect should be zero)",
        )
    )
    if "att_gt_pretest_p" in facts:
        section.add(Paragraph(_pretest_text(facts["att_gt_pretest_stat"], facts["att_gt_pretest_p"], data)))
    section.add(Paragraph(_conclusion(estimates, event_table, inputs.simulated)))
    section.summary = estimates.assign(section="b", effect="China's patents in targeted classes (vs world)")
    return section


def _pretest_text(stat: float, p_value: float, data: pd.DataFrame) -> str:
    if np.isfinite(stat) and stat >= 0:
        return (
            f"Pre-trend test (Callaway-Sant'Anna, all pre-treatment ATT(g,t) = 0): chi-squared {stat:.2f}, "
            f"p = {p_value:.3f}."
        )
    sizes = data.drop_duplicates("unit").query("cohort > 0")["cohort"].value_counts().sort_index()
    cohorts = ", ".join(f"{n} class{'es' if n > 1 else ''} in {g}" for g, n in sizes.items())
    return (
        "Pre-trend test (Callaway-Sant'Anna): not reported: the covariance of the pre-treatment ATT(g,t) is "
        f"numerically singular here (cohorts: {cohorts}). The placebo waves below test for pre-trends instead."
    )


def _event_table(dynamic: dict[str, pd.DataFrame], truth: pd.Series) -> pd.DataFrame:
    table = pd.DataFrame({"truth": truth})
    for name, frame in dynamic.items():
        table[f"{name}_estimate"] = frame["estimate"]
        table[f"{name}_se"] = frame["se"]
    return table.reset_index()


def _placebo(data: pd.DataFrame, cfg: dict, seed: int) -> pd.DataFrame:
    first_real = int(data.loc[data["cohort"] > 0, "cohort"].min())
    before = data[data["year"] < first_real].copy()
    before["cohort"] = np.where(before["cohort"] > 0, before["cohort"] - cfg["placebo_shift"], 0)
    before["treat"] = ((before["cohort"] > 0) & (before["year"] >= before["cohort"])).astype(float)
    rows = []
    for name in ("att_gt", "did_imputation"):
        if name in cfg["estimators"] and _estimators.available(name):
            row, _, _ = _estimate(before, name, seed)
            rows.append(
                {
                    "placebo_cohorts": ", ".join(map(str, sorted(before.loc[before["cohort"] > 0, "cohort"].unique()))),
                    **row,
                }
            )
    table = pd.DataFrame(rows)
    if not table.empty:
        table["covered_zero"] = (table["conf_low"] <= 0) & (table["conf_high"] >= 0)
    return table


def plot_event_table(
    event_table: pd.DataFrame,
    first_shown: int = -6,
    xlabel: str = "years since the cohort's first treated year",
    ylabel: str = "effect on log(China / world)",
) -> Figure:
    """Event-study figure of a table of ``event_time``, ``truth`` and ``<estimator>_estimate`` / ``_se`` columns,
    from ``first_shown`` years before treatment on (earlier leads rest on one or two small cohorts and are in the
    table)."""
    event_table = event_table[event_table["event_time"] >= first_shown]
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    names = [c.removesuffix("_estimate") for c in event_table.columns if c.endswith("_estimate")]
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        x = event_table["event_time"] + (i - (len(names) - 1) / 2) * width
        est, se = event_table[f"{name}_estimate"], event_table[f"{name}_se"]
        ax.errorbar(x, est, yerr=Z95 * se, fmt="o", ms=3, capsize=2, label=name)
    if event_table["truth"].notna().any():  # real data have no truth to draw
        ax.plot(event_table["event_time"], event_table["truth"], "k:", label="true effect")
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(-0.5, color="grey", lw=0.8)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def _conclusion(estimates: pd.DataFrame, event_table: pd.DataFrame, simulated: bool) -> str:
    main = estimates.iloc[0]
    text = (
        f"**Conclusion.** In the classes the controls targeted, Chinese patenting relative to the rest of the "
        f"world changed by {_text.estimate(main['estimate'], main['conf_low'], main['conf_high'])} log points "
        f"({_text.percent(main['estimate'])}) on average after treatment ({main['estimator']})"
    )
    if simulated:
        text += f"; {_text.verdict(main['truth'], main['conf_low'], main['conf_high'])} (SIMULATED world). "
    else:
        # real PatentsView data: no truth, and recent filing years are incomplete until their patents are granted
        text += (
            " (real PatentsView grants by filing year: the latest filing years are truncated by grant lags, "
            "which the year effects absorb only if the lag is the same in every class). "
        )
    if "att_gt_estimate" in event_table:
        at0 = event_table.loc[event_table["event_time"] == 0, "att_gt_estimate"]
        later = event_table.loc[event_table["event_time"] >= 1, "att_gt_estimate"]
        if len(at0) and len(later):
            text += (
                f"By event time: {at0.iloc[0]:.3f} in the first treated year and {later.mean():.3f} on "
                "average afterwards (Callaway-Sant'Anna); a static TWFE regression pools these with the weights "
                "the Bacon decomposition shows. "
            )
    verb = _text.moved(main["conf_low"], main["conf_high"])
    return text + f"In plain words: Chinese patenting in the targeted technologies {verb} after the controls."
