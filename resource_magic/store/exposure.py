"""Secrets do not leave by accident: before a resource becomes visible to someone else,
what becomes visible is scanned (secretscan) and a finding refuses the change.

Visible to someone else means public (anyone sees every version, through history) or
reachable through an active share token (the holder sees the current version). So:
sharing a private resource scans its current version; making it public scans every
version; a new version of a public or shared resource (save, update, restore, import)
scans that version. The caller passes allow_secrets=True to go ahead anyway. The scan
runs inside the caller's transaction, on its connection, so a
refusal rolls everything back."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection, exists, or_, select

from ..errors import SecretFound
from ..schema import attachment_table, resource_table, share_table, version_table
from . import prepared_copies

ADVICE = "remove it, or pass --allow-secrets"


def open_share(resource_id, now: datetime):
    """EXISTS a share token of this resource (a value or a column) that still opens
    it."""
    return exists().where(
        share_table.c.resource_id == resource_id,
        share_table.c.revoked_at.is_(None),
        or_(share_table.c.expires_at.is_(None), share_table.c.expires_at > now),
        or_(
            share_table.c.max_accesses.is_(None),
            share_table.c.access_count < share_table.c.max_accesses,
        ),
    )


def actively_shared(db: Connection, resource_id: UUID, now: datetime) -> bool:
    """True when some share token of the resource still opens it."""
    return bool(db.scalar(select(open_share(resource_id, now))))


def guard(
    db: Connection,
    resource_id: UUID,
    new_versions: Sequence[int],
    *,
    was_public: bool,
    now: datetime,
) -> None:
    """After a change (still uncommitted): refuse it if it exposes what looks like a
    secret. Newly public: every version; public or shared: the new versions and the
    description; otherwise nothing is exposed and nothing is scanned."""
    is_public = db.scalar(
        select(resource_table.c.is_public).where(resource_table.c.id == resource_id)
    )
    if is_public and not was_public:
        refuse_secrets(db, resource_id)
    elif is_public or actively_shared(db, resource_id, now):
        refuse_secrets(db, resource_id, new_versions)


def refuse_secrets(
    db: Connection,
    resource_id: UUID,
    versions: Sequence[int] | None = None,
    *,
    resource=None,
    current=None,
) -> None:
    """Raise SecretFound if the description or these versions (default: all; the
    newest first) of the resource look like they hold a secret.

    `resource`: its row (name, current_version, description) when the caller has
    just read it in this transaction, which saves reading it again; `current`: the
    current version's content, parameters and has_outputs read along with it, when
    that is the one version to scan (its outputs are then read only if it has any)."""
    from .. import secretscan  # here: the first command in a kernel needs none of it

    if resource is None:  # what _refuse words a finding with, read as it is now
        resource = db.execute(
            select(
                resource_table.c.name,
                resource_table.c.current_version,
                resource_table.c.description,
            ).where(resource_table.c.id == resource_id)
        ).one()
    if resource.description:
        _refuse(resource, None, secretscan.pieces("", description=resource.description))
    if versions is not None and len(versions) == 1:
        # One version (a share's): what was read along, or its content and outputs
        # in one statement.
        (number,) = versions
        if (
            current is not None
            and number == resource.current_version
            and not current.has_outputs
        ):
            _refuse(
                resource, number, secretscan.pieces(current.content, current.parameters)
            )
            return
        rows = db.execute(
            prepared_copies.version_with_outputs(),
            {"resource_id": resource_id, "version": number},
        ).all()
        if rows:
            attachments = [
                (r.mime_type, r.data) for r in rows if r.mime_type is not None
            ]
            pieces = secretscan.pieces(rows[0].content, rows[0].parameters, attachments)
            _refuse(resource, number, pieces)
        return
    stmt = select(
        version_table.c.id,
        version_table.c.version,
        version_table.c.content,
        version_table.c.parameters,
    ).where(version_table.c.resource_id == resource_id)
    if versions is not None:
        if not versions:
            return
        stmt = stmt.where(version_table.c.version.in_(list(versions)))
    rows = db.execute(stmt.order_by(version_table.c.version.desc())).all()
    for version_id, number, content, parameters in rows:
        outputs = db.execute(
            select(attachment_table.c.mime_type, attachment_table.c.data)
            .where(attachment_table.c.version_id == version_id)
            .order_by(attachment_table.c.position)
        ).all()
        attachments = [(mime, data) for mime, data in outputs]
        _refuse(resource, number, secretscan.pieces(content, parameters, attachments))


def _refuse(resource, number: int | None, pieces) -> None:
    from .. import secretscan

    found = secretscan.first_secret(pieces)
    if found is None:
        return
    where, kind = found
    where = where[0].upper() + where[1:]
    if number is None or number == resource.current_version:
        finding = f"{where} of '{resource.name}' looks like {kind}"
        raise SecretFound(f"{finding}: {ADVICE}.", finding)
    finding = f"{where} of '{resource.name}' version {number} looks like {kind}"
    raise SecretFound(
        f"{finding}, and a public resource shows its history: publish a fork instead "
        f"(%resource fork {resource.name} --as NEW_NAME starts a fresh history), or "
        "pass --allow-secrets.",
        finding,
        number,
    )
