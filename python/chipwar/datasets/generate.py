"""Generate chipwar's default world: SIMULATED patents, fab capacity and trade with known effects of the chip controls.

Run ``python -m chipwar.datasets.generate`` to rewrite the bundled files in ``chipwar/datasets/data/`` (byte for
byte the same with the same numpy: every draw comes from ``numpy.random.default_rng`` seeded with :data:`SEED`), or
``python -m chipwar.datasets.generate --out DIR`` to write them elsewhere.

Every table is simulated. The data-generating process is multiplicative, so the injected effects are log points:

patents (40 economies x 30 CPC subclasses x 2000-2024)
    Poisson counts with mean ``size_e * growth_e^(t-2022) * share_k * exp(effect)``: class shares are common to all
    economies and constant, so class x year and China x year effects need no modelling beyond fixed effects.
    China's semiconductor subclasses (H01L, H10B, H10K, H10N) are calibrated to NCSES table 10557: an expected 2 US
    patents in 1998 (extrapolated; the panel starts in 2000) and 2,165 in 2022. Effect: Chinese patenting in the
    classes a wave targets rises by 0.30 log points (semiconductors, lithography G03F, memory G11C; Entity List wave
    of May 2019, first full year 2020) or 0.20 (AI, G06N; October 2022 rule, first full year 2023), starting one
    year after the wave's first full year (the lag).
fab capacity (12 economies x 2000-2024) and a fab list (Wikipedia's columns)
    Each economy adds ``base_e * 1.04^(t-2000) * noise`` wafers per month (200 mm equivalents) each year, split over
    one to three fabs (the capacity installed before 2000, listed as starting in 1999, over nine to eleven). Effect: from 2023 China adds exp(0.5) = 1.65 times as much. The economy x year table is the
    cumulative capacity of the fab list.
trade (12 economies x 11 partners x 15 HS6 codes x 2005-2024, zeros included)
    Values in US dollars with mean ``exp(exporter_e,t + importer_j,t + pair_ej + product_k + effect)``, times
    mean-one log-normal noise, and structural zeros (a fixed set of the smallest cells trades in about half the
    years, with values scaled so that the mean is unchanged): PPML with exporter-year, importer-year and
    exporter-importer-HS6 fixed effects is correctly specified. China's exporter-year effect is calibrated so that
    its HS 8542 exports are 85 bn USD in 2018 and 160 bn in 2024 (UN Comtrade). Effects, for codes controlled China-wide by the
    October 2022 rule (first full year 2023): US exports to China fall by 0.80 log points; exports to China from
    other suppliers (not the US, not China) rise by 0.25 (diversion).
"""

from __future__ import annotations

import argparse
import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd

from .. import events
from ..codes import cpc_technology, is_semiconductor_cpc
from . import firms
from ._files import DATA_DIR

SEED = 20221007
"""Seed of every draw (the date of the October 2022 rule)."""


# --- calibration targets (real figures) -----------------------------------------------------------------------
CHINA_SEMICONDUCTOR_PATENTS = {1998: 2.0, 2022: 2165.0}  # NCSES table 10557, USPTO semiconductor patents
CHINA_HS8542_EXPORTS_USD = {2018: 85e9, 2024: 160e9}  # UN Comtrade, China's HS 8542 exports to the world
CHINA_HS8542_EXPORTS_2005_USD = 18e9  # start of the simulated series (approximate, not a calibration target)

# --- injected effects (log points) ----------------------------------------------------------------------------
PATENT_EFFECT = {"semiconductor": 0.30, "lithography": 0.30, "memory": 0.30, "ai": 0.20}
PATENT_LAG_YEARS = 1
FAB_EFFECT, FAB_FIRST_YEAR = 0.50, 2023
US_EXPORT_EFFECT, DIVERSION_EFFECT = -0.80, 0.25
TRADE_WAVE = "2022-10"

