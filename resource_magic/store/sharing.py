"""Share tokens: create, list, revoke, and redeem (open) them.

Redemption is one conditional UPDATE ... RETURNING: the token's digest, not revoked, not
expired, under its use limit, and the count goes up in the same statement, so concurrent
holders can never exceed max_accesses and a redemption never succeeds after a revoke has
committed. Unknown, expired, used-up and revoked tokens all fail with the same message.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from .. import tokens
from ..errors import TOKEN_REFUSED_MESSAGE, InvalidInput, NotFound, TokenRefused
from ..models import Resource, ResourceShare
from ..records import NewShare, SharedResource, ShareRecord
from ..validate import clean_max_accesses, parse_expiry
from .resources import ResourceOps


def share_status(share: ResourceShare, now: datetime) -> str:
    if share.revoked_at is not None:
        return "revoked"
    if share.expires_at is not None and share.expires_at <= now:
        return "expired"
    if share.max_accesses is not None and share.access_count >= share.max_accesses:
        return "exhausted"
    return "active"


def _no_share(text: str) -> NotFound:
    return NotFound(f"None of your shares matches '{text[:16]}': see %resource shares.")


class SharingOps(ResourceOps):
    def share(
        self, ref: str, expires: object = None, max_accesses: object = None
    ) -> NewShare:
        """A new token for one of my resources, returned here and never again."""
        now = self._now()
        expires_at = parse_expiry(expires, now)
        limit = clean_max_accesses(max_accesses)
        token = tokens.new_token()
        with self._write() as session:
            resource = self._own(session, ref, action="share")
            share = ResourceShare(
                id=uuid.uuid4(),
                resource_id=resource.id,
                token_digest=tokens.digest(token),
                token_prefix=tokens.display_prefix(token),
                expires_at=expires_at,
                access_count=0,
                max_accesses=limit,
                created_at=now,
            )
            session.add(share)
            session.flush()
            return NewShare(
                token=token, share=self._share_record(share, resource.name, now)
            )

    def shares(self, ref: str | None = None) -> list[ShareRecord]:
        """My shares (of one resource, or all), newest first, with their status."""
        now = self._now()
        with self._read() as session:
            stmt = (
                select(ResourceShare, Resource.name)
                .join(Resource, ResourceShare.resource_id == Resource.id)
                .where(Resource.user_id == self._uid(session))
                .order_by(ResourceShare.created_at.desc(), ResourceShare.id)
            )
            if ref is not None:
                stmt = stmt.where(
                    Resource.id == self._own(session, ref, action="list shares of").id
                )
            return [
                self._share_record(s, name, now) for s, name in session.execute(stmt)
            ]

    def revoke(self, token_or_prefix: str) -> ShareRecord:
        """Revoke one of my shares by its token or its display prefix."""
        text = tokens.clean_token(str(token_or_prefix))
        if not text:
            raise InvalidInput("Give the token or its prefix (see %resource shares).")
        if not text.isprintable():
            # NUL, control characters and surrogates are in no token, and would fail
            # in the driver (PostgreSQL refuses NUL in text) rather than match nothing.
            raise _no_share(text)
        now = self._now()
        with self._write() as session:
            mine = (
                select(ResourceShare, Resource.name)
                .join(Resource, ResourceShare.resource_id == Resource.id)
                .where(Resource.user_id == self._uid(session))
            )
            # Only a display prefix is looked up as text; anything longer (a token, or
            # one damaged in copy-paste) only by digest, so it never reaches the server.
            if len(text) > tokens.DISPLAY_LENGTH:
                mine = mine.where(ResourceShare.token_digest == tokens.digest(text))
            else:
                mine = mine.where(ResourceShare.token_prefix == text)
            rows = session.execute(mine.limit(2)).all()
            if not rows:
                raise _no_share(text)
            if len(rows) > 1:
                raise InvalidInput(
                    f"'{text}' matches more than one share: give the whole token."
                )
            share, name = rows[0]
            session.execute(
                update(ResourceShare)
                .where(ResourceShare.id == share.id, ResourceShare.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            session.refresh(share)
            return self._share_record(share, name, now)

    def open(self, token: str) -> SharedResource:
        """Read a shared resource through its token, counting one access."""
        with self._write() as session:
            share_row = self._redeem(session, token)
            record = self._load_record(session, share_row.resource_id)
            return SharedResource(
                resource=record,
                attachments=self._attachments_of(session, record.id, record.version),
                access_count=share_row.access_count,
                max_accesses=share_row.max_accesses,
                expires_at=share_row.expires_at,
            )

    # -- internals
    # -----------------------------------------------------------------------
    def _redeem(self, session: Session, token: str):
        """Count one access if the token is usable (one statement), else refuse."""
        now = self._now()
        text = tokens.clean_token(str(token)) if token is not None else ""
        row = None
        if tokens.looks_like_token(text):
            row = session.execute(
                update(ResourceShare)
                .where(
                    ResourceShare.token_digest == tokens.digest(text),
                    ResourceShare.revoked_at.is_(None),
                    or_(
                        ResourceShare.expires_at.is_(None),
                        ResourceShare.expires_at > now,
                    ),
                    or_(
                        ResourceShare.max_accesses.is_(None),
                        ResourceShare.access_count < ResourceShare.max_accesses,
                    ),
                )
                .values(access_count=ResourceShare.access_count + 1)
                .returning(
                    ResourceShare.resource_id,
                    ResourceShare.access_count,
                    ResourceShare.max_accesses,
                    ResourceShare.expires_at,
                )
            ).first()
        if row is None:
            raise TokenRefused(TOKEN_REFUSED_MESSAGE)
        return row

    @staticmethod
    def _share_record(share: ResourceShare, name: str, now: datetime) -> ShareRecord:
        return ShareRecord(
            id=share.id,
            resource=name,
            prefix=share.token_prefix,
            created_at=share.created_at,
            expires_at=share.expires_at,
            access_count=share.access_count,
            max_accesses=share.max_accesses,
            revoked_at=share.revoked_at,
            status=share_status(share, now),
        )
