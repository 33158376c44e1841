"""What every team command needs: the admin's connection, the role names, checks.

The package as a whole: an admin (a role that may create roles, such as the database
owner) runs these through `resource-magic team ...` (team_cli.py). `init` brings the
schema to head, gives the tables to a non-login owner role, creates a non-login member
group, forces row-level security on every table and installs the policies, grants and
functions of sql.py; `add` / `remove` / `list` manage members (each a login role in
the group); `check` verifies the guarantees on the live database; `upgrade` migrates
as the owner role and applies the setup again. Every step is idempotent: `init`
reports whether anything changed by comparing a fingerprint of the catalog before and
after.

Role names are never user text in SQL: a member's name must be a plain identifier
(checked here) and is quoted by the dialect's preparer; passwords are sent only as a
SCRAM verifier computed by libpq on the client."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from ..config import masked_url
from ..db import normalise_url
from ..errors import DatabaseUnavailable, InvalidInput
from . import sql as team_sql

# A member's name: a login role and the user name the store shows.
_MEMBER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,62}")
_RESERVED = ("pg_", "rm_")


@dataclass(frozen=True)
class Roles:
    owner: str
    members: str


def roles_for(database: str) -> Roles:
    """The owner and group role names of one database: role names are cluster-wide,
    so they carry the database's name (made a plain identifier) and a short hash of
    it (two names that clean up alike stay apart)."""
    stem = re.sub(r"[^a-z0-9_]", "_", database.lower())[:40]
    tag = hashlib.sha256(database.encode()).hexdigest()[:6]
    return Roles(owner=f"rm_{stem}_{tag}_owner", members=f"rm_{stem}_{tag}_members")


def clean_member(name: object) -> str:
    text_ = str(name or "").strip()
    if not _MEMBER_NAME.fullmatch(text_) or text_.lower().startswith(_RESERVED):
        raise InvalidInput(
            f"{text_[:70]!r} cannot be a member name: use letters, digits, _ . - "
            "(at most 63, starting with a letter or _, not pg_ or rm_)."
        )
    return text_


class TeamBase:
    """The admin's connection to one database, and what every team command needs."""

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        parsed = make_url(self.url)
        if parsed.get_backend_name() != "postgresql":
            raise InvalidInput(
                f"A team database is a PostgreSQL database; {masked_url(self.url)} is "
                f"{parsed.get_backend_name()}: give a postgresql:// URL."
            )
        self.engine = create_engine(self.url, poolclass=NullPool)
        self.database = parsed.database or ""
        self.roles = roles_for(self.database)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
            raise DatabaseUnavailable(
                f"Cannot use the database {masked_url(self.url)} ({reason}): check "
                "the URL and that the server is running."
            ) from exc

    def q(self, conn: Connection, name: str) -> str:
        return conn.dialect.identifier_preparer.quote(name)

    def _format(self, conn: Connection, statement: str, **extra: str) -> str:
        return statement.format(
            schema=self.q(conn, self.schema(conn)),
            owner=self.q(conn, self.roles.owner),
            members=self.q(conn, self.roles.members),
            owner_name=self.roles.owner.replace("'", "''"),
            **extra,
        )

    @staticmethod
    def schema(conn: Connection) -> str:
        return conn.execute(text("SELECT current_schema()")).scalar_one()

    # -- state
    # ---------------------------------------------------------------------------
    def is_team(self, conn: Connection) -> bool:
        return conn.execute(
            text("SELECT to_regclass(:t) IS NOT NULL"),
            {"t": f"{self.schema(conn)}.{team_sql.TEAM_TABLE}"},
        ).scalar_one()

    def _may_create_roles(self, conn: Connection) -> None:
        allowed = conn.execute(
            text(
                "SELECT rolsuper OR rolcreaterole FROM pg_roles "
                "WHERE rolname = current_user"
            )
        ).scalar_one()
        if not allowed:
            user = conn.execute(text("SELECT current_user")).scalar_one()
            raise InvalidInput(
                f"'{user}' may not create roles: run team commands as the database's "
                "owner or another role with CREATEROLE."
            )

    def _role_exists(self, conn: Connection, name: str) -> bool:
        return conn.execute(
            text("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :n)"),
            {"n": name},
        ).scalar_one()

    def _require_team(self, conn: Connection) -> None:
        if not self.is_team(conn):
            raise InvalidInput(
                "This is not a team database yet: run `resource-magic team init` first."
            )
