"""The store's plumbing: the engine, transactions and the current user.

StoreCore is what every group of operations derives from. The internals several
groups share live with it, mixed into StoreCore itself so no group imports another:
resolving references (store/refs.py), redeeming share tokens (store/redeem.py),
reading and writing rows (store/rows.py) and copying a resource for a fork
(store/copies.py). What a team database does differently is store/team_paths.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import (
    DatabaseError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)

from ..config import (
    USER_ENV,
    configured_user,
    default_database_url,
    default_user,
    masked_url,
)
from ..db import fork_safe, get_engine, normalise_url
from ..errors import (
    TOKEN_REFUSED_MESSAGE,
    DatabaseUnavailable,
    InvalidInput,
    NotFound,
    SchemaBehind,
    TokenRefused,
)
from ..migrate import (
    UNREAD,
    VERSION_TABLE,
    ensure_current,
    is_current,
    packaged_head,
    stored_revision,
)
from ..schema import user_table, utcnow
from ..tokens import TOKEN_PREFIX, clean_token
from ..validate import clean_user
from ..vocabulary import TEAM_TABLE
from . import prepared
from .copies import Copies
from .redeem import Redemption
from .refs import References
from .rows import Rows

# connection.info key: (the transaction, the current user's id it read or made).
_USER_ID = "resource_magic.user_id"
# The user id a read uses before the user's first write: no row has it.
_NO_USER = -1


def _unusable_database(exc: DatabaseError) -> bool:
    """Unreachable, locked or damaged (a corrupt SQLite file raises the bare
    DatabaseError); constraint and programming errors are bugs and keep their type."""
    return isinstance(exc, OperationalError) or type(exc) is DatabaseError


def _deleted_meanwhile(exc: IntegrityError) -> bool:
    """A foreign-key violation: the row pointed at was deleted by another connection
    after this transaction had looked it up."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == "23503" or (  # PostgreSQL
        "FOREIGN KEY constraint failed" in str(orig)  # SQLite
    )


