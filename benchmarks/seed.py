"""Fill a database fast: N resources over 100 users, straight through the driver.

The schema comes from the package (opening a ResourceStore runs the migrations); rows
go in with sqlite3's executemany in one transaction (the search triggers index them as
they land) or PostgreSQL's COPY. Values are written in exactly the form SQLAlchemy
writes them (UUID as 32 hex digits and naive-UTC text on SQLite, JSON text), and the
data is reproducible (a fixed random seed).

What the measurements rely on:
- user `bench-000` owns N/100 resources, like every other user;
- RARE_TERM is in RARE_MINE resources of bench-000 and in RARE_ELSEWHERE public
  resources of other users, whatever N is: the search worst case (an index must find
  them; a scan has to read every row in scope);
- COMMON_TERM is a word in about a third of all descriptions;
- about a quarter of the resources are public.
"""

from __future__ import annotations

import io
import json
import random
import time
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from resource_magic.schema import SEARCH_FTS_TABLE
from resource_magic.store import ResourceStore
from resource_magic.validate import search_text

USERS = 100
BENCH_USER = "bench-000"
RARE_TERM = "quokka"
RARE_MINE = 3
RARE_ELSEWHERE = 2
COMMON_TERM = "data"
PUBLIC_SHARE = 0.25
BATCH = 20_000
_SEED = 20261126
_FTS_INSERT_TRIGGER = "resource_fts_ai"

_WORDS = [
    "clean",
    "load",
    "transform",
    "join",
    "merge",
    "filter",
    "daily",
    "weekly",
    "monthly",
    "report",
    "model",
    "train",
    "evaluate",
    "prompt",
    "agent",
    "config",
    "sales",
    "customer",
    "churn",
    "forecast",
    "plot",
    "chart",
    "summary",
    "export",
    "import",
    "table",
    "pivot",
    "group",
    "aggregate",
    "sample",
    "split",
    "feature",
    "score",
    "metric",
    "pipeline",
    "notebook",
    "cell",
    "query",
    "api",
    "json",
    "csv",
    "parquet",
    "spark",
    "pandas",
    "polars",
    "duckdb",
    "warehouse",
    "lake",
    "stream",
    "batch",
    "queue",
    "retry",
    "backoff",
    "cache",
    "index",
    "vector",
    "embed",
    "classify",
    "extract",
    "parse",
    "validate",
    "schema",
    "migrate",
    "backup",
    "restore",
    "audit",
    "log",
    "trace",
    "alert",
    "dashboard",
    "kpi",
    "revenue",
    "cost",
    "margin",
    "region",
    "store",
    "product",
    "inventory",
    "supplier",
    "invoice",
    "payment",
    "refund",
    "ticket",
    "support",
    "survey",
    "sentiment",
    "review",
    "rating",
    "translate",
    "Straße",
    "naïve",
    "über",
    "données",
    "日本語",
    "résumé",
    "café",
    "Ärger",
    "İstanbul",
]
_TAGS = [f"t{i:02d}" for i in range(40)] + ["etl", "llm", "finance", "ops"]
_TYPES = ("workflow", "prompt", "agent_config")


@dataclass(frozen=True)
class SeedReport:
    backend: str
    resources: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.resources / self.seconds if self.seconds else 0.0


def user_name(index: int) -> str:
    return f"bench-{index:03d}"


def _content(kind: str, name: str, i: int) -> object:
    if kind == "workflow":
        return f"df = load({name!r})\nresult = df.head({i % 50})\n"
    if kind == "prompt":
        return (
            f"Summarise {{{{ text }}}} for {{{{ audience }}}} in {20 + i % 80} words."
        )
    return {"model": "gpt-4o-mini", "temperature": round((i % 10) / 10, 1)}


@dataclass
class _Row:
    id: uuid.UUID
    user_index: int
    name: str
    description: str
    kind: str
    content: object
    is_public: bool
    search: str
    created: datetime
    updated: datetime
    executions: int
    tag: str


def _rare_positions(n: int) -> tuple[set[int], set[int]]:
    """Row numbers holding RARE_TERM: bench-000's (i % 100 == 0) and other users'."""
    mine = {USERS * k for k in range(RARE_MINE)}
    elsewhere = set()
    for k in range(RARE_ELSEWHERE):
        position = (k + 1) * n // (RARE_ELSEWHERE + 1)
        while position % USERS == 0 or position in mine:
            position += 1
        elsewhere.add(position)
    return mine, elsewhere


