"""Share tokens: create, list, revoke, and redeem (open) them.

Redemption is one conditional UPDATE ... RETURNING: the token's digest, not revoked, not
expired, under its use limit, and the count goes up in the same statement, so concurrent
holders can never exceed max_accesses and a redemption never succeeds after a revoke has
committed. Unknown, expired, used-up and revoked tokens all fail with the same message.

An owner revokes a share by its handle: the shortest start of the share's id (at least
8 hex digits) that no other share of theirs begins with, recomputed at each listing, so
every share always has one that `%resource shares` shows. The id is a random UUID made
apart from the token, so a handle tells nothing about the token and opens nothing (only
a whole token, by its digest, redeems). The token's 4-character display prefix, which
two shares may have in common, and the whole token still revoke too.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import Connection, Row, select, update
from sqlalchemy.exc import NoResultFound

from .. import tokens
from ..errors import TOKEN_REFUSED_MESSAGE, InvalidInput, NotFound, TokenRefused
from ..records import NewShare, SharedResource, ShareRecord
from ..schema import resource_table, share_table
from . import prepared_copies, team_paths
from .core import StoreCore
from .exposure import refuse_secrets
from .prepared_copies import SHARE_COLUMNS
from .refs import parse_uuid


def share_status(share: Row | SimpleNamespace, now: datetime) -> str:
    """active, revoked, expired or exhausted (a share row, or its columns)."""
    if share.revoked_at is not None:
        return "revoked"
    if share.expires_at is not None and share.expires_at <= now:
        return "expired"
    if share.max_accesses is not None and share.access_count >= share.max_accesses:
        return "exhausted"
    return "active"


# A handle is at least this many hex digits of the share's id (32 bits).
HANDLE_MIN = 8
_HEX = frozenset("0123456789abcdef")


def share_handles(ids) -> dict[uuid.UUID, str]:
    """For each id, the shortest start of its hex (at least HANDLE_MIN digits) that no
    other id in `ids` begins with: unique, so it names exactly one share."""
    hexes = sorted({i.hex for i in ids})
    handles = {}
    for k, this in enumerate(hexes):
        length = HANDLE_MIN
        for other in hexes[max(k - 1, 0) : k + 2]:
            if other != this:
                common = len(os.path.commonprefix((this, other)))
                length = max(length, common + 1)
        handles[uuid.UUID(this)] = this[:length]
    return handles


def _id_start(text: str) -> str | None:
    """The hex digits of a share id's start (dashes and case ignored), if `text` can
    be one: HANDLE_MIN to 32 hex digits."""
    digits = text.replace("-", "").lower()
    if HANDLE_MIN <= len(digits) <= 32 and set(digits) <= _HEX:
        return digits
    return None


def _handle_range(share_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The ids that begin with the same HANDLE_MIN hex digits as `share_id`, as
    :low and :high: only a neighbour among them can make its handle longer than
    HANDLE_MIN (they are an interval of the sorted ids holding this one, so its
    nearest ids there are its neighbours there)."""
    start = share_id.hex[:HANDLE_MIN]
    return {
        "low": uuid.UUID(start.ljust(32, "0")),
        "high": uuid.UUID(start.ljust(32, "f")),
    }


def _no_share(text: str) -> NotFound:
    return NotFound(f"None of your shares matches '{text[:16]}': see %resource shares.")


