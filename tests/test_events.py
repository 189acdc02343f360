"""cw.events: the control-event table and the treatment-timing helpers."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import chipwar as cw


def test_table_holds_every_event_with_checked_citations():
    t = cw.events.table().set_index("event_id")
    assert len(t) == 16
    assert t.loc["bis_oct7_2022", "fr_citation"] == "87 FR 62186"
    assert t.loc["bis_oct7_2022", "date_effective"] == pd.Timestamp("2022-10-07")
    assert t.loc["bis_oct7_2022", "date_published"] == pd.Timestamp("2022-10-13")
    # blanks of the source list filled from the BIS notice lists
    assert t.loc["ymtc_el_2022", "fr_citation"] == "87 FR 77505"
    assert t.loc["ymtc_el_2022", "date_effective"] == pd.Timestamp("2022-12-16")
    assert t.loc["el_oct2023", "fr_citation"] == "88 FR 71991"
    assert t.loc["bis_oct17_2023", "fr_citation"] == "88 FR 73424; 88 FR 73458"
    assert t.loc["huawei_fdpr_2020", "fr_citation"] == "85 FR 29849"
    # citations are well formed wherever given
    cited = t["fr_citation"].dropna()
    assert cited.map(lambda c: re.fullmatch(r"\d{2} FR \d+(; \d{2} FR \d+)*", c) is not None).all()
    # what could not be verified is marked
    assert t.loc["jp_sme_2023", "date_precision"] == "month" and not t.loc["jp_sme_2023", "verified"]
    assert not t.loc["zte_denial_2018", "verified"]
    assert t["verified"].sum() == 12
    # every verified US event has a Federal Register citation
    us = t[(t["jurisdiction"] == "US-BIS") & t["verified"]]
    assert us["fr_citation"].notna().all()
    assert not t.loc["zte_denial_lifted", "tightening"]


def test_table_is_a_copy():
    t = cw.events.table()
    t.loc[0, "event_id"] = "changed"
    assert cw.events.table().loc[0, "event_id"] == "zte_denial_2018"


def test_waves_group_events_by_month_of_first_release():
    w = cw.events.waves().set_index("wave")
    assert len(w) == 14  # the relaxing ZTE event forms no wave
    assert "2018-07" not in w.index
    assert w.loc["2023-10", "events"] == "el_oct2023, bis_oct17_2023"
    assert w.loc["2023-10", "date"] == pd.Timestamp("2023-10-17")
    assert w.loc["2022-10", "date"] == pd.Timestamp("2022-10-07")
    assert list(cw.events.wave("bis_oct7_2022")["event_id"]) == ["bis_oct7_2022"]
    assert len(cw.events.wave(["2019-05", "2019-08"])) == 2


def test_first_period_and_post():
    assert cw.events.first_period("2022-10") == 2023
    assert cw.events.first_period("2022-10", include_partial=True) == 2022
    assert cw.events.first_period("2022-10", freq="M") == pd.Period("2022-11", "M")
    assert cw.events.first_period("2022-10", freq="Q") == pd.Period("2023Q1", "Q")
    assert cw.events.first_period("2022-10", date="published", freq="M", include_partial=True) == pd.Period(
        "2022-10", "M"
    )
    # a wave starting on the first day of a period treats that period
    assert cw.events.first_period("nl_2050i_2024") == 2024
    # several waves start at the earliest
    assert cw.events.first_period(["2022-10", "2019-05"]) == 2020
    assert cw.events.post(np.arange(2020, 2026), "2022-10").tolist() == [0, 0, 0, 1, 1, 1]
    months = pd.period_range("2022-09", "2022-12", freq="M")
    assert cw.events.post(months, "2022-10", freq="M").tolist() == [0, 0, 1, 1]
    assert cw.events.post(["2022-10-01", "2022-11-15"], "2022-10", freq="M").tolist() == [0, 1]


def test_cohorts_and_exposure_by_product_and_technology():
    hs = ["854231", "8542.32", "853224", "848620", "854110"]
    assert cw.events.cohorts(hs, kind="hs6", scope="country").tolist() == [2023, 2025, 0, 2023, 0]
    # the Huawei Entity List wave of May 2019 reached every semiconductor code
    assert cw.events.cohorts(hs, kind="hs6").tolist() == [2020, 2020, 0, 2020, 2020]
    cpc = ["H01L21/02", "G06N3/08", "G06N", "A61K", "G11C"]
    assert cw.events.cohorts(cpc, kind="cpc").tolist() == [2020, 2023, 2023, 0, 2020]
    monthly = cw.events.cohorts(["854231"], kind="hs6", scope="country", freq="M")
    assert monthly.tolist() == [pd.Period("2022-11", "M")]
    exposed = cw.events.exposure(["854231", "854231", "853224"], [2022, 2023, 2024], kind="hs6", scope="country")
    assert exposed.tolist() == [0, 1, 0]
    exposed = cw.events.exposure(
        ["854231", "854231", "853224"], ["2022-10-01", "2022-11-01", "2024-01-01"], kind="hs6", scope="country", freq="M"
    )
    assert exposed.tolist() == [0, 1, 0]


def test_bad_input_raises_chipwar_error():
    with pytest.raises(cw.ChipwarError, match="unknown wave or event '2021-01'"):
        cw.events.wave("2021-01")
    with pytest.raises(cw.ChipwarError, match="freq"):
        cw.events.first_period("2022-10", freq="W")
    with pytest.raises(cw.ChipwarError, match="no tightening event"):
        cw.events.treatment_date("zte_denial_lifted")
    with pytest.raises(cw.ChipwarError, match="whole years"):
        cw.events.post([2021.5], "2022-10")
    with pytest.raises(cw.ChipwarError, match="kind"):
        cw.events.cohorts(["854231"], kind="isic")
    with pytest.raises(cw.ChipwarError, match="same length"):
        cw.events.exposure(["854231"], [2021, 2022], kind="hs6")
