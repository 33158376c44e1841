"""Export my resources (every version, with attachments) to a JSON-ready dict, and
import one back, all or nothing: a name I already have gets the imported versions as new
versions."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence

from sqlalchemy import Connection, Row, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidInput
from ..records import ImportResult
from ..schema import (
    attachment_table,
    label_event_table,
    label_table,
    resource_table,
    version_table,
)
from .core import StoreCore
from .export_file import EXPORT_FORMAT, parse_export
from .exposure import guard
from .rows import new_resource


class TransferOps(StoreCore):
    def export(self, names: Sequence[str] | None = None) -> dict:
        """My resources (all, or these names) with every version and attachment."""
        with self._transaction() as conn:
            uid = self._uid(conn)
            if names:
                chosen = []
                for ref in names:
                    whole, selector = self._whole(ref)
                    resource = self._own(conn, whole, action="export")
                    only = None
                    if selector is not None:
                        only = self._version_number(
                            conn, resource.id, resource.name, selector
                        )
                    chosen.append((resource, only))
            else:
                chosen = [
                    (resource, None)
                    for resource in conn.execute(
                        select(resource_table)
                        .where(resource_table.c.user_id == uid)
                        .order_by(resource_table.c.name)
                    )
                ]
            items = [self._export_one(conn, r, only) for r, only in chosen]
        return {"format": EXPORT_FORMAT, "user": self.user, "resources": items}

    def _export_one(self, conn: Connection, resource: Row, only: int | None) -> dict:
        """One resource: every version (or only version `only`, with the labels on
        it and no label history), labels and label moves."""
        versions = []
        chosen = select(version_table).where(version_table.c.resource_id == resource.id)
        if only is not None:
            chosen = chosen.where(version_table.c.version == only)
        for version in conn.execute(chosen.order_by(version_table.c.version)):
            files = conn.execute(
                select(attachment_table)
                .where(attachment_table.c.version_id == version.id)
                .order_by(attachment_table.c.position)
            )
            versions.append(
                {
                    "version": version.version,
                    "created_at": version.created_at.isoformat(),
                    "content": version.content,
                    "parameters": version.parameters,
                    "message": version.message,
                    "attachments": [
                        {
                            "mime_type": a.mime_type,
                            "data": base64.b64encode(a.data).decode("ascii"),
                        }
                        for a in files
                    ],
                }
            )
        return {
            "name": resource.name,
            "resource_type": resource.resource_type,
            "description": resource.description,
            "tags": list(self._tags_of(conn, [resource.id]).get(resource.id, ())),
            "is_public": resource.is_public,
            "versions": versions,
            "labels": [
                {"label": label, "version": number}
                for label, number in conn.execute(
                    select(label_table.c.label, label_table.c.version)
                    .where(label_table.c.resource_id == resource.id)
                    .order_by(label_table.c.label)
                )
                if only is None or number == only
            ],
            "label_history": []
            if only is not None
            else [
                {
                    "label": move.label,
                    "from": move.from_version,
                    "to": move.to_version,
                    "at": move.at.isoformat(),
                }
                for move in conn.execute(
                    select(label_event_table)
                    .where(label_event_table.c.resource_id == resource.id)
                    .order_by(label_event_table.c.id)
                )
            ],
        }

    def import_(
        self,
        data: object,
        progress: Callable[[int], None] | None = None,
        *,
        allow_secrets: bool = False,
    ) -> ImportResult:
        """Import an export; checks everything first, then writes in one transaction.

        Versions that become visible to others (a public resource, or a public or
        shared one of mine they are added to) are scanned as save does, unless
        allow_secrets; one finding refuses the whole import."""
        items = parse_export(data)
        created, appended = [], []
        now = self._now()
        with self._transaction(write=True) as conn:
            uid = self._uid(conn)
            for item in items:
                existing = self._named(conn, uid, item["name"])
                resource = None
                if existing is None:
                    resource = self._create_imported(conn, uid, item, now)
                    if resource is None:  # made meanwhile by another kernel: append
                        existing = self._named(conn, uid, item["name"])
                if (
                    existing is not None
                    and existing.resource_type != item["resource_type"]
                ):
                    raise InvalidInput(
                        f"'{item['name']}' is a {existing.resource_type} here but a "
                        f"{item['resource_type']} in the file: rename one; "
                        "nothing was imported."
                    )
                if existing is None:
                    created.append(item["name"])
                    was_public = False
                else:
                    resource = existing
                    appended.append(item["name"])
                    was_public = existing.is_public
                added = []
                numbers = {}  # the file's version number -> the one it gets here
                for version in item["versions"]:
                    number = conn.scalar(
                        update(resource_table)
                        .where(resource_table.c.id == resource.id)
                        .values(
                            current_version=resource_table.c.current_version + 1,
                            content=version["content"],
                            parameters=version["parameters"],
                            updated_at=now,
                        )
                        .returning(resource_table.c.current_version)
                    )
                    self._add_version(
                        conn,
                        resource.id,
                        number,
                        version["content"],
                        version["parameters"],
                        version["attachments"],
                        now,
                        version["message"],
                    )
                    added.append(number)
                    numbers[version["number"]] = number
                self._import_labels(conn, resource.id, item, numbers, now)
                if not allow_secrets:
                    guard(conn, resource.id, added, was_public=was_public, now=now)
                if progress is not None:
                    progress(1)
        return ImportResult(created=tuple(created), new_versions=tuple(appended))

    def _import_labels(
        self, conn: Connection, resource_id, item: dict, numbers: dict, now
    ) -> None:
        """The file's label moves (renumbered), then its labels, as the file has them;
        a label this resource already has moves, and the move is recorded."""
        moves = [
            {
                "resource_id": resource_id,
                "label": move["label"],
                "from_version": numbers.get(move["from"]),
                "to_version": numbers.get(move["to"]),
                "at": move["at"],
            }
            for move in item["label_history"]
        ]
        if moves:
            conn.execute(insert(label_event_table), moves)
        for label, file_number in item["labels"].items():
            number = numbers[file_number]
            here = and_(
                label_table.c.resource_id == resource_id, label_table.c.label == label
            )
            old = conn.scalar(select(label_table.c.version).where(here))
            if old is None:
                conn.execute(
                    insert(label_table).values(
                        resource_id=resource_id, label=label, version=number, set_at=now
                    )
                )
            elif old != number:
                if not item["label_history"]:
                    self._log_move(conn, resource_id, label, old, number, now)
                conn.execute(
                    update(label_table).where(here).values(version=number, set_at=now)
                )

    @staticmethod
    def _named(conn, uid: int, name: str) -> Row | None:
        return conn.execute(
            select(resource_table).where(
                resource_table.c.user_id == uid, resource_table.c.name == name
            )
        ).first()

    def _create_imported(self, conn, uid: int, item: dict, now) -> Row | None:
        """A new resource for `item`, no versions yet; None if its name was just taken.

        Between the check for the name and this insert another kernel may create it (on
        PostgreSQL the check does not lock a row that does not exist yet): the savepoint
        turns that unique violation into "append to it", as the name had existed before.
        """
        last = item["versions"][-1]
        row = new_resource(
            uid,
            item["name"],
            item["resource_type"],
            description=item["description"],
            content=last["content"],
            parameters=last["parameters"],
            is_public=item["is_public"],
            now=now,
            current_version=0,
        )
        try:
            with conn.begin_nested():
                conn.execute(insert(resource_table).values(**row))
        except IntegrityError:
            return None
        self._set_tags(conn, row["id"], item["tags"])
        return conn.execute(
            select(resource_table).where(resource_table.c.id == row["id"])
        ).one()
