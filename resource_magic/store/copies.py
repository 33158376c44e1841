"""Copies: what a fork copies, and the new resource of mine it makes (a free name,
the version, its tags and outputs).

A plain mixin of StoreCore (store/core.py): it assumes its `_uid`, `_insert`, `_now`
and the row helpers of store/rows.py."""

from __future__ import annotations

import re

from sqlalchemy import insert, literal, or_, select
from sqlalchemy.orm import Session

from ..errors import NameTaken
from ..models import Attachment, Resource, ResourceTag, ResourceVersion
from ..validate import MAX_NAME
from .rows import new_resource
from .team_paths import CopySource

# Each failed attempt means a concurrent fork took that name, so this bounds contention.
_MAX_NAME_ATTEMPTS = 1000


class Copies:
    @staticmethod
    def _copy_source(session: Session, original: Resource, version: int) -> CopySource:
        """What forking `version` of `original` (a row I may read) copies."""
        row = session.execute(
            select(
                ResourceVersion.id, ResourceVersion.content, ResourceVersion.parameters
            ).where(
                ResourceVersion.resource_id == original.id,
                ResourceVersion.version == version,
            )
        ).one()
        tags = session.scalars(
            select(ResourceTag.tag).where(ResourceTag.resource_id == original.id)
        ).all()
        return CopySource(
            id=original.id,
            name=original.name,
            resource_type=original.resource_type,
            description=original.description,
            content=row.content,
            parameters=row.parameters,
            tags=tuple(tags),
            version_id=row.id,
        )

    def _insert_copy(self, session: Session, source: CopySource, wanted: str | None):
        """A new resource of mine holding `source` (content, parameters, tags,
        outputs) as its version 1, its parent `source.id`."""
        uid = self._uid(session)
        now = self._now()
        original = source
        for _attempt in range(_MAX_NAME_ATTEMPTS):
            name = wanted or self._free_name(session, uid, original.name)
            row = new_resource(
                uid,
                name,
                original.resource_type,
                description=original.description,
                content=source.content,
                parameters=source.parameters,
                is_public=False,
                now=now,
                parent_id=original.id,
            )
            copy_id = row["id"]
            inserted = session.scalar(
                self._insert(Resource)
                .values(**row)
                .on_conflict_do_nothing(index_elements=["user_id", "name"])
                .returning(Resource.id)
            )
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
        self._set_tags(session, copy_id, source.tags)
        version_id = self._add_version(
            session, copy_id, 1, source.content, source.parameters, [], now
        )
        if source.version_id is not None:  # copied inside the database
            session.execute(
                insert(Attachment).from_select(
                    ["version_id", "position", "mime_type", "data", "size"],
                    select(
                        literal(version_id),
                        Attachment.position,
                        Attachment.mime_type,
                        Attachment.data,
                        Attachment.size,
                    ).where(Attachment.version_id == source.version_id),
                )
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
        return copy_id

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
