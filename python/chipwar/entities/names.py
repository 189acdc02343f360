"""Name normalisation for matching firms across lists: the Entity List, the Consolidated Screening List and
PatentsView's disambiguated assignees write the same firm in different ways ("HUAWEI TECHNOLOGIES CO., LTD.",
"Huawei Technologies Co Ltd", "Hua Wei Technologies").

:func:`normalize` lower-cases, folds accents, turns ``&`` into ``and``, drops parenthesised places
("Semiconductor Manufacturing International (Shanghai) Corporation"), punctuation and legal-form words (Co., Ltd.,
Limited, Inc., Corporation, Technologies, Group, ...), then rewrites known romanisation variants ("hua wei" ->
"huawei", "zhongxing telecommunication equipment" -> "zte"). It works on whole columns with pandas' vectorised
compute kernels, so half a million names take a few seconds (see ``benchmarks/bench_entity_match.py``).
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

LEGAL_FORMS = (
    "co",
    "company",
    "companies",
    "corp",
    "corporation",
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "sa",
    "bv",
    "nv",
    "kk",
    "pte",
    "pty",
    "srl",
    "spa",
    "ab",
    "oy",
    "as",
    "lp",
    "llp",
    "group",
    "holding",
    "holdings",
    "technology",
    "technologies",
    "tech",
    "the",
    "jsc",
    "ojsc",
    "oao",
    "zao",
)
"""Words that say what kind of legal person a firm is, not which firm; dropped before comparing names."""

VARIANTS = {
    "hua wei": "huawei",
    "hi silicon": "hisilicon",
    "zhong xing": "zhongxing",
    "zhongxing telecommunications equipment": "zte",
    "zhongxing telecommunication equipment": "zte",
    "zhongxing telecom": "zte",
    "zhong xin guo ji": "smic",
    "zhongxin guoji": "smic",
    "semiconductor manufacturing international": "smic",
    "chang jiang cun chu": "ymtc",
    "changjiang cunchu": "ymtc",
    "yangtze memory": "ymtc",
    "han wu ji": "hanwuji",
    "hai guang": "haiguang",
    "shu guang": "shuguang",
    "hik vision": "hikvision",
    "i flytek": "iflytek",
    "sense time": "sensetime",
    "moer xiancheng": "moore threads",
}
"""Romanisation and spelling variants (after the other steps) -> one spelling; whole words only."""

_STEPS = (
    (r"[^\x00-\x7f]", ""),  # accents left as combining marks by NFKD, and other non-ASCII characters
    ("&", " and "),
    (r"\([^)]*\)", " "),  # parenthesised places: "(Shanghai)", "(Beijing)"
    (r"[^a-z0-9]+", " "),
    (r"\b(?:" + "|".join(sorted(LEGAL_FORMS, key=len, reverse=True)) + r")\b", " "),
    (r"\s+", " "),
)
_VARIANTS_LONGEST_FIRST = sorted(VARIANTS.items(), key=lambda kv: -len(kv[0]))


def normalize(names) -> pd.Series:
    """Normalised names for matching (see the module docstring); missing names give empty strings.

    Parameters
    ----------
    names : array-like of str

    Returns
    -------
    pandas.Series of str

    Examples
    --------
    >>> from chipwar.entities import normalize
    >>> normalize(["HUAWEI TECHNOLOGIES CO., LTD.", "Hua Wei Technologies Co Ltd",
    ...            "Zhongxing Telecommunication Equipment Corp."]).tolist()
    ['huawei', 'huawei', 'zte']
    """
    # pyarrow's compute kernels (RE2 regular expressions) run over the whole column in C++: about ten times faster
    # than Python's re applied name by name
    text = pa.array(pd.Series(names, dtype=object, copy=False).fillna("").astype(str), type=pa.string())
    text = pc.utf8_lower(pc.utf8_normalize(text, form="NFKD"))
    for pattern, replacement in _STEPS:
        text = pc.replace_substring_regex(text, pattern=pattern, replacement=replacement)
    text = pc.utf8_trim_whitespace(text)
    # variants last, on whole words of the cleaned name (padded so that \b-free patterns see word edges)
    text = pc.binary_join_element_wise(" ", text, " ", "")
    for variant, spelling in _VARIANTS_LONGEST_FIRST:
        text = pc.replace_substring(text, pattern=f" {variant} ", replacement=f" {spelling} ")
    return pd.Series(pc.utf8_trim_whitespace(text).to_numpy(zero_copy_only=False), dtype=object)