# --- patents ----------------------------------------------------------------------------------------------------
PATENT_YEARS = np.arange(2000, 2025)
# economy: (patents in the 30 classes in 2022, yearly growth); rough USPTO magnitudes. China's size is calibrated.
PATENT_ECONOMIES = {
    "USA": (60000, 1.01),
    "JPN": (20000, 0.995),
    "CHN": (None, None),
    "KOR": (10000, 1.05),
    "DEU": (7000, 1.01),
    "TWN": (5000, 1.03),
    "FRA": (2500, 1.01),
    "GBR": (2500, 1.01),
    "CAN": (2500, 1.02),
    "ISR": (1800, 1.04),
    "IND": (1800, 1.08),
    "NLD": (1500, 1.02),
    "CHE": (1200, 1.02),
    "SWE": (1200, 1.02),
    "ITA": (900, 1.01),
    "AUS": (600, 1.02),
    "AUT": (500, 1.02),
    "FIN": (500, 1.01),
    "SGP": (500, 1.05),
    "BEL": (400, 1.02),
    "DNK": (400, 1.02),
    "ESP": (400, 1.02),
    "IRL": (300, 1.04),
    "SAU": (200, 1.10),
    "NOR": (200, 1.02),
    "MYS": (150, 1.05),
    "RUS": (150, 1.00),
    "BRA": (150, 1.03),
    "MEX": (100, 1.03),
    "POL": (100, 1.05),
    "CZE": (80, 1.04),
    "NZL": (80, 1.02),
    "HUN": (60, 1.03),
    "THA": (60, 1.05),
    "TUR": (60, 1.07),
    "ARE": (50, 1.10),
    "ZAF": (40, 1.00),
    "VNM": (30, 1.08),
    "PHL": (30, 1.04),
    "IDN": (20, 1.06),
}
# subclass: share of an economy's patents. Shares are the same for every economy and constant over time, so without
# the effects China's targeted and untargeted classes move in parallel (the identifying assumption of a DiD).
PATENT_CLASSES = {
    "H01L": 0.060,
    "H10B": 0.008,
    "H10K": 0.006,
    "H10N": 0.006,
    "G03F": 0.015,
    "G11C": 0.015,
    "G06N": 0.050,
    "G06F": 0.150,
    "G06T": 0.050,
    "G10L": 0.015,
    "H04L": 0.100,
    "H04W": 0.080,
    "H04N": 0.050,
    "H01M": 0.030,
    "H02J": 0.020,
    "G01N": 0.040,
    "G01S": 0.020,
    "A61K": 0.080,
    "A61B": 0.060,
    "C07D": 0.020,
    "C12N": 0.030,
    "B60L": 0.010,
    "B60W": 0.015,
    "F16H": 0.010,
    "G02B": 0.020,
    "H05K": 0.020,
    "H03K": 0.010,
    "B29C": 0.015,
    "C08L": 0.010,
    "F01D": 0.010,
}

# --- fabs -------------------------------------------------------------------------------------------------------
FAB_YEARS = np.arange(2000, 2025)
# economy: (name used in the fab list, yearly additions in 2000 in 200 mm-equivalent wafers per month); sizes put the
# 2024 capacities near SEMI's rough economy shares (approximate: not a calibration target)
FAB_ECONOMIES = {
    "CHN": ("China", 120000),
    "TWN": ("Taiwan", 110000),
    "KOR": ("South Korea", 100000),
    "JPN": ("Japan", 90000),
    "USA": ("United States", 60000),
    "SGP": ("Singapore", 25000),
    "DEU": ("Germany", 12000),
    "IRL": ("Ireland", 8000),
    "ISR": ("Israel", 8000),
    "MYS": ("Malaysia", 12000),
    "FRA": ("France", 8000),
    "ITA": ("Italy", 8000),
}
FAB_GROWTH, FAB_NOISE = 1.04, 0.10

