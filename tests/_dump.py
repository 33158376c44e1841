"""Everything a database holds, for tests that look for what must not be there."""

from __future__ import annotations

from pathlib import Path

from _team import admin_store
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url


def database_text(store) -> str:
    """Every column of every table, as text (bytes decoded leniently)."""
    parts = []
    with admin_store(store).engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                for value in row:
                    if isinstance(value, bytes | bytearray | memoryview):
                        value = bytes(value).decode("latin-1")
                    parts.append(f"{table}:{value}")
    return "\n".join(parts)


def sqlite_bytes(store) -> bytes:
    """The raw bytes of a SQLite database's files (main, WAL, shared memory)."""
    database = make_url(store.url).database
    if store.backend != "sqlite" or not database:
        return b""
    path = Path(database)
    return b"".join(
        p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file()
    )


def assert_token_absent(store, token: str) -> str:
    """Fail if the token, or its random part, is anywhere in the database; returns
    the dump so callers can check it is not empty."""
    dump = database_text(store)
    raw = sqlite_bytes(store)
    secret_part = token.removeprefix("rmshr_")
    for needle in (token, secret_part, secret_part[:-1]):
        assert needle not in dump
        assert needle.encode() not in raw
    return dump