def generate(n: int) -> Iterator[_Row]:
    """The reproducible data set: n rows."""
    rng = random.Random(_SEED)
    base = datetime(2026, 11, 1, tzinfo=UTC)
    rare_mine, rare_elsewhere = _rare_positions(n)
    for i in range(n):
        words = rng.choices(_WORDS, k=rng.randint(4, 12))
        if rng.random() < 0.33:
            words.insert(rng.randint(0, len(words)), COMMON_TERM)
        public = rng.random() < PUBLIC_SHARE
        if i in rare_mine or i in rare_elsewhere:
            words.append(RARE_TERM)
            public = public or i in rare_elsewhere
        created = base - timedelta(seconds=rng.randint(0, 365 * 86400))
        kind = _TYPES[i % 3]
        name = unicodedata.normalize("NFKC", f"{words[0]}-{words[-1]}-{i:07d}".lower())
        description = " ".join(words).capitalize()
        yield _Row(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            user_index=i % USERS,
            name=name,
            description=description,
            kind=kind,
            content=_content(kind, name, i),
            is_public=public,
            search=search_text(name, description),
            created=created,
            updated=created + timedelta(seconds=rng.randint(0, 30 * 86400)),
            executions=rng.randint(0, 500),
            tag=rng.choice(_TAGS),
        )


def expected_rare(n: int, scope: str = "mine") -> int:
    """How many resources RARE_TERM finds for bench-000 (mine) or publicly."""
    return sum(
        1
        for row in generate(n)
        if RARE_TERM in row.search
        and (row.user_index == 0 if scope == "mine" else row.is_public)
    )


def seed(url: str, n: int) -> SeedReport:
    """Create the schema and N resources (plus versions and tags) at `url`."""
    store = ResourceStore(url, user=BENCH_USER)  # runs the migrations
    started = time.perf_counter()
    if store.backend == "sqlite":
        _seed_sqlite(store, n)
    else:
        _seed_postgresql(store, n)
    store.engine.dispose()
    return SeedReport(store.backend, n, time.perf_counter() - started)


def _sqlite_time(moment: datetime) -> str:
    """SQLAlchemy's SQLite DATETIME text: naive UTC, always with microseconds."""
    m = moment.astimezone(UTC)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d} "
        f"{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond:06d}"
    )


def _seed_sqlite(store: ResourceStore, n: int) -> None:
    import sqlite3

    path = store.engine.url.database
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = OFF")  # a crash during seeding: seed again
        conn.execute("PRAGMA cache_size = -200000")
        conn.execute("BEGIN IMMEDIATE")
        # FTS5 flushes its pending terms at every statement savepoint, so indexing row
        # by row through the trigger costs ~6x a single INSERT ... SELECT afterwards:
        # lift the insert trigger for the load and put it back (same transaction).
        trigger = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            (_FTS_INSERT_TRIGGER,),
        ).fetchone()
        if trigger:
            conn.execute(f"DROP TRIGGER {_FTS_INSERT_TRIGGER}")
        now = _sqlite_time(datetime.now(UTC))
        conn.executemany(
            'INSERT OR IGNORE INTO "user" (name, created_at) VALUES (?, ?)',
            [(user_name(u), now) for u in range(USERS)],
        )
        ids = {
            name: uid
            for uid, name in conn.execute('SELECT id, name FROM "user"').fetchall()
        }
        user_ids = [ids[user_name(u)] for u in range(USERS)]
        columns = {row[1] for row in conn.execute("PRAGMA table_info(resource)")}
        keyed = "search_key" in columns
        key = conn.execute(
            "SELECT coalesce(max(search_key), 0) FROM resource" if keyed else "SELECT 0"
        ).fetchone()[0]
        first_key = key
        resource_sql = (
            "INSERT INTO resource (id, user_id, name, description, resource_type, "
            "content, parameters, execution_count, last_executed_at, "
            "parent_resource_id, fork_count, is_public, current_version, search_text, "
            "created_at, updated_at"
            + (", search_key" if keyed else "")
            + ") VALUES (?, ?, ?, ?, ?, ?, 'null', ?, NULL, NULL, 0, ?, 1, ?, ?, ?"
            + (", ?" if keyed else "")
            + ")"
        )
        version_sql = (
            "INSERT INTO resource_version (resource_id, version, content, parameters, "
            "created_at) VALUES (?, 1, ?, 'null', ?)"
        )
        tag_sql = "INSERT INTO resource_tag (resource_id, tag) VALUES (?, ?)"
        resources, versions, tags = [], [], []
        for row in generate(n):
            key += 1
            rid = row.id.hex
            content = json.dumps(row.content)
            updated = _sqlite_time(row.updated)
            values = (
                rid,
                user_ids[row.user_index],
                row.name,
                row.description,
                row.kind,
                content,
                row.executions,
                int(row.is_public),
                row.search,
                _sqlite_time(row.created),
                updated,
            )
            resources.append(values + (key,) if keyed else values)
            versions.append((rid, content, updated))
            tags.append((rid, row.tag))
            if len(resources) >= BATCH:
                _flush_sqlite(
                    conn, resource_sql, version_sql, tag_sql, resources, versions, tags
                )
        _flush_sqlite(
            conn, resource_sql, version_sql, tag_sql, resources, versions, tags
        )
        if trigger:
            conn.execute(
                f"INSERT INTO {SEARCH_FTS_TABLE}(rowid, search_text) "
                "SELECT search_key, search_text FROM resource WHERE search_key > ?",
                (first_key,),
            )
            conn.execute(trigger[0])
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _flush_sqlite(conn, resource_sql, version_sql, tag_sql, resources, versions, tags):
    conn.executemany(resource_sql, resources)
    conn.executemany(version_sql, versions)
    conn.executemany(tag_sql, tags)
    resources.clear()
    versions.clear()
    tags.clear()


