"""Prefix look-ups for tab completion: a few names or tags, fast, always scoped.

Each is one indexed range read: `name >= prefix AND name < prefix + U+FFFF` on the
(user_id, name) unique index (the LIKE filter keeps it exact), ordered and limited, so
it costs the same at 100 resources as at 100,000. Another user's names appear only when
public, as owner/name. Everything is a bound parameter.
"""

from __future__ import annotations

from sqlalchemy import false, func, select

from ..schema import resource_table, tag_table, user_table
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
        with self._transaction() as conn:
            name = resource_table.c.name
            stmt = (
                select(name)
                .where(name >= start, name < start + _TOP)
                .where(name.startswith(start, autoescape=True))
                .order_by(name)
                .limit(limit)
            )
            if owner is None:
                stmt = stmt.where(resource_table.c.user_id == self._uid(conn))
            else:
                # The owner's id first, and is_public as an expression no index
                # covers, so the planner walks (user_id, name) for this owner rather
                # than every user's public names in order.
                owner_id = conn.scalar(
                    select(user_table.c.id).where(user_table.c.name == owner)
                )
                if owner_id is None:
                    return []
                stmt = stmt.where(
                    resource_table.c.user_id == owner_id,
                    func.coalesce(resource_table.c.is_public, false()).is_(True),
                )
            names = list(conn.scalars(stmt))
        return [f"{owner}/{n}" for n in names] if owner is not None else names

    def complete_tags(
        self, prefix: str = "", *, limit: int = COMPLETION_LIMIT
    ) -> list[str]:
        """Tags on my resources starting with `prefix`."""
        limit = max(1, min(int(limit), 100))
        tag = tag_table.c.tag
        with self._transaction() as conn:
            stmt = (
                select(tag)
                .join(resource_table, resource_table.c.id == tag_table.c.resource_id)
                .where(resource_table.c.user_id == self._uid(conn))
                .where(tag >= prefix, tag < prefix + _TOP)
                .where(tag.startswith(prefix, autoescape=True))
                .group_by(tag)
                .order_by(tag)
                .limit(limit)
            )
            return list(conn.scalars(stmt))
