"""Substring search gives exactly the plain Python answer on both backends, whether the
index (SQLite FTS5 trigram, PostgreSQL pg_trgm) finds the candidates or a scan does, and
the index follows every insert, update, rename, fork, import and delete."""

from __future__ import annotations

import random
import re

import pytest
from _models import Resource, ResourceVersion, User
from _team import admin_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, event, insert, select, text

from resource_magic.migrate import alembic_config
from resource_magic.schema import SEARCH_FTS_TABLE, SEARCH_INDEXES, utcnow
from resource_magic.store import ResourceStore
from resource_magic.store import search as search_module
from resource_magic.store.search import MAX_CANDIDATES, fts_query, like_pattern
from resource_magic.validate import clean_search, search_text

# Case folding beyond ASCII (ß -> ss, Turkish dotted and dotless i, Ü), CJK, emoji,
# LIKE's metacharacters and the FTS5 query quote.
ALPHABET = "abcsSXß Üüİıi日本語🎉👍🏽%_\\\"'-."
TRICKY_QUERIES = [
    "a",
    "ab",
    "ß",
    "SS",
    "ss",
    "straße",
    "STRASSE",
    "Ü",
    "ü",
    "İ",
    "i",
    "İst",
    "ıst",
    "istanbul",
    "日",
    "日本",
    "日本語",
    "🎉",
    "🎉🎉",
    "👍🏽",
    "%",
    "_",
    "\\",
    "100%",
    "a_b",
    "a%b",
    "\\n",
    '"',
    '""',
    "'",
    'say "hi"',
    "  padded  ",
    "ocalhost",
    "kpi revenue",
    "kpi report",
    "zzz-no-such-thing",
]
FIXED_TEXTS = [
    ("straße-report", "Die Straße ist lang"),
    ("istanbul", "İstanbul trip, DIŞ KAPI"),
    ("üb", "Über alles"),
    ("cjk", "日本語のテキスト"),
    ("party", "🎉🎉 done 👍🏽"),
    ("percent", "100% of a_b and a%b, c:\\new"),
    ("quotes", "she said \"hi\" and 'bye'"),
    ("url", "http://localhost:8888/lab"),
    # Every trigram of "kpi revenue" is here, but not the phrase: the index's
    # candidates must still be checked.
    ("kpi", "kpi report revenue"),
]


def _expected(rows, query: str, viewer: str, scope: str) -> list[str]:
    """The plain answer: fold like the store does, then Python's `in`."""
    needle = clean_search(query)
    return sorted(
        f"{owner}/{name}"
        for owner, name, description, public in rows
        if (owner == viewer if scope == "mine" else public)
        and (needle is None or needle in search_text(name, description))
    )


def _found(store: ResourceStore, query: str, scope: str) -> list[str]:
    page = store.list(query, scope=scope, limit=1000)
    assert page.total == len(page.items)
    return sorted(item.qualified_name for item in page.items)


def _populate(make_store, count: int, seed: int):
    """Two users' resources with random names and descriptions from ALPHABET."""
    rng = random.Random(seed)
    stores = {"alice": make_store("alice"), "bob": make_store("bob")}
    rows = []
    for i, (name, description) in enumerate(FIXED_TEXTS):
        owner = "alice" if i % 2 == 0 else "bob"
        saved = stores[owner].save(
            name, "x = 1", description=description, is_public=i % 3 == 0
        )
        r = saved.resource
        rows.append((owner, r.name, r.description, r.is_public))
    for i in range(count):
        owner = rng.choice(["alice", "bob"])
        word = "".join(rng.choices(ALPHABET.replace("\\", ""), k=rng.randint(1, 8)))
        description = "".join(rng.choices(ALPHABET + "\n", k=rng.randint(0, 30)))
        saved = stores[owner].save(
            f"r{i}-{word}",
            "x = 1",
            description=description or None,
            is_public=rng.random() < 0.5,
        )
        r = saved.resource
        rows.append((owner, r.name, r.description, r.is_public))
    return stores, rows


def test_tricky_queries_match_python(make_store):
    stores, rows = _populate(make_store, 30, seed=1)
    for query in TRICKY_QUERIES:
        for viewer, store in stores.items():
            for scope in ("mine", "public"):
                assert _found(store, query, scope) == _expected(
                    rows, query, viewer, scope
                ), (query, viewer, scope)


