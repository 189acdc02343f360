"""The analysis panels as DuckDB SQL over the store's Parquet tables (see :mod:`chipwar.io.store` for the layout).

The counting rules are those of the chunked pandas reader :func:`chipwar.io.read_patentsview` (the tests hold the
two to identical panels): withdrawn patents (``withdrawn == 1``) are out; a patent's weight 1 is split equally over
its inventors and credited to each inventor location's country (fractional counting; an unknown location gives a
missing country); a patent counts once per distinct CPC code at the level; the filing year is that of the last
``g_application`` row of the patent (file order), the grant year that of ``patent_date``. Patents without inventors
or without a year are left out and counted. The assignee panel splits a patent equally over its assignees instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._errors import ChipwarError

CPC_COLUMN = {"section": "cpc_section", "class": "cpc_class", "subclass": "cpc_subclass", "group": "cpc_group"}
_MISSING = "('', 'NA', 'N/A', 'NaN', 'nan')"  # the missing-value tokens of chipwar.io._tabular


def _blank(expr: str) -> str:
    return f"(({expr}) IS NULL OR trim({expr}) IN {_MISSING})"


def _year_of(column: str) -> str:
    return f"CASE WHEN {_blank(column)} THEN NULL ELSE year(try_strptime(trim({column}), '%Y-%m-%d')) END"


@dataclass(frozen=True)
class PanelCounts:
    """What a panel left out: patents with CPC codes but no inventor (or assignee), patents without a year."""

    no_owner: int
    no_year: int


def check_dates(con, table: str, column: str, path: str) -> None:
    """Raise ChipwarError naming the table, column and first value that is neither blank nor ``YYYY-MM-DD``."""
    bad = con.execute(
        f"SELECT patent_id, {column} FROM {table} WHERE NOT {_blank(column)} "
        f"AND try_strptime(trim({column}), '%Y-%m-%d') IS NULL LIMIT 1"
    ).fetchall()
    if bad:
        bad = bad[0]
        raise ChipwarError(
            f"{path}, column {column!r}: {bad[1]!r} (patent {bad[0]!r}) is not a date YYYY-MM-DD; "
            "correct or remove that row and build the store again"
        )


_PATENTS = f"""
    CREATE OR REPLACE TEMP TABLE patents AS
    SELECT (row_number() OVER ())::INTEGER AS pid, p.patent_id, p.grant_year, f.filing_year
    FROM (SELECT ltrim(patent_id, ' ') AS patent_id, {_year_of("patent_date")} AS grant_year FROM g_patent
          WHERE coalesce(try_cast(trim(withdrawn) AS DOUBLE), 0) <> 1) p
    LEFT JOIN (SELECT ltrim(patent_id, ' ') AS patent_id, {_year_of("filing_date")} AS filing_year FROM g_application
               QUALIFY row_number() OVER (PARTITION BY ltrim(patent_id, ' ') ORDER BY file_row_number DESC) = 1) f
    USING (patent_id)"""
"""Non-withdrawn patents with an integer key ``pid`` (the later joins and distincts run on it, not on the text
ids), their grant year and the filing year of their last g_application row (NULL when unknown)."""

_PATENTS_GRANT_ONLY = f"""
    CREATE OR REPLACE TEMP TABLE patents AS
    SELECT (row_number() OVER ())::INTEGER AS pid, ltrim(patent_id, ' ') AS patent_id,
           {_year_of("patent_date")} AS grant_year, NULL::BIGINT AS filing_year
    FROM g_patent WHERE coalesce(try_cast(trim(withdrawn) AS DOUBLE), 0) <> 1"""


def _codes_sql(level: str, cpc_type: str | None) -> str:
    column = CPC_COLUMN[level]
    where = f"coalesce(c.{column}, '') <> ''"
    if cpc_type is not None:
        types = ", ".join(f"'{t}'" for t in dict.fromkeys([cpc_type, cpc_type.capitalize(), cpc_type.upper()]))
        where += f" AND c.cpc_type IN ({types})"
    return f"""
        CREATE OR REPLACE TEMP TABLE codes AS
        SELECT DISTINCT p.pid, c.{column} AS cpc
        FROM g_cpc_current c JOIN patents p ON ltrim(c.patent_id, ' ') = p.patent_id
        WHERE {where}"""


_SHARES = {
    "country": """
        CREATE OR REPLACE TEMP TABLE shares_country AS
        SELECT pid, country, count(*) / sum(count(*)) OVER (PARTITION BY pid) AS share
        FROM (SELECT p.pid, l.country FROM g_inventor_disambiguated i
              JOIN patents p ON ltrim(i.patent_id, ' ') = p.patent_id
              LEFT JOIN locations l ON i.location_id = l.location_id)
        GROUP BY pid, country""",
    "assignee": """
        CREATE OR REPLACE TEMP TABLE shares_assignee AS
        SELECT pid, assignee_id, organization, country,
               count(*) / sum(count(*)) OVER (PARTITION BY pid) AS share
        FROM (SELECT p.pid, nullif(trim(a.assignee_id), '') AS assignee_id,
                     nullif(trim(coalesce(a.disambig_assignee_organization,
                            concat_ws(' ', a.disambig_assignee_individual_name_first,
                                      a.disambig_assignee_individual_name_last))), '') AS organization,
                     l.country
              FROM g_assignee_disambiguated a JOIN patents p ON ltrim(a.patent_id, ' ') = p.patent_id
              LEFT JOIN locations l ON a.location_id = l.location_id)
        GROUP BY pid, assignee_id, organization, country""",
}
_KEYS = {"country": "country", "assignee": "assignee_id, organization, country"}

_LOCATIONS = """
    CREATE OR REPLACE TEMP TABLE locations AS
    SELECT location_id, nullif(trim(disambig_country), '') AS country FROM g_location_disambiguated
    QUALIFY row_number() OVER (PARTITION BY location_id ORDER BY file_row_number) = 1"""


def check_options(level: str, year: str, cpc_type: str | None, by: str = "country") -> None:
    if level not in CPC_COLUMN:
        raise ChipwarError(f"level must be one of {list(CPC_COLUMN)}, got {level!r}")
    if year not in ("filing", "grant"):
        raise ChipwarError(f"year must be 'filing' or 'grant', got {year!r}")
    if cpc_type not in (None, "inventional", "additional"):
        raise ChipwarError(f"cpc_type must be None, 'inventional' or 'additional', got {cpc_type!r}")
    if by not in _SHARES:
        raise ChipwarError(f"by must be one of {list(_SHARES)}, got {by!r}")


class PanelBuilder:
    """The temporary tables of the patent panels on one connection, each made once: the patents and their years,
    the locations, the distinct (patent, code) pairs of a level, the owners' shares; every panel then is one join
    and aggregation of them."""

    def __init__(self, con, filing: bool = True):
        self.con = con
        duplicate = con.execute(
            "SELECT patent_id FROM g_patent GROUP BY patent_id HAVING count(*) > 1 LIMIT 1"
        ).fetchall()
        if duplicate:
            raise ChipwarError(f"g_patent: patent_id {duplicate[0][0]!r} appears twice; each patent needs one row")
        con.execute(_PATENTS if filing else _PATENTS_GRANT_ONLY)
        con.execute(_LOCATIONS)
        self._codes: tuple[str, str | None] | None = None
        self._shares: set[str] = set()

    def select(self, level: str, year: str, cpc_type: str | None, by: str = "country") -> tuple[str, PanelCounts]:
        """The SELECT of one panel and what it left out (patents with codes but no owner, patents without year)."""
        check_options(level, year, cpc_type, by)
        if self._codes != (level, cpc_type):
            self.con.execute(_codes_sql(level, cpc_type))
            self._codes = (level, cpc_type)
        if by not in self._shares:
            self.con.execute(_SHARES[by])
            self._shares.add(by)
        shares, keys, year_column = f"shares_{by}", _KEYS[by], f"{year}_year"
        no_owner = self.con.execute(
            f"SELECT count(DISTINCT pid) FROM codes WHERE pid NOT IN (SELECT pid FROM {shares})"
        ).fetchall()[0][0]
        no_year = self.con.execute(f"SELECT count(*) FROM patents WHERE {year_column} IS NULL").fetchall()[0][0]
        select = f"""
            SELECT {keys}, c.cpc, p.{year_column}::BIGINT AS year, sum(s.share)::DOUBLE AS patents
            FROM codes c JOIN {shares} s USING (pid) JOIN patents p USING (pid)
            WHERE p.{year_column} IS NOT NULL
            GROUP BY ALL ORDER BY {", ".join(k + " NULLS LAST" for k in keys.split(", "))}, c.cpc, year"""
        return select, PanelCounts(int(no_owner), int(no_year))


def patent_panel_sql(con, level: str, year: str, cpc_type: str | None, by: str = "country") -> tuple[str, PanelCounts]:
    """The SELECT of one patent panel ``by`` ``"country"`` (inventor countries) or ``"assignee"``, and what it left
    out; the temporary tables it reads are created on ``con``."""
    check_options(level, year, cpc_type, by)
    return PanelBuilder(con, filing=year == "filing").select(level, year, cpc_type, by)


def baci_study_sql(hs6: list[str], complete_zeros: bool = True) -> str:
    """Flows of the products ``hs6`` by exporter x importer x product x year (ISO3 codes), with a zero row for every
    year in which a traded exporter x importer x product triple has no flow (PPML needs the zeros)."""
    codes = ", ".join(f"'{c}'" for c in hs6)
    flows = (
        f"SELECT year, exporter_iso3 AS exporter, importer_iso3 AS importer, hs6, sum(value_usd) AS value_usd "
        f"FROM baci WHERE hs6 IN ({codes}) GROUP BY ALL"
    )
    if not complete_zeros:
        return flows + " ORDER BY exporter, importer, hs6, year"
    return f"""
        WITH flows AS ({flows}),
             triples AS (SELECT DISTINCT exporter, importer, hs6 FROM flows),
             years AS (SELECT DISTINCT year FROM flows)
        SELECT y.year, t.exporter, t.importer, t.hs6, coalesce(f.value_usd, 0.0) AS value_usd
        FROM triples t CROSS JOIN years y LEFT JOIN flows f USING (exporter, importer, hs6, year)
        ORDER BY t.exporter, t.importer, t.hs6, y.year"""
