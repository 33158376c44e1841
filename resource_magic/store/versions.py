"""Version history, restoring an old version, a version's outputs, labels on
versions, their history, and pairs of versions for a diff.

History only grows: restore adds a new version equal to an old one (scanned for
secrets like save when the resource is public or shared).

A label (`production`) points at one version of a resource and moves on purpose. Only
the owner sets, moves or removes labels; anyone who may read a resource may read its
labels and their history. A move is one write transaction holding the resource row
(`FOR UPDATE` on PostgreSQL; SQLite's writes are serialised by BEGIN IMMEDIATE), so two
concurrent moves of one label happen one after the other: the label ends where the
later one put it, and the history has both, in order, each from where the other left
it."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select, update

from ..errors import InvalidInput, NotFound
from ..records import (
    AttachmentRecord,
    LabelMove,
    LabelRecord,
    ResourceRecord,
    VersionPair,
    VersionRecord,
)
from ..references import clean_label_name, clean_settable_label
from ..schema import (
    attachment_table,
    label_event_table,
    label_table,
    resource_table,
    version_table,
)
from ..validate import clean_message
from .core import StoreCore
from .exposure import guard
from .refs import MAX_VERSION


class VersionOps(StoreCore):
    # -- versions
    # ------------------------------------------------------------------------
    def history(self, ref: str) -> list[VersionRecord]:
        """Every version of a resource I can see, oldest first, with its message and
        labels."""
        with self._transaction() as conn:
            resource = self._visible(conn, ref)
            return self._versions_of(conn, resource.id, resource.current_version)

    def restore(
        self,
        ref: str,
        version: int | str,
        message: str | None = None,
        *,
        allow_secrets: bool = False,
    ) -> ResourceRecord:
        """Make a new version equal to an old one (a number or a label; history only
        grows); `message` says why. Refused like save when the resource is public or
        shared and that version holds a secret."""
        if isinstance(version, bool) or not isinstance(version, int | str):
            raise InvalidInput(
                f"The version must be a whole number or a label, not {version!r}."
            )
        message = clean_message(message)
        with self._transaction(write=True) as conn:
            resource = self._own(conn, ref, action="restore")
            # After the lookup: a reference to nothing reads as "not found" first.
            number = self._resolve_version(
                conn, resource.id, resource.name, resource.current_version, version
            )
            old = conn.execute(
                select(version_table).where(
                    version_table.c.resource_id == resource.id,
                    version_table.c.version == number,
                )
            ).first()
            now = self._now()
            new_version = conn.scalar(
                update(resource_table)
                .where(resource_table.c.id == resource.id)
                .values(
                    current_version=resource_table.c.current_version + 1,
                    content=old.content,
                    parameters=old.parameters,
                    updated_at=now,
                )
                .returning(resource_table.c.current_version)
            )
            if new_version is None:  # deleted since the lookup (PostgreSQL)
                raise self._not_found(conn, ref)
            files = [
                (a.mime_type, a.data)
                for a in conn.execute(
                    select(attachment_table)
                    .where(attachment_table.c.version_id == old.id)
                    .order_by(attachment_table.c.position)
                )
            ]
            self._add_version(
                conn,
                resource.id,
                new_version,
                old.content,
                old.parameters,
                files,
                now,
                message,
            )
            if not allow_secrets:
                guard(
                    conn,
                    resource.id,
                    [new_version],
                    was_public=resource.is_public,
                    now=now,
                )
            return self._load_record(conn, resource.id)

    def attachments(
        self, ref: str, version: int | None = None
    ) -> tuple[AttachmentRecord, ...]:
        """The captured outputs of a version (the current one by default)."""
        with self._transaction() as conn:
            resource = self._visible(conn, ref)
            if version is not None and abs(version) > MAX_VERSION:
                return ()  # no such version, as for any other missing one
            return self._attachments_of(
                conn, resource.id, version or resource.current_version
            )

    # -- labels
    # ------------------------------------------------------------------------
    def set_label(
        self, ref: str, label: str, version: int | str | None = None
    ) -> tuple[LabelRecord, int | None]:
        """Point `label` at `version` (a number, or another label; default: the
        current version). Returns the label and the version it left (None: new)."""
        now = self._now()
        with self._transaction(write=True) as conn:
            resource_id, current, name = self._lock_own(conn, ref, "label")
            # After the lookup: a reference to nothing reads as "not found" first.
            label = clean_settable_label(label)
            number = self._resolve_version(conn, resource_id, name, current, version)
            old = conn.execute(
                select(label_table.c.version, label_table.c.set_at).where(
                    label_table.c.resource_id == resource_id,
                    label_table.c.label == label,
                )
            ).first()
            if old is not None and old.version == number:
                return LabelRecord(label, number, old.set_at), number
            upsert = self._insert(label_table).values(
                resource_id=resource_id, label=label, version=number, set_at=now
            )
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=["resource_id", "label"],
                    set_={"version": number, "set_at": now},
                )
            )
            left = old.version if old is not None else None
            self._log_move(conn, resource_id, label, left, number, now)
            return LabelRecord(label, number, now), left

    def remove_label(self, ref: str, label: str) -> LabelRecord:
        """Take `label` off; returns where it pointed."""
        now = self._now()
        with self._transaction(write=True) as conn:
            resource_id, _, name = self._lock_own(conn, ref, "label")
            label = clean_label_name(label)
            row = conn.execute(
                delete(label_table)
                .where(
                    label_table.c.resource_id == resource_id,
                    label_table.c.label == label,
                )
                .returning(label_table.c.version, label_table.c.set_at)
            ).first()
            if row is None:
                raise self._no_label(conn, resource_id, name, label)
            self._log_move(conn, resource_id, label, row.version, None, now)
            return LabelRecord(label, row.version, row.set_at)

    def labels(self, ref: str) -> list[LabelRecord]:
        """The labels of a resource I can see, by name."""
        with self._transaction() as conn:
            resource = self._visible(conn, ref)
            rows = conn.execute(
                select(label_table.c.label, label_table.c.version, label_table.c.set_at)
                .where(label_table.c.resource_id == resource.id)
                .order_by(label_table.c.label)
            )
            return [LabelRecord(*row) for row in rows]

    def label_history(self, ref: str) -> list[LabelMove]:
        """Every move of every label of a resource I can see, oldest first."""
        with self._transaction() as conn:
            resource = self._visible(conn, ref)
            rows = conn.execute(
                select(
                    label_event_table.c.label,
                    label_event_table.c.from_version,
                    label_event_table.c.to_version,
                    label_event_table.c.at,
                )
                .where(label_event_table.c.resource_id == resource.id)
                .order_by(label_event_table.c.id)
            )
            return [LabelMove(*row) for row in rows]

    def versions(
        self, ref: str, old: int | str | None = None, new: int | str | None = None
    ) -> VersionPair:
        """Two versions of a resource I can see, for a diff: `new` (default: the
        current one) and `old` (default: the one before `new`). Each is a number, a
        label or 'latest'."""
        with self._transaction() as conn:
            record = self._get_record(conn, ref)
            shown = record.name if record.owner == self.user else record.qualified_name
            new_number = self._resolve_version(
                conn, record.id, shown, record.version, new
            )
            if old is None:
                if new_number == 1:
                    raise InvalidInput(
                        f"'{shown}' has only version 1 before that: name two versions, "
                        f"like %resource diff {shown} 1 2."
                    )
                old_number = new_number - 1
            else:
                old_number = self._resolve_version(
                    conn, record.id, shown, record.version, old
                )
            history = {
                v.version: v
                for v in self._versions_of(
                    conn, record.id, record.version, (old_number, new_number)
                )
            }
            return VersionPair(record, history[old_number], history[new_number])

    # -- internals
    # -----------------------------------------------------------------------
    def _lock_own(self, conn: Connection, ref: str, action: str):
        """(id, current version, name) of my resource `ref`, its row locked."""
        resource = self._own(conn, ref, action=action)
        row = conn.execute(
            select(
                resource_table.c.id,
                resource_table.c.current_version,
                resource_table.c.name,
            )
            .where(resource_table.c.id == resource.id)
            .with_for_update()
        ).first()
        if row is None:  # deleted by another connection since the lookup
            raise self._not_found(conn, ref)
        return row

    @staticmethod
    def _no_label(conn: Connection, resource_id, name: str, label: str) -> NotFound:
        return NotFound(
            f"'{name}' has no label '{label}': see its labels with "
            f"%resource labels {name}."
        )
