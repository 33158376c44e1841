"""Raw driver connections (sqlite3, psycopg) to the database a store URL names.

The floors are measured through these: the same SQL the store sends, without SQLAlchemy.
"""

from __future__ import annotations

from sqlalchemy.engine import make_url


def psycopg_dsn(url: str) -> str:
    """A libpq connection string for a postgresql+psycopg:// URL."""
    parsed = make_url(url)
    parts = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "dbname": parsed.database,
    }
    parts.update(parsed.query)
    return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)


def connect(url: str):
    """A DB-API connection in autocommit mode: transactions are spelled out."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        import sqlite3

        # The store's own settings (resource_magic.db), so commits cost the same.
        conn = sqlite3.connect(parsed.database, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 60000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn
    import psycopg

    return psycopg.connect(psycopg_dsn(url), autocommit=True)


def paramstyle(url: str) -> str:
    """qmark for sqlite3, format for psycopg."""
    return "qmark" if make_url(url).get_backend_name() == "sqlite" else "format"
