"""The data model: users, resources (with versions, tags and attachments) and share
tokens.

Columns follow the web app's schema (resource, resource_share); beyond it we keep every
version's content, tags in their own indexed table, captured outputs as attachments, and
a token digest instead of the token itself."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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


# The substring-search index lives outside these models (migration 0002,
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

# Column types by annotation (Base.type_annotation_map): Mapped[datetime] is an aware
# UTC timestamp, Mapped[str] unbounded text, Mapped[object] / Mapped[dict] JSON; a
# bounded string is one of these aliases. int, bool, bytes and uuid.UUID keep
# SQLAlchemy's defaults (Integer, Boolean, LargeBinary, Uuid).
Name = Annotated[str, NAME_LENGTH]
TypeName = Annotated[str, TYPE_LENGTH]
Tag = Annotated[str, TAG_LENGTH]
MimeType = Annotated[str, MIME_LENGTH]
Digest = Annotated[str, DIGEST_LENGTH]
Prefix = Annotated[str, PREFIX_LENGTH]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime,
        str: Text,
        object: JSONContent,
        dict: JSONContent,
        **{
            alias: String(alias.__metadata__[0])
            for alias in (Name, TypeName, Tag, MimeType, Digest, Prefix)
        },
    }


class User(Base):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[Name] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Resource(Base):
    __tablename__ = "resource"
    __table_args__ = (
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

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    name: Mapped[Name]
    description: Mapped[str | None]
    resource_type: Mapped[TypeName]
    content: Mapped[object]
    # Declared parameters of a workflow / defaults of a prompt: {name: default}.
    parameters: Mapped[dict | None]
    execution_count: Mapped[int] = mapped_column(default=0)
    last_executed_at: Mapped[datetime | None]
    parent_resource_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("resource.id", ondelete="SET NULL"), index=True
    )
    fork_count: Mapped[int] = mapped_column(default=0)
    is_public: Mapped[bool] = mapped_column(default=False)
    current_version: Mapped[int] = mapped_column(default=1)
    # casefold(name + "\n" + description): the one text every search backend matches
    # against,
    # so SQLite and PostgreSQL agree on case-insensitivity beyond ASCII.
    search_text: Mapped[str] = mapped_column(default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    tags: Mapped[list[ResourceTag]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ResourceTag.tag"
    )


class ResourceTag(Base):
    __tablename__ = "resource_tag"
    __table_args__ = (Index("ix_resource_tag_tag_resource_id", "tag", "resource_id"),)

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[Tag] = mapped_column(primary_key=True)


class ResourceVersion(Base):
    __tablename__ = "resource_version"
    __table_args__ = (UniqueConstraint("resource_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE")
    )
    version: Mapped[int]
    content: Mapped[object]
    parameters: Mapped[dict | None]
    # Why this version exists (`-m` on save, restore, update; import).
    message: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(Base):
    """A captured cell output (text, HTML, image) of one resource version."""

    __tablename__ = "attachment"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("resource_version.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    mime_type: Mapped[MimeType]
    data: Mapped[bytes]
    size: Mapped[int]


class ResourceShare(Base):
    __tablename__ = "resource_share"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), index=True
    )
    # SHA-256 of the token: the token itself is shown once and never stored.
    token_digest: Mapped[Digest] = mapped_column(unique=True)
    # A short, non-secret start of the token so owners can tell shares apart and revoke
    # them.
    token_prefix: Mapped[Prefix] = mapped_column(index=True)
    expires_at: Mapped[datetime | None]
    access_count: Mapped[int] = mapped_column(default=0)
    max_accesses: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    # What the token shows: a pinned version, the version a label points at when the
    # token is used, or (both None) the current version.
    version: Mapped[int | None]
    label: Mapped[Tag | None]


class ResourceLabel(Base):
    """A movable name for one version of a resource (`production` -> version 2)."""

    __tablename__ = "resource_label"

    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[Tag] = mapped_column(primary_key=True)
    version: Mapped[int]
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class ResourceLabelEvent(Base):
    """Every move of a label, in order: from_version None = set for the first time,
    to_version None = removed."""

    __tablename__ = "resource_label_event"
    __table_args__ = (
        Index("ix_resource_label_event_resource_id_id", "resource_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resource.id", ondelete="CASCADE")
    )
    label: Mapped[Tag]
    from_version: Mapped[int | None]
    to_version: Mapped[int | None]
    at: Mapped[datetime] = mapped_column(default=utcnow)
