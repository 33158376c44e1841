"""substring search index: SQLite FTS5 trigram table, PostgreSQL pg_trgm GIN index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:00:00

Search matches `resource.search_text LIKE '%needle%'` (both sides case-folded in
Python). This revision adds an index that finds candidate rows for needles of 3+
characters; the LIKE stays the final test, so results are unchanged (see
resource_magic/store/search.py).

SQLite. An external-content FTS5 table `resource_fts` (trigram tokenizer, detail=none)
indexes search_text. FTS5 needs an integer rowid, and resource's primary key is a UUID,
so resource gets its own integer key, `search_key` (unique), instead of borrowing the
implicit rowid: VACUUM may renumber the implicit rowid of a table without an INTEGER
PRIMARY KEY, and Alembic's batch mode rebuilds tables by copying rows (new rowids),
either of which would silently point the index at the wrong resources. A real column is
copied with the row. Triggers give new rows a key and keep the index in step on every
insert, update and delete, whoever writes (store, fork, import, cascades, a bulk
loader). A later migration that rebuilds `resource` on SQLite (batch mode) drops these
triggers: it must create them again (copy `_SQLITE_TRIGGERS`).

PostgreSQL. A GIN index with gin_trgm_ops on search_text, which LIKE '%needle%' uses by
itself for 3+ characters. pg_trgm is optional (pgserver's PostgreSQL lacks it): when it
is not available, or may not be created, nothing is added and search stays a plain scan.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FTS = "resource_fts"
_KEY_INDEX = "uq_resource_search_key"
_TRGM_INDEX = "ix_resource_search_text_trgm"

_SQLITE_FTS = (
    f"CREATE VIRTUAL TABLE {_FTS} USING fts5(search_text, content='resource', "
    "content_rowid='search_key', tokenize='trigram case_sensitive 1', "
    "detail=none, columnsize=0)"
)
_SQLITE_TRIGGERS = {
    # A new row without a key gets the next one; the UPDATE fires resource_fts_au.
    "resource_search_key_ai": """
        CREATE TRIGGER resource_search_key_ai AFTER INSERT ON resource
        WHEN new.search_key IS NULL BEGIN
          UPDATE resource
             SET search_key = (SELECT coalesce(max(search_key), 0) + 1 FROM resource)
           WHERE rowid = new.rowid;
        END""",
    # A bulk loader may bring its own keys.
    "resource_fts_ai": f"""
        CREATE TRIGGER resource_fts_ai AFTER INSERT ON resource
        WHEN new.search_key IS NOT NULL BEGIN
          INSERT INTO {_FTS}(rowid, search_text)
            VALUES (new.search_key, new.search_text);
        END""",
    "resource_fts_au": f"""
        CREATE TRIGGER resource_fts_au AFTER UPDATE OF search_key, search_text
        ON resource
        WHEN old.search_key IS NOT new.search_key
          OR old.search_text IS NOT new.search_text BEGIN
          INSERT INTO {_FTS}({_FTS}, rowid, search_text)
            SELECT 'delete', old.search_key, old.search_text
             WHERE old.search_key IS NOT NULL;
          INSERT INTO {_FTS}(rowid, search_text)
            SELECT new.search_key, new.search_text WHERE new.search_key IS NOT NULL;
        END""",
    "resource_fts_ad": f"""
        CREATE TRIGGER resource_fts_ad AFTER DELETE ON resource
        WHEN old.search_key IS NOT NULL BEGIN
          INSERT INTO {_FTS}({_FTS}, rowid, search_text)
            VALUES ('delete', old.search_key, old.search_text);
        END""",
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _upgrade_sqlite(bind)
    elif bind.dialect.name == "postgresql":
        _upgrade_postgresql(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"DROP TABLE IF EXISTS {_FTS}")
        op.execute(f"DROP INDEX IF EXISTS {_KEY_INDEX}")
        if "search_key" in _columns(bind, "resource"):
            op.execute("ALTER TABLE resource DROP COLUMN search_key")
    elif bind.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {_TRGM_INDEX}")


def _columns(bind, table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(bind).get_columns(table)}


def _upgrade_sqlite(bind) -> None:
    # FTS5's trigram tokenizer needs SQLite 3.34 with FTS5 compiled in; without it
    # search stays the plain scan it was. (A failed statement does not end a SQLite
    # transaction, so no savepoint is needed.)
    try:
        bind.exec_driver_sql(_SQLITE_FTS)
    except sa.exc.OperationalError:
        return
    op.execute("ALTER TABLE resource ADD COLUMN search_key INTEGER")
    # Existing rows: their current rowids are distinct integers, a fine first key.
    op.execute("UPDATE resource SET search_key = rowid")
    op.execute(f"CREATE UNIQUE INDEX {_KEY_INDEX} ON resource (search_key)")
    op.execute(f"INSERT INTO {_FTS}({_FTS}) VALUES ('rebuild')")
    for ddl in _SQLITE_TRIGGERS.values():
        op.execute(ddl)


def _upgrade_postgresql(bind) -> None:
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).scalar()
    if not available:
        return
    # Creating the extension needs rights the database user may lack; a savepoint lets
    # the rest of the upgrade go on without the index.
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            bind.exec_driver_sql(
                f"CREATE INDEX {_TRGM_INDEX} ON resource "
                "USING gin (search_text gin_trgm_ops)"
            )
    except sa.exc.DBAPIError:
        return
