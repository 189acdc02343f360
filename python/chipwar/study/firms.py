"""Section (e): listed firms against comparable unlisted Chinese firms, staggered by Entity List listing date.

Units are patent assignees. Listed ones are the assignees the crosswalk (or, without a reviewed crosswalk, the
matcher's accepted candidates) ties to a listed group; their cohort is the first full year after the group's first
listing. The comparison firms are unlisted Chinese assignees of the same main CPC class with the closest
pre-listing patenting (:func:`chipwar.entities.comparison_set`): never treated. The outcome is log(1 + patents)
for the linear estimators (Callaway-Sant'Anna with never- and not-yet-treated controls, imputation, Sun-Abraham)
and the count itself for Poisson ETWFE, whose level ATT is turned into the proportional effect log(mean patents /
mean counterfactual patents) of the treated firm-years. On the SIMULATED default world the true effect of every
estimand is computed from the injected effects (:mod:`chipwar.study.truth`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import entities
from .._errors import ChipwarError
from . import _estimators, _text
from .document import Paragraph, Plot, Section, Table
from .event_study import plot_event_table
from .single_unit import Z95

_PUBLIC = {"att_gt_notyet": "att_gt", "etwfe_poisson": "etwfe"}


def listed_cohorts(assignees: pd.DataFrame, listings: pd.DataFrame, crosswalk: pd.DataFrame | None) -> pd.DataFrame:
    """``assignee_id, group, cohort`` of the listed assignees: the crosswalk's accepted rows, else the matcher's."""
    if crosswalk is None:
        crosswalk = entities.match_assignees(assignees, listings).table.query("decision == 'accept'")
    dates = pd.to_datetime(listings["date_effective"])
    first = dates.groupby(listings["group"].to_numpy()).min()
    cohorts = entities.first_year(first).astype(np.int64)
    out = crosswalk[["assignee_id", "group"]].copy()
    out["cohort"] = out["group"].map(cohorts)
    return out.dropna(subset=["cohort"]).astype({"cohort": np.int64}).reset_index(drop=True)


def firm_sample(inputs, cfg: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The estimation panel (listed + comparison firms x years) and the comparison-set table."""
    years = cfg["years"]
    listed = listed_cohorts(inputs.firm_assignees, inputs.firm_listings, inputs.firm_crosswalk)
    # a cohort needs a pre-listing year and a listed year inside the window
    listed = listed[listed["cohort"].between(years[0] + 1, years[1])]
    if listed.empty:
        raise ChipwarError(
            f"no assignee is matched to a group first listed in {years[0] + 1}-{years[1]}; check the "
            "crosswalk (cw.entities.read_crosswalk) or the firms.years of the study file"
        )
    first_cohort = int(listed["cohort"].min())
    chosen = entities.comparison_set(
        inputs.firm_cpc, listed["assignee_id"], (years[0], first_cohort - 1), k=cfg["comparison_k"]
    )
    keep = set(chosen["assignee_id"])
    data = inputs.firms[inputs.firms["assignee_id"].isin(keep) & inputs.firms["year"].between(*years)].copy()
    data["cohort"] = data["assignee_id"].map(listed.set_index("assignee_id")["cohort"]).fillna(0).astype(np.int64)
    data["y"] = np.log1p(data["patents"])
    cf = data["patents"] * np.exp(-data["effect"])  # counterfactual counts (the effect divided out, noise kept)
    data["y_cf"] = np.log1p(cf)
    data["patents_cf"] = cf
    return data.reset_index(drop=True), chosen


def _truths(data: pd.DataFrame) -> dict:
    post = data[(data["cohort"] > 0) & (data["year"] >= data["cohort"])]
    log1p = post["y"] - post["y_cf"]
    treated = data[data["cohort"] > 0]
    return {
        "log1p": float(log1p.mean()),
        "proportional": float(np.log(post["patents"].sum() / post["patents_cf"].sum())),
        "by_cohort": log1p.groupby(post["cohort"]).mean(),
        "by_event": (treated["y"] - treated["y_cf"]).groupby(treated["year"] - treated["cohort"]).mean(),
    }


def _row(name: str, estimate: float, se: float, truth: float) -> dict:
    return {
        "estimator": name,
        "estimate": estimate,
        "se": se,
        "conf_low": estimate - Z95 * se,
        "conf_high": estimate + Z95 * se,
        "truth": truth,
    }


