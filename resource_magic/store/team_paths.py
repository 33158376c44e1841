"""What the store does differently on a team database (resource_magic/team).

There, PostgreSQL's row-level security shows a member only their own rows and public
ones, so the few operations that cross from one member to another call the team's
SECURITY DEFINER functions instead of reading or counting rows themselves:

- a share token is redeemed by `rm_redeem(digest)`, which counts the use and returns
  what the token shows as one JSON document (a member cannot read the shared rows);
- a fork's count on its parent grows by a trigger (a member may not UPDATE counters);
- a run is counted by `rm_record_execution(id)`;
- a lineage is walked by `rm_lineage(id)`, which counts others' private resources
  without describing them.

Everything else is the same store code on both kinds of database."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import DBAPIError

from .. import tokens
from ..errors import TOKEN_REFUSED_MESSAGE, TokenRefused
from ..records import AttachmentRecord, ResourceRecord, SharedResource
from ..vocabulary import TOKEN_REFUSED_SQLSTATE
from .refs import parse_uuid


@dataclass(frozen=True)
class CopySource:
    """What a fork copies: one version of a resource, with its tags and outputs
    (given, or to be copied inside the database from `version_id`, unless
    `has_outputs` says it has none)."""

    id: object
    name: str
    resource_type: str
    description: str | None
    content: object
    parameters: dict | None
    tags: tuple[str, ...]
    version_id: int | None = None
    attachments: tuple[AttachmentRecord, ...] = ()
    has_outputs: bool = True


def redeem(conn: Connection, token: str) -> dict:
    """Count one use of `token` through rm_redeem; what it shows, or TokenRefused."""
    text = tokens.clean_token(str(token)) if token is not None else ""
    if not tokens.looks_like_token(text):
        raise TokenRefused(TOKEN_REFUSED_MESSAGE)
    try:
        return conn.scalar(select(func.rm_redeem(tokens.digest(text))))
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == TOKEN_REFUSED_SQLSTATE:
            raise TokenRefused(TOKEN_REFUSED_MESSAGE) from None
        raise


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def _attachments(doc: dict) -> tuple[AttachmentRecord, ...]:
    return tuple(
        AttachmentRecord(
            position=a["position"],
            mime_type=a["mime_type"],
            data=base64.b64decode(a["data"]),
            size=a["size"],
        )
        for a in doc["attachments"]
    )


def shared_record(doc: dict) -> ResourceRecord:
    """The record a redeemed token shows, as the plain store builds it: a pinned
    (or labelled) token's version with its message, else the current one."""
    pinned = doc["pinned"]
    return ResourceRecord(
        id=parse_uuid(doc["id"]),
        owner=doc["owner"],
        name=doc["name"],
        resource_type=doc["resource_type"],
        description=doc["description"],
        content=doc["content"],
        parameters=doc["parameters"],
        tags=tuple(doc["tags"]),
        version=doc["version"] if pinned else doc["current_version"],
        execution_count=doc["execution_count"],
        last_executed_at=_time(doc["last_executed_at"]),
        fork_count=doc["fork_count"],
        parent_id=parse_uuid(doc["parent_id"]),
        parent=doc["parent"],
        is_public=doc["is_public"],
        created_at=_time(doc["created_at"]),
        updated_at=_time(doc["updated_at"]),
        current_version=doc["current_version"] if pinned else None,
        message=doc["message"] if pinned else None,
    )


def shared_resource(doc: dict) -> SharedResource:
    return SharedResource(
        resource=shared_record(doc),
        attachments=_attachments(doc),
        access_count=doc["access_count"],
        max_accesses=doc["max_accesses"],
        expires_at=_time(doc["expires_at"]),
    )


def copy_source(doc: dict) -> CopySource:
    """What forking a redeemed token copies: the version it shows, with its outputs."""
    shown = shared_record(doc)
    return CopySource(
        shown.id,
        shown.name,
        shown.resource_type,
        shown.description,
        shown.content,
        shown.parameters,
        shown.tags,
        attachments=_attachments(doc),
    )


def record_execution(conn: Connection, clause) -> int | None:
    """Count one run of the resource of mine `clause` picks, in one statement."""
    from ..schema import resource_table

    return conn.scalar(
        select(func.rm_record_execution(resource_table.c.id)).where(clause)
    )


def lineage_rows(conn: Connection, start) -> list:
    """rm_lineage's rows: (visible, id, depth, owner, name, resource_type, parent_id,
    fork_count), others' private resources as rows of NULLs."""
    lineage = func.rm_lineage(start).table_valued(
        "visible",
        "id",
        "depth",
        "owner",
        "name",
        "resource_type",
        "parent_id",
        "fork_count",
    )
    return conn.execute(select(lineage)).all()
