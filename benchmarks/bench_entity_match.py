"""Time cw.entities.match_assignees on a synthetic list of assignee names the size of PatentsView's
g_assignee_disambiguated (about 500,000 organisations), against the curated Entity List listings.

Names are built from words common in Chinese, Japanese, Korean, US and European assignee names plus legal forms,
with a few hundred variants of listed names mixed in, so that every stage (normalisation, exact and prefix
matches, trigram candidates) has work. Run: ``PYTHONPATH=python python benchmarks/bench_entity_match.py [n]``.
"""

from __future__ import annotations

import os
import sys
import time

import chipwar as cw
import numpy as np
import pandas as pd

WORDS = ["shenzhen", "beijing", "shanghai", "hangzhou", "suzhou", "wuhan", "chengdu", "nanjing", "tianjin", "xiamen", "guangdong", "jiangsu", "zhejiang", "tokyo", "osaka", "seoul", "samsung", "toyota", "general", "electric", "international", "national", "advanced", "applied", "micro", "nano", "optical", "photonics", "semiconductor", "materials", "electronics", "electric", "power", "energy", "new", "smart", "intelligent", "information", "communication", "network", "software", "systems", "devices", "instruments", "precision", "machinery", "auto", "motor", "battery", "display", "medical", "bio", "pharma", "chemical", "research", "institute", "university", "academy", "science", "industrial", "digital", "cloud", "data", "vision", "sensor", "robotics", "aerospace", "marine", "steel", "glass", "polymer"]
FORMS = ("Co., Ltd.", "Co Ltd", "Corporation", "Inc.", "Limited", "GmbH", "Technology Co., Ltd.", "Group Co., Ltd.",
         "LLC", "K.K.", "AG", "")
LISTED = ("Huawei Technologies Co., Ltd.", "Huawei Device Co., Ltd.", "HiSilicon Technologies Co., Ltd.",
          "Semiconductor Manufacturing International (Shanghai) Corporation", "Yangtze Memory Technologies Co., Ltd.",
          "Cambricon Technologies Corporation Limited", "Hangzhou Hikvision Digital Technology Co., Ltd.")


def synthetic_names(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = np.array(WORDS, dtype=object)
    k = rng.integers(2, 5, n)
    parts = [" ".join(w.title() for w in rng.choice(words, size)) for size in k]
    names = [f"{p} {f}".strip() for p, f in zip(parts, rng.choice(np.array(FORMS, dtype=object), n))]
    for i, j in enumerate(rng.choice(n, 350, replace=False)):
        names[j] = LISTED[i % len(LISTED)].upper() if i % 2 else LISTED[i % len(LISTED)]
    return pd.DataFrame({"assignee_id": [f"a{i:07d}" for i in range(n)], "assignee": names})


def main(n: int = 500_000) -> None:
    names = synthetic_names(n)
    listings = cw.entities.table().query("date_removed.isna()")
    cw.entities.match_assignees(names.head(1000), listings)  # warm-up (imports, regex compilation)
    start = time.perf_counter()
    normalized = cw.entities.normalize(names["assignee"])
    t_norm = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    found = cw.entities.match_assignees(names, listings)
    t_all, t_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{n:,} synthetic assignee names x {len(cw.entities.names(listings))} listed names/aliases")
    print(f"normalize: {t_norm:.2f} s; match_assignees (normalise, exact, prefix, trigram TF-IDF): {t_all:.2f} s "
          f"wall, {t_cpu:.2f} s CPU; load average {os.getloadavg()[0]:.1f}")
    print(found.summary())
    assert len(normalized) == n


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500_000)
