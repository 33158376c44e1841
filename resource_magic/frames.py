"""Store records -> pandas DataFrames with a fixed column order and readable values.

pandas is imported inside each function so that loading the extension stays light. Empty
results still carry every column, so `df = %resource list` always has the same shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .present import parameters_text

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from .records import (
        LabelMove,
        LabelRecord,
        LineageNode,
        ResourceRecord,
        ShareRecord,
        VersionRecord,
    )

RESOURCE_COLUMNS = (
    "name",
    "type",
    "description",
    "tags",
    "version",
    "executions",
    "forks",
    "parent",
    "public",
    "updated",
)
PUBLIC_RESOURCE_COLUMNS = ("owner", *RESOURCE_COLUMNS)
LINEAGE_COLUMNS = ("depth", "relation", "owner", "name", "type", "forks")
SHARE_COLUMNS = (
    "id",
    "token",
    "resource",
    "shows",
    "status",
    "uses",
    "max_uses",
    "expires",
    "created",
    "revoked",
)
HISTORY_COLUMNS = (
    "version",
    "current",
    "labels",
    "message",
    "created",
    "parameters",
    "attachments",
    "preview",
)
LABEL_COLUMNS = ("label", "version", "set_at")
LABEL_HISTORY_COLUMNS = ("label", "from_version", "to_version", "at")

_PREVIEW_CHARS = 60


def _frame(rows: list[dict], columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=list(columns))


def is_frame(value: object) -> bool:
    """True for a pandas DataFrame (without importing pandas for anything else)."""
    module = type(value).__module__ or ""
    if not (module.startswith("pandas") or isinstance(value, _QUIET or ())):
        return False
    import pandas as pd

    return isinstance(value, pd.DataFrame)


def frame_text(frame: pd.DataFrame, output: str = "text") -> str:
    """A table for a terminal ("text": aligned columns, nothing when empty) or a
    script ("json": a list of objects, ISO times; "csv": with a header row)."""
    if output == "json":
        return frame.to_json(orient="records", date_format="iso", force_ascii=False)
    if output == "csv":
        return frame.to_csv(index=False).rstrip("\n")
    if not len(frame):
        return ""
    return frame.to_string(index=False)


_QUIET: type | None = None


def quiet_when_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame`, unchanged for any use, except that with no rows it displays nothing
    as a notebook cell's value: the command has said in words why it is empty, and
    pandas' "Empty DataFrame / Columns: [...]" after that is noise."""
    if len(frame):
        return frame
    global _QUIET
    if _QUIET is None:
        import pandas as pd

        class EmptyResult(pd.DataFrame):
            """A DataFrame that, while it has no rows, displays nothing."""

            @property
            def _constructor(self):  # anything derived from it is a plain frame
                return pd.DataFrame

            @property
            def _ipython_display_(self):
                """IPython's display hook: nothing while empty (the message before
                it said why); once rows are added, the usual DataFrame display."""
                if len(self):
                    return None
                return lambda: None

            def __reduce__(self):  # pickles (e.g. %store) as a plain DataFrame
                return pd.DataFrame(self).__reduce__()

        _QUIET = EmptyResult
    quiet = _QUIET(frame)
    quiet.attrs.update(frame.attrs)  # a listing's total travels with it
    return quiet


def _when(series: pd.Series) -> pd.Series:
    """UTC timestamps to the second: sortable, and short enough to read."""
    import pandas as pd

    return pd.to_datetime(series, utc=True).dt.floor("s")


