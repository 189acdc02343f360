"""Firm panels from PatentsView tables (raw files and in-memory frames) against a brute-force count."""

from __future__ import annotations

import itertools

import chipwar as cw
import numpy as np
import pandas as pd
import pytest
from _patentsview_tables import TABLES, write_tables

FIRM_TABLES = {
    **TABLES,
    "g_assignee_disambiguated": (
        ["patent_id", "assignee_sequence", "assignee_id", "disambig_assignee_individual_name_first",
         "disambig_assignee_individual_name_last", "disambig_assignee_organization", "assignee_type", "location_id"],
        [
            ["P1", "0", "A_HW", "", "", "Huawei Technologies Co., Ltd.", "3", "L_CN"],
            ["P1", "1", "A_US", "", "", "Acme Corp.", "2", "L_US1"],
            ["P2", "0", "A_HW", "", "", "Huawei Technologies Co., Ltd.", "3", "L_CN"],
            ["P2", "1", "A_BOE", "", "", "BOE Technology Group", "3", "L_CN"],
            ["P3", "0", "A_HW", "", "", "Huawei Technologies Co., Ltd.", "3", "L_CN"],  # P3 is withdrawn
            ["P4", "0", "A_BOE", "", "", "BOE Technology Group", "3", "L_CN"],
            ["P4", "1", "I_1", "Eri", "Sato", "", "4", "L_JP"],  # an individual: no organisation
        ],
    ),
    "g_us_patent_citation": (
        ["patent_id", "citation_sequence", "citation_patent_id", "citation_date", "record_name", "wipo_kind",
         "citation_category"],
        [["P4", "0", "P1", "2021-05", "", "B2", "cited by examiner"],
         ["P2", "0", "P1", "2021-05", "", "B2", "cited by applicant"],
         ["P9", "0", "P2", "2022-01", "", "B1", "cited by examiner"]],
    ),
}


def frames(tables=FIRM_TABLES):
    return {name: pd.DataFrame(rows, columns=header) for name, (header, rows) in tables.items()}


def brute_force(tables, country=None):
    """Count by loops over the raw rows: one count per (assignee, patent), filing year, claims, citations, codes."""
    t = frames(tables)
    withdrawn = set(t["g_patent"].query("withdrawn == '1'")["patent_id"])
    claims = dict(zip(t["g_patent"]["patent_id"], t["g_patent"]["num_claims"].astype(int)))
    filed = {p: int(d[:4]) for p, d in zip(t["g_application"]["patent_id"], t["g_application"]["filing_date"])}
    loc = dict(zip(t["g_location_disambiguated"]["location_id"], t["g_location_disambiguated"]["disambig_country"]))
    cites = {}
    for cited in t["g_us_patent_citation"]["citation_patent_id"]:
        cites[cited] = cites.get(cited, 0) + 1
    codes = {}
    for p, c in zip(t["g_cpc_current"]["patent_id"], t["g_cpc_current"]["cpc_subclass"]):
        codes.setdefault(p, set()).add(c)
    by_year, by_cpc = {}, {}
    seen = set()
    for r in t["g_assignee_disambiguated"].itertuples():
        if not r.disambig_assignee_organization or r.patent_id in withdrawn or (r.assignee_id, r.patent_id) in seen:
            continue
        if country and loc.get(r.location_id) != country:
            continue
        seen.add((r.assignee_id, r.patent_id))
        key = (r.assignee_id, filed[r.patent_id])
        n, c, k = by_year.get(key, (0, 0, 0))
        by_year[key] = (n + 1, c + claims[r.patent_id], k + cites.get(r.patent_id, 0))
        for code in codes.get(r.patent_id, ()):
            keyc = (r.assignee_id, code, filed[r.patent_id])
            n, c, k = by_cpc.get(keyc, (0, 0, 0))
            by_cpc[keyc] = (n + 1, c + claims[r.patent_id], k + cites.get(r.patent_id, 0))
    return by_year, by_cpc


