"""The search worst case: a rare term that only a scan could find without the index;
and the other worst case, a common term (in a third of the rows), whose capped count
tests the needle on every row it counts.

Measured at each size for bench-000's own resources (mine) and for the public scope
(a quarter of all resources): the store call, the whole `%resource list -s` cell, and
the plain scan it replaced (the same LIKE through the raw driver with no index to help:
on PostgreSQL the trigram index is dropped inside a transaction that is rolled back,
which is also what a server without pg_trgm, like pgserver's, runs). The plans of the
store's own statements are kept for the results.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from resource_magic.schema import SEARCH_INDEXES
from resource_magic.store import ResourceStore
from resource_magic.store import search as search_module
from resource_magic.store.listing import COUNT_CAP

from .magics import _capture, make_shell, run_cell
from .rawdb import connect, paramstyle
from .seed import BENCH_USER, COMMON_TERM, RARE_TERM
from .timing import Stats, measure, measure_pair


@dataclass
class SearchResults:
    store: dict[str, Stats] = field(default_factory=dict)
    magic: dict[str, Stats] = field(default_factory=dict)
    scan: dict[str, Stats] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)
    plans: dict[str, str] = field(default_factory=dict)
    # The common term's store call, and the same call as it was before issue 17's
    # search cap (counting to COUNT_CAP, PostgreSQL free to use the trigram index),
    # interleaved with it.
    common: dict[str, Stats] = field(default_factory=dict)
    common_before: dict[str, Stats] = field(default_factory=dict)
    common_total: dict[str, str] = field(default_factory=dict)


def _scan_sql(scope: str, qmark: bool) -> list[str]:
    p = "?" if qmark else "%s"
    where = f"user_id = {p}" if scope == "mine" else "is_public"
    like = f"search_text LIKE {p} ESCAPE '/'"
    return [
        f"SELECT count(*) FROM resource WHERE {where} AND {like}",
        f"SELECT id, name, updated_at FROM resource WHERE {where} AND {like} "
        "ORDER BY updated_at DESC, id DESC LIMIT 50",
    ]


def _explain(url: str, statements) -> str:
    conn = connect(url)
    qmark = paramstyle(url) == "qmark"
    lines = []
    try:
        cur = conn.cursor()
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            if qmark:
                cur.execute("EXPLAIN QUERY PLAN " + statement, parameters)
                plan = [str(row[-1]) for row in cur.fetchall()]
            else:
                cur.execute("EXPLAIN " + statement, parameters)
                plan = [row[0] for row in cur.fetchall()]
            lines.append(" ".join(statement.split())[:160] + " ...")
            lines.extend("    " + line for line in plan)
    finally:
        conn.close()
    return "\n".join(lines)


def bench_search(url: str, repeat: int) -> SearchResults:
    store = ResourceStore(url, user=BENCH_USER)
    shell = make_shell(url)
    results = SearchResults()
    qmark = paramstyle(url) == "qmark"
    uid = _uid(url, qmark)
    for scope in ("mine", "public"):
        flag = " --public" if scope == "public" else ""
        results.found[scope] = store.list(RARE_TERM, scope=scope).total
        results.store[scope] = measure(
            lambda scope=scope: store.list(RARE_TERM, scope=scope), repeat
        )
        results.magic[scope] = measure(
            lambda flag=flag: run_cell(shell, f"%resource list -s {RARE_TERM}{flag}"),
            repeat,
        )
        sent = _capture(
            store.engine, lambda scope=scope: store.list(RARE_TERM, scope=scope)
        )
        results.plans[scope] = _explain(url, sent)
        results.scan[scope] = _measure_scan(url, scope, uid, qmark, repeat)
        results.common_total[scope] = store.list(COMMON_TERM, scope=scope).total_label
        results.common[scope], results.common_before[scope] = measure_pair(
            lambda scope=scope: store.list(COMMON_TERM, scope=scope),
            lambda scope=scope: _as_before(store, scope),
            repeat,
        )
    store.engine.dispose()
    return results


def _as_before(store: ResourceStore, scope: str) -> None:
    """The common search as it ran before the search cap and the planner's estimate."""
    cap, estimate = store.search_count_cap, search_module.COMMON_ESTIMATE
    store.search_count_cap, search_module.COMMON_ESTIMATE = COUNT_CAP, float("inf")
    try:
        store.list(COMMON_TERM, scope=scope)
    finally:
        store.search_count_cap, search_module.COMMON_ESTIMATE = cap, estimate


def _uid(url: str, qmark: bool) -> int:
    conn = connect(url)
    try:
        cur = conn.cursor()
        cur.execute(
            'SELECT id FROM "user" WHERE name = ' + ("?" if qmark else "%s"),
            (BENCH_USER,),
        )
        return cur.fetchone()[0]
    finally:
        conn.close()


def _measure_scan(url: str, scope: str, uid: int, qmark: bool, repeat: int) -> Stats:
    conn = connect(url)
    params = ((uid,) if scope == "mine" else ()) + (f"%{RARE_TERM}%",)
    statements = _scan_sql(scope, qmark)
    try:
        cur = conn.cursor()
        if not qmark:
            cur.execute("BEGIN")
            cur.execute(f"DROP INDEX IF EXISTS {SEARCH_INDEXES[1]}")

        def scan():
            for statement in statements:
                cur.execute(statement, params)
                cur.fetchall()

        stats = measure(scan, max(3, repeat // 3), warmup=1)
        if not qmark:
            cur.execute("ROLLBACK")
        return stats
    finally:
        conn.close()
