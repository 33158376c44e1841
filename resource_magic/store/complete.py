"""Prefix look-ups for tab completion: a few names or tags, fast, always scoped.

Each is one indexed range read: `name >= prefix AND name < prefix + U+FFFF` on the
(user_id, name) unique index (the LIKE filter keeps it exact), ordered and limited, so
it costs the same at 100 resources as at 100,000. Another user's names appear only when
public, as owner/name. Everything is a bound parameter.
"""

from __future__ import annotations

from sqlalchemy import false, func, select

from ..models import Resource, ResourceTag, User
from .core import StoreCore

COMPLETION_LIMIT = 20
_TOP = "\uffff"  # above every character a name starts with (the range's end)


class CompletionOps(StoreCore):
    """Names and tags that start with what was typed, for completers."""

    def complete_names(
        self, prefix: str = "", *, limit: int = COMPLETION_LIMIT
    ) -> list[str]:
        """My resource names starting with `prefix`; `owner/prefix` gives that user's
        public names (as owner/name)."""
        limit = max(1, min(int(limit), 100))
        owner, slash, start = prefix.partition("/")
        if not slash:
            owner, start = None, prefix
        with self._transaction() as session:
            name = Resource.name
            stmt = (
                select(name)
                .where(name >= start, name < start + _TOP)
                .where(name.startswith(start, autoescape=True))
                .order_by(name)
                .limit(limit)
            )
            if owner is None:
                stmt = stmt.where(Resource.user_id == self._uid(session))
            else:
                # The owner's id first, and is_public as an expression no index
                # covers, so the planner walks (user_id, name) for this owner rather
                # than every user's public names in order.
                owner_id = session.scalar(select(User.id).where(User.name == owner))
                if owner_id is None:
                    return []
                stmt = stmt.where(
                    Resource.user_id == owner_id,
                    func.coalesce(Resource.is_public, false()).is_(True),
                )
            names = list(session.scalars(stmt))
        return [f"{owner}/{n}" for n in names] if owner is not None else names

    def complete_tags(
        self, prefix: str = "", *, limit: int = COMPLETION_LIMIT
    ) -> list[str]:
        """Tags on my resources starting with `prefix`."""
        limit = max(1, min(int(limit), 100))
        tag = ResourceTag.tag
        with self._transaction() as session:
            stmt = (
                select(tag)
                .join(Resource, Resource.id == ResourceTag.resource_id)
                .where(Resource.user_id == self._uid(session))
                .where(tag >= prefix, tag < prefix + _TOP)
                .where(tag.startswith(prefix, autoescape=True))
                .group_by(tag)
                .order_by(tag)
                .limit(limit)
            )
            return list(session.scalars(stmt))
