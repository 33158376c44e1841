"""Bring a database to the newest schema through Alembic's API when a store opens it.

Opening a store on an up-to-date database must stay cheap (it is the first command in
every new kernel), so Alembic is imported only when something is to be migrated: the
stored revision is read with plain SQLAlchemy and compared with the packaged head, which
the migration files' names give (NNNN_slug.py holds revision "NNNN", each one after the
one before; a test checks this agrees with Alembic's own head)."""

from __future__ import annotations

import os
import re
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, column, inspect, select, table

if TYPE_CHECKING:  # pragma: no cover - typing only
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"
_REVISION_FILE = re.compile(r"(\d{4})_\w+\.py")

# The engines known to be at head. Weak: an engine that is gone must not be taken for
# a new one that Python gives the same id() (a new database would then go unmigrated).
_current: weakref.WeakSet[Engine] = weakref.WeakSet()
_current_lock = threading.Lock()


def _after_fork_in_child() -> None:
    global _current_lock
    _current_lock = threading.Lock()  # a parent's thread may have held it at the fork


os.register_at_fork(after_in_child=_after_fork_in_child)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The head as Alembic computes it (imports Alembic and every migration)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def packaged_head() -> str:
    """The head from the migration files' names alone: no import at all."""
    names = (p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py"))
    return max(m.group(1) for m in map(_REVISION_FILE.fullmatch, names) if m)


def current_revision(connection: Connection) -> str | None:
    """The revision stored in the database (None before the first migration)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    return stored_revision(connection)


def stored_revision(connection: Connection) -> str | None:
    """current_revision() once the version table is known to exist (a PostgreSQL
    store learns that in the query that also tells a team database: one round trip
    instead of reflecting the catalogue)."""
    version_num = column("version_num")
    rows = connection.execute(select(version_num).select_from(table(VERSION_TABLE)))
    revisions = rows.scalars().all()
    return revisions[0] if len(revisions) == 1 else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade to `revision` in one transaction; concurrent callers queue (on
    PostgreSQL, migrations/env.py takes an advisory lock first)."""
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def upgrade_on(connection: Connection, revision: str = "head") -> None:
    """Upgrade through a connection the caller holds (and commits): a team database
    migrates as its owner role (team.py)."""
    from alembic import command

    command.upgrade(alembic_config(connection), revision)


def is_current(engine: Engine) -> bool:
    """Whether `engine` was found (or brought) at head in this process."""
    return engine in _current


# ensure_current's `revision` when the caller has not read it.
UNREAD = object()


def ensure_current(engine: Engine, revision: str | None | object = UNREAD) -> None:
    """Upgrade once per engine and process; one cheap read when already at head.
    `revision`: what the database held when the caller read it just now, on a
    connection of its own (then nothing is read here when it is the head)."""
    if engine in _current:
        return
    with _current_lock:
        if engine in _current:
            return
        if revision is UNREAD:
            with engine.connect().execution_options(readonly=True) as connection:
                revision = current_revision(connection)
        if revision != packaged_head():
            upgrade(engine)
        _current.add(engine)