@pytest.mark.parametrize("kind", ["frames", "tsv", "zip"])
def test_panels_equal_a_brute_force_count(tmp_path, kind):
    source = (cw.entities.FrameSource(frames()) if kind == "frames"
              else cw.entities.RawFiles(write_tables(tmp_path / kind, zipped=kind == "zip", tables=FIRM_TABLES),
                                        chunksize=2))
    patents = cw.entities.firm_patents(source)
    by_year, by_cpc = brute_force(FIRM_TABLES)
    panel = cw.entities.firm_panel(patents, by="year", fill=False)
    got = {(r.assignee_id, r.year): (r.patents, r.claims, r.citations) for r in panel.itertuples()}
    assert got == by_year
    panel = cw.entities.firm_panel(patents, by="cpc", fill=False)
    got = {(r.assignee_id, r.cpc, r.year): (r.patents, r.claims, r.citations) for r in panel.itertuples()}
    assert got == by_cpc
    assert patents.assignees.set_index("assignee_id").loc["A_HW", "country"] == "CN"


def test_country_filter_zero_filling_and_missing_citation_table():
    tables = {k: v for k, v in FIRM_TABLES.items() if k != "g_us_patent_citation"}
    patents = cw.entities.firm_patents(cw.entities.FrameSource(frames(tables)), country="CN")
    assert sorted(patents.assignees["assignee_id"]) == ["A_BOE", "A_HW"]
    panel = cw.entities.firm_panel(patents, years=(2018, 2021))
    assert len(panel) == 2 * 4 and panel["citations"].isna().all()
    by_year, _ = brute_force(FIRM_TABLES, country="CN")
    for (firm, year), grid in zip(panel[["assignee_id", "year"]].itertuples(index=False), panel["patents"]):
        assert grid == by_year.get((firm, year), (0,))[0]


def test_missing_tables_and_bad_values_are_named(tmp_path):
    tables = {k: v for k, v in FIRM_TABLES.items() if k != "g_assignee_disambiguated"}
    with pytest.raises(cw.ChipwarError, match="g_assignee_disambiguated"):
        cw.entities.firm_patents(cw.entities.FrameSource(frames(tables)))
    bad = dict(FIRM_TABLES)
    header, rows = bad["g_patent"]
    bad["g_patent"] = (header, [rows[0][:5] + ["many"] + rows[0][6:], *rows[1:]])
    folder = write_tables(tmp_path / "bad", tables=bad)
    with pytest.raises(cw.ChipwarError, match=r"g_patent.tsv, line 2, column 'num_claims'"):
        cw.entities.firm_patents(folder)


def test_comparison_set_follows_its_rule():
    rng = np.random.default_rng(3)
    rows = []
    sizes = {"L1": 50, "L2": 5, **{f"C{i}": s for i, s in enumerate([48, 52, 45, 60, 4, 6, 20, 51])}}
    classes = {"L1": "H01L", "L2": "G06N", "C0": "H01L", "C1": "H01L", "C2": "H01L", "C3": "H01L", "C4": "G06N",
               "C5": "G06N", "C6": "H01L", "C7": "G06F"}
    for firm, year in itertools.product(sizes, range(2014, 2020)):
        rows.append((firm, classes[firm], year, float(rng.poisson(sizes[firm]))))
        rows.append((firm, "Y02E", year, float(rng.poisson(1))))
    panel = pd.DataFrame(rows, columns=["assignee_id", "cpc", "year", "patents"])
    chosen = cw.entities.comparison_set(panel, pd.Series(["L1", "L2"]), pre_years=(2014, 2018), k=2)
    info = chosen.set_index("assignee_id")
    # brute force: same main class, nearest log(1 + mean yearly patents in it)
    pre = panel[panel["year"] <= 2018]
    size = np.log1p(pre[pre["cpc"] == pre["assignee_id"].map(classes)].groupby("assignee_id")["patents"].sum() / 5)
    for listed in ("L1", "L2"):
        pool = [f for f in size.index if f.startswith("C") and classes[f] == classes[listed]]
        nearest = sorted(pool, key=lambda f: (abs(size[f] - size[listed]), f))[:2]
        assert sorted(info.index[info["matched_to"].str.contains(listed)]) == sorted(nearest)
    assert "C7" not in info.index and info.loc["L1", "listed"]
