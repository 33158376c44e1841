"""The store's plumbing: the user, transactions, references and records."""

from __future__ import annotations

import difflib
import unicodedata
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.exc import DatabaseError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased, defer, selectinload, sessionmaker

from ..config import default_database_url, default_user, masked_url
from ..db import fork_safe, get_engine, normalise_url
from ..errors import (
    TOKEN_REFUSED_MESSAGE,
    DatabaseUnavailable,
    InvalidInput,
    NotFound,
    NotOwner,
    TokenRefused,
)
from ..migrate import ensure_current
from ..models import (
    Attachment,
    Resource,
    ResourceLabel,
    ResourceTag,
    ResourceVersion,
    User,
    utcnow,
)
from ..records import ResourceRecord, VersionRecord
from ..tokens import TOKEN_PREFIX, clean_token
from ..validate import check_ref, clean_user, parse_selector, split_selector

_Parent = aliased(Resource, name="parent")
# session.info key: the id of a user row made in this (not yet committed) transaction.
_USER_ID = "resource_magic.user_id"
# The user id a read uses before the user's first write: no row has it.
_NO_USER = -1
_ParentOwner = aliased(User, name="parent_owner")
# Version numbers are 32-bit integer columns: a larger one names no version (and
# would overflow the database's parameter instead of simply matching nothing).
MAX_VERSION = 2**31 - 1


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(text))
    except (ValueError, AttributeError, TypeError):
        return None


def name_or_id(uid: int, name: str, visible=None):
    """WHERE for my resource called `name`, else (if `name` is a UUID) the resource
    with that id among `visible` ones (default: mine). A name wins over an id, so a
    reference never matches two rows."""
    mine_named = and_(Resource.user_id == uid, Resource.name == name)
    ident = parse_uuid(name)
    if ident is None:
        return mine_named
    other = aliased(Resource)
    named_exists = (
        select(other.id).where(other.user_id == uid, other.name == name).exists()
    )
    if visible is None:
        visible = Resource.user_id == uid
    return or_(mine_named, and_(Resource.id == ident, ~named_exists, visible))


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


