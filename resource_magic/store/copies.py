"""Copies: what a fork copies, and the new resource of mine it makes (a free name,
the version, its tags and outputs).

A plain mixin of StoreCore (store/core.py): it assumes its `_uid`, `_now`, the
reference helpers of store/refs.py and the row helpers of store/rows.py."""

from __future__ import annotations

import re

from sqlalchemy import insert, or_, select
from sqlalchemy.orm import Session

from ..errors import NameTaken
from ..models import Attachment, Resource, ResourceTag, ResourceVersion
from ..validate import MAX_NAME
from . import prepared_copies
from .prepared import new_row_values
from .refs import parse_uuid
from .rows import new_resource
from .team_paths import CopySource

# Each failed attempt means a concurrent fork took that name, so this bounds contention.
_MAX_NAME_ATTEMPTS = 1000


class Copies:
    def _copy_source(
        self, session: Session, original: Resource, version: int
    ) -> CopySource:
        """What forking `version` of `original` (a row I may read) copies."""
        row = session.execute(
            select(
                ResourceVersion.id, ResourceVersion.content, ResourceVersion.parameters
            ).where(
                ResourceVersion.resource_id == original.id,
                ResourceVersion.version == version,
            )
        ).one()
        tags = self._tags_of(session, [original.id]).get(original.id, ())
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

    def _named_source(self, session: Session, ref: str):
        """What forking the current version of `ref` (a name of mine, or owner/name)
        copies, with its owner, my id and whether it has outputs, in one statement;
        None when it names nothing I may see, or by id (the caller then finds out
        the slow way, which says why)."""
        owner, name = self._split_owner(ref)
        if self._names_a_token(name) or (owner is None and parse_uuid(name)):
            return None
        values = {"me": self.user, "name": name, "owner": owner}
        return (
            session.connection()
            .execute(prepared_copies.fork_source(owner is not None), values)
            .first()
        )

    def _insert_copy(
        self, session: Session, source: CopySource, wanted: str | None, uid=None
    ):
        """A new resource of mine holding `source` (content, parameters, tags,
        outputs) as its version 1, its parent `source.id`: its whole row."""
        if uid is None:
            uid = self._uid(session)
        now = self._now()
        connection = session.connection()
        statement = prepared_copies.insert_copy(self.engine.dialect.name)
        for _attempt in range(_MAX_NAME_ATTEMPTS):
            name = wanted or self._free_name(session, uid, source.name)
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
            inserted = connection.execute(statement, new_row_values(row)).first()
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
            connection.execute(
                ResourceTag.__table__.insert(),
                [{"resource_id": copy_id, "tag": tag} for tag in source.tags],
            )
        version_id = self._add_version(
            session, copy_id, 1, source.content, source.parameters, [], now
        )
        if source.version_id is not None:  # copied inside the database
            if source.has_outputs:
                connection.execute(
                    prepared_copies.copy_outputs(),
                    {"version_id": version_id, "source_version_id": source.version_id},
                )
        elif source.attachments:
            session.execute(
                insert(Attachment),
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
    def _free_name(session: Session, uid: int, name: str) -> str:
        """`name` if I have no such name, else the first free `base-N` (N >= 2), where
        base is `name` shortened just enough for the suffix to fit."""
        base = name[: MAX_NAME - 8]
        pattern = re.compile(re.escape(base) + r"-(\d+)$")
        taken = session.scalars(
            select(Resource.name).where(
                Resource.user_id == uid,
                or_(
                    Resource.name == name,
                    Resource.name.startswith(base + "-", autoescape=True),
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
