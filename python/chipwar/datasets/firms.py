"""The default world's firm layer: SIMULATED Chinese patent assignees, some put on a simulated Entity List in the
real listing waves, with known effects of the listing on their patenting that differ by wave.

Every draw comes from its own generator stream (``default_rng([SEED, 4])``), so the firm layer leaves the other
tables of the default world bit for bit unchanged.

firms (48 listed + 240 unlisted Chinese assignees x 2 CPC subclasses x 2012-2024)
    Each firm patents in a main class (H01L, G11C, G06N, G06F, H04L or H04W; 80% of its patents) and in Y02D
    (the rest). Counts are Poisson with mean ``size_i * share_ik * growth_t * exp(effect)``: firm sizes are
    log-normal (listed firms larger: median 40 patents a year against 12), the year effects ``growth_t`` are common
    to all firms and classes, so any comparison set of unlisted firms satisfies parallel trends; zeros are common
    among the small firms. Claims are Poisson with 15 per patent, forward citations Poisson with 3 per patent (each
    scales with the patents, so the listing moves them by the same proportion in expectation).
listings (48 simulated entities in 4 waves)
    Twelve listed firms per wave, with the effective dates of real listings: Huawei's (16 May 2019, first full
    year 2020), SMIC's (18 December 2020; 2021), YMTC's and Cambricon's (16 December 2022; 2023) and Biren's and
    Moore Threads' (17 October 2023; 2024). Effect on expected patents from the first full year on: -0.10, -0.20,
    -0.30 and -0.15 log points by wave (the published estimate for listed Chinese firms is about -10%).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..entities.listings import first_year

STREAM = 4
YEARS = np.arange(2012, 2025)
WAVES = {  # wave: (effective date of the real listing it copies, log effect on expected patents)
    "2019-05": ("2019-05-16", -0.10),
    "2020-12": ("2020-12-18", -0.20),
    "2022-12": ("2022-12-16", -0.30),
    "2023-10": ("2023-10-17", -0.15),
}
LISTED_PER_WAVE, UNLISTED = 12, 240
CLASSES = ("H01L", "G11C", "G06N", "G06F", "H04L", "H04W")
SECOND_CLASS, MAIN_SHARE = "Y02D", 0.8
SIZE_LISTED, SIZE_UNLISTED, SIZE_SD = 40.0, 12.0, 0.7
GROWTH, GROWTH_SD = 0.06, 0.03
CLAIMS_PER_PATENT, CITATIONS_PER_PATENT = 15.0, 3.0


def _firms(rng: np.random.Generator) -> pd.DataFrame:
    n_listed = LISTED_PER_WAVE * len(WAVES)
    listed = np.arange(n_listed + UNLISTED) < n_listed
    wave = np.where(listed, np.repeat(list(WAVES), LISTED_PER_WAVE).tolist() + [""] * UNLISTED, "")
    number = np.where(listed, np.arange(len(listed)) + 1, np.arange(len(listed)) - n_listed + 1)
    ids = [f"sim{'L' if is_listed else 'C'}{k:03d}" for is_listed, k in zip(listed, number)]
    names = [
        f"Simulated {'Listed' if is_listed else 'Chinese'} Firm {k:03d} Technology Co., Ltd."
        for is_listed, k in zip(listed, number)
    ]
    size = np.exp(np.log(np.where(listed, SIZE_LISTED, SIZE_UNLISTED)) + rng.normal(0.0, SIZE_SD, len(listed)))
    main = rng.choice(CLASSES, len(listed))
    date = pd.to_datetime(pd.Series(wave).map(lambda w: WAVES[w][0] if w else None))
    cohort = first_year(date).fillna(0).astype(np.int64)
    return pd.DataFrame(
        {
            "assignee_id": ids,
            "assignee": names,
            "country": "CN",
            "listed": listed,
            "wave": wave,
            "date_listed": date,
            "cohort": cohort,
            "main_cpc": main,
            "size": size,
        }
    )


def simulate() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(firm x CPC x year patents, the assignees, the simulated listings) of the firm layer."""
    rng = np.random.default_rng([20221007, STREAM])
    firms = _firms(rng)
    growth = np.exp(np.cumsum(rng.normal(GROWTH, GROWTH_SD, len(YEARS))))
    grid = np.meshgrid(np.arange(len(firms)), np.arange(2), np.arange(len(YEARS)), indexing="ij")
    i, c, t = (g.ravel() for g in grid)
    year = YEARS[t]
    effect = np.array([WAVES[w][1] if w else 0.0 for w in firms["wave"]])[i]
    cohort = firms["cohort"].to_numpy()[i]
    effect = np.where((cohort > 0) & (year >= cohort), effect, 0.0)
    share = np.where(c == 0, MAIN_SHARE, 1.0 - MAIN_SHARE)
    mean = firms["size"].to_numpy()[i] * share * growth[t] * np.exp(effect)
    patents = rng.poisson(mean)
    panel = pd.DataFrame(
        {
            "assignee_id": firms["assignee_id"].to_numpy()[i],
            "cpc": np.where(c == 0, firms["main_cpc"].to_numpy()[i], SECOND_CLASS),
            "year": year,
            "patents": patents,
            "claims": rng.poisson(CLAIMS_PER_PATENT * patents),
            "citations": rng.poisson(CITATIONS_PER_PATENT * patents),
            "simulated": True,
        }
    )
    assignees = firms[["assignee_id", "assignee", "country", "main_cpc"]].assign(simulated=True)
    listed = firms[firms["listed"]]
    listings = pd.DataFrame(
        {
            "entity_id": "sim_" + listed["assignee_id"].str.lower(),
            "entity": listed["assignee"].str.replace(" Technology Co., Ltd.", "", regex=False),
            "group": listed["assignee"].str.replace(" Technology Co., Ltd.", "", regex=False),
            "aliases": "",
            "entry": "entity",
            "wave": listed["wave"],
            "date_effective": listed["date_listed"].dt.strftime("%Y-%m-%d"),
            "simulated": True,
        }
    )
    return panel, assignees, listings.reset_index(drop=True)


def truth_table() -> pd.DataFrame:
    """The injected listing effects (one per wave), in the format of ``world.truth``."""
    rows = []
    for k, (wave, (date, effect)) in enumerate(WAVES.items()):
        cohort = int(first_year(pd.Series(pd.to_datetime([date])))[0])
        ids = [f"simL{j:03d}" for j in range(k * LISTED_PER_WAVE + 1, (k + 1) * LISTED_PER_WAVE + 1)]
        rows.append(
            (
                f"listing_{wave}",
                "firm_patents",
                "log expected patents",
                wave,
                cohort,
                effect,
                f"assignee_id in {ids} and year >= {cohort}",
                f"Patents of the simulated firms listed in wave {wave} (first full year {cohort})",
            )
        )
    return pd.DataFrame(
        rows, columns=["effect", "table", "outcome", "wave", "first_year", "log_effect", "treated", "description"]
    ).assign(multiplicative=lambda d: np.round(np.exp(d["log_effect"]) - 1.0, 6), simulated=True)
