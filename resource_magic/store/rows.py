"""Rows in, records out: one builder for a new resource row (save, fork and import
all make theirs with it), versions with their outputs, tags, and the records the
store returns.

A plain mixin of StoreCore (store/core.py): it assumes its `_uid`, `_insert` and
`_now`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import (
    Connection,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
)

from ..errors import InvalidInput
from ..records import AttachmentRecord, ResourceRecord, VersionRecord
from ..schema import (
    attachment_table,
    label_event_table,
    label_table,
    resource_table,
    tag_table,
    user_table,
    version_table,
)
from ..validate import MAX_ATTACHMENT_BYTES, search_text
from ..vocabulary import MIME_LENGTH
from . import prepared

_Parent = resource_table.alias("parent")
_ParentOwner = user_table.alias("parent_owner")


def clean_attachments(attachments: Iterable | None) -> list[tuple[str, bytes]]:
    """Accept (mime_type, data) pairs or AttachmentRecord-likes; text becomes UTF-8."""
    cleaned = []
    for item in attachments or ():
        mime, data = (
            (item.mime_type, item.data)
            if hasattr(item, "mime_type")
            else (item[0], item[1])
        )
        if (
            not isinstance(mime, str)
            or not 0 < len(mime) <= MIME_LENGTH
            or "/" not in mime
            or not mime.isprintable()  # no NUL, control characters or surrogates
        ):
            raise InvalidInput(f"{mime!r} is not a MIME type like image/png.")
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, bytes | bytearray):
            raise InvalidInput(f"The {mime} attachment must be bytes or text.")
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise InvalidInput(
                f"The {mime} output is {len(data):,} bytes: the limit is "
                f"{MAX_ATTACHMENT_BYTES:,} bytes per output."
            )
        cleaned.append((mime, bytes(data)))
    return cleaned


def new_resource(
    uid: int,
    name: str,
    resource_type: str,
    *,
    description: str | None,
    content: object,
    parameters: dict | None,
    is_public: bool,
    now: datetime,
    current_version: int = 1,
    parent_id: uuid.UUID | None = None,
) -> dict:
    """The columns of a new resource row, fresh counters and search text included:
    save, fork and import all insert what this returns."""
    return {
        "id": uuid.uuid4(),
        "user_id": uid,
        "name": name,
        "description": description,
        "resource_type": resource_type,
        "content": content,
        "parameters": parameters,
        "execution_count": 0,
        "fork_count": 0,
        "parent_resource_id": parent_id,
        "is_public": is_public,
        "current_version": current_version,
        "search_text": search_text(name, description),
        "created_at": now,
        "updated_at": now,
    }


class Rows:
    """Reading and writing the rows of resources and versions (a mixin of StoreCore)."""

    def _record_select(
        self,
        uid: int,
        with_content: bool = True,
        with_tags: bool = False,
        with_outputs: bool = False,
    ):
        """Resource's columns plus its owner's name and its parent's owner/name (when
        visible), as plain rows (no ORM instances); the tags are _tags_of's, or with
        `with_tags` a column of this same statement (read them with _row_tags); with
        `with_outputs`, a `has_outputs` column says whether the current version has
        stored outputs (most have none, and then _outputs_of reads nothing)."""
        visible_parent = or_(_Parent.c.user_id == uid, _Parent.c.is_public.is_(True))
        columns = [
            c
            for c in resource_table.columns
            if with_content or c.name not in ("content", "parameters")
        ]
        if with_tags:
            columns.append(self._tag_list())
        if with_outputs:
            columns.append(_has_outputs())
        return (
            select(
                *columns,
                user_table.c.name.label("owner"),
                _Parent.c.name.label("parent_name"),
                _ParentOwner.c.name.label("parent_owner"),
                visible_parent.label("parent_visible"),
            )
            .join(user_table, resource_table.c.user_id == user_table.c.id)
            .outerjoin(_Parent, resource_table.c.parent_resource_id == _Parent.c.id)
            .outerjoin(_ParentOwner, _Parent.c.user_id == _ParentOwner.c.id)
        )

    def _tag_list(self):
        """The resource's tags joined by commas (a tag holds none), as one column: a
        single record's tags in its own query, one round trip instead of two.
        PostgreSQL orders them as `ORDER BY tag` would; SQLite's group_concat (before
        3.44) takes no order, so _row_tags sorts them there."""
        tags = tag_table
        joined = func.aggregate_strings(tags.c.tag, literal_column("','"))
        if self.engine.dialect.name == "postgresql":
            joined = joined.aggregate_order_by(tags.c.tag)
        return (
            select(joined)
            .where(tags.c.resource_id == resource_table.c.id)
            .scalar_subquery()
            .label("tag_list")
        )

    def _row_tags(self, row) -> tuple[str, ...]:
        """The tags of a row read `with_tags`, in order: on SQLite sorted here, in
        code point order, which is its binary collation's (the column's)."""
        if not row.tag_list:
            return ()
        tags = row.tag_list.split(",")
        if self.engine.dialect.name != "postgresql":
            tags.sort()
        return tuple(tags)

    @staticmethod
    def _tags_of(conn: Connection, ids) -> dict[uuid.UUID, tuple[str, ...]]:
        """The tags of each of these resources, in order (one query)."""
        ids = list(ids)
        if not ids:
            return {}
        if len(ids) == 1:
            rows = conn.execute(prepared.tags_of(), {"resource_id": ids[0]})
            # Not rows.scalars(): it builds a reduced copy of the result's metadata
            # for each call, which costs more than reading one resource's tags.
            return {ids[0]: tuple(tag for (tag,) in rows)}
        tags: dict[uuid.UUID, list[str]] = {}
        rows = conn.execute(prepared.tags_of_many(), {"ids": ids})
        for resource_id, tag in rows:
            tags.setdefault(resource_id, []).append(tag)
        return {i: tuple(t) for i, t in tags.items()}

    @staticmethod
    def _to_record(row, tags: Sequence[str] = (), with_content: bool = True):
        parent = (
            f"{row.parent_owner}/{row.parent_name}"
            if row.parent_name is not None and row.parent_visible
            else None
        )
        return ResourceRecord(
            id=row.id,
            owner=row.owner,
            name=row.name,
            resource_type=row.resource_type,
            description=row.description,
            content=row.content if with_content else None,
            parameters=row.parameters if with_content else None,
            tags=tuple(tags),
            version=row.current_version,
            execution_count=row.execution_count,
            last_executed_at=row.last_executed_at,
            fork_count=row.fork_count,
            # The id of a parent I may not see is as hidden as its name.
            parent_id=row.parent_resource_id if row.parent_visible else None,
            parent=parent,
            is_public=row.is_public,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def _load_record(self, conn: Connection, resource_id: uuid.UUID) -> ResourceRecord:
        return self._load_record_flagged(conn, resource_id)[0]

    def _load_record_flagged(
        self, conn: Connection, resource_id: uuid.UUID, with_outputs: bool = False
    ) -> tuple[ResourceRecord, bool | None]:
        """The record of the resource `resource_id`, and (when `with_outputs`, else
        None) whether its current version has stored outputs, in one query."""
        values = {"me": self.user, "id": resource_id}
        row = conn.execute(self._record_by_id(with_outputs), values).one()
        has_outputs = row.has_outputs if with_outputs else None
        return self._to_record(row, self._row_tags(row)), has_outputs

    def _own_record(
        self,
        db: Connection,
        row,
        tags: Sequence[str] | None = None,
    ) -> ResourceRecord:
        """The record of my resource from its row as a write returned it (all of
        resource's columns): the tags when not given, and the parent when it has one,
        are the only reads left (what _load_record reads, without reading the row)."""
        if tags is None:
            tags = self._tags_of(db, [row.id]).get(row.id, ())
        parent = None
        if row.parent_resource_id is not None:
            uid = self._uid(db)  # this transaction's, read or remembered already
            parent = db.execute(
                select(user_table.c.name, _Parent.c.name)
                .join(user_table, _Parent.c.user_id == user_table.c.id)
                .where(
                    _Parent.c.id == row.parent_resource_id,
                    or_(_Parent.c.user_id == uid, _Parent.c.is_public.is_(True)),
                )
            ).first()
        return ResourceRecord(
            id=row.id,
            owner=self.user,
            name=row.name,
            resource_type=row.resource_type,
            description=row.description,
            content=row.content,
            parameters=row.parameters,
            tags=tuple(sorted(tags)),
            version=row.current_version,
            execution_count=row.execution_count,
            last_executed_at=row.last_executed_at,
            fork_count=row.fork_count,
            # The id of a parent I may not see is as hidden as its name.
            parent_id=row.parent_resource_id if parent is not None else None,
            parent=f"{parent[0]}/{parent[1]}" if parent is not None else None,
            is_public=row.is_public,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def _set_tags(
        self, db: Connection, resource_id: uuid.UUID, tags: Sequence[str]
    ) -> None:
        """Replace the resource's tags."""
        db.execute(tag_table.delete().where(tag_table.c.resource_id == resource_id))
        if tags:
            db.execute(
                tag_table.insert(),
                [{"resource_id": resource_id, "tag": tag} for tag in tags],
            )

    @staticmethod
    def _versions_of(
        conn: Connection, resource_id, current: int, numbers=None
    ) -> list[VersionRecord]:
        """Versions of one resource (all, or `numbers`), oldest first, each with its
        message, output count and the labels pointing at it."""
        outputs = (
            select(func.count())
            .where(attachment_table.c.version_id == version_table.c.id)
            .scalar_subquery()
        )
        stmt = (
            select(version_table, outputs.label("attachment_count"))
            .where(version_table.c.resource_id == resource_id)
            .order_by(version_table.c.version)
        )
        if numbers is not None:
            stmt = stmt.where(version_table.c.version.in_(list(numbers)))
        labels: dict[int, list[str]] = {}
        for label, number in conn.execute(
            select(label_table.c.label, label_table.c.version)
            .where(label_table.c.resource_id == resource_id)
            .order_by(label_table.c.label)
        ):
            labels.setdefault(number, []).append(label)
        return [
            VersionRecord(
                version=v.version,
                created_at=v.created_at,
                content=v.content,
                parameters=v.parameters,
                attachment_count=v.attachment_count,
                is_current=v.version == current,
                message=v.message,
                labels=tuple(labels.get(v.version, ())),
            )
            for v in conn.execute(stmt)
        ]

    @staticmethod
    def _log_move(conn: Connection, resource_id, label, old, new, now) -> None:
        """One move of `label` (from version `old` to `new`; None: not set / removed)
        in the label's history: setting, moving and removing a label, and an import
        that moves a label the resource already had."""
        conn.execute(
            insert(label_event_table).values(
                resource_id=resource_id,
                label=label,
                from_version=old,
                to_version=new,
                at=now,
            )
        )

    def _add_version(
        self,
        db: Connection,
        resource_id,
        version,
        content,
        parameters,
        files,
        now,
        message=None,
    ):
        """A version row and its outputs; returns the version row's id."""
        version_id = db.execute(
            prepared.add_version(),
            {
                "v_resource_id": resource_id,
                "v_version": version,
                "v_content": content,
                "v_parameters": parameters,
                "v_message": message,
                "v_created_at": now,
            },
        ).scalar_one()
        if files:
            db.execute(
                insert(attachment_table),
                [
                    {
                        "version_id": version_id,
                        "position": position,
                        "mime_type": mime,
                        "data": data,
                        "size": len(data),
                    }
                    for position, (mime, data) in enumerate(files)
                ],
            )
        return version_id

    def _outputs_of(
        self, conn: Connection, record: ResourceRecord, current_has_outputs: bool
    ) -> tuple[AttachmentRecord, ...]:
        """The outputs of the version `record` shows: nothing to read when that is
        the current version and its record's query said it has none."""
        if record.is_current and not current_has_outputs:
            return ()
        return self._attachments_of(conn, record.id, record.version)

    def _attachments_of(
        self, conn: Connection, resource_id, version
    ) -> tuple[AttachmentRecord, ...]:
        """The outputs of a version."""
        rows = conn.execute(
            prepared.attachments_of(),
            {"resource_id": resource_id, "version": version},
        )
        return tuple(
            AttachmentRecord(
                position=a.position, mime_type=a.mime_type, data=a.data, size=a.size
            )
            for a in rows
        )


def _has_outputs():
    """Whether the row's current version has stored outputs, as a column: two index
    probes (resource_version by resource and number, attachment by version)."""
    version = version_table
    return (
        exists()
        .where(
            version.c.resource_id == resource_table.c.id,
            version.c.version == resource_table.c.current_version,
            attachment_table.c.version_id == version.c.id,
        )
        .label("has_outputs")
    )
