"""cw.io.read_ncses on the real NCSES tables in ../shared/data and on malformed tables written here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import chipwar as cw


def test_semiconductor_patents_china(shared):
    t = cw.io.read_ncses(shared("domain", "ncses", "10557", "data.csv"))
    assert list(t.columns) == ["region", "path", "year", "value", "group"]
    china = t[t["path"] == "World -> Asia -> China"].set_index("year")["value"]
    assert china.loc[2022] == 2165
    assert china.loc[1998] == 2
    assert len(china) == 25 and china.index.min() == 1998
    assert t.loc[t["path"] == "World -> Asia -> China", "group"].iloc[0] == "Upper middle"
    assert t.query("path == 'World' and year == 1998")["value"].item() == 5675
    assert pd.isna(t.loc[t["path"] == "World", "group"].iloc[0])  # "na" income group


def test_layouts_with_totals_labels_and_wide_columns(shared):
    pct = cw.io.read_ncses(shared("domain", "ncses", "10558", "data.csv"))
    world = pct[pct["path"] == "World"].set_index("year")["value"]
    assert world.loc[2000] == 79862 and world.loc[2022] == 264901 and len(world) == 23  # total row dropped
    electrical = cw.io.read_ncses(shared("domain", "ncses", "10560", "data.csv"))
    assert electrical.query("path == 'World' and year == 2000")["value"].item() == 18736
    assert set(electrical["group"]) == {"Electrical engineering"}
    wide = cw.io.read_ncses(shared("domain", "ncses", "1905", "data.csv"))
    assert set(wide["measure"]) == {"uspto_patents", "patent_families"}
    assert wide["year"].min() == 1998 and wide["year"].max() == 2018


LONG = "table_id,row_id,time_period,value\n" + "".join(
    f"1,r{i},{region},{value}\n"
    for i, (region, value) in enumerate(
        [("World", "na"), ("World", "10"), ("World", "11"), ("World", "12"),
         ("World -> Asia", "High"), ("World -> Asia", "5"), ("World -> Asia", "D"), ("World -> Asia", "7")]
    )
)


def test_years_from_a_short_title_range(tmp_path):
    (tmp_path / "README.md").write_text("# Things by region: 2020–22\n\nnotes\n", encoding="utf-8")
    (tmp_path / "data.csv").write_text(LONG)
    t = cw.io.read_ncses(tmp_path / "data.csv")
    assert t["year"].tolist() == [2020, 2021, 2022] * 2
    assert t["region"].tolist() == ["World"] * 3 + ["Asia"] * 3
    assert np.isnan(t["value"].iloc[4]) and t["value"].iloc[5] == 7  # "D" is suppressed
    assert t["group"].tolist()[3:] == ["High"] * 3


def test_malformed_ncses_raises(tmp_path):
    (tmp_path / "data.csv").write_text(LONG)
    with pytest.raises(cw.ChipwarError, match="README.md beside it, which is absent"):
        cw.io.read_ncses(tmp_path / "data.csv")
    with pytest.raises(cw.ChipwarError, match=r"line 7: the block of 'World -> Asia' has 3 values, but 2020-2023"):
        cw.io.read_ncses(tmp_path / "data.csv", years=(2020, 2023))
    (tmp_path / "data.csv").write_text(LONG.replace("1,r7,World -> Asia,7", "1,r7,World -> Asia,seven"))
    with pytest.raises(cw.ChipwarError, match=r"line 9, column 'value': 'seven' is not a number"):
        cw.io.read_ncses(tmp_path / "data.csv", years=(2020, 2022))
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(cw.ChipwarError, match="not an NCSES data table"):
        cw.io.read_ncses(tmp_path / "other.csv")
