"""What a reference names: one of my resources, a visible one, a version of it, or a
share token's resource, each found with the current user's id in the query.

"Not yours" reads exactly like "not there": a lookup that misses words its NotFound
the same way for a resource that does not exist and for another user's private one.
A plain mixin of StoreCore (store/core.py): it assumes its `_transaction`, `_uid`,
`_uid_expr`, `_uid_or_expr` and `_now`, and the record helpers of store/rows.py."""

from __future__ import annotations

import difflib
import unicodedata
import uuid
from dataclasses import replace

from sqlalchemy import Connection, and_, bindparam, or_, select
from sqlalchemy.orm import Session, aliased

from ..errors import (
    InvalidInput,
    NotFound,
    NotOwner,
)
from ..models import Resource, ResourceLabel, ResourceVersion, User
from ..records import ResourceRecord
from ..references import check_ref, parse_selector, split_selector
from ..tokens import TOKEN_PREFIX
from . import prepared

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


def name_or_id_params(uid, by_id: bool):
    """name_or_id for a prepared statement: the name as :ref_name and, `by_id`, the
    id it spells as :ref_id, both bind parameters (the same clause either way; not
    named after columns, which an UPDATE's parameters may not be)."""
    name = bindparam("ref_name")
    mine_named = and_(Resource.user_id == uid, Resource.name == name)
    if not by_id:
        return mine_named
    other = aliased(Resource)
    named_exists = (
        select(other.id).where(other.user_id == uid, other.name == name).exists()
    )
    return or_(
        mine_named,
        and_(
            Resource.id == bindparam("ref_id"), ~named_exists, Resource.user_id == uid
        ),
    )


class References:
    """Resolving references, versions and tokens (a mixin of StoreCore)."""

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
        uid = self._uid_or_expr(session)
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

    def _get_record(
        self, db: Session | Connection, ref: str, *, with_tags: bool = False
    ) -> ResourceRecord:
        """One query for the row, its owner and parent, one for its tags (or, with
        `with_tags`, the tags in the same query), in a session's transaction or on a
        bare connection's (see _bare_transaction)."""
        connection = prepared.connection_of(db)
        owner, name, selector = self._parse_ref(ref)
        row = None
        if not self._names_a_token(name) and parse_uuid(name) is None:
            # A name, not an id (the common case): a statement built once.
            values = {"me": self.user, "name": name, "owner": owner}
            row = connection.execute(
                self._record_named(owner is not None, with_tags), values
            ).first()
        elif not self._names_a_token(name):
            # The user id as a subquery: no separate lookup on this path either.
            uid = self._uid_expr()
            visible = or_(Resource.user_id == uid, Resource.is_public.is_(True))
            if owner is not None:
                match = and_(User.name == owner, Resource.name == name, visible)
            else:
                match = name_or_id(uid, name, visible)
            row = connection.execute(
                self._record_select(uid, with_tags=with_tags).where(match)
            ).first()
        if row is None:
            if isinstance(db, Session):
                raise self._not_found(db, ref)
            with self._transaction() as session:  # worded with the session's helpers
                raise self._not_found(session, ref)
        if with_tags:
            tags = self._row_tags(row)
        else:
            tags = self._tags_of(connection, [row.id]).get(row.id, ())
        record = self._to_record(row, tags)
        return self._at_version(connection, record, selector)

    _NAMED: dict = {}  # _record_named's and _record_by_id's statements

    def _record_by_id(self):
        """The record select (tags included) of the resource :id for the user :me
        (its parent's name shown if mine or public); built once per dialect."""
        key = ("id", self.engine.dialect.name)
        stmt = self._NAMED.get(key)
        if stmt is None:
            uid = select(User.id).where(User.name == bindparam("me")).scalar_subquery()
            stmt = self._NAMED[key] = self._record_select(uid, with_tags=True).where(
                Resource.id == bindparam("id")
            )
        return stmt

    def _record_named(self, other_owner: bool, with_tags: bool):
        """The record select of my resource :name (or, with `other_owner`, of :owner's
        if it is mine or public), for the user :me, its tags included `with_tags`;
        built once per dialect."""
        key = (other_owner, with_tags, self.engine.dialect.name)
        stmt = self._NAMED.get(key)
        if stmt is None:
            uid = select(User.id).where(User.name == bindparam("me")).scalar_subquery()
            name = Resource.name == bindparam("name")
            if other_owner:
                visible = or_(Resource.user_id == uid, Resource.is_public.is_(True))
                match = and_(User.name == bindparam("owner"), name, visible)
            else:
                match = and_(Resource.user_id == uid, name)
            stmt = self._NAMED[key] = self._record_select(
                uid, with_tags=with_tags
            ).where(match)
        return stmt

    # -- versions and labels
    # ---------------------------------------------------------------
    def _version_number(
        self, session: Session | Connection, resource_id, name: str, selector: int | str
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
        self,
        session: Session | Connection,
        record: ResourceRecord,
        selector: int | str | None,
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
