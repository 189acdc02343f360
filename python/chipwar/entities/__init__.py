"""The Entity List as data, and firms matched to it.

* :func:`table` / :func:`groups`: the curated listings of Chinese semiconductor, AI-chip, equipment, telecom and
  supercomputing entities, with Federal Register citations (``verified`` False where a page or date is unchecked);
* :func:`read_csl`: a reader of the Consolidated Screening List files (CSV or JSON) and :func:`listings_from_csl`;
* :func:`normalize`, :func:`match_assignees`, :func:`evaluate`: name matching of listed entities to patent assignees;
* :func:`write_crosswalk` / :func:`read_crosswalk`: the reviewed crosswalk file that the study reads;
* :func:`firm_patents`, :func:`firm_panel`, :func:`comparison_set`: firm panels from PatentsView tables.
"""

from __future__ import annotations

from .crosswalk import read_crosswalk, write_crosswalk
from .csl import listings_from_csl, read_csl
from .listings import first_year, groups, names, table
from .match import Candidates, MatchQuality, evaluate, fuzzy_scores, match_assignees
from .names import normalize
from .panels import FrameSource, RawFiles, comparison_set, firm_panel, firm_patents

__all__ = [
    "Candidates",
    "FrameSource",
    "MatchQuality",
    "RawFiles",
    "comparison_set",
    "evaluate",
    "firm_panel",
    "firm_patents",
    "first_year",
    "fuzzy_scores",
    "groups",
    "listings_from_csl",
    "match_assignees",
    "names",
    "normalize",
    "read_crosswalk",
    "read_csl",
    "table",
    "write_crosswalk",
]