def _estimate(data: pd.DataFrame, name: str, seed: int, truths: dict) -> tuple[dict, pd.DataFrame | None]:
    kw = {"unit": "assignee_id", "time": "year", "cohort": "cohort"}
    if name in ("att_gt", "att_gt_notyet"):
        res = _estimators.get("att_gt")(
            data, outcome="y", **kw, control="never" if name == "att_gt" else "notyet", seed=seed
        )
        simple = res.aggregate("simple")
        table = res.aggregate("dynamic").table.rename(columns={"att": "estimate"})[["event_time", "estimate", "se"]]
        return _row(name, simple.att, simple.se, truths["log1p"]), table
    if name in ("did_imputation", "sun_abraham"):
        res = _estimators.get(name)(data, outcome="y", **kw)
        table = res.table.rename(columns={res.index_name: "event_time"})[["event_time", "estimate", "se"]]
        return _row(name, res.att, res.se, truths["log1p"]), table
    # Poisson ETWFE: the level ATT as a proportional effect, log(M / (M - ATT)) with M the treated mean
    res = _estimators.get("etwfe")(data, outcome="patents", **kw, family="poisson")
    treated = data[(data["cohort"] > 0) & (data["year"] >= data["cohort"])]
    mean = float(treated["patents"].mean())
    ratio = float(np.log(mean / (mean - res.att)))
    return _row(name, ratio, res.se / (mean - res.att), truths["proportional"]), None


def _by_cohort(data: pd.DataFrame, seed: int, truths: dict) -> pd.DataFrame:
    res = _estimators.get("att_gt")(
        data, outcome="y", unit="assignee_id", time="year", cohort="cohort", control="never", seed=seed
    )
    table = res.aggregate("group").table.rename(columns={"att": "estimate"})
    table = table[["cohort", "estimate", "se"]].assign(
        conf_low=lambda t: t["estimate"] - Z95 * t["se"], conf_high=lambda t: t["estimate"] + Z95 * t["se"]
    )
    table["truth"] = table["cohort"].map(truths["by_cohort"])
    table["covered"] = (table["conf_low"] <= table["truth"]) & (table["truth"] <= table["conf_high"])
    return table


def _honest(data: pd.DataFrame, seed: int) -> pd.DataFrame:
    res = _estimators.get("att_gt")(
        data,
        outcome="y",
        unit="assignee_id",
        time="year",
        cohort="cohort",
        control="never",
        base_period="universal",
        seed=seed,
    )
    bounds = _estimators.get("honest_did")(
        res.aggregate("dynamic"), method="relative_magnitudes", grid=[0.0, 0.5, 1.0], breakdown=False
    )
    return bounds


def _placebo(data: pd.DataFrame, shift: int, seed: int) -> pd.DataFrame:
    first = int(data.loc[data["cohort"] > 0, "cohort"].min())
    before = data[data["year"] < first].copy()
    before["cohort"] = np.where(before["cohort"] > 0, before["cohort"] - shift, 0)
    before.loc[before["cohort"] > 0, "cohort"] = np.minimum(before.loc[before["cohort"] > 0, "cohort"], first - 1)
    rows = []
    shifted = ", ".join(map(str, sorted(before.loc[before["cohort"] > 0, "cohort"].unique())))
    for name in ("att_gt", "did_imputation"):
        row, _ = _estimate(before, name, seed, {"log1p": 0.0, "proportional": 0.0})
        rows.append({"placebo_cohorts": shifted, **row})
    table = pd.DataFrame(rows).drop(columns="truth")
    table["covered_zero"] = (table["conf_low"] <= 0) & (table["conf_high"] >= 0)
    return table


