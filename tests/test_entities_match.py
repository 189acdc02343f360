"""Name normalisation, matching of assignees to listed groups (precision and recall on names with known answers),
and the reviewed crosswalk file."""

from __future__ import annotations

import chipwar as cw
import numpy as np
import pandas as pd
import pytest
from chipwar.entities.match import fuzzy_scores

# assignee names as PatentsView writes them, with the listed group each belongs to (None: not a listed group)
KNOWN = [
    ("HUAWEI TECHNOLOGIES CO., LTD.", "Huawei"), ("Huawei Technologies Co Ltd", "Huawei"),
    ("Hua Wei Technologies Co., Ltd.", "Huawei"), ("Huawei Device Co., Ltd.", "Huawei"),
    ("Huawei Cloud Computing Technologies Co., Ltd.", "Huawei"), ("HiSilicon Technologies Co., Ltd.", "Huawei"),
    ("Hisilicon Semiconductor (Shenzhen) Ltd.", "Huawei"), ("Huawei Digital Power Technologies Co., Ltd.", "Huawei"),
    ("Semiconductor Manufacturing International (Shanghai) Corporation", "SMIC"),
    ("SEMICONDUCTOR MANUFACTURING INTERNATIONAL (BEIJING) CORPORATION", "SMIC"),
    ("Semiconductor Manufacturing International Corp.", "SMIC"),
    ("Yangtze Memory Technologies Co., Ltd.", "YMTC"), ("YANGTZE MEMORY TECHNOLOGIES CO LTD", "YMTC"),
    ("Cambricon Technologies Corporation Limited", "Cambricon"), ("Anhui Cambricon Information Technology Co., Ltd.", "Cambricon"),
    ("Dawning Information Industry Co., Ltd.", "Sugon"), ("Sugon Information Industry Co Ltd", "Sugon"),
    ("Hygon Information Technology Co., Ltd.", "Sugon"),  # "Hygon" is an alias of Chengdu Haiguang IC (Sugon group)
    ("Hangzhou Hikvision Digital Technology Co., Ltd.", "Hikvision"), ("Zhejiang Dahua Technology Co., Ltd.", "Dahua"),
    ("iFLYTEK CO., LTD.", "iFlytek"), ("Beijing Megvii Technology Co., Ltd.", None),
    ("Shanghai Biren Intelligent Technology Co., Ltd.", "Biren"), ("Moore Threads Technology Co., Ltd.", "Moore Threads"),
    ("Tianjin Phytium Information Technology Co., Ltd.", "Phytium"),
    ("Fujian Jinhua Integrated Circuit Co., Ltd.", "Fujian Jinhua"),
    ("Wuxi Jiangnan Institute of Computing Technology", "Wuxi Jiangnan Institute of Computing Technology"),
    ("Shanghai Micro Electronics Equipment (Group) Co., Ltd.", "SMEE"),
    # Chinese firms that are not listed, several sharing words with listed names
    ("BOE TECHNOLOGY GROUP CO., LTD.", None), ("Tencent Technology (Shenzhen) Company Limited", None),
    ("Beijing Xiaomi Mobile Software Co., Ltd.", None), ("Guangdong Oppo Mobile Telecommunications Corp., Ltd.", None),
    ("Yangtze Optical Fibre and Cable Joint Stock Limited Company", None), ("Shenzhen Sunway Communication Co., Ltd.", None),
    ("Semiconductor Energy Laboratory Co., Ltd.", None), ("Semiconductor Components Industries, LLC", None),
    ("ZTE Corporation", None),  # ZTE's listing was lifted in 2017: not a listed group
    ("Huayi Brothers Media", None), ("Hualan Biological Engineering", None), ("China Mobile Communications Group", None),
    ("Contemporary Amperex Technology Co., Limited", None), ("Goertek Inc.", None), ("Zhongxing Electric Co.", None),
    ("Moore Industries International Inc.", None), ("Dahua Heavy Industry Machinery", None),
    ("Innolight Technology (Suzhou) Ltd.", None), ("Alibaba Group Holding Limited", None),
]


@pytest.fixture(scope="module")
def fixture():
    names = pd.DataFrame({"assignee_id": [f"a{i:02d}" for i in range(len(KNOWN))], "assignee": [n for n, _ in KNOWN]})
    truth = pd.DataFrame({"assignee_id": names["assignee_id"], "group": [g for _, g in KNOWN]})
    listings = cw.entities.table()
    listings = listings[listings["date_removed"].isna()]  # as the study: lifted listings do not treat
    return names, truth, cw.entities.match_assignees(names, listings)


def test_normalisation_folds_legal_forms_case_punctuation_places_and_romanisation():
    got = cw.entities.normalize(["HUAWEI TECHNOLOGIES CO., LTD.", "Hua Wei Technologies Co Ltd", "Société Générale & Cie",
                                 "Semiconductor Manufacturing International (Shanghai) Corporation",
                                 "Zhongxing Telecommunication Equipment Corp.", None, "Hua Weiss Ltd"])
    assert got.tolist() == ["huawei", "huawei", "societe generale and cie", "smic", "zte", "", "hua weiss"]