def _refused_by_policy(exc: ProgrammingError) -> bool:
    """A team database refused a new row (SQLSTATE 42501): its policy (the parent
    visible, the shared resource mine) meets a row that is gone before any foreign
    key does. Whether it is gone is checked, not read from the message."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) == "42501"


class StoreCore(References, Redemption, Rows, Copies):
    """Holds the engine and the user; every query below is scoped through `user_id`."""

    def __init__(
        self,
        url: str | None = None,
        user: str | None = None,
        *,
        engine: Engine | None = None,
    ) -> None:
        if engine is None:
            self.url = normalise_url(url or default_database_url())
            engine = get_engine(self.url)
        else:
            self.url = engine.url.render_as_string(hide_password=False)
        self.engine = fork_safe(engine)
        self._read_engine = engine.execution_options(readonly=True)
        # A team database (team.py) says so itself; there the user is the login.
        self.team = False
        try:
            # On PostgreSQL the query that tells a team database also says whether
            # the schema's version table exists, and the revision is read on the
            # same connection (see _team_login).
            revision: object = UNREAD
            if self.engine.dialect.name == "postgresql":
                login, revision = self._team_login(engine)
                self.team = login is not None
            if self.team:
                self.user = self._team_user(login, user)
            else:
                self.user = clean_user(user if user is not None else default_user())
                ensure_current(engine, revision)
        except (OperationalError, DBAPIError) as exc:
            raise self._unavailable(exc) from exc

    # -- a team database
    # -------------------------------------------------------------------------
    @staticmethod
    def _team_login(engine: Engine) -> tuple[str | None, object]:
        """The login on a team database (None on a plain one), after checking its
        schema is current: members may not migrate, their admin does. With it, the
        stored revision when this engine still has to be checked (else migrate.UNREAD):
        one connection and two statements instead of two connections, a catalogue
        reflection and a ping (the first command in a new kernel waits for them)."""
        unchecked = not is_current(engine)
        with engine.connect().execution_options(readonly=True) as connection:
            login, team, schema, versioned = connection.execute(
                select(
                    func.session_user(),
                    func.to_regclass(TEAM_TABLE).is_not(None),
                    func.current_schema(),
                    func.to_regclass(VERSION_TABLE).is_not(None),
                )
            ).one()
            if schema is None:  # e.g. a member their admin has since removed
                raise DatabaseUnavailable(
                    f"'{login}' may not use any schema of this database: ask its "
                    "admin (on a team database: resource-magic team add)."
                )
            revision: object = UNREAD
            if team or unchecked:
                revision = stored_revision(connection) if versioned else None
            if not team:
                return None, revision
        if revision != packaged_head():
            raise SchemaBehind(
                f"This team database's schema is at revision {revision} and this "
                f"resource_magic needs {packaged_head()}: ask your admin to run "
                "`resource-magic team upgrade`."
            )
        return login, revision

    @staticmethod
    def _team_user(login: str, user: str | None) -> str:
        """The login, unless the user was set to someone else: refused."""
        wanted = user if user is not None else configured_user()
        if wanted is not None and clean_user(wanted) != login:
            raise InvalidInput(
                f"This is a team database and you are '{login}' (your database "
                f"login), not '{clean_user(wanted)}': unset ResourceMagic.user / "
                f"{USER_ENV}, or connect as that login."
            )
        return login

    # -- display
    # -------------------------------------------------------------------------
    @property
    def display_url(self) -> str:
        return masked_url(self.url)

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def _unavailable(self, exc: Exception) -> DatabaseUnavailable:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
        return DatabaseUnavailable(
            f"Cannot use the database {self.display_url} ({reason}): check that it is "
            "running and that ResourceMagic.database_url / RESOURCE_MAGIC_DATABASE_URL "
            "is right."
        )

    # -- transactions
    # --------------------------------------------------------------------
    @contextmanager
    def _transaction(
        self, *, write: bool = False, uses: str | None = None
    ) -> Iterator[Connection]:
        """One transaction on a Core connection, all or nothing: a write (BEGIN
        IMMEDIATE on SQLite) or a read (which never takes the write lock). An
        unreachable or damaged database becomes DatabaseUnavailable.

        Every statement the store runs is Core on schema.py's tables, so nothing here
        imports `sqlalchemy.orm` (a fifth of a kernel's first command), and no ORM
        bookkeeping runs beside statements SQLite answers in microseconds.

        `uses`: the reference of the resource a write's new rows point at. On
        PostgreSQL another connection may delete it between this transaction's lookup
        and its insert; the foreign key then refuses the insert, which means "not
        found"."""
        try:
            with (self.engine if write else self._read_engine).begin() as connection:
                yield connection
        except IntegrityError as exc:
            if uses is None or not _deleted_meanwhile(exc):
                raise
            raise self._not_found_now(uses) from None
        except ProgrammingError as exc:
            if uses is None or not _refused_by_policy(exc) or self._still_there(uses):
                raise
            raise self._not_found_now(uses) from None
        except DatabaseError as exc:
            if not _unusable_database(exc):
                raise
            raise self._unavailable(exc) from exc

    def _still_there(self, ref: str) -> bool:
        """Whether `ref` (a name, owner/name or id, any @version ignored) still names
        a resource I may see, read in a new transaction. A token is never checked:
        its refusal is the same either way."""
        if clean_token(ref).startswith(TOKEN_PREFIX):
            return False
        with self._transaction() as conn:
            return self._find_visible(conn, self._whole(ref)[0]) is not None

    def _not_found_now(self, ref: str) -> NotFound | TokenRefused:
        """The NotFound for `ref`, worded in a new transaction (the failed one is
        unusable on PostgreSQL); for a token, the one refusal every bad token gets."""
        if clean_token(ref).startswith(TOKEN_PREFIX):
            return TokenRefused(TOKEN_REFUSED_MESSAGE)
        with self._transaction() as conn:
            return self._not_found(conn, ref)

    def _insert(self, table):
        """The dialect's INSERT, which has ON CONFLICT on both backends."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    # -- the current user
    # ----------------------------------------------------------------
    def _uid(self, db: Connection) -> int:
        """The current user's id, looked up once per transaction (an indexed read).

        Never remembered across transactions: another kernel may delete this user,
        and SQLite may then hand the same id to a new user, whose rows a remembered
        id would reach. The connection's info keeps it beside the transaction it was
        read in (that info is the pooled DBAPI connection's, which outlives the
        transaction), and only that transaction uses it. The row is made by the
        user's first write."""
        user_id = self._remembered_uid(db)
        if user_id is not None:
            return user_id
        readonly = db.get_execution_options().get("readonly", False)
        find = prepared.user_id()  # a statement built once, run by Core
        user_id = db.scalar(find, {"user_name": self.user})
        if user_id is None:
            if readonly:
                # Reads never write: on SQLite a read transaction that tries to write
                # fails with "database is locked" once another kernel has written. No
                # row yet simply means nothing is mine.
                return _NO_USER
            db.execute(
                self._insert(user_table)
                .values(name=self.user, created_at=utcnow())
                .on_conflict_do_nothing(index_elements=["name"])
            )
            user_id = db.scalar(find, {"user_name": self.user})
        self._remember_uid(db, user_id)
        return user_id

    @staticmethod
    def _remember_uid(db: Connection, user_id: int) -> None:
        """`user_id` is the current user's for the rest of this transaction (a query
        that looked it up along the way saves _uid its own)."""
        db.info[_USER_ID] = (db.get_transaction(), user_id)

    @staticmethod
    def _remembered_uid(db: Connection) -> int | None:
        """The user id this transaction has looked up, if it has."""
        read_in, user_id = db.info.get(_USER_ID, (None, None))
        if read_in is None or read_in is not db.get_transaction():
            return None
        return user_id

    def _uid_expr(self):
        """The current user's id as a scalar subquery, for one-statement reads."""
        return (
            select(user_table.c.id)
            .where(user_table.c.name == self.user)
            .scalar_subquery()
        )

    def _uid_or_expr(self, conn: Connection):
        """The current user's id if this transaction has looked it up, else as a
        scalar subquery (so e.g. record_execution stays one UPDATE)."""
        return self._remembered_uid(conn) or self._uid_expr()

    @staticmethod
    def _now() -> datetime:
        return utcnow()
