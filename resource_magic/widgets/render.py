"""Records -> the browser's labels: result rows, the page line, shares and versions.

Pure functions (no widgets), so the view stays small and this is easy to test. Showing
a resource itself (source, metadata, stored outputs) is `present`'s, shared with the
magics.
"""

from __future__ import annotations

import math

from ..present import when
from ..records import ResourceRecord, ShareRecord, VersionRecord

NBSP = "\u00a0"
# (title, width) of the result columns; the owner column only in the public scope
COLUMNS = (
    ("name", 28),
    ("type", 12),
    ("description", 32),
    ("runs", 5),
    ("forks", 5),
    ("updated", 20),
)
OWNER_COLUMN = ("owner", 14)


def _cell(text: str, width: int, right: bool = False) -> str:
    text = " ".join(str(text).split())  # one line
    if len(text) > width:
        text = text[: width - 1] + "\u2026"
    text = text.rjust(width) if right else text.ljust(width)
    # <option> labels collapse runs of spaces; non-breaking spaces keep the columns.
    return text.replace(" ", NBSP)


def _columns(scope: str) -> tuple[tuple[str, int], ...]:
    return (OWNER_COLUMN, *COLUMNS) if scope == "public" else COLUMNS


def header_label(scope: str) -> str:
    cells = [
        _cell(title, width, right=title in ("runs", "forks"))
        for title, width in _columns(scope)
    ]
    return (NBSP * 2).join(cells)


def row_label(record: ResourceRecord, scope: str) -> str:
    """One fixed-width result row (shown in a monospace list)."""
    values = {
        "owner": record.owner,
        "name": record.name,
        "type": record.resource_type,
        "description": record.description or "",
        "runs": str(record.execution_count),
        "forks": str(record.fork_count),
        "updated": when(record.updated_at),
    }
    cells = [
        _cell(values[title], width, right=title in ("runs", "forks"))
        for title, width in _columns(scope)
    ]
    return (NBSP * 2).join(cells)


def page_count(total: int, page_size: int) -> int:
    return max(1, math.ceil(total / page_size))


def page_label(
    page: int, page_size: int, total: int, capped: bool = False, shown: int = 0
) -> str:
    """'Page 2 of 5 · 41-60 of 96 resources' (page is zero-based). A capped total is
    a lower bound: 'Page 2 · 26-50 of 10,000+ resources'; its pages are counted from
    the end once the user jumped there (page -1: 'Last page of 10,000+ resources')."""
    if total == 0:
        return "No resources match."
    noun = "resource" if total == 1 and not capped else "resources"
    count = f"{total:,}+" if capped else f"{total:,}"
    if page < 0:
        where = "Last page" if page == -1 else f"Page {-page} from the end"
        return f"{where} of {count} {noun}"
    first = page * page_size + 1
    last = first + max(shown, 1) - 1 if capped else min(total, first + page_size - 1)
    of = "" if capped else f" of {page_count(total, page_size)}"
    return f"Page {page + 1}{of} \u00b7 {first}-{last} of {count} {noun}"


def share_label(share: ShareRecord) -> str:
    uses = (
        f"{share.access_count}/{share.max_accesses}"
        if share.max_accesses is not None
        else f"{share.access_count}/unlimited"
    )
    return (
        f"{share.handle} \u00b7 {share.prefix}\u2026 \u00b7 {share.status} \u00b7 "
        f"uses {uses} \u00b7 "
        f"expires {when(share.expires_at)} \u00b7 created {when(share.created_at)}"
    )


def version_label(version: VersionRecord) -> str:
    current = " (current)" if version.is_current else ""
    files = (
        f" \u00b7 {version.attachment_count} output(s)"
        if version.attachment_count
        else ""
    )
    labels = f" \u00b7 [{', '.join(version.labels)}]" if version.labels else ""
    message = f" \u00b7 {version.message}" if version.message else ""
    return (
        f"v{version.version}{current} \u00b7 {when(version.created_at)}{files}"
        f"{labels}{message}"
    )
