"""cw.entities.table / groups: every curated listing cites its Federal Register rule or is marked unverified."""

from __future__ import annotations

import re

import chipwar as cw
import pandas as pd
import pytest

CITATION = re.compile(r"^\d{2,3} FR \d{3,6}$")


@pytest.fixture(scope="module")
def listings():
    return cw.entities.table()


def test_every_row_cites_its_rule_or_is_marked_unverified(listings):
    rows = [(r.entity_id, r.fr_citation, r.verified) for r in listings.itertuples()]
    print("\n".join(f"{i:<26} {c or '(blank)':<14} verified={v}" for i, c, v in rows))  # the list, in -s runs
    blank_verified = [i for i, c, v in rows if v and not c]
    assert blank_verified == []
    assert all(CITATION.match(c) for _, c, _ in rows if c)
    # an unverified row says what is missing, and no row carries a citation it did not check
    assert listings.loc[~listings["verified"], "note"].str.contains("not verified").all()


def test_dates_against_the_cited_rules(listings):
    by_id = listings.set_index("entity_id")
    expected = {  # (effective, published, citation) as read from the rules or their registry pages
        "zte_corp": ("2016-03-08", "2016-03-08", "81 FR 12004"),
        "huawei": ("2019-05-16", "2019-05-21", "84 FR 22961"),
        "huawei_affiliates_2019b": ("2019-08-19", "2019-08-21", "84 FR 43493"),
        "sugon": ("2019-06-24", "2019-06-24", "84 FR 29371"),
        "smic": ("2020-12-18", "2020-12-22", "85 FR 83416"),
        "ymtc": ("2022-12-16", "2022-12-19", "87 FR 77505"),
        "cambricon": ("2022-12-16", "2022-12-19", "87 FR 77505"),
        "biren": ("2023-10-17", "2023-10-19", "88 FR 71991"),
        "moore_threads": ("2023-10-17", "2023-10-19", "88 FR 71991"),
    }
    for entity, (effective, published, citation) in expected.items():
        row = by_id.loc[entity]
        assert (row["date_effective"], row["date_published"], row["fr_citation"]) == (
            pd.Timestamp(effective), pd.Timestamp(published), citation), entity
    assert by_id.loc["zte_corp", "date_removed"] == pd.Timestamp("2017-03-29")
    assert by_id.loc["zte_corp", "removal_fr_citation"] == "82 FR 15458"
    # an effective date never follows the publication by more than the rules' usual days, and removals follow listings
    lag = (listings["date_published"] - listings["date_effective"]).dt.days.dropna()
    assert lag.between(0, 7).all()
    removed = listings.dropna(subset=["date_removed"])
    assert (removed["date_removed"] > removed["date_effective"]).all()


def test_citations_agree_with_cw_events_where_both_cite_a_rule(listings):
    events = cw.events.table().set_index("event_id")
    assert listings.set_index("entity_id").loc["smic", "fr_citation"] == events.loc["smic_el_2020", "fr_citation"]
    assert listings.set_index("entity_id").loc["ymtc", "fr_citation"] == events.loc["ymtc_el_2022", "fr_citation"]


def test_groups_give_cohorts_as_cw_events_counts_them():
    groups = cw.entities.groups().set_index("group")
    assert groups.loc["Huawei", "cohort"] == cw.events.first_period("2019-05") == 2020
    assert groups.loc["SMIC", "cohort"] == 2021
    assert groups.loc["YMTC", "cohort"] == 2023 and groups.loc["Biren", "cohort"] == 2024
    assert "ZTE" not in groups.index  # every ZTE entry was removed in 2017
    assert "ZTE" in cw.entities.groups(include_removed=True)["group"].tolist()
    assert groups.loc["Huawei", "entities"] == 4 and groups.loc["Huawei", "first_listed"] == pd.Timestamp("2019-05-16")
    assert cw.entities.first_year(pd.Series(pd.to_datetime(["2021-01-01", "2021-01-02"]))).tolist() == [2021, 2022]


def test_names_lists_every_alias_and_skips_affiliate_blocks():
    names = cw.entities.names()
    assert not names["entity_id"].str.startswith("huawei_affiliates").any()
    sugon = names[names["entity_id"] == "sugon"]
    assert "Zhongke Shuguang" in sugon["name"].tolist() and (sugon["kind"] == "name").sum() == 1
    with pytest.raises(cw.ChipwarError, match="aliases"):
        cw.entities.names(pd.DataFrame({"entity_id": ["x"], "entity": ["X"], "group": ["X"]}))