# --- trade ------------------------------------------------------------------------------------------------------
TRADE_YEARS = np.arange(2005, 2025)
# economy: (exporter size, importer size, yearly growth), relative
TRADE_ECONOMIES = {
    "USA": (1.0, 1.0, 1.02),
    "CHN": (1.0, 2.0, 1.06),
    "TWN": (1.2, 0.6, 1.07),
    "KOR": (0.9, 0.7, 1.05),
    "JPN": (0.6, 0.5, 1.00),
    "NLD": (0.4, 0.3, 1.04),
    "DEU": (0.4, 0.5, 1.02),
    "SGP": (0.7, 0.5, 1.04),
    "MYS": (0.5, 0.4, 1.05),
    "VNM": (0.3, 0.4, 1.12),
    "MEX": (0.2, 0.5, 1.04),
    "IND": (0.1, 0.3, 1.08),
}
# hs6: relative size (constant over time, so products differ only by level)
TRADE_PRODUCTS = {
    "848610": 0.05,
    "848620": 0.30,
    "848690": 0.15,
    "854110": 0.10,
    "854231": 1.00,
    "854232": 0.80,
    "854233": 0.10,
    "854239": 0.90,
    "854290": 0.05,
    "850440": 0.40,
    "853222": 0.05,
    "853224": 0.20,
    "853321": 0.05,
    "853669": 0.20,
    "854442": 0.30,
}
TRADE_NOISE, TRADE_ZERO_SHARE, TRADE_ZERO_PROBABILITY = 0.05, 0.15, 0.5
TRADE_SCALE_USD = 1e9


def _rng(stream: int) -> np.random.Generator:
    """An independent generator per table, so changing one table leaves the others' draws unchanged."""
    return np.random.default_rng([SEED, stream])


def china_semiconductor_growth() -> float:
    """Yearly growth of China's counterfactual semiconductor patents that joins the 1998 and 2022 targets, given that
    the 2022 value includes the injected effect."""
    (y0, v0), (y1, v1) = sorted(CHINA_SEMICONDUCTOR_PATENTS.items())
    return float((v1 / (v0 * np.exp(PATENT_EFFECT["semiconductor"]))) ** (1.0 / (y1 - y0)))


def china_semiconductor_expected(year: int | np.ndarray) -> np.ndarray:
    """Expected Chinese patents in the semiconductor subclasses (H01L, H10*) in ``year``, effect included."""
    year = np.asarray(year)
    (y0, v0), _ = sorted(CHINA_SEMICONDUCTOR_PATENTS.items())
    treated = year >= _patent_effect_start("semiconductor")
    return v0 * china_semiconductor_growth() ** (year - y0) * np.exp(PATENT_EFFECT["semiconductor"] * treated)


def _technology_cohorts() -> dict[str, int]:
    """First full year of the wave that targets each technology, from the package's own event and code tables."""
    examples = {"semiconductor": "H01L", "lithography": "G03F", "memory": "G11C", "ai": "G06N"}
    cohort = events.cohorts(list(examples.values()), kind="cpc")
    return dict(zip(examples, cohort.tolist()))


def _patent_effect_start(technology: str) -> int:
    return _technology_cohorts()[technology] + PATENT_LAG_YEARS


def simulate_patents() -> pd.DataFrame:
    """Poisson patent counts by economy x CPC subclass x year (see the module docstring)."""
    rng = _rng(1)
    economies, classes = list(PATENT_ECONOMIES), list(PATENT_CLASSES)
    share = np.array([PATENT_CLASSES[k] for k in classes])
    share = share / share.sum()
    semiconductor = is_semiconductor_cpc(classes)
    growth_china = china_semiconductor_growth()
    # China's 2022 size such that its semiconductor share of patents equals the calibrated count in 2022
    size_china = china_semiconductor_expected(2022) / share[semiconductor].sum()
    size = np.array([size_china if e == "CHN" else PATENT_ECONOMIES[e][0] for e in economies], dtype=float)
    growth = np.array([growth_china if e == "CHN" else PATENT_ECONOMIES[e][1] for e in economies])

    e, k, t = np.meshgrid(np.arange(len(economies)), np.arange(len(classes)), PATENT_YEARS, indexing="ij")
    e, k, t = e.ravel(), k.ravel(), t.ravel()
    mean = size[e] * growth[e] ** (t - 2022) * share[k]
    # the calibrated China size already holds the semiconductor effect of 2022: take it out before adding effects
    china = np.array(economies)[e] == "CHN"
    mean[china] /= np.exp(PATENT_EFFECT["semiconductor"])
    technology = pd.Series(classes).map(_class_technology()).to_numpy(dtype=object)[k]
    for tech, effect in PATENT_EFFECT.items():
        treated = china & (technology == tech) & (t >= _patent_effect_start(tech))
        mean[treated] *= np.exp(effect)
    return pd.DataFrame(
        {
            "country": np.array(economies, dtype=object)[e],
            "cpc": np.array(classes, dtype=object)[k],
            "year": t,
            "patents": rng.poisson(mean),
            "simulated": True,
        }
    )


