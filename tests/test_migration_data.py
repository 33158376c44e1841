"""Upgrading a database that already holds data keeps every row: migration 0003 is
applied to a database created at 0002 and filled through the 0002 schema itself."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import MetaData, create_engine, select

from resource_magic.migrate import alembic_config
from resource_magic.store import ResourceStore

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _fill(engine) -> dict:
    """Rows in every 0002 table, written with the schema reflected from the database."""
    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    # Reflected, SQLite's Uuid columns are CHAR(32): bind what the models would store.
    sqlite = engine.dialect.name == "sqlite"
    rid, child, share = (
        u.hex if sqlite else u for u in (uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    )
    naive = T0.replace(tzinfo=None) if engine.dialect.name == "sqlite" else T0
    with engine.begin() as conn:
        conn.execute(
            t["user"].insert(), [{"id": 1, "name": "alice", "created_at": naive}]
        )
        common = {
            "user_id": 1,
            "description": "kept",
            "resource_type": "workflow",
            "parameters": {"n": 5},
            "execution_count": 3,
            "fork_count": 0,
            "is_public": True,
            "search_text": "etl\nkept",
            "created_at": naive,
            "updated_at": naive,
        }
        conn.execute(
            t["resource"].insert(),
            [
                {
                    **common,
                    "id": rid,
                    "name": "etl",
                    "content": "print(2)",
                    "current_version": 2,
                    "parent_resource_id": None,
                },
                {
                    **common,
                    "id": child,
                    "name": "etl-fork",
                    "content": "print(1)",
                    "current_version": 1,
                    "parent_resource_id": rid,
                },
            ],
        )
        conn.execute(t["resource_tag"].insert(), [{"resource_id": rid, "tag": "etl"}])
        conn.execute(
            t["resource_version"].insert(),
            [
                {
                    "id": 1,
                    "resource_id": rid,
                    "version": 1,
                    "content": "print(1)",
                    "parameters": {"n": 5},
                    "created_at": naive,
                },
                {
                    "id": 2,
                    "resource_id": rid,
                    "version": 2,
                    "content": "print(2)",
                    "parameters": {"n": 5},
                    "created_at": naive,
                },
                {
                    "id": 3,
                    "resource_id": child,
                    "version": 1,
                    "content": "print(1)",
                    "parameters": None,
                    "created_at": naive,
                },
            ],
        )
        conn.execute(
            t["attachment"].insert(),
            [
                {
                    "id": 1,
                    "version_id": 2,
                    "position": 0,
                    "mime_type": "text/plain",
                    "data": b"2\n",
                    "size": 2,
                }
            ],
        )
        conn.execute(
            t["resource_share"].insert(),
            [
                {
                    "id": share,
                    "resource_id": rid,
                    "token_digest": "d" * 64,
                    "token_prefix": "rmshr_Ab",
                    "expires_at": None,
                    "access_count": 1,
                    "max_accesses": 3,
                    "created_at": naive,
                    "revoked_at": None,
                }
            ],
        )
    columns = {n: {c.name for c in t.c} for n, t in meta.tables.items()}
    return _dump(engine, meta, columns), columns


def _dump(engine, meta: MetaData, columns: dict | None = None) -> dict:
    """Every row of the tables in `meta` (only `columns[table]` when given), as text."""
    dump = {}
    with engine.connect() as conn:
        for name, table in meta.tables.items():
            if name == "alembic_version" or name.startswith("resource_fts"):
                continue
            if columns is not None and name not in columns:
                continue
            wanted = [c for c in table.c if columns is None or c.name in columns[name]]
            rows = conn.execute(select(*wanted))
            dump[name] = sorted(tuple(str(v) for v in row) for row in rows)
    return dump


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.db'}"
    return request.getfixturevalue("fresh_postgres_url")


def test_upgrade_from_0002_keeps_every_row(fresh_url):
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0002")
    before, columns = _fill(engine)
    assert sum(len(rows) for rows in before.values()) == 9  # the fill really wrote
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    after = MetaData()
    after.reflect(engine)
    assert {"resource_label", "resource_label_event"} <= set(after.tables)
    assert _dump(engine, after, columns) == before
    with engine.connect() as conn:  # the new columns start empty
        assert conn.execute(
            select(after.tables["resource_version"].c.message)
        ).scalars().all() == [None, None, None]
    engine.dispose()

    store = ResourceStore(fresh_url, user="alice")
    assert [v.version for v in store.history("etl")] == [1, 2]
    assert sorted(r.name for r in store.list("etl").items) == ["etl", "etl-fork"]
    record, outputs = store.get_with_attachments("etl")
    assert (record.content, record.version, record.tags) == ("print(2)", 2, ("etl",))
    assert [a.data for a in outputs] == [b"2\n"]
    [share] = store.shares("etl")
    assert (share.access_count, share.max_accesses) == (1, 3)