def test_precision_and_recall_on_names_with_known_answers(fixture):
    _names, truth, found = fixture
    quality = cw.entities.evaluate(found, truth)
    print(f"\nmatching fixture: {quality}")  # reported (pytest -s), and asserted below
    wrong = found.table[found.table["decision"] == "accept"].merge(truth, on="assignee_id", suffixes=("", "_true"))
    wrong = wrong[wrong["group"] != wrong["group_true"]]
    assert quality.precision >= 0.95 and quality.recall >= 0.9, wrong[["assignee", "group", "group_true"]]
    assert (quality.true_positives, quality.false_positives) == (27, 1)  # the one: "Dahua Heavy Industry" (below)


def test_prefix_matches_take_subsidiaries_and_fuzzy_ones_wait_for_review(fixture):
    _, _, found = fixture
    table = found.table.set_index("assignee")
    assert table.loc["Huawei Device Co., Ltd.", "method"] == "prefix"
    # a firm whose name starts with a listed firm's name is a prefix match too: the crosswalk's review catches it
    assert table.loc["Dahua Heavy Industry Machinery", "group"] == "Dahua"
    assert "Moore Industries International Inc." not in table.index  # "moore" alone is not "moore threads"
    assert "Yangtze Optical Fibre and Cable Joint Stock Limited Company" not in table.index
    assert table["score"].between(0, 1).all()
    assert set(table["decision"]) <= {"accept", "review"}


def test_results_do_not_depend_on_row_order(fixture):
    names, _, found = fixture
    again = cw.entities.match_assignees(names.iloc[::-1].reset_index(drop=True),
                                        cw.entities.table().query("date_removed.isna()"))
    pd.testing.assert_frame_equal(found.table, again.table)


def test_fuzzy_scores_equal_a_brute_force_cosine():
    queries = ["hisilicon semiconductor", "huawei device", "acme", "cambricon information", "smic"]
    targets = ["hisilicon", "huawei", "cambricon", "smic"]
    best, score = fuzzy_scores(queries, targets)

    def grams(s):
        s = f" {s} "
        return [s[i:i + 3] for i in range(len(s) - 2)]

    docs = [set(grams(q)) for q in queries]
    idf = {g: np.log((len(queries) + 1) / (sum(g in d for d in docs) + 1)) + 1 for q in queries + targets for g in grams(q)}

    def vector(s):
        v = {}
        for g in grams(s):
            v[g] = v.get(g, 0) + idf[g]
        n = np.sqrt(sum(x * x for x in v.values()))
        return {g: x / n for g, x in v.items()}

    for q, b, s in zip(queries, best, score):
        sims = [sum(vector(q).get(g, 0) * x for g, x in vector(t).items()) for t in targets]
        assert s == pytest.approx(max(sims), abs=1e-12)
        if max(sims) > 0:
            assert b == int(np.argmax(sims))


def test_bad_input_names_the_column():
    with pytest.raises(cw.ChipwarError, match="'name_x'"):
        cw.entities.match_assignees(pd.DataFrame({"assignee_id": [1]}), name="name_x")
    with pytest.raises(cw.ChipwarError, match="repeats"):
        cw.entities.match_assignees(pd.DataFrame({"assignee_id": [1, 1], "assignee": ["a", "b"]}))
    with pytest.raises(cw.ChipwarError, match="threshold"):
        cw.entities.match_assignees(pd.DataFrame({"assignee_id": [1], "assignee": ["a"]}), threshold=0.5, review=0.7)


def test_crosswalk_round_trip_and_review(fixture, tmp_path):
    _, _, found = fixture
    path = cw.entities.write_crosswalk(found, tmp_path / "crosswalk.csv")
    text = path.read_text(encoding="utf-8")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    # the reviewer rejects the false friend and adds an assignee the matcher missed
    table.loc[table["assignee"] == "Dahua Heavy Industry Machinery", "decision"] = "reject"
    table = pd.concat([table, pd.DataFrame({"assignee_id": ["h1"], "group": ["Sugon"], "decision": ["accept"]})])
    table.to_csv(path, index=False)
    crosswalk = cw.entities.read_crosswalk(path)
    assert "Dahua Heavy Industry Machinery" not in crosswalk["assignee"].tolist()
    assert crosswalk.set_index("assignee_id").loc["h1", "group"] == "Sugon"
    assert crosswalk.attrs["reject"] == 1
    assert text  # the file is plain UTF-8 text a user can edit


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.drop(columns="decision"), "decision"),
    (lambda t: t.assign(decision="maybe"), "line 2, column 'decision'"),
    (lambda t: pd.concat([t, t.assign(group="SMIC")]), "more than one group"),
    (lambda t: t.assign(group=""), "column 'group'"),
])
def test_crosswalk_errors_name_line_and_column(tmp_path, edit, message):
    table = pd.DataFrame({"assignee_id": ["a1"], "assignee": ["Huawei"], "group": ["Huawei"], "decision": ["accept"]})
    edit(table).to_csv(tmp_path / "c.csv", index=False)
    with pytest.raises(cw.ChipwarError, match=message):
        cw.entities.read_crosswalk(tmp_path / "c.csv")