class SharingOps(StoreCore):
    def share(
        self,
        ref: str,
        expires: object = None,
        max_accesses: object = None,
        *,
        allow_secrets: bool = False,
    ) -> NewShare:
        """A new token for one of my resources, returned here and never again.

        Refused (SecretFound) when what the token shows looks like it holds a secret,
        unless allow_secrets."""
        now = self._now()
        expires_at = tokens.parse_expiry(expires, now)
        limit = tokens.clean_max_accesses(max_accesses)
        token = tokens.new_token()
        whole, selector = self._whole(ref)
        with self._transaction(write=True, uses=whole) as conn:
            share_id = uuid.uuid4()
            resource = self._share_target(conn, whole, share_id)
            shown = resource.current_version
            if selector is not None:  # the version or label must exist now
                shown = self._version_number(conn, resource.id, resource.name, selector)
            if not allow_secrets and not resource.is_public:
                refuse_secrets(
                    conn, resource.id, [shown], resource=resource, current=resource
                )
            values = {
                "id": share_id,
                "resource_id": resource.id,
                "token_digest": tokens.digest(token),
                "token_prefix": tokens.display_prefix(token),
                "expires_at": expires_at,
                "access_count": 0,
                "max_accesses": limit,
                "created_at": now,
                "revoked_at": None,
                "version": selector if isinstance(selector, int) else None,
                "label": selector if isinstance(selector, str) else None,
            }
            conn.execute(
                prepared_copies.insert_share(),
                {f"s_{column}": values[column] for column in SHARE_COLUMNS},
            )
            share = SimpleNamespace(**values)
            # Measured against the neighbours read with the resource: the same
            # handle as _handle_of's.
            near = [
                share_id,
                *(n for n in (resource.below, resource.above) if n is not None),
            ]
            handles = {share_id: share_handles(near)[share_id]}
            return NewShare(
                token=token,
                share=self._share_record(share, resource.name, now, handles),
            )

    def shares(self, ref: str | None = None) -> list[ShareRecord]:
        """My shares (of one resource, or all), newest first, with their status."""
        now = self._now()
        with self._transaction() as conn:
            uid = self._uid(conn)
            stmt = (
                select(share_table, resource_table.c.name)
                .join(resource_table, share_table.c.resource_id == resource_table.c.id)
                .where(resource_table.c.user_id == uid)
                .order_by(share_table.c.created_at.desc(), share_table.c.id)
            )
            if ref is not None:
                stmt = stmt.where(
                    resource_table.c.id
                    == self._own(conn, ref, action="list shares of").id
                )
            rows = conn.execute(stmt).all()
            handles = self._share_handles(conn, uid) if ref is not None else None
            if handles is None:  # all my shares are listed: their ids are at hand
                handles = share_handles(s.id for s in rows)
            return [self._share_record(s, s.name, now, handles) for s in rows]

    def revoke(self, handle: str) -> ShareRecord:
        """Revoke one of my shares by its handle (the id `shares()` shows, or the whole
        id), its token, or its token's display prefix when no other share has it."""
        text = tokens.clean_token(str(handle))
        if not text:
            raise InvalidInput(
                "Give the share's id from %resource shares, or its token."
            )
        if not text.isprintable():
            # NUL, control characters and surrogates are in no token, and would fail
            # in the driver (PostgreSQL refuses NUL in text) rather than match nothing.
            raise _no_share(text)
        id_start = None
        if not text.startswith(tokens.TOKEN_PREFIX):
            id_start = _id_start(text)
            if id_start is None:
                raise _no_share(text)
        now = self._now()
        with self._transaction(write=True) as conn:
            uid = self._uid(conn)
            mine = (
                select(share_table, resource_table.c.name)
                .join(resource_table, share_table.c.resource_id == resource_table.c.id)
                .where(resource_table.c.user_id == uid)
            )
            if id_start is not None:
                # A range of ids, which both backends compare as the hex text reads.
                mine = mine.where(
                    share_table.c.id.between(
                        uuid.UUID(id_start.ljust(32, "0")),
                        uuid.UUID(id_start.ljust(32, "f")),
                    )
                )
            elif len(text) > tokens.DISPLAY_LENGTH:
                # Anything longer than a display prefix (a token, or one damaged in
                # copy-paste) only by digest, so it never reaches the server.
                mine = mine.where(share_table.c.token_digest == tokens.digest(text))
            else:
                mine = mine.where(share_table.c.token_prefix == text)
            rows = conn.execute(mine.limit(2)).all()
            if not rows:
                raise _no_share(text)
            if len(rows) > 1:
                more = "more of its id" if id_start else "its id"
                raise InvalidInput(
                    f"'{text}' matches more than one of your shares: give {more} "
                    "(the id column of %resource shares)."
                )
            share = rows[0]
            name = share.name  # the re-read below has the share's columns only
            conn.execute(
                update(share_table)
                .where(share_table.c.id == share.id, share_table.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            share = conn.execute(
                select(share_table).where(share_table.c.id == share.id)
            ).one()
            handles = self._handle_of(conn, uid, share.id)
            return self._share_record(share, name, now, handles)

    def open(self, token: str) -> SharedResource:
        """Read a shared resource through its token, counting one access."""
        if self.team:  # the shared rows are not mine to read: the function's
            with self._transaction(write=True) as conn:
                return team_paths.shared_resource(team_paths.redeem(conn, token))
        with self._transaction(write=True) as conn:
            share = self._redeemable(conn, token)
            try:
                record, has_outputs = self._load_record_flagged(
                    conn, share.resource_id, with_outputs=True
                )
            except NoResultFound:  # deleted since: its shares went with it
                raise TokenRefused(TOKEN_REFUSED_MESSAGE) from None
            record = self._at_version(conn, record, self._shared_version(conn, share))
            attachments = self._outputs_of(conn, record, has_outputs)
            counted = self._count_use(conn, share.id)  # last: see _count_use
            return SharedResource(
                resource=record,
                attachments=attachments,
                access_count=counted.access_count,
                max_accesses=counted.max_accesses,
                expires_at=counted.expires_at,
            )

    # -- internals
    # -----------------------------------------------------------------------
    @staticmethod
    def _share_handles(conn: Connection, uid: int) -> dict[uuid.UUID, str]:
        """The handle of each of my shares (one query of their ids)."""
        return share_handles(
            conn.scalars(
                select(share_table.c.id)
                .join(resource_table, share_table.c.resource_id == resource_table.c.id)
                .where(resource_table.c.user_id == uid)
            )
        )

    def _share_target(self, conn: Connection, ref: str, share_id: uuid.UUID):
        """My resource `ref` as prepared_copies.share_target's row, its neighbours
        those of `share_id`; by id, _own finds its name first, and when nothing
        matches _own says why."""
        owner, name = self._split_owner(ref)
        if (owner is not None and owner != self.user) or (
            self._names_a_token(name) or parse_uuid(name)
        ):
            name = self._own(conn, ref, action="share").name
        values = {"me": self.user, "name": name, "share_id": share_id}
        values.update(_handle_range(share_id))
        row = conn.execute(prepared_copies.share_target(), values).first()
        if row is None:
            self._own(conn, ref, action="share")  # raises: it says why
        self._remember_uid(conn, row.user_id)
        return row

    @staticmethod
    def _handle_of(conn: Connection, uid: int, share_id) -> dict[uuid.UUID, str]:
        """{share_id: its handle}: the same handle as share_handles over all my
        shares, without reading them all.

        Only a neighbour that begins with the same HANDLE_MIN hex digits can make
        a handle longer than HANDLE_MIN, and those are exactly my share ids in that
        range (an interval of the sorted ids holding this one, so its nearest ids
        there are its neighbours there): one lookup in the id index, however many
        resources and shares I have."""
        near = conn.execute(
            prepared_copies.my_shares_between(),
            {"uid": uid, **_handle_range(share_id)},
        )
        return {share_id: share_handles([share_id, *near.scalars()])[share_id]}

    @staticmethod
    def _share_record(
        share: Row | SimpleNamespace,
        name: str,
        now: datetime,
        handles: dict,
    ) -> ShareRecord:
        return ShareRecord(
            id=share.id,
            handle=handles[share.id],
            resource=name,
            prefix=share.token_prefix,
            created_at=share.created_at,
            expires_at=share.expires_at,
            access_count=share.access_count,
            max_accesses=share.max_accesses,
            revoked_at=share.revoked_at,
            status=share_status(share, now),
            version=share.version,
            label=share.label,
        )
