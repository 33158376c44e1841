"""What must be true of a database after any mix of store operations, crashes included.

`violations(url)` reads every table and returns a list of plain-English problems (empty
when all is well), so a failing test shows exactly what is half-written. The reliability
tests (mixed load, crashes, state machine) call it; the crash tests' negative control
proves it notices a deliberately split transaction.

`user_rows_digest(url, user)` is a checksum of every row a user owns, in every table;
the isolation tests compare it before and after another user's attacks. A new table must
be given a scope here, or the digest refuses to run (so it can never silently skip a
table).

Writers that want more than the generic checks put a manifest at the top of their
content (`manifest_content`): the attachments the version must have, and the import
group the resource belongs to (an import is all or nothing: every member with every
version, or none). Reading SQL here is deliberate: the checker must not trust the store
it is checking.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass

from _models import (
    Attachment,
    Base,
    Resource,
    ResourceLabel,
    ResourceLabelEvent,
    ResourceShare,
    ResourceTag,
    ResourceVersion,
    User,
)
from sqlalchemy import func, select, text
from sqlalchemy import inspect as sqlalchemy_inspect

from resource_magic.db import get_engine, is_sqlite
from resource_magic.schema import SEARCH_FTS_TABLE, SEARCH_KEY_COLUMN
from resource_magic.validate import search_text

MANIFEST_MARK = "#manifest "


def manifest_content(
    attachments: list[bytes] | None = None,
    group: str | None = None,
    size: int | None = None,
    versions: int | None = None,
    body: str = "x = 1",
) -> str:
    """Workflow content that declares what must be stored alongside it."""
    manifest: dict = {}
    if attachments is not None:
        manifest["attachments"] = [hashlib.sha256(a).hexdigest() for a in attachments]
    if group is not None:
        manifest.update(group=group, size=size, versions=versions)
    return MANIFEST_MARK + json.dumps(manifest, sort_keys=True) + "\n" + body


def _manifest(content: object) -> dict | None:
    if not isinstance(content, str) or not content.startswith(MANIFEST_MARK):
        return None
    return json.loads(content[len(MANIFEST_MARK) :].split("\n", 1)[0])


def violations(url: str, *, exact_forks: bool = True) -> list[str]:
    """Every broken invariant at `url` (exact_forks: no fork was ever deleted)."""
    engine = get_engine(url)
    problems: list[str] = []
    with engine.execution_options(readonly=True).connect() as conn, conn.begin():
        if is_sqlite(engine):
            integrity = [r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check")]
            if integrity != ["ok"]:
                problems.append(f"PRAGMA integrity_check: {integrity[:5]}")
            broken_keys = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken_keys:
                problems.append(f"PRAGMA foreign_key_check: {broken_keys[:5]}")
        resources = conn.execute(select(Resource.__table__)).all()
        versions = conn.execute(select(ResourceVersion.__table__)).all()
        attachments = _attachment_digests(conn, url)
        shares = conn.execute(select(ResourceShare.__table__)).all()
    by_id = {r.id: r for r in resources}
    children: dict = defaultdict(int)
    for r in resources:
        if r.parent_resource_id is not None:
            children[r.parent_resource_id] += 1
    versions_of: dict = defaultdict(dict)
    for v in versions:
        versions_of[v.resource_id][v.version] = v
    files_of: dict = defaultdict(list)
    for a in attachments:
        files_of[a.version_id].append(a)
    groups: dict = defaultdict(list)

    for r in resources:
        label = f"resource {r.name!r} ({r.id})"
        n = children[r.id]
        if (r.fork_count != n) if exact_forks else (r.fork_count < n):
            problems.append(f"{label}: fork_count {r.fork_count} but {n} children")
        numbers = sorted(versions_of[r.id])
        if numbers != list(range(1, r.current_version + 1)):
            problems.append(
                f"{label}: versions {numbers[:10]} are not 1..{r.current_version}"
            )
        current = versions_of[r.id].get(r.current_version)
        if current is not None and (
            current.content != r.content or current.parameters != r.parameters
        ):
            problems.append(f"{label}: content differs from its current version")
        if r.search_text != search_text(r.name, r.description):
            problems.append(f"{label}: search_text is stale ({r.search_text!r})")
        for v in versions_of[r.id].values():
            vlabel = f"{label} version {v.version}"
            if v.content is None:
                problems.append(f"{vlabel}: has no content")
            files = sorted(files_of[v.id], key=lambda a: a.position)
            if [a.position for a in files] != list(range(len(files))):
                problems.append(f"{vlabel}: attachment positions are not contiguous")
            if any(a.size != a.length for a in files):
                problems.append(f"{vlabel}: an attachment's size is wrong")
            manifest = _manifest(v.content)
            wanted = (manifest or {}).get("attachments")
            if wanted is not None:
                got = [a.sha256 for a in files]
                if got != wanted:
                    problems.append(
                        f"{vlabel}: {len(got)} attachments, its manifest says "
                        f"{len(wanted)} (or their contents differ)"
                    )
        manifest = _manifest(r.content)
        if manifest and "group" in manifest and r.parent_resource_id is None:
            groups[(r.user_id, manifest["group"])].append((r, manifest))
    for (_uid, group), members in groups.items():
        size, count = members[0][1]["size"], members[0][1]["versions"]
        if len(members) != size:
            problems.append(f"import {group!r}: {len(members)} of {size} resources")
        for r, _m in members:
            if r.current_version < count:
                problems.append(
                    f"import {group!r}: {r.name!r} has {r.current_version} of "
                    f"{count} versions"
                )
    for s in shares:
        if s.access_count < 0 or (
            s.max_accesses is not None and s.access_count > s.max_accesses
        ):
            problems.append(
                f"share {s.token_prefix}: access_count {s.access_count} over "
                f"max_accesses {s.max_accesses}"
            )
        if s.resource_id not in by_id:
            problems.append(f"share {s.token_prefix}: its resource is gone")
    return problems


@dataclass(frozen=True)
class _File:
    id: int
    version_id: int
    position: int
    size: int
    length: int
    sha256: str


def _attachment_digests(conn, url: str) -> list[_File]:
    """Every attachment with its SHA-256, computed inside the database."""
    a = Attachment.__table__.c
    if conn.dialect.name == "sqlite":
        conn.connection.driver_connection.create_function(
            "rm_sha256", 1, lambda data: hashlib.sha256(data).hexdigest()
        )
        digest = func.rm_sha256(a.data)
    else:
        digest = func.encode(func.sha256(a.data), "hex")
    rows = conn.execute(
        select(a.id, a.version_id, a.position, a.size, func.length(a.data), digest)
    ).all()
    return [_File(*row) for row in rows]


# How each table's rows are tied to one user; every table in the schema must be listed.
_USER_SCOPES = {
    "user": lambda uid: select(User.__table__).where(User.id == uid),
    "resource": lambda uid: select(Resource.__table__).where(Resource.user_id == uid),
    "resource_tag": lambda uid: select(ResourceTag.__table__).where(
        ResourceTag.resource_id.in_(_resource_ids(uid))
    ),
    "resource_version": lambda uid: select(ResourceVersion.__table__).where(
        ResourceVersion.resource_id.in_(_resource_ids(uid))
    ),
    "attachment": lambda uid: select(Attachment.__table__).where(
        Attachment.version_id.in_(
            select(ResourceVersion.id).where(
                ResourceVersion.resource_id.in_(_resource_ids(uid))
            )
        )
    ),
    "resource_share": lambda uid: select(ResourceShare.__table__).where(
        ResourceShare.resource_id.in_(_resource_ids(uid))
    ),
    "resource_label": lambda uid: select(ResourceLabel.__table__).where(
        ResourceLabel.resource_id.in_(_resource_ids(uid))
    ),
    "resource_label_event": lambda uid: select(ResourceLabelEvent.__table__).where(
        ResourceLabelEvent.resource_id.in_(_resource_ids(uid))
    ),
}


def _resource_ids(uid: int):
    return select(Resource.id).where(Resource.user_id == uid)


def _fts_rows(uid: int):
    """SQLite's search index rows of the user's resources (keyed by search_key)."""
    return text(
        f"SELECT rowid, * FROM {SEARCH_FTS_TABLE} WHERE rowid IN "
        f"(SELECT {SEARCH_KEY_COLUMN} FROM resource WHERE user_id = :uid)"
    ).bindparams(uid=uid)


def _scopes(conn) -> dict:
    """Every table in the database with its rows-of-one-user query; fails on a table
    that has none (FTS5's own shadow tables and Alembic's are bookkeeping, not rows)."""
    scopes = dict(_USER_SCOPES)
    names = set(sqlalchemy_inspect(conn).get_table_names())
    if SEARCH_FTS_TABLE in names:
        scopes[SEARCH_FTS_TABLE] = _fts_rows
    # A team database's settings and its per-transaction fork grants hold no user's
    # rows either.
    bookkeeping = {"alembic_version", "resource_magic_team", "rm_grant"} | {
        n for n in names if n.startswith(SEARCH_FTS_TABLE + "_")
    }
    missing = names - set(scopes) - bookkeeping
    assert not missing, f"give the new tables {sorted(missing)} a scope in _USER_SCOPES"
    return scopes


def user_rows_digest(url: str, user: str) -> str:
    """SHA-256 over every row `user` owns, table by table, in a stable order."""
    engine = get_engine(url)
    digest = hashlib.sha256()
    with engine.execution_options(readonly=True).connect() as conn, conn.begin():
        uid = conn.scalar(select(User.id).where(User.name == user))
        assert uid is not None, f"no user {user!r}"
        scopes = _scopes(conn)
        for name in sorted(scopes):
            rows = conn.execute(scopes[name](uid)).all()
            assert name != "user" or len(rows) == 1
            digest.update(name.encode())
            for row in sorted(repr(tuple(row)) for row in rows):
                digest.update(row.encode("utf-8", "backslashreplace"))
    return digest.hexdigest()


def row_counts(url: str) -> dict[str, int]:
    """How many rows each table holds."""
    engine = get_engine(url)
    with engine.execution_options(readonly=True).connect() as conn, conn.begin():
        return {
            name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in sorted(Base.metadata.tables)
        }
