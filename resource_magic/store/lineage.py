"""Forks and lineage.

A fork copies a resource (mine, someone's public one by owner/name, or a share token's)
into a new resource of mine whose parent_resource_id points at the source; the source's
fork_count grows by one in the same transaction with a single SQL increment. Lineage is
one recursive CTE: ancestors up to the root and every descendant, with depth; another
user's private resource on the way is counted, never described (a private resource of
someone else is exactly like one that does not exist, except that the chain goes on)."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import and_, case, literal, or_, select, union_all

from .. import tokens
from ..errors import TOKEN_REFUSED_MESSAGE, TokenRefused
from ..records import Lineage, LineageNode, ResourceRecord
from ..schema import resource_table, user_table
from ..validate import clean_name
from . import prepared_copies, team_paths
from .core import StoreCore
from .refs import name_or_id
from .team_paths import CopySource


class LineageOps(StoreCore):
    def fork(self, source: str, new_name: str | None = None) -> ResourceRecord:
        """Copy `source` into a new resource of mine; returns the copy."""
        wanted = clean_name(new_name) if new_name is not None else None
        with self._transaction(write=True, uses=str(source)) as conn:
            text = tokens.clean_token(str(source))
            if text.startswith(tokens.TOKEN_PREFIX) and self.team:
                # The shared rows are not the member's to read: the token's function
                # hands over what it shows.
                doc = team_paths.redeem(conn, text)
                copy = self._insert_copy(conn, team_paths.copy_source(doc), wanted)
                return self._load_record(conn, copy.id)
            share = None
            if text.startswith(tokens.TOKEN_PREFIX):
                share = self._redeemable(conn, text)
                original = conn.execute(
                    select(resource_table).where(
                        resource_table.c.id == share.resource_id
                    )
                ).first()
                if original is None:  # deleted since: its shares went with it
                    raise TokenRefused(TOKEN_REFUSED_MESSAGE)
                version = self._shared_version(conn, share)
                if version is None:
                    version = original.current_version
            else:
                whole, selector = self._whole(source)
                if (
                    selector is None
                    and (found := self._named_source(conn, whole)) is not None
                ):
                    return self._fork_named(conn, found, wanted)
                original = self._visible(conn, whole)
                version = (
                    original.current_version
                    if selector is None
                    else self._version_number(conn, original.id, whole, selector)
                )
            original_id = original.id
            copy = self._insert_copy(
                conn, self._copy_source(conn, original, version), wanted
            )
            record = self._load_record(conn, copy.id)
            # The counters last, so their rows (hot when many fork one resource, or
            # redeem one token) stay locked only until the commit.
            if not self.team:  # there a trigger counts the fork, in the same insert
                self._count_fork(conn, original_id)
            if share is not None:
                self._count_use(conn, share.id)
            return record

    def _fork_named(self, conn, found, wanted: str | None) -> ResourceRecord:
        """Fork the current version of a resource found by name (_named_source's
        row): its record built from the inserted row, the parent's owner/name known
        (I may see it), and the fork counted last."""
        tags = self._tags_of(conn, [found.id]).get(found.id, ())
        source = CopySource(
            id=found.id,
            name=found.name,
            resource_type=found.resource_type,
            description=found.description,
            content=found.content,
            parameters=found.parameters,
            tags=tags,
            version_id=found.version_id,
            has_outputs=bool(found.has_outputs),
        )
        uid = found.uid
        if uid is not None:
            self._remember_uid(conn, uid)
        row = self._insert_copy(conn, source, wanted)
        record = self._to_record(
            SimpleNamespace(
                **row._mapping,
                owner=self.user,
                parent_owner=found.owner,
                parent_name=found.name,
                parent_visible=True,
            ),
            tags,
        )
        # The counter last, so its row (hot when many fork one resource) stays
        # locked only until the commit.
        if not self.team:  # there a trigger counts the fork, in the same insert
            self._count_fork(conn, found.id)
        return record

    @staticmethod
    def _count_fork(conn, source_id) -> None:
        conn.execute(prepared_copies.count_fork(), {"source_id": source_id})

    def lineage(self, ref: str) -> Lineage:
        """Ancestors (depth < 0), the resource (0) and descendants that are mine or
        public, and a count of the others, in one statement."""
        with self._transaction() as conn:
            # A subquery, not a lookup: the whole lineage stays one statement.
            uid = self._uid_expr()
            if self._names_a_token(self._split_owner(ref)[1]):
                raise self._not_found(conn, ref)
            start = self._start_id(uid, ref)
            if self.team:  # others' private rows are the function's to count
                rows = team_paths.lineage_rows(conn, start)
            else:
                rows = conn.execute(self._lineage_statement(uid, start)).all()
            if not rows:
                raise self._not_found(conn, ref)
            return Lineage(
                nodes=tuple(
                    LineageNode(
                        id=row.id,
                        depth=row.depth,
                        owner=row.owner,
                        name=row.name,
                        resource_type=row.resource_type,
                        parent_id=row.parent_id,
                        fork_count=row.fork_count,
                    )
                    for row in rows
                    if row.visible
                ),
                hidden=sum(1 for row in rows if not row.visible),
            )

    @staticmethod
    def _lineage_statement(uid, start):
        """Lineage in one statement: ancestors and descendants of `start`, another
        user's private resource a row of NULLs but for `visible`."""
        r = resource_table
        up = (
            select(r.c.id, r.c.parent_resource_id, literal(0).label("depth"))
            .where(r.c.id == start)
            .cte("ancestors", recursive=True)
        )
        up = up.union_all(
            select(r.c.id, r.c.parent_resource_id, (up.c.depth - 1)).join(
                up, r.c.id == up.c.parent_resource_id
            )
        )
        down = (
            select(r.c.id, literal(0).label("depth"))
            .where(r.c.id == start)
            .cte("descendants", recursive=True)
        )
        down = down.union_all(
            select(r.c.id, (down.c.depth + 1)).join(
                down, r.c.parent_resource_id == down.c.id
            )
        )
        nodes = union_all(
            select(up.c.id, up.c.depth),
            select(down.c.id, down.c.depth).where(down.c.depth > 0),
        ).subquery("nodes")
        # Another user's private resource is only counted: its columns are NULL
        # before they leave the database, and so is a visible node's parent_id
        # when the parent is hidden.
        p = resource_table.alias("parent")
        visible = or_(r.c.user_id == uid, r.c.is_public.is_(True))
        parent_visible = or_(p.c.user_id == uid, p.c.is_public.is_(True))

        def shown(column):
            return case((visible, column)).label(column.key)

        return (
            select(
                visible.label("visible"),
                shown(r.c.id),
                case((visible, nodes.c.depth)).label("depth"),
                shown(user_table.c.name.label("owner")),
                shown(r.c.name),
                shown(r.c.resource_type),
                case((and_(visible, parent_visible), r.c.parent_resource_id)).label(
                    "parent_id"
                ),
                shown(r.c.fork_count),
            )
            .select_from(nodes)
            .join(r, r.c.id == nodes.c.id)
            .join(user_table, user_table.c.id == r.c.user_id)
            .outerjoin(p, p.c.id == r.c.parent_resource_id)
            .order_by(nodes.c.depth, r.c.created_at, r.c.id)
        )

    def _start_id(self, uid: int, ref: str):
        """A scalar subquery for the resource `ref` names, if I may see it."""
        owner, name = self._split_owner(ref)
        visible = or_(
            resource_table.c.user_id == uid, resource_table.c.is_public.is_(True)
        )
        if owner is not None:
            match = and_(
                resource_table.c.user_id
                == select(user_table.c.id)
                .where(user_table.c.name == owner)
                .scalar_subquery(),
                resource_table.c.name == name,
                visible,
            )
        else:
            match = name_or_id(uid, name, visible)
        return select(resource_table.c.id).where(match).limit(1).scalar_subquery()