def test_random_queries_match_python(make_store):
    stores, rows = _populate(make_store, 60, seed=2)
    texts = [search_text(name, description) for _, name, description, _ in rows]

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def check(data):
        if data.draw(st.booleans(), label="substring of a stored text"):
            source = data.draw(st.sampled_from(texts))
            start = data.draw(st.integers(0, max(len(source) - 1, 0)))
            length = data.draw(st.integers(1, 6))
            query = source[start : start + length]
        else:
            query = data.draw(st.text(alphabet=ALPHABET, min_size=1, max_size=5))
        viewer = data.draw(st.sampled_from(["alice", "bob"]))
        scope = data.draw(st.sampled_from(["mine", "public"]))
        assert _found(stores[viewer], query, scope) == _expected(
            rows, query, viewer, scope
        )

    check()


def _assert_in_step(store: ResourceStore) -> None:
    """SQLite: FTS5 checks its index against resource.search_text, row by row."""
    if store.backend != "sqlite":
        return
    with store.engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO {SEARCH_FTS_TABLE}({SEARCH_FTS_TABLE}, rank) "
                "VALUES ('integrity-check', 1)"
            )
        )


def _names(store, query, scope="mine") -> list[str]:
    return sorted(r.name for r in store.list(query, scope=scope).items)