def _class_technology() -> dict[str, str]:
    classes = list(PATENT_CLASSES)
    return {c: tech for c, tech in zip(classes, cpc_technology(classes)) if tech is not None}


def simulate_fabs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A fab list in Wikipedia's columns and the economy x year capacity it adds up to."""
    rng = _rng(2)
    rows = []
    for code, (name, base) in FAB_ECONOMIES.items():
        years = np.concatenate([[1999], FAB_YEARS])  # 1999 stands for the capacity installed before 2000
        additions = base * FAB_GROWTH ** (years - 2000) * np.exp(rng.normal(0.0, FAB_NOISE, len(years)))
        additions[0] *= 8.0
        if code == "CHN":
            additions[years >= FAB_FIRST_YEAR] *= np.exp(FAB_EFFECT)
        n_fabs = 1 + rng.binomial(2, 0.4, len(years))
        n_fabs[0] += 8  # the installed base is many older fabs
        for year, total, n in zip(years, additions, n_fabs):
            shares = rng.dirichlet(np.full(n, 4.0))
            for i, part in enumerate(shares):
                rows.append((code, name, int(year), total * part, i))
    fabs = pd.DataFrame(rows, columns=["economy", "country", "start", "capacity_200mm", "index"])
    n = len(fabs)
    wafer = np.where((fabs["start"] >= 2005) | (rng.random(n) < 0.3), 300, 200)
    # wafers per month rounded to hundreds, as fab lists report them
    wpm = np.maximum(100, np.round(fabs["capacity_200mm"] / (wafer / 200.0) ** 2, -2))
    node = np.maximum(3, np.round(180 * 0.83 ** (fabs["start"] - 2000) * np.exp(rng.normal(0, 0.2, n))))
    node = np.where(fabs["economy"].eq("CHN") & (fabs["start"] >= 2020), np.maximum(node, 7), node)
    products = np.array(["Foundry", "Logic", "Memory", "Analog"], dtype=object)[rng.integers(0, 4, n)]
    serial = fabs.groupby("economy").cumcount() + 1
    fab_list = pd.DataFrame(
        {
            "Company": "Simulated " + fabs["economy"] + " Semiconductor " + (fabs["index"] + 1).astype(str),
            "Plant name": "Sim Fab " + serial.astype(str),
            "Plant location": "Sim City " + serial.astype(str) + ", " + fabs["country"],
            "Plant cost (US$ bn)": np.round(wpm * (wafer / 200.0) ** 2 / 10000 * 1.5, 1),
            "Started production": fabs["start"].astype(str),
            "Wafer size (mm)": wafer,
            "Process technology node (nm)": node.astype(int),
            "Production capacity (wafers/month)": wpm.astype(int),
            "Technology / products": products,
            "Simulated": "yes",
        }
    )
    return fab_list, fab_capacity(fab_list)


def fab_capacity(fab_list: pd.DataFrame) -> pd.DataFrame:
    """Economy x year capacity of a fab list: new fabs, capacity added, and cumulative fabs and capacity (200 mm
    equivalents). Fabs listed as starting in 1999 stand for the capacity installed before 2000."""
    names = {name: code for code, (name, _) in FAB_ECONOMIES.items()}
    start = fab_list["Started production"].astype(int)
    added = pd.DataFrame(
        {
            "economy": fab_list["Plant location"].str.split(",").str[-1].str.strip().map(names),
            "year": start,
            "additions_200mm": fab_list["Production capacity (wafers/month)"]
            * (fab_list["Wafer size (mm)"] / 200.0) ** 2,
            "new_fabs": 1,
        }
    )
    grid = pd.MultiIndex.from_product(
        [list(FAB_ECONOMIES), np.arange(1999, FAB_YEARS[-1] + 1)], names=["economy", "year"]
    )
    table = added.groupby(["economy", "year"]).sum().reindex(grid, fill_value=0).reset_index()
    table["capacity_200mm"] = table.groupby("economy")["additions_200mm"].cumsum()
    table["fabs"] = table.groupby("economy")["new_fabs"].cumsum()
    table = table[table["year"] >= FAB_YEARS[0]].reset_index(drop=True)
    table["simulated"] = True
    return table[["economy", "year", "new_fabs", "fabs", "additions_200mm", "capacity_200mm", "simulated"]]


