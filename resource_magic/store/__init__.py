"""ResourceStore: every operation on resources, always scoped to one user.

Design note. The store is the only layer that builds SQL; front ends (magics, widgets)
call one method per user action and render what comes back (plain records from
`records`). Each method is one transaction (`with self._transaction()`), so a failure
changes nothing. Every query carries the current user's id; other users' resources are
reachable only when public (by owner/name) or through a share token, and "not yours"
reads exactly like "not there". Counters and limits are single conditional UPDATE ...
RETURNING statements, never read-modify-write, so concurrent kernels cannot lose an
increment or overrun a limit.

The operations are grouped by job, each group a sibling deriving only from StoreCore
(core: the engine, transactions, the current user; with what several groups share,
refs: what a reference or token names, and rows: building and reading rows):
resources (save, get, update, delete), listing (pages of resources), versions
(history, restore, labels, pairs of versions to compare), sharing (tokens), lineage
(forks), transfer (export/import), complete (prefix look-ups for completers). No
group imports another; ResourceStore composes them."""

from __future__ import annotations

from ..vocabulary import DEFAULT_SORT
from .complete import CompletionOps
from .export_file import EXPORT_FORMAT
from .lineage import LineageOps
from .listing import COUNT_CAP, SCOPES, SEARCH_COUNT_CAP, SORTS, ListingOps
from .resources import ResourceOps
from .sharing import SharingOps
from .transfer import TransferOps
from .versions import VersionOps


class ResourceStore(
    ResourceOps,
    ListingOps,
    SharingOps,
    LineageOps,
    TransferOps,
    VersionOps,
    CompletionOps,
):
    """ResourceStore(url=None, user=None): the database at `url` (default: the embedded
    SQLite file, or RESOURCE_MAGIC_DATABASE_URL) seen as `user` (default:
    RESOURCE_MAGIC_USER, else JUPYTERHUB_USER, else the login name). Opening it
    brings the schema up to date."""

    def __repr__(self) -> str:
        return f"ResourceStore(url={self.display_url!r}, user={self.user!r})"


__all__ = [
    "COUNT_CAP",
    "SEARCH_COUNT_CAP",
    "DEFAULT_SORT",
    "EXPORT_FORMAT",
    "SCOPES",
    "SORTS",
    "ResourceStore",
]
