"""Bring a database to the newest schema through Alembic's API when a store opens it."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant: PostgreSQL serialises concurrent first-time upgrades on this advisory
# lock.
_PG_LOCK_KEY = 7_310_428_551

_current: set[int] = set()
_current_lock = threading.Lock()


def _after_fork_in_child() -> None:
    global _current_lock
    _current_lock = threading.Lock()  # a parent's thread may have held it at the fork


os.register_at_fork(after_in_child=_after_fork_in_child)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade to `revision` in one transaction; concurrent callers queue."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY}
            )
        command.upgrade(alembic_config(connection), revision)


def ensure_current(engine: Engine) -> None:
    """Upgrade once per engine and process; cheap when already at head."""
    key = id(engine)
    if key in _current:
        return
    with _current_lock:
        if key in _current:
            return
        with engine.connect().execution_options(readonly=True) as connection:
            up_to_date = current_revision(connection) == head_revision()
        if not up_to_date:
            upgrade(engine)
        _current.add(key)