def _seed_postgresql(store: ResourceStore, n: int) -> None:
    import psycopg

    from .rawdb import psycopg_dsn

    with psycopg.connect(psycopg_dsn(store.url)) as conn:
        now = datetime.now(UTC)
        with conn.cursor() as cur:
            # The classic bulk load: drop the plain indexes (not those behind
            # constraints), COPY, build them again in one pass each.
            cur.execute("SET maintenance_work_mem = '256MB'")
            cur.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() "
                "AND i.tablename IN ('resource', 'resource_version', 'resource_tag') "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conname = i.indexname)"
            )
            indexes = cur.fetchall()
            for name, _ in indexes:
                cur.execute(f'DROP INDEX "{name}"')
            cur.executemany(
                'INSERT INTO "user" (name, created_at) VALUES (%s, %s) '
                "ON CONFLICT (name) DO NOTHING",
                [(user_name(u), now) for u in range(USERS)],
            )
            cur.execute('SELECT id, name FROM "user"')
            ids = {name: uid for uid, name in cur.fetchall()}
            user_ids = [ids[user_name(u)] for u in range(USERS)]
            resource_copy = cur.copy(
                "COPY resource (id, user_id, name, description, resource_type, "
                "content, parameters, execution_count, fork_count, is_public, "
                "current_version, search_text, created_at, updated_at) FROM STDIN"
            )
            # One pass builds the three COPY streams; versions and tags follow.
            versions = io.StringIO()
            tags = io.StringIO()
            with resource_copy as copy:
                for row in generate(n):
                    content = json.dumps(row.content)
                    copy.write_row(
                        (
                            row.id,
                            user_ids[row.user_index],
                            row.name,
                            row.description,
                            row.kind,
                            content,
                            "null",
                            row.executions,
                            0,
                            row.is_public,
                            1,
                            row.search,
                            row.created,
                            row.updated,
                        )
                    )
                    versions.write(
                        f"{row.id}\t1\t{_copy_text(content)}\tnull\t"
                        f"{row.updated.isoformat()}\n"
                    )
                    tags.write(f"{row.id}\t{row.tag}\n")
            with cur.copy(
                "COPY resource_version (resource_id, version, content, parameters, "
                "created_at) FROM STDIN"
            ) as copy:
                copy.write(versions.getvalue())
            with cur.copy("COPY resource_tag (resource_id, tag) FROM STDIN") as copy:
                copy.write(tags.getvalue())
            for _, definition in indexes:
                cur.execute(definition)
        conn.commit()
        # What autovacuum would do on a live server: fresh statistics for the planner.
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def _copy_text(value: str) -> str:
    """Escape text for COPY's text format."""
    return (
        value.replace("\\", "\\\\")
        .replace("\t", "\\t")
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )


if __name__ == "__main__":  # python -m benchmarks.seed URL N
    import sys

    print(seed(sys.argv[1], int(sys.argv[2])))
