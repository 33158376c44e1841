"""The data model as SQLAlchemy Core tables: users, resources (with versions, tags and
attachments), share tokens and labels.

Columns follow the web app's schema (resource, resource_share); beyond it we keep every
version's content, tags in their own indexed table, captured outputs as attachments, and
a token digest instead of the token itself.

Core, not the ORM: every query the store runs is a Core statement on these tables, so a
kernel's first command imports no `sqlalchemy.orm` (its import and the mapping of
declarative models were a fifth of that command's time)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
)

from .vocabulary import (
    DIGEST_LENGTH,
    MIME_LENGTH,
    NAME_LENGTH,
    PREFIX_LENGTH,
    RESOURCE_TYPES,
    SORT_FIELDS,
    TAG_LENGTH,
    TYPE_LENGTH,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on both backends (SQLite has no zones: store naive UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JSONContent(TypeDecorator):
    """JSONB on PostgreSQL (binary, indexable), JSON text on SQLite. JSONB is imported
    when a PostgreSQL dialect asks for it: a SQLite kernel never imports SQLAlchemy's
    PostgreSQL dialects (a tenth of its first command)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


# The substring-search index lives outside these tables (migration 0002,
# store/search.py): SQLite's FTS5 table (and its shadow tables) keyed by
# resource.search_key, PostgreSQL's pg_trgm index. Each exists on one backend only, so
# autogenerate (migrations/env.py) is told to ignore them.
SEARCH_FTS_TABLE = "resource_fts"
SEARCH_KEY_COLUMN = "search_key"
SEARCH_INDEXES = ("uq_resource_search_key", "ix_resource_search_text_trgm")


# (scope column, sort column) of every listing index.
SORT_INDEXES = tuple(
    (scope, column)
    for scope in ("user_id", "is_public")
    for column in (field.column for field in SORT_FIELDS.values())
    if (scope, column) != ("user_id", "name")
)

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _created() -> Column:
    return Column("created_at", UTCDateTime(), nullable=False, default=utcnow)


def _resource_fk(ondelete: str = "CASCADE", **kw) -> ForeignKey:
    return ForeignKey("resource.id", ondelete=ondelete, **kw)


user_table = Table(
    "user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(NAME_LENGTH), nullable=False, unique=True),
    _created(),
)

resource_table = Table(
    "resource",
    metadata,
    Column("id", Uuid, primary_key=True, default=uuid.uuid4),
    Column(
        "user_id",
        Integer,
        ForeignKey("user.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(NAME_LENGTH), nullable=False),
    Column("description", Text, nullable=True),
    Column("resource_type", String(TYPE_LENGTH), nullable=False),
    Column("content", JSONContent(), nullable=False),
    # Declared parameters of a workflow / defaults of a prompt: {name: default}.
    Column("parameters", JSONContent(), nullable=True),
    Column("execution_count", Integer, nullable=False, default=0),
    Column("last_executed_at", UTCDateTime(), nullable=True),
    Column(
        "parent_resource_id",
        Uuid,
        _resource_fk("SET NULL"),
        nullable=True,
        index=True,
    ),
    Column("fork_count", Integer, nullable=False, default=0),
    Column("is_public", Boolean, nullable=False, default=False),
    Column("current_version", Integer, nullable=False, default=1),
    # casefold(name + "\n" + description): the one text every search backend matches
    # against, so SQLite and PostgreSQL agree on case-insensitivity beyond ASCII.
    Column("search_text", Text, nullable=False, default=""),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False, default=utcnow),
    UniqueConstraint("user_id", "name"),
    CheckConstraint(
        "resource_type IN ({})".format(", ".join(f"'{t}'" for t in RESOURCE_TYPES)),
        name="resource_type",
    ),
    # One index per scope and sort order, the id last (the sort's tiebreak), so a
    # page at any depth is a short index range (store/listing.py, migration 0004).
    # Mine by name is uq_resource_user_id_name: names are unique per owner.
    *(
        Index(f"ix_resource_{scope}_{column}_id", scope, column, "id")
        for scope, column in SORT_INDEXES
    ),
)

tag_table = Table(
    "resource_tag",
    metadata,
    Column("resource_id", Uuid, _resource_fk(), primary_key=True),
    Column("tag", String(TAG_LENGTH), primary_key=True),
    Index("ix_resource_tag_tag_resource_id", "tag", "resource_id"),
)

version_table = Table(
    "resource_version",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("resource_id", Uuid, _resource_fk(), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content", JSONContent(), nullable=False),
    Column("parameters", JSONContent(), nullable=True),
    # Why this version exists (`-m` on save, restore, update; import).
    Column("message", Text, nullable=True),
    _created(),
    UniqueConstraint("resource_id", "version"),
)

# A captured cell output (text, HTML, image) of one resource version.
attachment_table = Table(
    "attachment",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "version_id",
        Integer,
        ForeignKey("resource_version.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Column("mime_type", String(MIME_LENGTH), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("size", Integer, nullable=False),
    UniqueConstraint("version_id", "position"),
)

share_table = Table(
    "resource_share",
    metadata,
    Column("id", Uuid, primary_key=True, default=uuid.uuid4),
    Column("resource_id", Uuid, _resource_fk(), nullable=False, index=True),
    # SHA-256 of the token: the token itself is shown once and never stored.
    Column("token_digest", String(DIGEST_LENGTH), nullable=False, unique=True),
    # A short, non-secret start of the token so owners can tell shares apart and
    # revoke them.
    Column("token_prefix", String(PREFIX_LENGTH), nullable=False, index=True),
    Column("expires_at", UTCDateTime(), nullable=True),
    Column("access_count", Integer, nullable=False, default=0),
    Column("max_accesses", Integer, nullable=True),
    _created(),
    Column("revoked_at", UTCDateTime(), nullable=True),
    # What the token shows: a pinned version, the version a label points at when the
    # token is used, or (both None) the current version.
    Column("version", Integer, nullable=True),
    Column("label", String(TAG_LENGTH), nullable=True),
)

# A movable name for one version of a resource (`production` -> version 2).
label_table = Table(
    "resource_label",
    metadata,
    Column("resource_id", Uuid, _resource_fk(), primary_key=True),
    Column("label", String(TAG_LENGTH), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("set_at", UTCDateTime(), nullable=False, default=utcnow),
)

# Every move of a label, in order: from_version None = set for the first time,
# to_version None = removed.
label_event_table = Table(
    "resource_label_event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("resource_id", Uuid, _resource_fk(), nullable=False),
    Column("label", String(TAG_LENGTH), nullable=False),
    Column("from_version", Integer, nullable=True),
    Column("to_version", Integer, nullable=True),
    Column("at", UTCDateTime(), nullable=False, default=utcnow),
    Index("ix_resource_label_event_resource_id_id", "resource_id", "id"),
)