def simulate_trade() -> pd.DataFrame:
    """Exporter x importer x HS6 x year trade values with zeros (see the module docstring)."""
    rng = _rng(3)
    economies, products = list(TRADE_ECONOMIES), list(TRADE_PRODUCTS)
    ex_size, im_size, growth = (np.array([TRADE_ECONOMIES[c][i] for c in economies]) for i in range(3))
    p_size = np.array([TRADE_PRODUCTS[k] for k in products])
    n_e, n_k = len(economies), len(products)
    pair = np.exp(rng.normal(0.0, 0.5, (n_e, n_e)))  # pair effects (distance, ties)

    i, j, k, t = np.meshgrid(np.arange(n_e), np.arange(n_e), np.arange(n_k), TRADE_YEARS, indexing="ij")
    keep = (i != j).ravel()
    i, j, k, t = (a.ravel()[keep] for a in (i, j, k, t))
    cell_scale = ex_size[i] * im_size[j] * pair[i, j] * p_size[k]
    mean = TRADE_SCALE_USD * cell_scale * growth[i] ** (t - 2012)
    # structural zeros: the smallest cells (a fixed set over time) trade in only about half the years
    small = cell_scale <= np.quantile(cell_scale, TRADE_ZERO_SHARE)
    trade_probability = np.where(small, 1.0 - TRADE_ZERO_PROBABILITY, 1.0)

    exporter = np.array(economies, dtype=object)[i]
    importer = np.array(economies, dtype=object)[j]
    hs6 = np.array(products, dtype=object)[k]
    # calibrate China's HS 8542 exports with China's exporter-year effect (all its products scale together)
    china = exporter == "CHN"
    china_ic = china & pd.Series(hs6).str.startswith("8542").to_numpy()
    expected = pd.Series(mean * trade_probability)[china_ic].groupby(t[china_ic]).sum().reindex(TRADE_YEARS)
    mean[china] *= (_china_hs8542_target(TRADE_YEARS) / expected.to_numpy())[t[china] - TRADE_YEARS[0]]

    treated_code = events.cohorts(hs6, kind="hs6", scope="country").to_numpy()
    treated = (treated_code > 0) & (t >= treated_code) & (importer == "CHN")
    mean[treated & (exporter == "USA")] *= np.exp(US_EXPORT_EFFECT)
    mean[treated & (exporter != "USA")] *= np.exp(DIVERSION_EFFECT)

    noise = np.exp(rng.normal(-0.5 * TRADE_NOISE**2, TRADE_NOISE, len(mean)))  # mean one
    trades = rng.random(len(mean)) < trade_probability
    value = np.where(trades, np.round(mean / trade_probability * noise), 0.0)
    return pd.DataFrame(
        {"year": t, "exporter": exporter, "importer": importer, "hs6": hs6, "value_usd": value, "simulated": True}
    )


def _china_hs8542_target(years: np.ndarray) -> np.ndarray:
    """China's HS 8542 exports: log-linear between 2005, 2018 and 2024 (the last two are the calibration targets)."""
    anchors = {2005: CHINA_HS8542_EXPORTS_2005_USD, **CHINA_HS8542_EXPORTS_USD}
    return np.exp(np.interp(years, list(anchors), np.log(list(anchors.values()))))


