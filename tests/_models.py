"""ORM classes mapped onto the package's Core tables (resource_magic/schema.py), for
tests that read or write rows as objects: the package itself runs Core statements
only, and imports no `sqlalchemy.orm`."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase, relationship

from resource_magic.schema import (
    attachment_table,
    label_event_table,
    label_table,
    metadata,
    resource_table,
    share_table,
    tag_table,
    user_table,
    version_table,
)


class Base(DeclarativeBase):
    metadata = metadata


class User(Base):
    __table__ = user_table


class ResourceTag(Base):
    __table__ = tag_table


class Resource(Base):
    __table__ = resource_table

    tags = relationship(
        ResourceTag,
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by=tag_table.c.tag,
    )


class ResourceVersion(Base):
    __table__ = version_table


class Attachment(Base):
    __table__ = attachment_table


class ResourceShare(Base):
    __table__ = share_table


class ResourceLabel(Base):
    __table__ = label_table


class ResourceLabelEvent(Base):
    __table__ = label_event_table
