"""Substring search over name and description, kept fast by an index on each backend.

The meaning never changes: both sides are case-folded in Python
(`validate.search_fold`), so a match is a plain, case-sensitive substring test,
`search_text LIKE '%needle%'` with `%`, `_` and `\\` literal, that SQLite and
PostgreSQL answer identically. The indexes only find candidates faster; that LIKE is
always the final test.

- PostgreSQL: a pg_trgm GIN index on search_text (migration 0002), which the planner
  uses for the LIKE itself when the needle has 3+ characters and is rare enough to be
  worth it (its statistics tell). Without pg_trgm (pgserver's build) the LIKE scans.
  The planner underprices the index for a common needle: it ANDs the bitmap of every
  row holding the needle's trigrams (a third of a million rows at 1M: ~100 ms) with the
  scope's, where testing the scope's rows in order would stop after the capped count.
  So a needle the planner itself estimates at more than COMMON_ESTIMATE rows is
  searched through `search_text || ''`, which no index covers: the same LIKE, the same
  rows, without the trigram index. (A team database skips the estimate: row-level
  security keeps LIKE off the index there anyway.)
- SQLite: an FTS5 table with the trigram tokenizer (migration 0002), kept in step with
  resource.search_text by triggers and keyed by resource.search_key. A needle of 3+
  characters is looked up there first: the candidates are the rows holding every
  trigram of it (with detail=none FTS5 cannot check that they are adjacent; the LIKE
  does). The probe stops at MAX_CANDIDATES + 1 rows. Up to MAX_CANDIDATES, the query
  starts from the candidates' keys; beyond, the needle is common and testing the rows
  in scope is cheaper. SQLite keeps no statistics unless ANALYZE runs, and without them
  its planner always prefers the scope's own index (user_id or is_public, which also
  gives the order): a rare needle in the public scope would still read every public
  row. So when the candidates lead, `SearchFilter.scoped` keeps the scope's column off
  the indexes with SQLite's documented unary `+`.
- A needle of 1-2 characters has no trigram: it scans the rows in scope, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import (
    Connection,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    false,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from ..schema import SEARCH_FTS_TABLE, SEARCH_INDEXES, SEARCH_KEY_COLUMN, resource_table

# FTS5's trigram tokenizer indexes every run of 3 characters (code points).
TRIGRAM = 3
# More trigrams add little selectivity to a needle; any subset still finds every row
# that contains it.
MAX_TRIGRAMS = 24
# Up to this many candidates, the index leads; beyond, the rows in scope are tested.
MAX_CANDIDATES = 2_000
# PostgreSQL: past this many estimated matches, the trigram index is kept out.
COMMON_ESTIMATE = 20_000

_search_key = literal_column(f"resource.{SEARCH_KEY_COLUMN}", Integer)
_fts_rowid = literal_column(f"{SEARCH_FTS_TABLE}.rowid", Integer)
_fts_match = literal_column(SEARCH_FTS_TABLE).op("MATCH")
_has_index: dict[object, bool] = {}


@dataclass(frozen=True)
class SearchFilter:
    """The WHERE clause for a needle, and whether the search index leads the query.

    The clause takes the needle and the candidates' keys as bind parameters (`values`),
    so a listing builds its statements once per `kind` of clause (all, none, exact,
    unindexed, index) and not per needle."""

    clause: ColumnElement[bool]
    index_leads: bool = False
    kind: str = "all"
    values: dict = field(default_factory=dict)

    def scoped(self, column):
        """`column` for the scope's condition: kept off the indexes when ours leads."""
        if not self.index_leads:
            return column
        return UnaryExpression(
            column, operator=operators.custom_op("+"), type_=column.type
        )