def run(inputs, config: dict) -> Section:
    """Estimate, compare with the truth and write the section."""
    cfg = config["firms"]
    section = Section("firms", "(e) Firm-level staggered DiD: Entity List firms vs comparable Chinese firms")
    if inputs.firms is None:
        section.add(
            Paragraph(
                "Not run: this needs Chinese patent assignees by year and CPC class (the PatentsView "
                "tables g_patent, g_application, g_assignee_disambiguated, g_location_disambiguated "
                "and g_cpc_current in the data folder), which these inputs do not include."
            )
        )
        return section
    try:
        data, chosen = firm_sample(inputs, cfg)
    except ChipwarError as err:
        section.add(Paragraph(f"Not run: {err}."))
        return section
    if not (~chosen["listed"]).any():
        section.add(
            Paragraph(
                "Not run: no unlisted assignee shares a listed firm's main CPC class with pre-listing "
                "patents, so there is no comparison set."
            )
        )
        return section
    unknown = {
        "log1p": np.nan,
        "proportional": np.nan,
        "by_cohort": pd.Series(dtype=float),
        "by_event": pd.Series(dtype=float),
    }
    truths = _truths(data) if inputs.simulated else unknown
    rows, dynamic = [], {}
    for name in cfg["estimators"]:
        if not _estimators.available(_PUBLIC.get(name, name)):
            section.add(Paragraph(_estimators.missing_note(name, "the other estimators stand in.")))
            continue
        row, table = _estimate(data, name, config["seed"], truths)
        rows.append(row)
        if table is not None:
            dynamic[name] = table.set_index("event_time")
    estimates = pd.DataFrame(rows)
    estimates["covered"] = estimates["truth"].between(estimates["conf_low"], estimates["conf_high"])
    event_table = pd.DataFrame({"truth": truths["by_event"]})
    for name, frame in dynamic.items():
        event_table[f"{name}_estimate"], event_table[f"{name}_se"] = frame["estimate"], frame["se"]
    event_table = event_table.rename_axis("event_time").reset_index()
    by_cohort = _by_cohort(data, config["seed"], truths)
    honest = _honest(data, config["seed"])
    placebo = _placebo(data, cfg["placebo_shift"], config["seed"])

    n_listed = int(chosen["listed"].sum())
    cohorts = data.drop_duplicates("assignee_id").query("cohort > 0")["cohort"].value_counts().sort_index()
    section.add(
        Paragraph(
            f"Units: {data['assignee_id'].nunique()} Chinese assignees, {cfg['years'][0]}-{cfg['years'][1]}: "
            f"{n_listed} listed (cohorts, first full listed year: "
            + ", ".join(f"{g}: {n}" for g, n in cohorts.items())
            + f") and {len(chosen) - n_listed} comparison firms, the {cfg['comparison_k']} unlisted assignees of each "
            "listed firm's main CPC class with the closest pre-listing patenting (log of mean yearly patents in that "
            "class before the first listing). Outcome: log(1 + patents) for the linear estimators; patents for "
            "Poisson ETWFE, reported as the proportional effect log(mean patents / mean counterfactual patents) of the "
            "treated firm-years."
        )
    )
    shown = estimates if inputs.simulated else estimates.drop(columns=["truth", "covered"])
    section.add(
        Table(
            "e_estimates",
            shown,
            "Overall effect of listing by estimator (truth: the injected effect on each estimator's outcome)",
        )
    )
    section.add(
        Table(
            "e_by_cohort",
            by_cohort if inputs.simulated else by_cohort.drop(columns=["truth", "covered"]),
            "Effect by listing cohort (Callaway-Sant'Anna, never-treated controls): the waves differ",
        )
    )
    section.add(Table("e_event_study", event_table, "Effects by years since the first full listed year"))
    figure = plot_event_table(
        event_table, -5, xlabel="years since the firm's first full listed year", ylabel="effect on log(1 + patents)"
    )
    section.add(Plot("e_event_study", figure, "Event study of the listed firms' patents; dotted: the true effect"))
    section.add(
        Table(
            "e_honest_did",
            honest,
            "HonestDiD (relative magnitudes): robust 95% sets for the effect in "
            "the first listed year when post-listing trend violations may be Mbar times the largest "
            "pre-listing one",
        )
    )
    section.add(
        Table(
            "e_placebo",
            placebo,
            f"Placebo listing dates: every cohort moved {cfg['placebo_shift']} "
            "years earlier, on the years before the first real listing (the effect should be zero)",
        )
    )
    section.add(Paragraph(_conclusion(estimates, by_cohort, inputs.simulated)))
    section.summary = estimates.assign(section="e", effect="Listed firms' patents (vs comparable Chinese firms)")
    return section


def _conclusion(estimates: pd.DataFrame, by_cohort: pd.DataFrame, simulated: bool) -> str:
    main = estimates.iloc[0]
    text = (
        f"**Conclusion.** After their listing, the listed firms' patenting changed by "
        f"{_text.estimate(main['estimate'], main['conf_low'], main['conf_high'])} log points "
        f"({_text.percent(main['estimate'])}) relative to comparable unlisted Chinese firms ({main['estimator']})"
    )
    if simulated:
        text += f"; {_text.verdict(main['truth'], main['conf_low'], main['conf_high'])} (SIMULATED world). "
        text += (
            f"By wave the intervals hold the true effect in {int(by_cohort['covered'].sum())} of "
            f"{len(by_cohort)} cohorts. "
        )
    else:
        text += (
            ". On real data listing is not random: firms were listed for what they did, so this compares "
            "them with similar firms, and cannot rule out that their prospects differed. "
        )
    verb = _text.moved(main["conf_low"], main["conf_high"])
    return text + f"In plain words: the patenting of firms put on the Entity List {verb} after the listing."
