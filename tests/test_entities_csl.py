"""cw.entities.read_csl on fixtures in the Consolidated Screening List's public CSV and JSON formats."""

from __future__ import annotations

import csv
import json

import chipwar as cw
import pandas as pd
import pytest
from chipwar.entities.csl import ENTITY_LIST

# the CSL CSV header, in the order of the published consolidated.csv
HEADER = ["_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
          "federal_register_notice", "start_date", "end_date", "standard_order", "license_requirement",
          "license_policy", "call_sign", "vessel_type", "gross_tonnage", "gross_registered_tonnage", "vessel_flag",
          "vessel_owner", "remarks", "source_list_url", "alt_names", "citizenships", "dates_of_birth",
          "nationalities", "places_of_birth", "source_information_url", "ids"]


def row(**values):
    return [values.get(c, "") for c in HEADER]


ROWS = [
    row(_id="e1", source=ENTITY_LIST, name="Huawei Technologies Co., Ltd.",
        addresses="Bantian, Longgang District, Shenzhen, CN; Huawei Base, Shenzhen, CN",
        federal_register_notice="84 FR 22961, 5/21/19; 84 FR 43493", start_date="2019-05-16",
        license_requirement="For all items subject to the EAR.", alt_names="Huawei; Hua Wei"),
    row(_id="e2", source=ENTITY_LIST, name="Semiconductor Manufacturing International Corporation",
        addresses="18 Zhangjiang Road, Pudong New Area, Shanghai, CN", federal_register_notice="85 FR 83416",
        start_date="2020-12-18", alt_names="SMIC"),
    row(_id="e3", source=ENTITY_LIST, name="Some Trading FZE", addresses="Dubai, AE", start_date="2021-03-04"),
    row(_id="s1", source="Specially Designated Nationals (SDN) - Treasury Department", name="A PERSON",
        programs="IRAN; SDGT", start_date=""),
]


def write_csv(path, rows, header=HEADER):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_csv_fields_lists_dates_and_citations(tmp_path):
    csl = cw.entities.read_csl(write_csv(tmp_path / "consolidated.csv", ROWS))
    assert len(csl) == 4
    huawei = csl.iloc[0]
    assert huawei["alt_names"] == ("Huawei", "Hua Wei") and huawei["countries"] == ("CN", "CN")
    assert huawei["fr_citations"] == ("84 FR 22961", "84 FR 43493")
    assert huawei["start_date"] == pd.Timestamp("2019-05-16") and pd.isna(csl.iloc[3]["start_date"])
    assert csl.iloc[3]["programs"] == ("IRAN", "SDGT")
    el = cw.entities.read_csl(tmp_path / "consolidated.csv", source=ENTITY_LIST)
    assert el["id"].tolist() == ["e1", "e2", "e3"]


def test_json_format_gives_the_same_table(tmp_path):
    records = []
    for r in ROWS:
        d = dict(zip(HEADER, r))
        d["alt_names"] = [a.strip() for a in d["alt_names"].split(";") if a.strip()]
        d["programs"] = [a.strip() for a in d["programs"].split(";") if a.strip()]
        d["addresses"] = [{"address": a.rsplit(",", 1)[0].strip(), "city": None, "state": None, "postal_code": None,
                           "country": a.rsplit(",", 1)[1].strip()} for a in d["addresses"].split(";") if a.strip()]
        records.append(d)
    (tmp_path / "consolidated.json").write_text(json.dumps({"results": records}), encoding="utf-8")
    from_json = cw.entities.read_csl(tmp_path / "consolidated.json")
    from_csv = cw.entities.read_csl(write_csv(tmp_path / "consolidated.csv", ROWS))
    pd.testing.assert_frame_equal(from_json, from_csv)


def test_listings_from_csl_feed_the_matcher(tmp_path):
    csl = cw.entities.read_csl(write_csv(tmp_path / "c.csv", ROWS))
    listings = cw.entities.listings_from_csl(csl)
    assert listings["entity"].tolist() == ["Huawei Technologies Co., Ltd.",
                                           "Semiconductor Manufacturing International Corporation"]
    assert listings["fr_citation"].tolist() == ["84 FR 22961", "85 FR 83416"] and not listings["verified"].any()
    names = pd.DataFrame({"assignee_id": ["x", "y"], "assignee": ["HUAWEI TECHNOLOGIES CO LTD",
                                                                  "Semiconductor Manufacturing International (Shanghai) Corp"]})
    found = cw.entities.match_assignees(names, listings)
    assert found.table["group"].tolist() == listings["group"].tolist()


@pytest.mark.parametrize("rows, header, message", [
    ([row(_id="e1", source=ENTITY_LIST, name="X", start_date="16/05/2019")], HEADER, "line 2, column 'start_date'"),
    ([ROWS[0], row(_id="e2", source=ENTITY_LIST, name="  ")], HEADER, "line 3, column 'name'"),
    ([ROWS[0], [*ROWS[1], "surplus"]], HEADER, "line 3"),
    ([["e1", "Huawei"]], ["_id", "title"], r"\['source', 'name'\] missing"),
])
def test_malformed_csv_rows_name_the_line_and_column(tmp_path, rows, header, message):
    path = write_csv(tmp_path / "bad.csv", rows, header)
    with pytest.raises(cw.ChipwarError, match=message):
        cw.entities.read_csl(path)


def test_malformed_json_and_missing_files(tmp_path):
    (tmp_path / "a.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(cw.ChipwarError, match="not valid JSON"):
        cw.entities.read_csl(tmp_path / "a.json")
    (tmp_path / "b.json").write_text(json.dumps({"results": [{"source": ENTITY_LIST, "name": "X",
                                                              "start_date": "2019"}]}), encoding="utf-8")
    with pytest.raises(cw.ChipwarError, match="record 1, column 'start_date'"):
        cw.entities.read_csl(tmp_path / "b.json")
    with pytest.raises(cw.ChipwarError, match="no such"):
        cw.entities.read_csl(tmp_path / "absent.csv")