def search_filter(
    conn: Connection, needle: str, *, estimate: bool = True
) -> SearchFilter:
    """How to find resources whose folded search text contains the folded `needle`
    (`estimate`: whether PostgreSQL's planner may be asked how common it is)."""
    # contains(needle, autoescape=True), the needle escaped here as SQLAlchemy would
    # (its autoescape takes no bind parameter): %, _ and / literal.
    values = {"needle": escape_like(needle)}
    exact = SearchFilter(_clauses()["exact"], kind="exact", values=values)
    if len(needle) < TRIGRAM:
        return exact
    if conn.dialect.name == "postgresql":
        if estimate and _estimated_rows(conn, needle) > COMMON_ESTIMATE:
            return SearchFilter(
                _clauses()["unindexed"], kind="unindexed", values=values
            )
        return exact
    if not _index_ready(conn):
        return exact
    probe = {"query": fts_query(needle)}
    keys = conn.scalars(_fts_probe(), probe).all()
    if len(keys) > MAX_CANDIDATES:
        return exact
    if not keys:
        return SearchFilter(false(), kind="none")
    return SearchFilter(
        _clauses()["index"],
        index_leads=True,
        kind="index",
        values={**values, "keys": keys},
    )


@cache
def _clauses() -> dict[str, ColumnElement[bool]]:
    """The search clauses, the needle (escaped) as :needle and the FTS candidates'
    keys as :keys: built once."""
    needle = bindparam("needle", type_=Text())
    exact = resource_table.c.search_text.contains(needle, escape="/")
    # `search_text || ''`, which no index covers: the same LIKE, the same rows.
    unindexed = resource_table.c.search_text.concat(literal("")).contains(
        needle, escape="/"
    )
    keys = _search_key.in_(bindparam("keys", expanding=True))
    return {"exact": exact, "unindexed": unindexed, "index": and_(keys, exact)}


@cache
def _fts_probe():
    """The keys of up to MAX_CANDIDATES + 1 rows matching the FTS5 query :query; built
    once (building it cost more than SQLite takes to run it)."""
    return (
        select(_fts_rowid)
        .select_from(text(SEARCH_FTS_TABLE))
        .where(_fts_match(bindparam("query", type_=String())))
        .limit(MAX_CANDIDATES + 1)
    )


def fts_query(needle: str) -> str:
    """An FTS5 query for the rows holding every trigram of `needle` (3+ characters)."""
    grams = [needle[i : i + TRIGRAM] for i in range(len(needle) - TRIGRAM + 1)]
    grams = list(dict.fromkeys(grams))
    if len(grams) > MAX_TRIGRAMS:
        step = (len(grams) - 1) / (MAX_TRIGRAMS - 1)
        grams = [grams[round(k * step)] for k in range(MAX_TRIGRAMS)]
    return " AND ".join('"' + gram.replace('"', '""') + '"' for gram in grams)


def escape_like(needle: str) -> str:
    """`needle` escaped as `contains(needle, autoescape=True)` escapes it (/, % and _
    literal, escape character /)."""
    return needle.replace("/", "//").replace("%", "/%").replace("_", "/_")


def like_pattern(needle: str) -> str:
    """The LIKE pattern `contains(needle, autoescape=True)` sends."""
    return f"%{escape_like(needle)}%"


_ESTIMATE = text(
    "EXPLAIN (FORMAT JSON) SELECT 1 FROM resource "
    "WHERE search_text LIKE :pattern ESCAPE '/'"
)


def _estimated_rows(conn: Connection, needle: str) -> float:
    """How many rows PostgreSQL's planner expects to hold `needle` (0 when it has no
    trigram index to be tempted by: then there is nothing to keep it from)."""
    if not _index_ready(conn):
        return 0
    plan = conn.scalar(_ESTIMATE, {"pattern": like_pattern(needle)})
    return plan[0]["Plan"]["Plan Rows"]


# Whether the backend's search index exists, asked once per database: SQLite's FTS
# table (builds without FTS5 have none), PostgreSQL's trigram index (pgserver's
# server has no pg_trgm).
_INDEX_QUERIES = {
    "sqlite": (
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :n",
        SEARCH_FTS_TABLE,
    ),
    "postgresql": ("SELECT to_regclass(:n)", SEARCH_INDEXES[1]),
}


def _index_ready(conn: Connection) -> bool:
    """Whether this database has its backend's search index."""
    bind = conn.engine
    ready = _has_index.get(bind.url)
    if ready is None:
        query, name = _INDEX_QUERIES[bind.dialect.name]
        found = conn.scalar(text(query), {"n": name})
        ready = _has_index[bind.url] = found is not None
    return ready
