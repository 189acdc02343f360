"""Section (c): trade. PPML gravity on controlled vs uncontrolled HS6 codes: did US exports of controlled chips and
tools to China collapse, and did other suppliers fill the gap (diversion)?

Two effects are estimated together, for codes controlled China-wide (``cw.codes``, ``scope="country"``) from the
first full year of the wave: US exports to China, and exports to China from every other supplier except China.
Fixed effects: exporter x product x year (which contains exporter-year and absorbs each exporter's product cycles),
importer-year and pair x product. Uncontrolled electrical components traded on the same routes are the comparison.
An importer x product x year effect is deliberately absent: it would absorb the common shock to China's imports of
controlled products and leave only the US effect relative to diversion.

On real data the same model runs on BACI yearly files (bilateral HS6 flows, zeros restored by the loader of the
study's inputs); with only UN Comtrade HS 8542 exports to the world (no partner detail) the section compares
China's chip exports with other exporters' instead, with the estimators of the synthetic control.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .. import events
from . import _estimators, _text, single_unit
from .document import Paragraph, Plot, Section, Table

FIXED_EFFECTS = "exporter^hs6^year + importer^year + exporter^importer^hs6"
TRIPLE_FIXED_EFFECTS = "exporter^importer^year + exporter^hs6^year + exporter^importer^hs6"
TERMS = {"us_to_china": "US exports to China", "others_to_china": "other suppliers' exports to China"}
TRUTH = {"us_to_china": "us_export_collapse", "others_to_china": "diversion"}


def design(trade: pd.DataFrame, first_year_of_code: pd.Series, importer: str, sanctioning: str) -> pd.DataFrame:
    """The trade table with ``controlled`` (code under a China-wide control in that year), ``us_to_china`` and
    ``others_to_china`` indicators and ``log_value`` (NaN for zeros)."""
    cohort = trade["hs6"].map(first_year_of_code).to_numpy()
    controlled = (cohort > 0) & (trade["year"].to_numpy() >= cohort)
    to_china = trade["importer"].to_numpy() == importer
    exporter = trade["exporter"].to_numpy()
    with np.errstate(divide="ignore"):
        log_value = np.where(
            trade["value_usd"] > 0, np.log(trade["value_usd"].where(trade["value_usd"] > 0, 1.0)), np.nan
        )
    return trade.assign(
        controlled=controlled.astype(float),
        us_to_china=(controlled & to_china & (exporter == sanctioning)).astype(float),
        others_to_china=(controlled & to_china & (exporter != sanctioning) & (exporter != importer)).astype(float),
        log_value=log_value,
    )


def _fit(name: str, data: pd.DataFrame, fixed_effects: str) -> pd.DataFrame:
    """Both effects by one estimator: rows ``estimator, term, estimate, se, conf_low, conf_high, nobs``.

    Standard errors are heteroskedasticity-robust: clustering by pair is not possible with a single US-China pair.
    """
    rhs = " + ".join(TERMS)
    if name == "fepois":
        fit = _estimators.get("fepois")(f"value_usd ~ {rhs} | {fixed_effects}", data, vcov="hetero")
    else:
        fit = _estimators.get("feols")(
            f"log_value ~ {rhs} | {fixed_effects}", data[data["log_value"].notna()], vcov="hetero"
        )
    ci = fit.confint()
    return pd.DataFrame(
        {
            "estimator": name,
            "term": list(TERMS),
            "estimate": fit.coef[list(TERMS)].to_numpy(),
            "se": fit.se[list(TERMS)].to_numpy(),
            "conf_low": ci.loc[list(TERMS), "conf_low"].to_numpy(),
            "conf_high": ci.loc[list(TERMS), "conf_high"].to_numpy(),
            "nobs": fit.nobs,
        }
    )


def _truth(data: pd.DataFrame) -> dict[str, float]:
    """Mean injected log effect over the rows each indicator switches on."""
    return {term: float(data.loc[data[term] == 1, "effect"].mean()) for term in TERMS}


def _estimators_run(cfg: dict, section: Section) -> list[str]:
    names = []
    for name in cfg["estimators"]:
        public = "feols" if name == "feols_log" else name
        if _estimators.available(public):
            names.append(name)
        else:
            section.add(
                Paragraph(
                    _estimators.missing_note(
                        public,
                        "OLS on log values with the same fixed effects stands in (it drops zero flows; in this "
                        "world zeros are structural, constant within pair x product, so the log model is consistent too).",
                    )
                )
            )
            if "feols_log" not in cfg["estimators"]:
                names.append("feols_log")
    return names


def run(inputs, config: dict) -> Section:
    """Estimate, compare with the truth (default world) and write the section."""
    cfg = config["trade"]
    section = Section("trade", "(c) Trade: US exports to China and diversion to other suppliers")
    if inputs.trade is None:
        return _run_reporters(inputs, config, section)
    codes = inputs.trade["hs6"].unique()
    first_year_of_code = pd.Series(events.cohorts(codes, kind="hs6", scope="country").to_numpy(), index=codes)
    data = design(inputs.trade, first_year_of_code, cfg["treated_importer"], cfg["sanctioning_exporter"])
    truth = _truth(data)
    names = _estimators_run(cfg, section)
    estimates = pd.concat([_fit(n, data, FIXED_EFFECTS) for n in names], ignore_index=True)
    estimates["truth"] = estimates["term"].map(truth)
    estimates["truth_effect"] = estimates["term"].map(TRUTH)
    estimates["covered"] = (estimates["conf_low"] <= estimates["truth"]) & (
        estimates["truth"] <= estimates["conf_high"]
    )
    robust = pd.concat([_fit(n, data, TRIPLE_FIXED_EFFECTS) for n in names], ignore_index=True)
    robust["truth"] = robust["term"].map(truth)
    first_real = int(events.first_period(cfg["wave"]))
    placebo_codes = first_year_of_code.where(first_year_of_code <= 0, cfg["placebo_first_year"])
    placebo = design(
        inputs.trade[inputs.trade["year"] < first_real],
        placebo_codes,
        cfg["treated_importer"],
        cfg["sanctioning_exporter"],
    )
    placebo_table = pd.concat([_fit(n, placebo, FIXED_EFFECTS) for n in names], ignore_index=True)
    placebo_table["covered_zero"] = (placebo_table["conf_low"] <= 0) & (placebo_table["conf_high"] >= 0)
    controlled = sorted(c for c, y in first_year_of_code.items() if 0 < y <= data["year"].max())
    section.add(
        Paragraph(
            f"Bilateral trade, {data['exporter'].nunique()} exporters x {data['importer'].nunique()} importers x "
            f"{len(codes)} HS6 codes, {data['year'].min()}-{data['year'].max()} ({int((data['value_usd'] == 0).sum())} "
            f"zero flows: kept by PPML, dropped by the log model). Treated codes (China-wide controls in the sample): "
            f"{', '.join(controlled)}; "
            f"first treated year {first_real} (wave {cfg['wave']}). Fixed effects: `{FIXED_EFFECTS}`."
        )
    )
    if inputs.simulated:
        section.add(Table("c_estimates", estimates, "Gravity estimates (log points) against the injected effects"))
    else:
        section.add(
            Table(
                "c_estimates",
                estimates.drop(columns=["truth", "truth_effect", "covered"]),
                "Gravity estimates (log points), real BACI flows",
            )
        )
    section.add(
        Table(
            "c_triple_difference",
            robust,
            f"Robustness: pair-year fixed effects (`{TRIPLE_FIXED_EFFECTS}`), "
            "a triple difference within each route and year",
        )
    )
    section.add(
        Table(
            "c_placebo_wave",
            placebo_table,
            f"Placebo wave: the same codes 'controlled' from "
            f"{cfg['placebo_first_year']}, on the years before {first_real} (the effects should be zero)",
        )
    )
    section.add(
        Plot(
            "c_trade",
            _plot(data, cfg, first_real),
            "Exports to China of controlled vs uncontrolled codes "
            "(log, relative to 2018): the United States and all other suppliers",
        )
    )
    section.add(Paragraph(_conclusion(estimates, inputs.simulated)))
    section.summary = estimates.assign(section="c", effect=estimates["term"].map(TERMS))
    return section


def _plot(data: pd.DataFrame, cfg: dict, first_year: int) -> Figure:
    fig = Figure(figsize=(10, 4))
    axes = fig.subplots(1, 2, sharey=True)
    to_china = data[data["importer"] == cfg["treated_importer"]]
    ever = to_china["hs6"].isin(to_china.loc[to_china["controlled"] == 1, "hs6"].unique())
    us = to_china["exporter"] == cfg["sanctioning_exporter"]
    for ax, rows, title in ((axes[0], us, "United States"), (axes[1], ~us, "other suppliers")):
        for group, label in ((ever, "controlled codes"), (~ever, "codes not controlled in the sample")):
            series = np.log(to_china[rows & group].groupby("year")["value_usd"].sum())
            ax.plot(series.index, series - series.get(2018, series.iloc[0]), label=label)
        ax.axvline(first_year - 0.5, color="grey", lw=0.8)
        ax.set(title=f"Exports to China: {title}", xlabel="year")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend(frameon=False)
    axes[0].set_ylabel("log value, 2018 = 0")
    fig.tight_layout()
    return fig


def _conclusion(estimates: pd.DataFrame, simulated: bool) -> str:
    rows = estimates.drop_duplicates("term").set_index("term")
    us, other = rows.loc["us_to_china"], rows.loc["others_to_china"]
    check = (
        f"On this SIMULATED world {_text.verdict(us['truth'], us['conf_low'], us['conf_high'])} for the US "
        f"collapse and {_text.verdict(other['truth'], other['conf_low'], other['conf_high'])} for diversion."
        if simulated
        else "These are real BACI flows: there is no known truth, and BACI reconciles mirror "
        "statistics, so re-exports through third economies count as those economies' exports."
    )
    return (
        f"**Conclusion.** Controlled US exports to China changed by "
        f"{_text.estimate(us['estimate'], us['conf_low'], us['conf_high'])} log points "
        f"({_text.percent(us['estimate'])}) relative to uncontrolled components, and other suppliers' "
        f"controlled exports to China by {_text.estimate(other['estimate'], other['conf_low'], other['conf_high'])} "
        f"({_text.percent(other['estimate'])}) ({us['estimator']}). {check} In plain words: "
        f"US sales of controlled products to China {_text.moved(us['conf_low'], us['conf_high'])}, and other "
        f"suppliers' sales {_text.moved(other['conf_low'], other['conf_high'])}"
        + (
            ", so China replaced part of what it lost from the US."
            if _text.direction(us["conf_low"], us["conf_high"]) < 0
            and _text.direction(other["conf_low"], other["conf_high"]) > 0
            else "."
        )
    )


def _run_reporters(inputs, config: dict, section: Section) -> Section:
    """Real exports to the world by reporter: China's chip exports against other exporters after the wave."""
    cfg = config["trade"]
    exports = inputs.reporter_exports
    if exports is None:
        section.add(Paragraph("Not run: no trade file was given (the default world, or UN Comtrade exports)."))
        return section
    first_year = int(events.first_period(cfg["wave"]))
    n_years = exports["year"].nunique()
    big = exports.groupby("unit")["value_usd"].agg(["min", "size"])
    keep = big.index[(big["size"] == n_years) & (big["min"] >= cfg["min_exports_usd"])]
    data = exports[exports["unit"].isin(keep)]
    panel = pd.DataFrame(
        {"unit": data["unit"], "year": data["year"], "y": np.log(data["value_usd"]), "y_cf": np.log(data["value_usd"])}
    ).reset_index(drop=True)
    result = single_unit.analyse(
        panel,
        cfg["treated_reporter"],
        first_year,
        config["synthetic_control"]["estimators"],
        config["seed"],
        [cfg["placebo_first_year"]],
        simulated=False,
        reps=config["synthetic_control"]["reps"],
    )
    section.add(
        Paragraph(
            f"Real data: UN Comtrade HS 8542 exports to the world, {exports['year'].min()}-{exports['year'].max()}, "
            f"{exports['unit'].nunique()} reporters, of which {len(keep) - 1} exported at least "
            f"{cfg['min_exports_usd']:,.0f} USD in every year and serve as the comparison for "
            f"{cfg['treated_reporter']} from {first_year}."
        )
    )
    for note in result.notes:
        section.add(Paragraph(note))
    china = exports[exports["unit"] == cfg["treated_reporter"]].set_index("year")["value_usd"]
    section.add(
        Table(
            "c_china_exports",
            china.rename("value_usd").reset_index(),
            f"{cfg['treated_reporter']}'s HS 8542 exports to the world (USD, UN Comtrade)",
        )
    )
    section.add(Table("c_estimates", result.estimates, "China's log chip exports against other exporters"))
    section.add(Table("c_placebo_wave", result.placebos, "Placebo wave before the October 2022 rule"))
    section.add(
        Plot(
            "c_trade",
            single_unit.plot(result, first_year, "log HS 8542 exports (USD)", cfg["treated_reporter"]),
            "China's chip exports against other large exporters (real UN Comtrade data)",
        )
    )
    main = result.estimates.iloc[0]
    section.add(
        Paragraph(
            f"**What these real data show.** China's HS 8542 exports to the world went from {china.get(2018, np.nan) / 1e9:.0f} "
            f"bn USD in 2018 to {china.iloc[-1] / 1e9:.0f} bn in {china.index.max()}; relative to other large exporters "
            f"they changed by {_text.estimate(main['estimate'], main['conf_low'], main['conf_high'])} log points after "
            f"{first_year} (placebo p-value {main['p_value']:.3f}). **What they do not show:** the controls restrict "
            "exports *to* China of advanced chips and tools, and these data have no partner detail (exports to the "
            "world) and no HS6 split, so they cannot measure US exports to China, diversion to other suppliers, or "
            "controlled vs uncontrolled products; China's own chip exports are mostly mature-node and assembled "
            "products and respond to the global chip cycle. Bilateral HS6 data (CEPII BACI) are needed for that."
        )
    )
    section.summary = result.estimates.assign(section="c", effect="China's HS 8542 exports (real)")
    return section
