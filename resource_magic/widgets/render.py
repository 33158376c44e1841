"""Records -> text and HTML for the browser: result rows, highlighted source, metadata.

Pure functions (no widgets), so the view stays small and this is easy to test.
Everything a user typed (names, descriptions, tags, prompt text) is HTML-escaped; stored
HTML outputs are shown in a sandboxed iframe, because an attachment may come from
another user's shared resource and the widget's HTML is not sanitised by the front end.
"""

from __future__ import annotations

import html
import json
import math
import re
from datetime import datetime

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import JsonLexer, PythonLexer

from ..records import AttachmentRecord, ResourceRecord, ShareRecord, VersionRecord

try:  # IPython 9 ships the IPython lexer (magics, !shell) as its own package
    from ipython_pygments_lexers import IPython3Lexer as _CodeLexer
except ImportError:  # pragma: no cover - IPython 8
    _CodeLexer = PythonLexer

NBSP = "\u00a0"
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_FORMATTER = HtmlFormatter(noclasses=True, style="default")
# (title, width) of the result columns; the owner column only in the public scope
COLUMNS = (
    ("name", 28),
    ("type", 12),
    ("description", 32),
    ("runs", 5),
    ("forks", 5),
    ("updated", 16),
)
OWNER_COLUMN = ("owner", 14)


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


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


def page_label(page: int, page_size: int, total: int) -> str:
    """'Page 2 of 5 · 41-60 of 96 resources' (page is zero-based)."""
    if total == 0:
        return "No resources match."
    first = page * page_size + 1
    last = min(total, first + page_size - 1)
    noun = "resource" if total == 1 else "resources"
    return (
        f"Page {page + 1} of {page_count(total, page_size)} \u00b7 "
        f"{first}-{last} of {total:,} {noun}"
    )


def source_text(record: ResourceRecord) -> str:
    """What Insert puts in a cell: the code, the prompt, or the config as JSON."""
    if record.resource_type == "agent_config":
        return json.dumps(record.content, indent=2, ensure_ascii=False)
    return str(record.content)


def source_html(record: ResourceRecord) -> str:
    text = source_text(record)
    if record.resource_type == "workflow":
        return highlight(text, _CodeLexer(), _FORMATTER)
    if record.resource_type == "agent_config":
        return highlight(text, JsonLexer(), _FORMATTER)
    escaped = html.escape(text)
    marked = _PLACEHOLDER.sub(
        lambda m: f'<b style="color:#7a3e9d">{m.group(0)}</b>', escaped
    )
    return (
        '<pre style="white-space:pre-wrap;background:#f8f8f8;padding:4px">'
        f"{marked}</pre>"
    )


def metadata_html(record: ResourceRecord, note: str = "") -> str:
    rows = [
        ("name", f"{record.owner}/{record.name}"),
        ("type", record.resource_type),
        ("description", record.description or "-"),
        ("owner", record.owner),
        ("version", str(record.version)),
        ("tags", ", ".join(record.tags) or "-"),
        ("parent", record.parent or "-"),
        ("forks", str(record.fork_count)),
        ("executions", str(record.execution_count)),
        ("last run", when(record.last_executed_at)),
        ("public", "yes" if record.is_public else "no"),
        ("created", when(record.created_at)),
        ("updated", when(record.updated_at)),
    ]
    if record.parameters:
        params = ", ".join(f"{k}={v!r}" for k, v in record.parameters.items())
        rows.append(("parameters", params))
    body = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{html.escape(k)}</th>'
        f"<td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    extra = f"<p><i>{html.escape(note)}</i></p>" if note else ""
    return f'<table class="rm-metadata-table">{body}</table>{extra}'


def text_attachment_html(attachment: AttachmentRecord) -> str:
    """A text/html or text/plain (or other text) output, shown safely."""
    text = attachment.data.decode("utf-8", errors="replace")
    if attachment.mime_type == "text/html":
        return (
            '<iframe sandbox="" style="width:100%;height:220px;border:1px solid #ddd" '
            f'srcdoc="{html.escape(text, quote=True)}"></iframe>'
        )
    return f'<pre style="white-space:pre-wrap">{html.escape(text)}</pre>'


def share_label(share: ShareRecord) -> str:
    uses = (
        f"{share.access_count}/{share.max_accesses}"
        if share.max_accesses is not None
        else f"{share.access_count}/unlimited"
    )
    expires = when(share.expires_at) if share.expires_at else "never"
    return (
        f"{share.handle} \u00b7 {share.prefix}\u2026 \u00b7 {share.status} \u00b7 "
        f"uses {uses} \u00b7 "
        f"expires {expires} \u00b7 created {when(share.created_at)}"
    )


def version_label(version: VersionRecord) -> str:
    current = " (current)" if version.is_current else ""
    files = (
        f" \u00b7 {version.attachment_count} output(s)"
        if version.attachment_count
        else ""
    )
    return f"v{version.version}{current} \u00b7 {when(version.created_at)}{files}"
