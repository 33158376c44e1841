"""Statements of fork and share, built once and reused (as store/prepared.py does for
save and show).

A fork by name reads its source (the resource, its owner, the version it copies and
whether that version has outputs) in one statement, inserts the copy and returns it
whole, copies tags and outputs, and counts the fork; a share reads my resource as a
plain row with the few share ids its handle is measured against, scans the version
it shows (from that row when it has no outputs), and inserts the share. Each
statement takes its values as named bind parameters, so it is built (and its cache
key computed) once per dialect, then run on the transaction's connection with a dict.
What they say is what the statements built per call said.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import and_, exists, insert, or_, select, update

from ..schema import attachment_table, share_table, user_table
from .prepared import _RESOURCE, _VERSION, NEW_ROW_COLUMNS, _param

_USER = user_table
_OUTPUT = attachment_table
_SHARE = share_table
_RESOURCE_2 = _RESOURCE.alias("share_resource")
# The columns of a new share, as bind parameters named "s_<column>".
SHARE_COLUMNS = tuple(c.name for c in _SHARE.columns)


def _me():
    """The id of the user :me, as a scalar subquery."""
    return (
        select(_USER.c.id)
        .where(_USER.c.name == _param("me", _USER.c.name))
        .scalar_subquery()
    )


@cache
def fork_source(by_owner: bool):
    """What forking the current version of :name copies, if the user :me may see it:
    with `by_owner`, :owner's resource when it is mine or public, else mine. Also
    :me's id (NULL before their first write) and whether the version has outputs."""
    r, v, u = _RESOURCE, _VERSION, _USER
    uid = _me()
    name = r.c.name == _param("name", r.c.name)
    if by_owner:
        match = and_(
            u.c.name == _param("owner", u.c.name),
            name,
            or_(r.c.user_id == uid, r.c.is_public.is_(True)),
        )
    else:
        match = and_(r.c.user_id == uid, name)
    outputs = exists().where(_OUTPUT.c.version_id == v.c.id)
    return (
        select(
            uid.label("uid"),
            r.c.id,
            r.c.name,
            r.c.resource_type,
            r.c.description,
            u.c.name.label("owner"),
            v.c.id.label("version_id"),
            v.c.content,
            v.c.parameters,
            outputs.label("has_outputs"),
        )
        .select_from(r)
        .join(u, u.c.id == r.c.user_id)
        .join(v, and_(v.c.resource_id == r.c.id, v.c.version == r.c.current_version))
        .where(match)
    )


@cache
def insert_copy(dialect: str):
    """Insert a new resource (new_row_values()' parameters) unless I have its name
    already; returns the whole row, or no row when the name is taken."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return (
        dialect_insert(_RESOURCE)
        .values({c: _param(f"v_{c}", _RESOURCE.c[c]) for c in NEW_ROW_COLUMNS})
        .on_conflict_do_nothing(index_elements=["user_id", "name"])
        .returning(*_RESOURCE.columns)
    )


@cache
def copy_outputs():
    """Copy the outputs of version :source_version_id to version :version_id."""
    a = _OUTPUT
    return insert(a).from_select(
        ["version_id", "position", "mime_type", "data", "size"],
        select(
            _param("version_id", a.c.version_id),
            a.c.position,
            a.c.mime_type,
            a.c.data,
            a.c.size,
        ).where(a.c.version_id == _param("source_version_id", a.c.version_id)),
    )


@cache
def count_fork():
    """One more fork of :source_id."""
    r = _RESOURCE
    return (
        update(r)
        .where(r.c.id == _param("source_id", r.c.id))
        .values(fork_count=r.c.fork_count + 1)
    )


@cache
def share_target():
    """My resource :name (for the user :me) as a plain row: what sharing it needs,
    with its current version's content and parameters, whether that version has
    outputs (what the secret scan reads when the share shows it), and the ids of my
    shares just below and just above the new share's id :share_id from :low to
    :high (what its handle is measured against; ORDER BY ... LIMIT 1, not
    max()/min(): PostgreSQL before 17 has no max(uuid))."""
    r, v, s = _RESOURCE, _VERSION, _SHARE
    uid = _me()
    share_id = _param("share_id", s.c.id)
    mine = (
        select(s.c.id)
        .where(
            s.c.id.between(_param("low", s.c.id), _param("high", s.c.id)),
            exists().where(
                _RESOURCE_2.c.id == s.c.resource_id,
                _RESOURCE_2.c.user_id == uid,
            ),
        )
        .limit(1)
    )
    below = mine.where(s.c.id < share_id).order_by(s.c.id.desc())
    above = mine.where(s.c.id > share_id).order_by(s.c.id)
    return (
        select(
            r.c.id,
            r.c.name,
            r.c.user_id,
            r.c.current_version,
            r.c.is_public,
            r.c.description,
            v.c.content,
            v.c.parameters,
            exists().where(_OUTPUT.c.version_id == v.c.id).label("has_outputs"),
            below.scalar_subquery().label("below"),
            above.scalar_subquery().label("above"),
        )
        .select_from(r)
        .outerjoin(
            v, and_(v.c.resource_id == r.c.id, v.c.version == r.c.current_version)
        )
        .where(r.c.user_id == uid, r.c.name == _param("name", r.c.name))
    )


@cache
def version_with_outputs():
    """Version :version of :resource_id, one row per output in order (a row of NULL
    output columns when it has none)."""
    v, a = _VERSION, _OUTPUT
    return (
        select(v.c.content, v.c.parameters, a.c.mime_type, a.c.data)
        .select_from(v)
        .outerjoin(a, a.c.version_id == v.c.id)
        .where(
            v.c.resource_id == _param("resource_id", v.c.resource_id),
            v.c.version == _param("version", v.c.version),
        )
        .order_by(a.c.position)
    )


@cache
def insert_share():
    """A new share: every column from a parameter named "s_<column>"."""
    return _SHARE.insert().values(
        {c: _param(f"s_{c}", _SHARE.c[c]) for c in SHARE_COLUMNS}
    )


@cache
def my_shares_between():
    """The ids of the shares of :uid's resources from :low to :high: a range of the
    share ids' index (which both backends order as the hex text reads), each id's
    resource checked by its key; never a walk over all my resources."""
    s, r = _SHARE, _RESOURCE
    mine = exists().where(
        r.c.id == s.c.resource_id, r.c.user_id == _param("uid", r.c.user_id)
    )
    return select(s.c.id).where(
        s.c.id.between(_param("low", s.c.id), _param("high", s.c.id)), mine
    )