class StoreCore:
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
        # Two session factories, one per kind of transaction (see _transaction).
        self._write_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self._read_engine, expire_on_commit=False)
        self.user = clean_user(user if user is not None else default_user())
        try:
            ensure_current(engine)
        except (OperationalError, DBAPIError) as exc:
            raise self._unavailable(exc) from exc

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
    ) -> Iterator[Session]:
        """One transaction, all or nothing: a write (BEGIN IMMEDIATE on SQLite) or a
        read (which never takes the write lock). An unreachable or damaged database
        becomes DatabaseUnavailable.

        `uses`: the reference of the resource a write's new rows point at. On
        PostgreSQL another connection may delete it between this transaction's lookup
        and its insert; the foreign key then refuses the insert, which means "not
        found"."""
        sessions = self._write_sessions if write else self._read_sessions
        try:
            with sessions.begin() as session:
                yield session
        except IntegrityError as exc:
            if uses is None or not _deleted_meanwhile(exc):
                raise
            raise self._not_found_now(uses) from None
        except DatabaseError as exc:
            if not _unusable_database(exc):
                raise
            raise self._unavailable(exc) from exc

    def _not_found_now(self, ref: str) -> NotFound | TokenRefused:
        """The NotFound for `ref`, worded in a new transaction (the failed one is
        unusable on PostgreSQL); for a token, the one refusal every bad token gets."""
        if clean_token(ref).startswith(TOKEN_PREFIX):
            return TokenRefused(TOKEN_REFUSED_MESSAGE)
        with self._transaction() as session:
            return self._not_found(session, ref)

    def _insert(self, table):
        """The dialect's INSERT, which has ON CONFLICT on both backends."""
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    # -- the current user
    # ----------------------------------------------------------------
    def _uid(self, session: Session) -> int:
        """The current user's id, looked up once per transaction (an indexed read).

        Never remembered across transactions: another kernel may delete this user,
        and SQLite may then hand the same id to a new user, whose rows a remembered
        id would reach. The row is made by the user's first write."""
        user_id = session.info.get(_USER_ID)
        if user_id is not None:
            return user_id
        user_id = session.scalar(select(User.id).where(User.name == self.user))
        if user_id is None:
            if session.bind is self._read_engine:
                # Reads never write: on SQLite a read transaction that tries to write
                # fails with "database is locked" once another kernel has written. No
                # row yet simply means nothing is mine.
                return _NO_USER
            session.execute(
                self._insert(User)
                .values(name=self.user, created_at=utcnow())
                .on_conflict_do_nothing(index_elements=["name"])
            )
            user_id = session.scalar(select(User.id).where(User.name == self.user))
        session.info[_USER_ID] = user_id
        return user_id

    def _uid_expr(self):
        """The current user's id as a scalar subquery, for one-statement reads."""
        return select(User.id).where(User.name == self.user).scalar_subquery()

    # -- references
    # ----------------------------------------------------------------------
    @staticmethod
    def _parse_ref(ref: str) -> tuple[str | None, str, int | str | None]:
        """`owner/name@selector` -> (owner or None, name, version number, label or
        None for the current version)."""
        ref = str(ref).strip()
        check_ref(ref)  # NUL would fail inside PostgreSQL's driver, not as NotFound
        # Names are stored NFKC-normalised, so look them up the same way.
        ref = unicodedata.normalize("NFKC", ref).strip()
        owner = None
        if "/" in ref:
            owner, _, ref = ref.partition("/")
            owner, ref = owner.strip(), ref.strip()
        if ref.startswith(TOKEN_PREFIX):
            return owner, ref, None
        name, selector = split_selector(ref)
        return owner, name, selector

    @classmethod
    def _whole(cls, ref: str) -> tuple[str, int | str | None]:
        """(the reference without its @version, the selector)."""
        owner, name, selector = cls._parse_ref(ref)
        return (name if owner is None else f"{owner}/{name}"), selector

    @classmethod
    def _split_owner(cls, ref: str) -> tuple[str | None, str]:
        """(owner, name) of a reference to a whole resource (no @version)."""
        owner, name, selector = cls._parse_ref(ref)
        if selector is not None:
            raise InvalidInput(
                f"'{str(ref).strip()}' names one version: give the resource's name "
                f"('{name}') here."
            )
        return owner, name

    @staticmethod
    def _names_a_token(name: str) -> bool:
        """True when `name` is a share token pasted where a name belongs. No resource
        can have such a name, and a plaintext token must never reach the database (its
        logs, our echo), so such names are answered without a query."""
        return name.startswith(TOKEN_PREFIX)

    def _own_clause(self, session: Session, ref: str):
        """WHERE for one of my resources named or identified by `ref` (the user id as a
        subquery, so e.g. record_execution stays one UPDATE)."""
        uid = session.info.get(_USER_ID) or self._uid_expr()
        owner, name = self._split_owner(ref)
        if (owner is not None and owner != self.user) or self._names_a_token(name):
            return None
        return name_or_id(uid, name)

    def _own(self, session: Session, ref: str, action: str = "change") -> Resource:
        """One of my resources, or NotFound (NotOwner for someone else's public one)."""
        clause = self._own_clause(session, ref)
        row = (
            session.scalar(select(Resource).where(clause))
            if clause is not None
            else None
        )
        if row is None:
            visible = self._find_visible(session, ref)
            if visible is not None:
                raise NotOwner(
                    f"'{ref}' belongs to another user, so you cannot {action} it: "
                    f"fork it first with `%resource fork {ref}`."
                )
            raise self._not_found(session, ref)
        return row

    def _find_visible(self, session: Session, ref: str) -> Resource | None:
        """Mine by name or id, or anyone's public one by owner/name or id."""
        uid = self._uid(session)
        owner, name = self._split_owner(ref)
        if self._names_a_token(name):
            return None
        visible = or_(Resource.user_id == uid, Resource.is_public.is_(True))
        if owner is not None:
            stmt = (
                select(Resource)
                .join(User, Resource.user_id == User.id)
                .where(User.name == owner, Resource.name == name, visible)
            )
        else:
            stmt = select(Resource).where(name_or_id(uid, name, visible))
        return session.scalar(stmt)

    def _visible(self, session: Session, ref: str) -> Resource:
        row = self._find_visible(session, ref)
        if row is None:
            raise self._not_found(session, ref)
        return row

    def _not_found(self, session: Session, ref: str) -> NotFound:
        ref = str(ref).strip()
        if ref.startswith(TOKEN_PREFIX):
            return NotFound(
                f"'{ref[:12]}...' is a share token, not a name: use "
                "`%resource open TOKEN` or `%resource fork TOKEN`."
            )
        owner, name, _ = self._parse_ref(ref)
        if owner is not None and owner != self.user:
            return NotFound(
                f"No public resource '{ref}': check the spelling, or ask {owner} "
                "for a share token."
            )
        names = session.scalars(
            select(Resource.name).where(Resource.user_id == self._uid(session))
        ).all()
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        if close:
            return NotFound(f"No resource named '{name}'. Did you mean '{close[0]}'?")
        return NotFound(
            f"No resource named '{name}': see your resources with %resource list."
        )

    # -- records
    # -------------------------------------------------------------------------
    def _record_select(self, uid: int, with_content: bool = True):
        """Resource plus its owner's name and its parent's owner/name (when visible)."""
        visible_parent = or_(_Parent.user_id == uid, _Parent.is_public.is_(True))
        stmt = (
            select(
                Resource,
                User.name.label("owner"),
                _Parent.name.label("parent_name"),
                _ParentOwner.name.label("parent_owner"),
                visible_parent.label("parent_visible"),
            )
            .join(User, Resource.user_id == User.id)
            .outerjoin(_Parent, Resource.parent_resource_id == _Parent.id)
            .outerjoin(_ParentOwner, _Parent.user_id == _ParentOwner.id)
            .options(selectinload(Resource.tags))
        )
        if not with_content:
            stmt = stmt.options(defer(Resource.content), defer(Resource.parameters))
        return stmt

    @staticmethod
    def _to_record(row, with_content: bool = True) -> ResourceRecord:
        resource, owner, parent_name, parent_owner, parent_visible = row
        parent = (
            f"{parent_owner}/{parent_name}"
            if parent_name is not None and parent_visible
            else None
        )
        return ResourceRecord(
            id=resource.id,
            owner=owner,
            name=resource.name,
            resource_type=resource.resource_type,
            description=resource.description,
            content=resource.content if with_content else None,
            parameters=resource.parameters if with_content else None,
            tags=tuple(t.tag for t in resource.tags),
            version=resource.current_version,
            execution_count=resource.execution_count,
            last_executed_at=resource.last_executed_at,
            fork_count=resource.fork_count,
            # The id of a parent I may not see is as hidden as its name.
            parent_id=resource.parent_resource_id if parent_visible else None,
            parent=parent,
            is_public=resource.is_public,
            created_at=resource.created_at,
            updated_at=resource.updated_at,
        )

    def _load_record(self, session: Session, resource_id: uuid.UUID) -> ResourceRecord:
        session.expire_all()
        uid = self._uid(session)
        row = session.execute(
            self._record_select(uid).where(Resource.id == resource_id)
        ).one()
        return self._to_record(row)

    def _set_tags(
        self, session: Session, resource_id: uuid.UUID, tags: Sequence[str]
    ) -> None:
        session.execute(
            ResourceTag.__table__.delete().where(ResourceTag.resource_id == resource_id)
        )
        if tags:
            session.execute(
                ResourceTag.__table__.insert(),
                [{"resource_id": resource_id, "tag": tag} for tag in tags],
            )

    # -- versions and labels
    # ---------------------------------------------------------------
    def _version_number(
        self, session: Session, resource_id, name: str, selector: int | str
    ) -> int:
        """The version `selector` (a number or a label) names, or NotFound."""
        if isinstance(selector, str):
            number = session.scalar(
                select(ResourceLabel.version).where(
                    ResourceLabel.resource_id == resource_id,
                    ResourceLabel.label == selector,
                )
            )
            if number is None:
                labels = session.scalars(
                    select(ResourceLabel.label).where(
                        ResourceLabel.resource_id == resource_id
                    )
                ).all()
                close = difflib.get_close_matches(selector, labels, n=1, cutoff=0.6)
                hint = (
                    f" Did you mean '{close[0]}'?"
                    if close
                    else f" See its labels with %resource labels {name}."
                )
                raise NotFound(f"'{name}' has no label '{selector}'.{hint}")
            return number
        exists = (
            abs(selector) <= MAX_VERSION
            and session.scalar(
                select(ResourceVersion.id).where(
                    ResourceVersion.resource_id == resource_id,
                    ResourceVersion.version == selector,
                )
            )
            is not None
        )
        if not exists:
            latest = session.scalar(
                select(Resource.current_version).where(Resource.id == resource_id)
            )
            raise NotFound(
                f"'{name}' has no version {selector}: it has versions 1 to {latest} "
                f"(see %resource history {name})."
            )
        return selector

    def _resolve_version(
        self, session: Session, resource_id, name: str, current: int, wanted
    ) -> int:
        """The version number `wanted` names: a number, a label or `latest`, as a
        number or as typed text; None is the current version."""
        if wanted is not None and not isinstance(wanted, int):
            wanted = parse_selector(str(wanted))
        if wanted is None:
            return current
        return self._version_number(session, resource_id, name, wanted)

    def _at_version(
        self, session: Session, record: ResourceRecord, selector: int | str | None
    ) -> ResourceRecord:
        """`record` as it was at the version `selector` names (None: as it is)."""
        if selector is None:
            return record
        shown = record.name if record.owner == self.user else record.qualified_name
        number = self._version_number(session, record.id, shown, selector)
        old = session.execute(
            select(
                ResourceVersion.content,
                ResourceVersion.parameters,
                ResourceVersion.message,
            ).where(
                ResourceVersion.resource_id == record.id,
                ResourceVersion.version == number,
            )
        ).one()
        return replace(
            record,
            content=old.content,
            parameters=old.parameters,
            message=old.message,
            version=number,
            current_version=record.version,
        )

    @staticmethod
    def _versions_of(
        session: Session, resource_id, current: int, numbers=None
    ) -> list[VersionRecord]:
        """Versions of one resource (all, or `numbers`), oldest first, each with its
        message, output count and the labels pointing at it."""
        outputs = (
            select(func.count())
            .where(Attachment.version_id == ResourceVersion.id)
            .scalar_subquery()
        )
        stmt = (
            select(ResourceVersion, outputs)
            .where(ResourceVersion.resource_id == resource_id)
            .order_by(ResourceVersion.version)
        )
        if numbers is not None:
            stmt = stmt.where(ResourceVersion.version.in_(list(numbers)))
        labels: dict[int, list[str]] = {}
        for label, number in session.execute(
            select(ResourceLabel.label, ResourceLabel.version)
            .where(ResourceLabel.resource_id == resource_id)
            .order_by(ResourceLabel.label)
        ):
            labels.setdefault(number, []).append(label)
        return [
            VersionRecord(
                version=v.version,
                created_at=v.created_at,
                content=v.content,
                parameters=v.parameters,
                attachment_count=count,
                is_current=v.version == current,
                message=v.message,
                labels=tuple(labels.get(v.version, ())),
            )
            for v, count in session.execute(stmt)
        ]

    @staticmethod
    def _now() -> datetime:
        return utcnow()
