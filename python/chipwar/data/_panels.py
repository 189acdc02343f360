"""The analysis panels as DuckDB SQL over the store's Parquet tables (see :mod:`chipwar.data.store` for the layout).

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
        f"AND try_strptime(trim({column}), '%Y-%m-%d') IS NULL LIMIT 1").fetchall()
    if bad:
        bad = bad[0]
        raise ChipwarError(f"{path}, column {column!r}: {bad[1]!r} (patent {bad[0]!r}) is not a date YYYY-MM-DD; "
                           "correct or remove that row and build the store again")


def _patents_sql(year: str) -> str:
    """Non-withdrawn patents with their year (NULL when unknown), as a CTE body."""
    grant = f"SELECT ltrim(patent_id, ' ') AS patent_id, {_year_of('patent_date')} AS year FROM g_patent " \
            "WHERE coalesce(try_cast(trim(withdrawn) AS DOUBLE), 0) <> 1"
    if year == "grant":
        return grant
    return f"""
        SELECT p.patent_id, f.year FROM (SELECT patent_id FROM ({grant})) p
        LEFT JOIN (
            SELECT ltrim(patent_id, ' ') AS patent_id, {_year_of('filing_date')} AS year FROM g_application
            QUALIFY row_number() OVER (PARTITION BY ltrim(patent_id, ' ') ORDER BY file_row_number DESC) = 1
        ) f USING (patent_id)"""


def _codes_sql(level: str, cpc_type: str | None) -> str:
    column = CPC_COLUMN[level]
    where = f"coalesce({column}, '') <> ''"
    if cpc_type is not None:
        types = ", ".join(f"'{t}'" for t in dict.fromkeys([cpc_type, cpc_type.capitalize(), cpc_type.upper()]))
        where += f" AND cpc_type IN ({types})"
    return f"SELECT DISTINCT ltrim(patent_id, ' ') AS patent_id, {column} AS cpc FROM g_cpc_current WHERE {where}"


_INVENTOR_SHARES = """
    SELECT patent_id, country, count(*) / sum(count(*)) OVER (PARTITION BY patent_id) AS share
    FROM (SELECT ltrim(i.patent_id, ' ') AS patent_id, l.country FROM g_inventor_disambiguated i
          LEFT JOIN locations l ON i.location_id = l.location_id)
    WHERE patent_id IN (SELECT patent_id FROM patents)
    GROUP BY patent_id, country"""

_ASSIGNEE_SHARES = """
    SELECT patent_id, assignee_id, organization, country,
           count(*) / sum(count(*)) OVER (PARTITION BY patent_id) AS share
    FROM (SELECT ltrim(a.patent_id, ' ') AS patent_id, nullif(trim(a.assignee_id), '') AS assignee_id,
                 nullif(trim(coalesce(a.disambig_assignee_organization,
                        concat_ws(' ', a.disambig_assignee_individual_name_first,
                                  a.disambig_assignee_individual_name_last))), '') AS organization,
                 l.country
          FROM g_assignee_disambiguated a LEFT JOIN locations l ON a.location_id = l.location_id)
    WHERE patent_id IN (SELECT patent_id FROM patents)
    GROUP BY patent_id, assignee_id, organization, country"""

_LOCATIONS = """
    CREATE OR REPLACE TEMP TABLE locations AS
    SELECT location_id, nullif(trim(disambig_country), '') AS country FROM g_location_disambiguated
    QUALIFY row_number() OVER (PARTITION BY location_id ORDER BY file_row_number) = 1"""


def _prepare(con, year: str, level: str, cpc_type: str | None) -> None:
    duplicate = con.execute("SELECT patent_id FROM g_patent GROUP BY patent_id HAVING count(*) > 1 LIMIT 1").fetchall()
    if duplicate:
        raise ChipwarError(f"g_patent: patent_id {duplicate[0][0]!r} appears twice; each patent needs one row")
    con.execute(_LOCATIONS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE patents AS {_patents_sql(year)}")
    con.execute(f"CREATE OR REPLACE TEMP TABLE codes AS {_codes_sql(level, cpc_type)} "
                "AND ltrim(patent_id, ' ') IN (SELECT patent_id FROM patents)")


def patent_panel_sql(con, level: str, year: str, cpc_type: str | None, by: str = "country") -> tuple[str, PanelCounts]:
    """The SELECT of the patent panel ``by`` ``"country"`` (inventor countries) or ``"assignee"``, and what it
    left out; the temporary tables it reads are created on ``con``."""
    if level not in CPC_COLUMN:
        raise ChipwarError(f"level must be one of {list(CPC_COLUMN)}, got {level!r}")
    if year not in ("filing", "grant"):
        raise ChipwarError(f"year must be 'filing' or 'grant', got {year!r}")
    if cpc_type not in (None, "inventional", "additional"):
        raise ChipwarError(f"cpc_type must be None, 'inventional' or 'additional', got {cpc_type!r}")
    _prepare(con, year, level, cpc_type)
    keys = "country" if by == "country" else "assignee_id, organization, country"
    con.execute(f"CREATE OR REPLACE TEMP TABLE shares AS {_INVENTOR_SHARES if by == 'country' else _ASSIGNEE_SHARES}")
    no_owner = con.execute("SELECT count(DISTINCT patent_id) FROM codes "
                           "WHERE patent_id NOT IN (SELECT patent_id FROM shares)").fetchall()[0][0]
    no_year = con.execute("SELECT count(*) FROM patents WHERE year IS NULL").fetchall()[0][0]
    select = f"""
        SELECT {keys}, c.cpc, p.year::BIGINT AS year, sum(s.share)::DOUBLE AS patents
        FROM codes c JOIN shares s USING (patent_id) JOIN patents p USING (patent_id)
        WHERE p.year IS NOT NULL
        GROUP BY ALL ORDER BY {', '.join(k + ' NULLS LAST' for k in keys.split(', '))}, c.cpc, year"""
    return select, PanelCounts(int(no_owner), int(no_year))


def baci_study_sql(hs6: list[str], complete_zeros: bool = True) -> str:
    """Flows of the products ``hs6`` by exporter x importer x product x year (ISO3 codes), with a zero row for every
    year in which a traded exporter x importer x product triple has no flow (PPML needs the zeros)."""
    codes = ", ".join(f"'{c}'" for c in hs6)
    flows = (f"SELECT year, exporter_iso3 AS exporter, importer_iso3 AS importer, hs6, sum(value_usd) AS value_usd "
             f"FROM baci WHERE hs6 IN ({codes}) GROUP BY ALL")
    if not complete_zeros:
        return flows + " ORDER BY exporter, importer, hs6, year"
    return f"""
        WITH flows AS ({flows}),
             triples AS (SELECT DISTINCT exporter, importer, hs6 FROM flows),
             years AS (SELECT DISTINCT year FROM flows)
        SELECT y.year, t.exporter, t.importer, t.hs6, coalesce(f.value_usd, 0.0) AS value_usd
        FROM triples t CROSS JOIN years y LEFT JOIN flows f USING (exporter, importer, hs6, year)
        ORDER BY t.exporter, t.importer, t.hs6, y.year"""
