"""Showing resources: metadata, syntax-highlighted content and stored attachments.

Every display is a bundle with a text/plain part (terminals, logs, nbval) and, where it
helps, text/html (Pygments with inline styles, so no stylesheet is needed) or an image.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from IPython.display import display

from ..templates import PLACEHOLDER_RE

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ..records import AttachmentRecord, ResourceRecord

IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif")
_LEXERS = {"workflow": "python", "agent_config": "json", "prompt": "text"}


class PlainText(str):
    """A str that displays as itself: no quotes, real line breaks."""

    __slots__ = ()

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def content_text(record: ResourceRecord) -> str:
    """The content as text: JSON (indented) for agent configs, else the text itself."""
    if record.resource_type == "agent_config":
        return json.dumps(record.content, indent=2, ensure_ascii=False)
    return str(record.content)


def parameters_text(parameters: dict | None) -> str:
    """`a=1, b='x'`, sorted by name (PostgreSQL's JSONB does not keep key order)."""
    return ", ".join(f"{key}={value!r}" for key, value in sorted_items(parameters))


def sorted_items(parameters: dict | None) -> list[tuple[str, object]]:
    return sorted((parameters or {}).items())


def metadata(record: ResourceRecord) -> list[tuple[str, str]]:
    """(label, value) rows describing a resource, empty values left out."""
    visibility = "public" if record.is_public else "private"
    runs = str(record.execution_count)
    if record.last_executed_at:
        runs += f" (last {when(record.last_executed_at)})"
    rows = [
        ("type", record.resource_type),
        ("version", str(record.version)),
        ("owner", f"{record.owner} ({visibility})"),
        ("description", record.description or ""),
        ("tags", ", ".join(record.tags)),
        ("parameters", parameters_text(record.parameters)),
        ("executions", runs),
        ("forks", str(record.fork_count)),
        ("forked from", record.parent or ""),
        ("updated", when(record.updated_at)),
    ]
    return [(label, value) for label, value in rows if value]


def _highlight(text: str, resource_type: str) -> str:
    if resource_type == "prompt":  # escape, and make the placeholders stand out
        escaped = html.escape(text)
        marked = PLACEHOLDER_RE.sub(lambda m: f"<b>{m.group(0)}</b>", escaped)
        return f'<pre style="white-space: pre-wrap">{marked}</pre>'
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name

    lexer = get_lexer_by_name(_LEXERS.get(resource_type, "text"))
    return highlight(text, lexer, HtmlFormatter(noclasses=True))


def show_resource(
    record: ResourceRecord,
    attachments: Sequence[AttachmentRecord] = (),
    note: str | None = None,
) -> None:
    """Display a resource: heading and metadata, its content, then its attachments."""
    rows = metadata(record)
    plain = [record.qualified_name] + [f"  {label}: {value}" for label, value in rows]
    table = "".join(
        f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
        f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
        for label, value in rows
    )
    head_html = f"<b>{html.escape(record.qualified_name)}</b><table>{table}</table>"
    if note:
        plain.append(note)
        head_html += f"<p>{html.escape(note)}</p>"
    display({"text/plain": "\n".join(plain), "text/html": head_html}, raw=True)
    text = content_text(record)
    display(
        {"text/plain": text, "text/html": _highlight(text, record.resource_type)},
        raw=True,
    )
    show_attachments(attachments, record.version)


def show_attachments(attachments: Sequence[AttachmentRecord], version: int) -> None:
    if not attachments:
        return
    count = len(attachments)
    print(f"{count} stored output{'s' if count != 1 else ''} of version {version}:")
    for attachment in attachments:
        display(attachment_bundle(attachment), raw=True)


def attachment_bundle(attachment: AttachmentRecord) -> dict:
    """A display bundle for one stored output; images shown as images."""
    mime, data = attachment.mime_type, attachment.data
    label = f"[{mime}, {attachment.size:,} bytes]"
    if mime in IMAGE_MIMES:
        return {mime: base64.b64encode(data).decode("ascii"), "text/plain": label}
    if mime == "text/plain":
        return {"text/plain": data.decode("utf-8", "replace")}
    if mime.startswith("text/") or mime == "image/svg+xml":
        return {mime: data.decode("utf-8", "replace"), "text/plain": label}
    return {"text/plain": label}
