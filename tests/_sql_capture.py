"""Record the SQL a store sends, so tests can assert *how* it talks to the database.

The events are SQLAlchemy's own: `before_cursor_execute` sees every statement on its
way to the driver (except SQLite's BEGIN, which db.py hands the driver itself), and
the `begin` / `commit` / `rollback` connection events mark transaction boundaries on
both backends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, event

BEGIN, COMMIT, ROLLBACK = "<begin>", "<commit>", "<rollback>"
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class Capture:
    """Everything sent while capturing, in order, with transaction markers."""

    events: list[str] = field(default_factory=list)

    @property
    def statements(self) -> list[str]:
        """The SQL statements proper: no markers, no transaction-control statements."""
        return [e for e in self.events if _is_statement(e)]

    def transactions(self) -> list[list[str]]:
        """The statements of each committed transaction, in order."""
        result: list[list[str]] = []
        current: list[str] | None = None
        for e in self.events:
            if e == BEGIN:
                current = []
            elif e == COMMIT and current is not None:
                result.append(current)
                current = None
            elif e == ROLLBACK:
                current = None
            elif current is not None and _is_statement(e):
                current.append(e)
        return result

    def clear(self) -> None:
        self.events.clear()


def _is_statement(event_text: str) -> bool:
    return event_text not in (BEGIN, COMMIT, ROLLBACK) and not (
        event_text.lstrip().upper().startswith(_CONTROL)
    )


@contextmanager
def capture_sql(engine: Engine) -> Iterator[Capture]:
    """Capture the statements sent through `engine` (and its option engines)."""
    captured = Capture()

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        captured.events.append(statement)

    def on_begin(conn):
        captured.events.append(BEGIN)

    def on_commit(conn):
        captured.events.append(COMMIT)

    def on_rollback(conn):
        captured.events.append(ROLLBACK)

    listeners = [
        ("before_cursor_execute", on_execute),
        ("begin", on_begin),
        ("commit", on_commit),
        ("rollback", on_rollback),
    ]
    for name, fn in listeners:
        event.listen(engine, name, fn)
    try:
        yield captured
    finally:
        for name, fn in listeners:
            event.remove(engine, name, fn)


def one_line(statement: str) -> str:
    """A statement with its whitespace collapsed, for regular expressions."""
    return " ".join(statement.split())