def resources_frame(
    items: Sequence[ResourceRecord],
    *,
    with_owner: bool = False,
    total: int | None = None,
    total_capped: bool = False,
) -> pd.DataFrame:
    """One row per resource; `with_owner` adds the owner first (the public scope).
    A listing's page also carries `attrs["total"]` (how many matched) and
    `attrs["total_capped"]` (True: at least that many, counting stopped there)."""
    rows = [
        {
            "owner": r.owner,
            "name": r.name,
            "type": r.resource_type,
            "description": r.description or "",
            "tags": ", ".join(r.tags),
            "version": r.version,
            "executions": r.execution_count,
            "forks": r.fork_count,
            "parent": r.parent or "",
            "public": r.is_public,
            "updated": r.updated_at,
        }
        for r in items
    ]
    frame = _frame(rows, PUBLIC_RESOURCE_COLUMNS if with_owner else RESOURCE_COLUMNS)
    frame["updated"] = _when(frame["updated"])
    if total is not None:
        frame.attrs.update(total=total, total_capped=total_capped)
    return frame


def _relation(depth: int) -> str:
    if depth < 0:
        return "ancestor"
    return "this" if depth == 0 else "descendant"


def lineage_frame(nodes: Sequence[LineageNode]) -> pd.DataFrame:
    """Ancestors (depth < 0), the resource (0), descendants (mine and public ones)."""
    rows = [
        {
            "depth": n.depth,
            "relation": _relation(n.depth),
            "owner": n.owner,
            "name": n.name,
            "type": n.resource_type,
            "forks": n.fork_count,
        }
        for n in nodes
    ]
    return _frame(rows, LINEAGE_COLUMNS)


def shares_frame(shares: Sequence[ShareRecord]) -> pd.DataFrame:
    """One row per share: its id (what revoke takes), the token's display prefix (never
    the token), status and uses."""
    rows = [
        {
            "id": s.handle,
            "token": s.prefix + "…",
            "resource": s.resource,
            "shows": s.shows,
            "status": s.status,
            "uses": s.access_count,
            "max_uses": s.max_accesses,
            "expires": s.expires_at,
            "created": s.created_at,
            "revoked": s.revoked_at,
        }
        for s in shares
    ]
    frame = _frame(rows, SHARE_COLUMNS)
    frame["max_uses"] = frame["max_uses"].astype("Int64")
    for column in ("expires", "created", "revoked"):
        frame[column] = _when(frame[column])
    return frame


def _preview(content: object) -> str:
    if isinstance(content, str):
        lines = [line for line in content.splitlines() if line.strip()]
        text = lines[0].strip() if lines else ""
    else:
        import json

        text = json.dumps(content, ensure_ascii=False)
    if len(text) > _PREVIEW_CHARS:
        text = text[: _PREVIEW_CHARS - 1] + "…"
    return text


def history_frame(versions: Sequence[VersionRecord]) -> pd.DataFrame:
    """One row per version, oldest first, with a one-line preview of its content."""
    rows = [
        {
            "version": v.version,
            "current": v.is_current,
            "labels": ", ".join(v.labels),
            "message": v.message or "",
            "created": v.created_at,
            "parameters": parameters_text(v.parameters),
            "attachments": v.attachment_count,
            "preview": _preview(v.content),
        }
        for v in versions
    ]
    frame = _frame(rows, HISTORY_COLUMNS)
    frame["created"] = _when(frame["created"])
    return frame


def labels_frame(labels: Sequence[LabelRecord]) -> pd.DataFrame:
    """One row per label: the version it points at and when it was put there."""
    rows = [
        {"label": x.label, "version": x.version, "set_at": x.set_at} for x in labels
    ]
    frame = _frame(rows, LABEL_COLUMNS)
    frame["set_at"] = _when(frame["set_at"])
    return frame


def label_history_frame(moves: Sequence[LabelMove]) -> pd.DataFrame:
    """Every move of every label, oldest first; a missing from/to: first set/removed."""
    rows = [
        {
            "label": m.label,
            "from_version": m.from_version,
            "to_version": m.to_version,
            "at": m.at,
        }
        for m in moves
    ]
    frame = _frame(rows, LABEL_HISTORY_COLUMNS)
    for column in ("from_version", "to_version"):
        frame[column] = frame[column].astype("Int64")
    frame["at"] = _when(frame["at"])
    return frame
