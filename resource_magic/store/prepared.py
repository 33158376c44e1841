"""Statements of the hottest paths (a new version, a record's tags and outputs),
built once and reused.

Building an INSERT ... ON CONFLICT with its `excluded` alias, and then its cache key,
cost SQLAlchemy more Python than SQLite takes to run it. These statements take every
value as a named bind parameter, so each is built (and its cache key computed) once
per dialect and shape, then run on the transaction's connection with a dict of values.
What they say is what store/resources.py's save said with statements built per call.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import and_, bindparam, literal, select

from ..schema import (
    attachment_table,
    resource_table,
    share_table,
    tag_table,
    user_table,
    version_table,
)

_RESOURCE = resource_table
_VERSION = version_table
# The columns new_resource() gives a new row (store/rows.py), as bind parameters
# named "v_<column>" (a bind parameter may not take a column's own name here).
NEW_ROW_COLUMNS = (
    "id",
    "user_id",
    "name",
    "description",
    "resource_type",
    "content",
    "parameters",
    "execution_count",
    "fork_count",
    "parent_resource_id",
    "is_public",
    "current_version",
    "search_text",
    "created_at",
    "updated_at",
)


def _param(name: str, column):
    return bindparam(name, type_=column.type)


def new_row_values(row: dict) -> dict:
    """new_resource()'s columns as upsert()'s bind parameters."""
    return {f"v_{column}": row[column] for column in NEW_ROW_COLUMNS}


@cache
def upsert(dialect: str, keep_parameters: bool, description: bool, public: bool):
    """Insert a new resource, or on (user_id, name) of the same type add a version:
    new content and time, the description (and search text) and public flag when
    given, the parameters unless kept. Returns the whole row as it is now."""
    # The dialect's own INSERT (ON CONFLICT), imported when first used: a kernel on
    # SQLite never imports PostgreSQL's dialect.
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    ins = insert(_RESOURCE).values(
        {c: _param(f"v_{c}", _RESOURCE.c[c]) for c in NEW_ROW_COLUMNS}
    )
    changes = {
        "current_version": _RESOURCE.c.current_version + 1,
        "content": ins.excluded.content,
        "updated_at": ins.excluded.updated_at,
    }
    if not keep_parameters:
        changes["parameters"] = ins.excluded.parameters
    if description:
        changes["description"] = ins.excluded.description
        changes["search_text"] = ins.excluded.search_text
    if public:
        changes["is_public"] = ins.excluded.is_public
    return ins.on_conflict_do_update(
        index_elements=["user_id", "name"],
        set_=changes,
        where=_RESOURCE.c.resource_type == ins.excluded.resource_type,
    ).returning(*_RESOURCE.columns)


@cache
def before_save(scan: bool):
    """(my user id, the type and public flag of my resource :name, whether a share
    token still opens it at :now (when `scan`)) for the user :user; no row when the
    user has none yet."""
    resource = resource_table
    share = share_table
    now = _param("now", share.c.expires_at)
    shared = (
        select(share.c.id)
        .where(
            share.c.resource_id == resource.c.id,
            share.c.revoked_at.is_(None),
            (share.c.expires_at.is_(None)) | (share.c.expires_at > now),
            (share.c.max_accesses.is_(None))
            | (share.c.access_count < share.c.max_accesses),
        )
        .exists()
        if scan
        else literal(False)
    )
    user = user_table
    return (
        select(user.c.id, resource.c.resource_type, resource.c.is_public, shared)
        .select_from(user)
        .outerjoin(
            resource,
            and_(
                resource.c.user_id == user.c.id,
                resource.c.name == _param("name", resource.c.name),
            ),
        )
        .where(user.c.name == _param("user", user.c.name))
    )


@cache
def add_version():
    """A version row of :resource_id; returns its id."""
    return (
        _VERSION.insert()
        .values(
            resource_id=_param("v_resource_id", _VERSION.c.resource_id),
            version=_param("v_version", _VERSION.c.version),
            content=_param("v_content", _VERSION.c.content),
            parameters=_param("v_parameters", _VERSION.c.parameters),
            message=_param("v_message", _VERSION.c.message),
            created_at=_param("v_created_at", _VERSION.c.created_at),
        )
        .returning(_VERSION.c.id)
    )


@cache
def tags_of():
    """The tags of :resource_id, in order."""
    tags = tag_table
    return (
        select(tags.c.tag)
        .where(tags.c.resource_id == _param("resource_id", tags.c.resource_id))
        .order_by(tags.c.tag)
    )


@cache
def attachments_of():
    """The outputs stored with version :version of :resource_id, in order."""
    outputs = attachment_table
    return (
        select(outputs.c.position, outputs.c.mime_type, outputs.c.data, outputs.c.size)
        .join(_VERSION, outputs.c.version_id == _VERSION.c.id)
        .where(
            _VERSION.c.resource_id == _param("resource_id", _VERSION.c.resource_id),
            _VERSION.c.version == _param("version", _VERSION.c.version),
        )
        .order_by(outputs.c.position)
    )


@cache
def user_id():
    """The id of the user named :user_name."""
    user = user_table
    return select(user.c.id).where(user.c.name == _param("user_name", user.c.name))


@cache
def tags_of_many():
    """(resource id, tag) of the resources :ids (a list), in tag order."""
    tags = tag_table
    ids = bindparam("ids", expanding=True, type_=tags.c.resource_id.type)
    return (
        select(tags.c.resource_id, tags.c.tag)
        .where(tags.c.resource_id.in_(ids))
        .order_by(tags.c.tag)
    )