def truth_table() -> pd.DataFrame:
    """The injected effects, each with a pandas query selecting the treated rows of its table."""
    semis = sorted(c for c, tech in _class_technology().items() if tech in ("semiconductor", "lithography", "memory"))
    ai = sorted(c for c, tech in _class_technology().items() if tech == "ai")
    start_semis, start_ai = _patent_effect_start("semiconductor"), _patent_effect_start("ai")
    treated_codes = [
        k
        for k, c in zip(TRADE_PRODUCTS, events.cohorts(list(TRADE_PRODUCTS), kind="hs6", scope="country"))
        if 0 < c <= TRADE_YEARS[-1]
    ]
    first_trade = events.first_period(TRADE_WAVE)
    rows = [
        (
            "patents_semiconductor",
            "patents",
            "log patents",
            "2019-05",
            start_semis,
            PATENT_EFFECT["semiconductor"],
            f"country == 'CHN' and cpc in {semis} and year >= {start_semis}",
            "Lagged rise of Chinese patenting in semiconductor, lithography and memory classes",
        ),
        (
            "patents_ai",
            "patents",
            "log patents",
            "2022-10",
            start_ai,
            PATENT_EFFECT["ai"],
            f"country == 'CHN' and cpc in {ai} and year >= {start_ai}",
            "Lagged rise of Chinese patenting in AI (G06N)",
        ),
        (
            "fab_buildout",
            "fab_capacity",
            "log capacity additions (200 mm equivalents)",
            "2022-10",
            FAB_FIRST_YEAR,
            FAB_EFFECT,
            f"economy == 'CHN' and year >= {FAB_FIRST_YEAR}",
            "Faster Chinese fab build-out after 2022",
        ),
        (
            "us_export_collapse",
            "trade",
            "log value",
            TRADE_WAVE,
            first_trade,
            US_EXPORT_EFFECT,
            f"exporter == 'USA' and importer == 'CHN' and hs6 in {treated_codes} and year >= {first_trade}",
            "Collapse of US exports of controlled products to China",
        ),
        (
            "diversion",
            "trade",
            "log value",
            TRADE_WAVE,
            first_trade,
            DIVERSION_EFFECT,
            f"exporter not in ['USA', 'CHN'] and importer == 'CHN' and hs6 in {treated_codes} and year >= {first_trade}",
            "Diversion: other suppliers' exports of controlled products to China rise",
        ),
    ]
    return pd.DataFrame(
        rows, columns=["effect", "table", "outcome", "wave", "first_year", "log_effect", "treated", "description"]
    ).assign(multiplicative=lambda d: np.round(np.exp(d["log_effect"]) - 1.0, 6), simulated=True)


def generate() -> dict[str, pd.DataFrame]:
    """Every table of the default world, keyed by file name."""
    fab_list, capacity = simulate_fabs()
    firm_patents, firm_assignees, firm_listings = firms.simulate()
    return {
        "patents.csv.gz": simulate_patents(),
        "fab_capacity.csv.gz": capacity,
        "fab_list.csv.gz": fab_list,
        "trade.csv.gz": simulate_trade(),
        "truth.csv": truth_table(),
        "firm_patents.csv.gz": firm_patents,
        "firm_assignees.csv.gz": firm_assignees,
        "firm_listings.csv": firm_listings,
        "firm_truth.csv": firms.truth_table(),
    }


def _csv_bytes(table: pd.DataFrame) -> bytes:
    # fixed float format and line ending keep the bytes platform independent
    return table.to_csv(index=False, lineterminator="\n", float_format="%.6g").encode("utf-8")


def write(directory: str | Path = DATA_DIR) -> list[Path]:
    """Write the default world's files into ``directory``; gzip without time stamp or name, so bytes repeat."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in generate().items():
        data = _csv_bytes(table)
        if name.endswith(".gz"):
            buffer = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
                gz.write(data)
            data = buffer.getvalue()
        (directory / name).write_bytes(data)
        written.append(directory / name)
    return written


def main(argv: list[str] | None = None) -> None:
    """Command line: ``python -m chipwar.datasets.generate [--out DIR]``."""
    parser = argparse.ArgumentParser(description="Write chipwar's simulated default world.")
    parser.add_argument("--out", default=str(DATA_DIR), help="folder to write into (default: the bundled data)")
    for path in write(parser.parse_args(argv).out):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