def test_index_follows_updates_renames_forks_and_deletes(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("penguin-report", "x = 1", description="Antarctic colony counts")
    alice.save("walrus", "x = 2", description="Arctic", is_public=True)
    assert _names(alice, "penguin") == ["penguin-report"]
    assert _names(alice, "colony") == ["penguin-report"]

    alice.update("penguin-report", description="Emperor census")
    assert _names(alice, "colony") == []
    assert _names(alice, "census") == ["penguin-report"]

    alice.update("penguin-report", rename="emperor-census")
    assert _names(alice, "penguin") == []
    assert _names(alice, "emperor") == ["emperor-census"]

    alice.save("emperor-census", "x = 3", description="Now with chicks")
    assert _names(alice, "census") == ["emperor-census"]  # the name still says so
    assert _names(alice, "chicks") == ["emperor-census"]

    bob.fork("alice/walrus", "walrus-copy")
    assert _names(bob, "walrus") == ["walrus-copy"]
    assert _names(bob, "arctic") == ["walrus-copy"]
    _assert_in_step(alice)

    alice.delete("walrus")
    assert _names(alice, "walrus") == []
    assert _names(bob, "walrus", scope="public") == []
    assert _names(bob, "walrus") == ["walrus-copy"]

    exported = alice.export()
    bob.import_(exported)
    assert _names(bob, "chicks") == ["emperor-census"]
    _assert_in_step(alice)

    alice.delete_user()  # cascades to every resource of hers
    assert _names(bob, "chicks") == ["emperor-census"]
    assert _names(make_store("alice"), "chicks") == []
    _assert_in_step(bob)


def test_common_needles_fall_back_to_the_scan_and_stay_exact(make_store):
    """More candidates than the index path takes: the scan answers, identically."""
    store = make_store("alice")
    store.save("first", "x = 1")  # makes alice's user row
    with store.engine.connect() as conn:
        uid = conn.scalar(select(User.id).where(User.name == "alice"))
    rows = [
        _resource_row(uid, f"common-{i}", "lorem" if i % 2 else "ipsum lorem")
        for i in range(MAX_CANDIDATES + 50)
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(Resource), rows)
    store.search_count_cap = 10_000  # exact counts past the search's own cap
    assert store.list("lorem", limit=1).total == MAX_CANDIDATES + 50
    assert store.list("ipsum", limit=1).total == (MAX_CANDIDATES + 50 + 1) // 2
    assert store.list("psum lor", limit=1).total == (MAX_CANDIDATES + 50 + 1) // 2
    _assert_in_step(store)


def _resource_row(uid: int, name: str, description: str, public=False) -> dict:
    import uuid

    now = utcnow()
    return {
        "id": uuid.uuid4(),
        "user_id": uid,
        "name": name,
        "description": description,
        "resource_type": "workflow",
        "content": "x = 1",
        "parameters": None,
        "execution_count": 0,
        "fork_count": 0,
        "is_public": public,
        "current_version": 1,
        "search_text": search_text(name, description),
        "created_at": now,
        "updated_at": now,
    }


def test_fts_query_quotes_and_bounds_the_trigrams():
    assert fts_query("abcd") == '"abc" AND "bcd"'
    assert fts_query('a"bc') == '"a""b" AND """bc"'
    assert fts_query("aaaaaa") == '"aaa"'  # repeated trigrams once
    long = fts_query("".join(chr(0x4E00 + i) for i in range(200)))
    assert long.count(" AND ") == 23  # 24 trigrams at most


def _statements(store: ResourceStore, action) -> list[tuple[str, object]]:
    """The (SQL, parameters) a store sends while `action` runs."""
    sent = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", on_execute)
    try:
        action()
    finally:
        event.remove(store.engine, "before_cursor_execute", on_execute)
    return sent


def _explain(store: ResourceStore, statement: str, parameters) -> str:
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if store.backend == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        # A few thousand rows fit in a handful of pages, where a sequential scan is
        # cheapest; the benchmarks show the plan at a million rows.
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        raw.rollback()
        raw.close()


def _has_trigram_index(store: ResourceStore) -> bool:
    with store.engine.connect() as conn:
        return (
            conn.scalar(
                text("SELECT 1 FROM pg_indexes WHERE indexname = :n"),
                {"n": SEARCH_INDEXES[1]},
            )
            is not None
        )


@pytest.mark.parametrize("scope", ["mine", "public"])
def test_a_rare_needle_is_found_through_the_index(make_store, scope):
    """With enough rows for the planner to care, the index, not the scope, leads."""
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("first", "x = 1")
    bob.save("first", "x = 1")
    backdoor = admin_store(alice).engine  # plants rows for both owners at once
    with backdoor.begin() as conn:
        uids = dict(conn.execute(select(User.name, User.id)).all())
        rows = [
            _resource_row(uids[owner], f"{owner}-{i}", f"hay stack {i}", public=True)
            for owner in ("alice", "bob")
            for i in range(1500)
        ]
        rows[700]["description"] = "a needle in it"
        rows[700]["search_text"] = search_text(rows[700]["name"], "a needle in it")
        conn.execute(insert(Resource), rows)
    if alice.backend == "postgresql":  # what autovacuum does: statistics, no backlog
        with backdoor.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE resource"))
    sent = _statements(alice, lambda: alice.list("needle", scope=scope))
    queries = [(s, p) for s, p in sent if s.lstrip().upper().startswith("SELECT")]
    page = [(s, p) for s, p in queries if "ORDER BY" in s and "LIMIT" in s]
    count = [(s, p) for s, p in queries if "count(*)" in s]
    assert len(page) == len(count) == 1
    for statement in (page[0], count[0]):
        plan = _explain(alice, *statement)
        if alice.backend == "sqlite":
            assert SEARCH_INDEXES[0] in plan, plan
            assert "ix_resource_user_id" not in plan, plan
            assert "ix_resource_is_public" not in plan, plan
        elif alice.team:
            # Row-level security applies its policy before any operator that is not
            # LEAKPROOF (LIKE is not), so on a team database the scope leads and the
            # needle filters what it finds: still one query, still exact (below).
            assert SEARCH_INDEXES[1] not in plan, plan
            assert re.search(r"Filter: .*search_text ~~", plan), plan
        elif _has_trigram_index(alice):
            assert SEARCH_INDEXES[1] in plan, plan
        else:  # no pg_trgm on this server (pgserver): the LIKE scans, still exact
            assert SEARCH_INDEXES[1] not in plan, plan
    if alice.backend == "sqlite":
        assert any(SEARCH_FTS_TABLE in s and "MATCH" in s for s, _ in sent), sent
    assert [r.name for r in alice.list("needle", scope=scope).items] == ["alice-700"]


UNINDEXED = re.compile(r"search_text \|\| ")  # the form no index covers


def test_a_common_needle_keeps_the_trigram_index_out(make_store, monkeypatch):
    """PostgreSQL: a needle its planner expects in more than COMMON_ESTIMATE rows is
    tested on the rows in scope (the index's bitmap of them all costs more); a rare one
    still goes through the index. The answer is the same either way."""
    monkeypatch.setattr(search_module, "COMMON_ESTIMATE", 500)
    alice = make_store("alice")
    alice.save("first", "x = 1")
    backdoor = admin_store(alice).engine
    with backdoor.begin() as conn:
        uid = conn.scalar(select(User.id).where(User.name == "alice"))
        rows = [
            _resource_row(uid, f"row-{i}", "common hay" if i % 2 else f"hay {i}")
            for i in range(3000)
        ]
        rows[8]["description"] = "a needle in it"
        rows[8]["search_text"] = search_text(rows[8]["name"], "a needle in it")
        conn.execute(insert(Resource), rows)
    if alice.backend == "postgresql":
        with backdoor.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE resource"))
    common = _statements(alice, lambda: alice.list("common", limit=5))
    rare = _statements(alice, lambda: alice.list("needle", limit=5))
    asked = [s for s, _ in common + rare if s.startswith("EXPLAIN")]
    counts = [(s, p) for s, p in common if "count(*)" in s]
    if alice.backend == "postgresql" and not alice.team and _has_trigram_index(alice):
        assert len(asked) == 2, asked  # one estimate per search
        assert UNINDEXED.search(counts[0][0]), counts
        assert SEARCH_INDEXES[1] not in _explain(alice, *counts[0])
        rare_count = [(s, p) for s, p in rare if "count(*)" in s]
        assert not UNINDEXED.search(rare_count[0][0])
        assert SEARCH_INDEXES[1] in _explain(alice, *rare_count[0])
    else:
        # SQLite has its own probe (MAX_CANDIDATES); a team database and a server
        # without pg_trgm have no trigram index within reach: nothing to estimate.
        assert asked == [] and not UNINDEXED.search(counts[0][0]), counts
    assert alice.list("common", limit=5).total == 1000  # the search cap, capped
    assert alice.list("common", limit=5).total_capped
    assert [r.name for r in alice.list("needle").items] == ["row-8"]
    alice.search_count_cap = 10_000
    assert (alice.list("common").total, alice.list("common").total_capped) == (
        1500,
        False,
    )
    found = {
        r.name
        for offset in (0, 1000)
        for r in alice.list("common", limit=1000, offset=offset).items
    }
    assert found == {f"row-{i}" for i in range(3000) if i % 2}


def test_the_estimate_sends_the_pattern_the_search_sends():
    for needle in ("a/b", "100%", "a_b", "plain", "//%%__"):
        expected = select(Resource.id).where(
            Resource.search_text.contains(needle, autoescape=True)
        )
        (sent,) = expected.compile().params.values()  # the escaped needle it binds
        assert like_pattern(needle) == f"%{sent}%", (needle, sent)


def test_short_needles_do_not_touch_the_index(store):
    store.save("ab-1", "x = 1", description="xy")
    sent = _statements(store, lambda: store.list("ab"))
    assert not any(SEARCH_FTS_TABLE in s for s, _ in sent)
    assert [r.name for r in store.list("ab").items] == ["ab-1"]
    assert [r.name for r in store.list("y").items] == ["ab-1"]


def test_upgrading_a_filled_database_indexes_its_rows(empty_url):
    """Rows saved before the index existed (revision 0001) are found through it."""
    from alembic import command

    engine = create_engine(empty_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        uid = conn.execute(
            insert(User).values(name="alice", created_at=utcnow()).returning(User.id)
        ).scalar_one()
        rows = [_resource_row(uid, f"old-{i}", f"Vintage Straße {i}") for i in range(5)]
        conn.execute(insert(Resource), rows)
        conn.execute(
            insert(ResourceVersion),
            [
                {
                    "resource_id": r["id"],
                    "version": 1,
                    "content": "x = 1",
                    "parameters": None,
                    "created_at": r["created_at"],
                }
                for r in rows
            ],
        )
    engine.dispose()
    store = ResourceStore(empty_url, user="alice")  # upgrades to head
    assert store.list("strasse 3").total == 1
    assert store.list("vintage").total == 5
    store.save("new-one", "x = 2", description="vintage too")
    assert store.list("vintage").total == 6
    store.delete("old-2")
    assert store.list("vintage").total == 5
    _assert_in_step(store)
