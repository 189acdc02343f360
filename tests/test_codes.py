"""cw.codes: controlled HS6 codes by wave, comparison codes, and the CPC matchers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw


def test_controlled_and_comparison_hs6():
    controlled = cw.codes.controlled_hs6()
    assert len(controlled) == 18
    assert {"848610", "848620", "848630", "848640", "848690"} <= set(controlled)
    assert {"854231", "854232", "854233", "854239", "854290"} <= set(controlled)
    assert not set(controlled) & set(cw.codes.comparison_hs6())
    assert cw.codes.controlled_hs6("2022-10", scope="country") == [
        "848610", "848620", "848630", "848640", "848690", "854231", "854239",
    ]
    assert cw.codes.controlled_hs6("2024-12", scope="country") == [
        "848610", "848620", "848630", "848640", "848690", "854232",
    ]
    assert "854232" in cw.codes.controlled_hs6("2019-05", scope="entity")
    with pytest.raises(cw.ChipwarError, match="no controlled HS6 codes for wave"):
        cw.codes.controlled_hs6("1999-01")


def test_every_wave_of_the_code_lists_is_an_event_wave():
    waves = set(cw.events.waves()["wave"])
    assert set(cw.codes.hs6_table()["wave"].replace("", np.nan).dropna()) <= waves
    assert set(cw.codes.targeted_cpc_table()["wave"]) <= waves


def test_normalize_and_first_wave_hs6():
    assert cw.codes.normalize_hs6(["8542.31", 10121, " 854232 "]).tolist() == ["854231", "010121", "854232"]
    assert cw.codes.normalize_hs6(pd.Series([10121.0, 854231.0])).tolist() == ["010121", "854231"]
    assert cw.codes.normalize_hs6(["8486.20", "8541.10"]).tolist() == ["848620", "854110"]
    with pytest.raises(cw.ChipwarError, match="'8542' is not an HS6 code"):
        cw.codes.normalize_hs6(["8542"])
    first = cw.codes.first_wave_hs6(pd.Series(["854232", "853224", "848620"]))
    assert first.tolist() == ["2024-12", None, "2022-10"]


def test_semiconductor_cpc():
    codes = pd.Series(["H01L", "H10B41/35", "h01l 21/02", "H10K", "H01M", "G06N3/08", None, "garbage"])
    assert cw.codes.is_semiconductor_cpc(codes).tolist() == [True, True, True, True, False, False, False, False]


def test_ai_cpc_follows_the_1790_list():
    codes = [
        "G06N3/02", "G06N3/0464", "G06N 3/126", "G06N3/004", "G06N3/13", "G06N5/04", "G06N7/01",
        "G06N20/00", "G06N10/00", "G10L15/16", "G10L15/22", "G06T2207/20081", "G06T2207/20084",
        "G06T2207/20083", "G06N", "H01L21/02",
    ]
    expected = [True, True, True, False, False, True, True, True, False, True, False, True, True, False, False, False]
    assert cw.codes.is_ai_cpc(pd.Series(codes)).tolist() == expected


def test_cpc_level_and_technology():
    codes = pd.Series(["H01L21/02", "G03F7/20", "G11C11/40", "G06N3/08", "A61K31/00"])
    assert cw.codes.cpc_level(codes, "subclass").tolist() == ["H01L", "G03F", "G11C", "G06N", "A61K"]
    assert cw.codes.cpc_level(codes, "class").tolist() == ["H01", "G03", "G11", "G06", "A61"]
    assert cw.codes.cpc_technology(codes).tolist() == ["semiconductor", "lithography", "memory", "ai", None]
    assert cw.codes.first_wave_cpc(codes, scope="country").tolist() == ["2022-10", "2022-10", "2022-12", "2022-10", None]
    with pytest.raises(cw.ChipwarError, match="level"):
        cw.codes.cpc_level(codes, "main")


def test_hs_vintage_notes_cover_the_changed_headings():
    notes = cw.codes.HS_VINTAGE_NOTES.set_index("code")
    assert notes.loc["8486", "vintage"] == "HS2007"
    assert notes.loc["8541.40", "vintage"] == "HS2022"
