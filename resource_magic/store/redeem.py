"""Share tokens as the store redeems them: what a usable token is, counting one use
in one conditional statement, and the version a redeemed token shows.

A plain mixin of StoreCore (store/core.py): it assumes its `_now`."""

from __future__ import annotations

from sqlalchemy import Connection, and_, bindparam, or_, select, update

from .. import tokens
from ..errors import TOKEN_REFUSED_MESSAGE, TokenRefused
from ..schema import label_table, share_table


class Redemption:
    """Redeeming share tokens on a plain database (a team database's is
    store/team_paths.py)."""

    @staticmethod
    def _usable(now):
        """WHERE a share token still opens its resource at `now`: not revoked, not
        expired, under its use limit."""
        return and_(
            share_table.c.revoked_at.is_(None),
            or_(share_table.c.expires_at.is_(None), share_table.c.expires_at > now),
            or_(
                share_table.c.max_accesses.is_(None),
                share_table.c.access_count < share_table.c.max_accesses,
            ),
        )

    def _redeemable(self, conn: Connection, token: str):
        """The share `token` names if it is usable now (a plain read: no lock yet),
        else refuse. Its use is counted by _count_use, last in the transaction."""
        text = tokens.clean_token(str(token)) if token is not None else ""
        row = None
        if tokens.looks_like_token(text):
            values = {"digest": tokens.digest(text), "now": self._now()}
            row = conn.execute(self._share_lookup(), values).first()
        if row is None:
            raise TokenRefused(TOKEN_REFUSED_MESSAGE)
        return row

    def _count_use(self, conn: Connection, share_id):
        """Count one use of a share if it is still usable, in one conditional UPDATE
        ... RETURNING, else refuse (the caller's transaction, and all it wrote, rolls
        back). Taken last in the transaction: the share's row, which every concurrent
        holder of the token updates, stays locked only until the commit. The same
        statement checks and counts, so concurrent holders never exceed max_accesses
        and no redemption succeeds after a revoke has committed."""
        values = {"share_id": share_id, "now": self._now()}
        row = conn.execute(self._share_count(), values).first()
        if row is None:
            raise TokenRefused(TOKEN_REFUSED_MESSAGE)
        return row

    _SHARE_STATEMENTS: dict = {}  # built once: see _share_lookup and _share_count

    @classmethod
    def _share_lookup(cls):
        """The share whose token digest is :digest, if usable at :now."""
        stmt = cls._SHARE_STATEMENTS.get("lookup")
        if stmt is None:
            now = bindparam("now", type_=share_table.c.expires_at.type)
            stmt = cls._SHARE_STATEMENTS["lookup"] = select(
                share_table.c.id,
                share_table.c.resource_id,
                share_table.c.version,
                share_table.c.label,
            ).where(share_table.c.token_digest == bindparam("digest"), cls._usable(now))
        return stmt

    @classmethod
    def _share_count(cls):
        """One more use of the share :share_id if it is still usable at :now."""
        stmt = cls._SHARE_STATEMENTS.get("count")
        if stmt is None:
            now = bindparam("now", type_=share_table.c.expires_at.type)
            stmt = cls._SHARE_STATEMENTS["count"] = (
                update(share_table)
                .where(share_table.c.id == bindparam("share_id"), cls._usable(now))
                .values(access_count=share_table.c.access_count + 1)
                .returning(
                    share_table.c.access_count,
                    share_table.c.max_accesses,
                    share_table.c.expires_at,
                )
            )
        return stmt

    def _shared_version(self, conn: Connection, share_row) -> int | None:
        """The version a redeemed token shows: its pinned version, where its label
        points now, or None for the current one. A token that follows a label its
        owner has since removed is refused like any other unusable token (the
        transaction, and with it the use just counted, rolls back)."""
        if share_row.label is None:
            return share_row.version
        version = conn.scalar(
            select(label_table.c.version).where(
                label_table.c.resource_id == share_row.resource_id,
                label_table.c.label == share_row.label,
            )
        )
        if version is None:
            raise TokenRefused(TOKEN_REFUSED_MESSAGE)
        return version
