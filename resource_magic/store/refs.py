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

from sqlalchemy import Connection, Row, and_, bindparam, or_, select

from ..errors import (
    InvalidInput,
    NotFound,
    NotOwner,
)
from ..records import ResourceRecord
from ..references import check_ref, parse_selector, split_selector
from ..schema import label_table, resource_table, user_table, version_table
from ..tokens import TOKEN_PREFIX

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
    if visible is None:
        visible = resource_table.c.user_id == uid
    return _name_wins(uid, name, parse_uuid(name), visible)


def name_or_id_params(uid, by_id: bool):
    """name_or_id for a prepared statement: the name as :ref_name and, `by_id`, the
    id it spells as :ref_id, both bind parameters (the same clause either way; not
    named after columns, which an UPDATE's parameters may not be)."""
    ident = bindparam("ref_id") if by_id else None
    return _name_wins(
        uid, bindparam("ref_name"), ident, resource_table.c.user_id == uid
    )


def _name_wins(uid, name, ident, visible):
    """My resource called `name`, or (`ident` not None) the `visible` one with id
    `ident` when no resource of mine is called `name`."""
    mine_named = and_(resource_table.c.user_id == uid, resource_table.c.name == name)
    if ident is None:
        return mine_named
    other = resource_table.alias()
    named_exists = (
        select(other.c.id).where(other.c.user_id == uid, other.c.name == name).exists()
    )
    return or_(mine_named, and_(resource_table.c.id == ident, ~named_exists, visible))


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

    def _own_clause(self, conn: Connection, ref: str):
        """WHERE for one of my resources named or identified by `ref` (the user id as a
        subquery, so e.g. record_execution stays one UPDATE)."""
        uid = self._uid_or_expr(conn)
        owner, name = self._split_owner(ref)
        if (owner is not None and owner != self.user) or self._names_a_token(name):
            return None
        return name_or_id(uid, name)

    def _own(self, conn: Connection, ref: str, action: str = "change") -> Row:
        """One of my resources, or NotFound (NotOwner for someone else's public one)."""
        clause = self._own_clause(conn, ref)
        row = (
            conn.execute(select(resource_table).where(clause)).first()
            if clause is not None
            else None
        )
        if row is None:
            visible = self._find_visible(conn, ref)
            if visible is not None:
                raise NotOwner(
                    f"'{ref}' belongs to another user, so you cannot {action} it: "
                    f"fork it first with `%resource fork {ref}`."
                )
            raise self._not_found(conn, ref)
        return row

    def _find_visible(self, conn: Connection, ref: str) -> Row | None:
        """Mine by name or id, or anyone's public one by owner/name or id."""
        uid = self._uid(conn)
        owner, name = self._split_owner(ref)
        if self._names_a_token(name):
            return None
        visible = or_(
            resource_table.c.user_id == uid, resource_table.c.is_public.is_(True)
        )
        if owner is not None:
            stmt = (
                select(resource_table)
                .join(user_table, resource_table.c.user_id == user_table.c.id)
                .where(
                    user_table.c.name == owner, resource_table.c.name == name, visible
                )
            )
        else:
            stmt = select(resource_table).where(name_or_id(uid, name, visible))
        return conn.execute(stmt).first()

    def _visible(self, conn: Connection, ref: str) -> Row:
        row = self._find_visible(conn, ref)
        if row is None:
            raise self._not_found(conn, ref)
        return row

    def _not_found(self, conn: Connection, ref: str) -> NotFound:
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
        names = conn.scalars(
            select(resource_table.c.name).where(
                resource_table.c.user_id == self._uid(conn)
            )
        ).all()
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
        if close:
            return NotFound(f"No resource named '{name}'. Did you mean '{close[0]}'?")
        return NotFound(
            f"No resource named '{name}': see your resources with %resource list."
        )

    def _get_record(self, db: Connection, ref: str) -> ResourceRecord:
        """The record `ref` names: one query for the row, its owner, parent and tags
        (then one for an older version's content when `ref` names one)."""
        return self._get_record_flagged(db, ref)[0]

    def _get_record_flagged(
        self, db: Connection, ref: str, *, with_outputs: bool = False
    ) -> tuple[ResourceRecord, bool | None]:
        """_get_record's record, and (when `with_outputs`, else None) whether the
        resource's current version has stored outputs, read in the same query."""
        owner, name, selector = self._parse_ref(ref)
        row = None
        if not self._names_a_token(name) and parse_uuid(name) is None:
            # A name, not an id (the common case): a statement built once.
            values = {"me": self.user, "name": name, "owner": owner}
            row = db.execute(
                self._record_named(owner is not None, with_outputs), values
            ).first()
        elif not self._names_a_token(name):
            # The user id as a subquery: no separate lookup on this path either.
            uid = self._uid_expr()
            visible = or_(
                resource_table.c.user_id == uid, resource_table.c.is_public.is_(True)
            )
            if owner is not None:
                match = and_(
                    user_table.c.name == owner, resource_table.c.name == name, visible
                )
            else:
                match = name_or_id(uid, name, visible)
            statement = self._record_select(
                uid, with_tags=True, with_outputs=with_outputs
            )
            row = db.execute(statement.where(match)).first()
        if row is None:
            raise self._not_found(db, ref)
        record = self._to_record(row, self._row_tags(row))
        has_outputs = row.has_outputs if with_outputs else None
        return self._at_version(db, record, selector), has_outputs

    _NAMED: dict = {}  # _record_named's and _record_by_id's statements

    def _record_by_id(self, with_outputs: bool = False):
        """The record select (tags included, and `has_outputs` when `with_outputs`)
        of the resource :id for the user :me (its parent's name shown if mine or
        public); built once per dialect."""
        key = ("id", with_outputs, self.engine.dialect.name)
        stmt = self._NAMED.get(key)
        if stmt is None:
            uid = (
                select(user_table.c.id)
                .where(user_table.c.name == bindparam("me"))
                .scalar_subquery()
            )
            stmt = self._NAMED[key] = self._record_select(
                uid, with_tags=True, with_outputs=with_outputs
            ).where(resource_table.c.id == bindparam("id"))
        return stmt

    def _record_named(self, other_owner: bool, with_outputs: bool):
        """The record select (tags included, and `has_outputs` when `with_outputs`)
        of my resource :name (or, with `other_owner`, of :owner's if it is mine or
        public), for the user :me; built once per dialect."""
        key = (other_owner, with_outputs, self.engine.dialect.name)
        stmt = self._NAMED.get(key)
        if stmt is None:
            uid = (
                select(user_table.c.id)
                .where(user_table.c.name == bindparam("me"))
                .scalar_subquery()
            )
            name = resource_table.c.name == bindparam("name")
            if other_owner:
                visible = or_(
                    resource_table.c.user_id == uid,
                    resource_table.c.is_public.is_(True),
                )
                match = and_(user_table.c.name == bindparam("owner"), name, visible)
            else:
                match = and_(resource_table.c.user_id == uid, name)
            stmt = self._NAMED[key] = self._record_select(
                uid, with_tags=True, with_outputs=with_outputs
            ).where(match)
        return stmt

    # -- versions and labels
    # ---------------------------------------------------------------
    def _version_number(
        self, conn: Connection, resource_id, name: str, selector: int | str
    ) -> int:
        """The version `selector` (a number or a label) names, or NotFound."""
        if isinstance(selector, str):
            number = conn.scalar(
                select(label_table.c.version).where(
                    label_table.c.resource_id == resource_id,
                    label_table.c.label == selector,
                )
            )
            if number is None:
                labels = conn.scalars(
                    select(label_table.c.label).where(
                        label_table.c.resource_id == resource_id
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
            and conn.scalar(
                select(version_table.c.id).where(
                    version_table.c.resource_id == resource_id,
                    version_table.c.version == selector,
                )
            )
            is not None
        )
        if not exists:
            latest = conn.scalar(
                select(resource_table.c.current_version).where(
                    resource_table.c.id == resource_id
                )
            )
            raise NotFound(
                f"'{name}' has no version {selector}: it has versions 1 to {latest} "
                f"(see %resource history {name})."
            )
        return selector

    def _resolve_version(
        self, conn: Connection, resource_id, name: str, current: int, wanted
    ) -> int:
        """The version number `wanted` names: a number, a label or `latest`, as a
        number or as typed text; None is the current version."""
        if wanted is not None and not isinstance(wanted, int):
            wanted = parse_selector(str(wanted))
        if wanted is None:
            return current
        return self._version_number(conn, resource_id, name, wanted)

    def _at_version(
        self,
        conn: Connection,
        record: ResourceRecord,
        selector: int | str | None,
    ) -> ResourceRecord:
        """`record` as it was at the version `selector` names (None: as it is): one
        query for a version that exists; NotFound, worded, for one that does not."""
        if selector is None:
            return record
        old = self._version_row(conn, record.id, selector)
        if old is None:  # word the NotFound (or read the version made meanwhile)
            shown = record.name if record.owner == self.user else record.qualified_name
            number = self._version_number(conn, record.id, shown, selector)
            old = self._version_row(conn, record.id, number)
        return replace(
            record,
            content=old.content,
            parameters=old.parameters,
            message=old.message,
            version=old.version,
            current_version=record.version,
        )

    @staticmethod
    def _version_row(conn: Connection, resource_id, selector: int | str) -> Row | None:
        """The version a number or a label names, with its content, or None."""
        version, label = version_table, label_table
        query = select(
            version.c.version,
            version.c.content,
            version.c.parameters,
            version.c.message,
        ).where(version.c.resource_id == resource_id)
        if isinstance(selector, str):
            query = query.join(
                label,
                and_(
                    label.c.resource_id == version.c.resource_id,
                    label.c.version == version.c.version,
                ),
            ).where(label.c.label == selector)
        elif abs(selector) <= MAX_VERSION:
            query = query.where(version.c.version == selector)
        else:  # more than a version column holds: no such version
            return None
        return conn.execute(query).first()
