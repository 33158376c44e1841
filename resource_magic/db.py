"""Engines and transactions for both backends.

SQLite: WAL (readers never block the writer), foreign keys on, a busy timeout, and every
write transaction starts with BEGIN IMMEDIATE so two kernels writing at once queue on
the lock instead of failing with "database is locked" half-way through. Read-only work
begins DEFERRED. PostgreSQL (psycopg 3): pool_pre_ping, so a kernel that outlived a
server restart reconnects.

Forks: a child process never uses a pooled connection it inherited (two processes on one
PostgreSQL socket corrupt each other's sessions; SQLite forbids carrying a connection
across fork()). After os.fork() (multiprocessing's fork start method included) the child
swaps every engine's pool for an empty one without closing the parent's connections, as
SQLAlchemy's pooling guide says (`engine.dispose(close=False)`), and keeps the inherited
pools referenced so that not even garbage collection closes a connection the parent
still uses."""

from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from .config import masked_url
from .errors import InvalidInput

SQLITE_BUSY_TIMEOUT_S = 60

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
# Every engine a store has used in this process (the cached ones and any handed in).
_forkable: weakref.WeakSet[Engine] = weakref.WeakSet()
# In a forked child: the pools it inherited, never used and never closed.
_inherited: list = []


def normalise_url(url: str) -> str:
    """Make plain postgresql:// URLs use psycopg 3, the driver we ship."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise InvalidInput(
            f"{masked_url(url)!r} is not a database URL: use e.g. "
            "sqlite:///path/to/file.db or postgresql+psycopg://user@host/dbname."
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInput(
            f"{parsed.get_backend_name()!r} databases are not supported: "
            "use a sqlite:/// or postgresql+psycopg:// URL."
        )
    return parsed.render_as_string(hide_password=False)


def get_engine(url: str) -> Engine:
    """One engine (and pool) per URL for the whole process."""
    url = normalise_url(url)
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            _engines[url] = engine
            _forkable.add(engine)
        return engine


def fork_safe(engine: Engine) -> Engine:
    """Give `engine` a fresh pool in every child forked from now on."""
    _forkable.add(engine)
    return engine


def _after_fork_in_child() -> None:
    global _engines_lock
    # Another thread of the parent may have held it at the fork: it never lets go here.
    _engines_lock = threading.Lock()
    for engine in list(_forkable):
        _inherited.append(engine.pool)
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)


def dispose_engines() -> None:
    """Close every pooled connection (tests, and after a fork of the process)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _create_sqlite_engine(url)
    # No HSTORE column anywhere: without native hstore the dialect's first connect
    # skips looking the type up (one round trip fewer before the first command).
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        use_native_hstore=False,
    )


def _create_sqlite_engine(url: str) -> Engine:
    import sqlite3  # here: a PostgreSQL kernel never needs it

    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        readonly = connection.get_execution_options().get("readonly", False)
        statement = "BEGIN DEFERRED" if readonly else "BEGIN IMMEDIATE"
        # Straight to the driver: BEGIN has no parameters and no result, and a whole
        # SQLAlchemy execution around it was a tenth of a one-row read. Its errors
        # (a lock held past the busy timeout, a file that is not a database) are
        # wrapped as an execution would have wrapped them, so callers see SQLAlchemy's
        # OperationalError / DatabaseError either way.
        try:
            connection.connection.dbapi_connection.execute(statement)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(
                statement, None, exc, sqlite3.Error, dialect=connection.dialect
            ) from exc

    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
