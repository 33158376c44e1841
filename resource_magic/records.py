"""Plain, immutable records the store returns (never live ORM objects), so front ends
can keep them after the session closes and nothing lazy-loads behind their back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ResourceRecord:
    id: uuid.UUID
    owner: str
    name: str
    resource_type: str
    description: str | None
    content: object
    parameters: dict | None
    tags: tuple[str, ...]
    version: int
    execution_count: int
    last_executed_at: datetime | None
    fork_count: int
    parent_id: uuid.UUID | None
    parent: str | None  # "owner/name" of the parent, None when gone or hidden
    is_public: bool
    created_at: datetime
    updated_at: datetime
    # Set when the record shows an older version (NAME@2, NAME@production): the
    # resource's current version; `version` is then the one shown.
    current_version: int | None = None
    message: str | None = None  # why the shown version exists, when it says

    @property
    def qualified_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @property
    def is_current(self) -> bool:
        return self.current_version in (None, self.version)


@dataclass(frozen=True)
class Page:
    """One page of a listing plus the total that matched (at least `total`, when
    `total_capped`: counting stopped there)."""

    items: tuple[ResourceRecord, ...]
    total: int
    limit: int
    offset: int
    total_capped: bool = False
    # More rows follow this page (precede it, for a page read `before` or `last`).
    more: bool = False

    @property
    def total_label(self) -> str:
        """'1,234', or '10,000+' when the count was capped."""
        return f"{self.total:,}+" if self.total_capped else f"{self.total:,}"


@dataclass(frozen=True)
class SaveResult:
    resource: ResourceRecord
    created: bool  # False: an existing resource got a new version

    @property
    def version(self) -> int:
        return self.resource.version


@dataclass(frozen=True)
class AttachmentRecord:
    position: int
    mime_type: str
    data: bytes
    size: int


@dataclass(frozen=True)
class VersionRecord:
    version: int
    created_at: datetime
    content: object
    parameters: dict | None
    attachment_count: int
    is_current: bool
    message: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelRecord:
    label: str
    version: int
    set_at: datetime


@dataclass(frozen=True)
class LabelMove:
    """One move of a label: from_version None = first set, to_version None = removed."""

    label: str
    from_version: int | None
    to_version: int | None
    at: datetime


@dataclass(frozen=True)
class VersionPair:
    """Two versions of one resource, for a diff."""

    resource: ResourceRecord
    old: VersionRecord
    new: VersionRecord


@dataclass(frozen=True)
class LineageNode:
    """One of my or a public resource in a lineage (another user's private one is
    only counted, in Lineage.hidden)."""

    id: uuid.UUID
    depth: int  # negative: ancestors, 0: the resource, positive: descendants
    owner: str
    name: str
    resource_type: str
    parent_id: uuid.UUID | None  # None also when the parent is hidden
    fork_count: int


@dataclass(frozen=True)
class Lineage(Sequence):
    """The nodes of a lineage I may see, in order, and how many others' private
    resources it also holds (a count only: no id, name, depth or place)."""

    nodes: tuple[LineageNode, ...]
    hidden: int

    def __getitem__(self, index):
        return self.nodes[index]

    def __len__(self) -> int:
        return len(self.nodes)


@dataclass(frozen=True)
class ShareRecord:
    id: uuid.UUID
    handle: str  # the shortest unique start of the id: what revoke takes
    resource: str  # the shared resource's name
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    access_count: int
    max_accesses: int | None
    revoked_at: datetime | None
    status: str  # active | expired | exhausted | revoked
    version: int | None = None  # pinned to this version
    label: str | None = None  # follows this label (neither: the current version)

    @property
    def shows(self) -> str:
        """What the token shows: `version 3`, `label production` or `current`."""
        if self.version is not None:
            return f"version {self.version}"
        return f"label {self.label}" if self.label is not None else "current"


@dataclass(frozen=True)
class NewShare:
    """The token is here, once; only its digest is stored."""

    token: str
    share: ShareRecord


@dataclass(frozen=True)
class SharedResource:
    resource: ResourceRecord
    attachments: tuple[AttachmentRecord, ...]
    access_count: int
    max_accesses: int | None
    expires_at: datetime | None


@dataclass(frozen=True)
class ImportResult:
    created: tuple[str, ...] = field(default_factory=tuple)
    new_versions: tuple[str, ...] = field(default_factory=tuple)
