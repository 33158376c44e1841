"""Copies: what a fork copies, and the new resource of mine it makes (a free name,
the version, its tags and outputs).

A plain mixin of StoreCore (store/core.py): it assumes its `_uid`, `_now`, the
reference helpers of store/refs.py and the row helpers of store/rows.py."""

from __future__ import annotations

import re

from sqlalchemy import Connection, Row, insert, or_, select

from ..errors import NameTaken
from ..schema import attachment_table, resource_table, tag_table, version_table
from ..validate import MAX_NAME
from . import prepared_copies
from .prepared import new_row_values
from .refs import parse_uuid
from .rows import new_resource
from .team_paths import CopySource

# Each failed attempt means a concurrent fork took that name, so this bounds contention.
_MAX_NAME_ATTEMPTS = 1000


class Copies:
    def _copy_source(self, conn: Connection, original: Row, version: int) -> CopySource:
        """What forking `version` of `original` (a row I may read) copies."""
        row = conn.execute(
            select(
                version_table.c.id, version_table.c.content, version_table.c.parameters
            ).where(
                version_table.c.resource_id == original.id,
                version_table.c.version == version,
            )
        ).one()
        tags = self._tags_of(conn, [original.id]).get(original.id, ())
        return CopySource(
            id=original.id,
            name=original.name,
            resource_type=original.resource_type,
            description=original.description,
            content=row.content,
            parameters=row.parameters,
            tags=tags,
            version_id=row.id,
        )

    def _named_source(self, conn: Connection, ref: str):
        """What forking the current version of `ref` (a name of mine, or owner/name)
        copies, with its owner, my id and whether it has outputs, in one statement;
        None when it names nothing I may see, or by id (the caller then finds out
        the slow way, which says why)."""
        owner, name = self._split_owner(ref)
        if self._names_a_token(name) or (owner is None and parse_uuid(name)):
            return None
        values = {"me": self.user, "name": name, "owner": owner}
        return conn.execute(
            prepared_copies.fork_source(owner is not None), values
        ).first()

    def _insert_copy(self, conn: Connection, source: CopySource, wanted: str | None):
        """A new resource of mine holding `source` (content, parameters, tags,
        outputs) as its version 1, its parent `source.id`: its whole row."""
        uid = self._uid(conn)
        now = self._now()
        statement = prepared_copies.insert_copy(self.engine.dialect.name)
        for _attempt in range(_MAX_NAME_ATTEMPTS):
            name = wanted or self._free_name(conn, uid, source.name)
            row = new_resource(
                uid,
                name,
                source.resource_type,
                description=source.description,
                content=source.content,
                parameters=source.parameters,
                is_public=False,
                now=now,
                parent_id=source.id,
            )
            inserted = conn.execute(statement, new_row_values(row)).first()
            if inserted is not None:
                break
            if wanted is not None:
                raise NameTaken(
                    f"You already have a resource named '{wanted}': fork under another "
                    "name with --as NEW_NAME."
                )
        else:  # pragma: no cover - only under extreme contention for one name
            raise NameTaken(
                "Could not find a free name for the fork: give one with --as."
            )
        copy_id = inserted.id
        if source.tags:  # a new resource has no tags to replace
            conn.execute(
                tag_table.insert(),
                [{"resource_id": copy_id, "tag": tag} for tag in source.tags],
            )
        version_id = self._add_version(
            conn, copy_id, 1, source.content, source.parameters, [], now
        )
        if source.version_id is not None:  # copied inside the database
            if source.has_outputs:
                conn.execute(
                    prepared_copies.copy_outputs(),
                    {"version_id": version_id, "source_version_id": source.version_id},
                )
        elif source.attachments:
            conn.execute(
                insert(attachment_table),
                [
                    {
                        "version_id": version_id,
                        "position": a.position,
                        "mime_type": a.mime_type,
                        "data": a.data,
                        "size": a.size,
                    }
                    for a in source.attachments
                ],
            )
        return inserted

    @staticmethod
    def _free_name(conn: Connection, uid: int, name: str) -> str:
        """`name` if I have no such name, else the first free `base-N` (N >= 2), where
        base is `name` shortened just enough for the suffix to fit."""
        base = name[: MAX_NAME - 8]
        pattern = re.compile(re.escape(base) + r"-(\d+)$")
        taken = conn.scalars(
            select(resource_table.c.name).where(
                resource_table.c.user_id == uid,
                or_(
                    resource_table.c.name == name,
                    resource_table.c.name.startswith(base + "-", autoescape=True),
                ),
            )
        ).all()
        if name not in taken:
            return name
        used = {int(m.group(1)) for n in taken if (m := pattern.match(n))}
        n = 2
        while n in used:
            n += 1
        return f"{base}-{n}"
