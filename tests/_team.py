"""Team databases for tests: a database made a team database by `team init`, whose
users are real login roles (made on first use, `team add`), each with its own URL.

Role names are cluster-wide: a role another run (or another database) made is added
with --existing, so concurrent runs on one server share `alice` harmlessly (each
database has its own group; membership is per group)."""

from __future__ import annotations

import threading

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from resource_magic.db import get_engine
from resource_magic.store import ResourceStore
from resource_magic.team import Admin

# Team databases this run made: admin URL -> TeamDatabase (conftest's users_on reads
# it to give each user a login of their own).
TEAMS: dict[str, TeamDatabase] = {}


def admin_store(store: ResourceStore) -> ResourceStore:
    """A store on the same database that may read and write every row: the store
    itself on a plain database, its admin's on a team database. Tests use it as a
    back door (to make a share expire, to plant a deep chain, to dump every table),
    never to act as a user."""
    if not store.team:
        return store
    database = make_url(store.url).database
    for url in TEAMS:
        if make_url(url).database == database:
            return ResourceStore(url, user=make_url(url).username)
    raise LookupError(f"no team database {database} in this run")


class TeamDatabase:
    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.admin = Admin(admin_url)
        self.admin.init()
        self._members: set[str] = set()
        self._created: list[str] = []  # roles this run made (dropped at the end)
        self._recent: list[str] = []  # member URLs, least recently handed out first
        self._lock = threading.Lock()

    def url_for(self, user: str) -> str:
        """The URL `user` logs in with (made a member first, once)."""
        url = (
            make_url(self.admin_url)
            .set(username=user, password=None)
            .render_as_string(hide_password=False)
        )
        with self._lock:
            if user not in self._members:
                self.add(user)
            # Every login has its own engine and pool: a test that makes hundreds of
            # users would hold a connection for each and exhaust the server's slots.
            # Keep the pools of the most recent ones; the others reconnect if used.
            if url in self._recent:
                self._recent.remove(url)
            self._recent.append(url)
            while len(self._recent) > self.KEEP_POOLS:
                get_engine(self._recent.pop(0)).dispose()
        return url

    KEEP_POOLS = 12

    def release(self) -> None:
        """Close the idle pooled connections of every member (after each test)."""
        with self._lock:
            for url in self._recent:
                get_engine(url).dispose()
            self._recent.clear()

    def add(self, user: str) -> None:
        engine = create_engine(self.admin_url, poolclass=NullPool)
        with engine.connect() as conn:
            exists = conn.execute(
                text("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :n)"),
                {"n": user},
            ).scalar_one()
        engine.dispose()
        try:
            self.admin.add(user, existing=exists)
            if not exists:
                self._created.append(user)
        except Exception:
            # Another run made the role between our look and our CREATE ROLE.
            self.admin.add(user, existing=True)
        self._members.add(user)

    def drop_roles(self) -> None:
        """Drop the login roles this database made (after the database is gone).
        Roles are cluster-wide: one that another team database (another run on the
        same server) has taken into its group since is left alone."""
        engine = create_engine(self.admin_url_of("postgres"), poolclass=NullPool)
        with engine.connect() as conn:
            for user in self._created:
                elsewhere = conn.execute(
                    text(
                        "SELECT EXISTS (SELECT 1 FROM pg_auth_members a JOIN pg_roles "
                        "g ON g.oid = a.roleid JOIN pg_roles r ON r.oid = a.member "
                        "WHERE r.rolname = :n AND g.rolname <> :ours)"
                    ),
                    {"n": user, "ours": self.admin.roles.members},
                ).scalar_one()
                conn.rollback()
                if elsewhere:
                    continue
                try:
                    with conn.begin():
                        quoted = conn.dialect.identifier_preparer.quote(user)
                        conn.execute(text(f"DROP ROLE IF EXISTS {quoted}"))
                except Exception:  # still a member elsewhere: leave it
                    pass
            for role in (self.admin.roles.members, self.admin.roles.owner):
                try:
                    with conn.begin():
                        quoted = conn.dialect.identifier_preparer.quote(role)
                        conn.execute(text(f"DROP ROLE IF EXISTS {quoted}"))
                except Exception:
                    pass
        engine.dispose()

    def admin_url_of(self, database: str) -> str:
        return (
            make_url(self.admin_url)
            .set(database=database)
            .render_as_string(hide_password=False)
        )

    def close(self) -> None:
        self.admin.close()
