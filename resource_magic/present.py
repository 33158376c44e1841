"""Records -> text and HTML display bundles, for every front end (magics and browser).

Pure: no IPython magic machinery, no ipywidgets, nothing executed. Both front ends show
a resource through these functions, so they cannot drift apart.

The attachment policy lives here, once: a stored output may come from another person
(a public resource, a share token, a fork's copy, an import file), so showing it never
runs anything, whoever made it and however it arrived:
- PNG, JPEG, GIF and WebP are shown as images (an image cannot run script);
- SVG is shown as an image, `<img src="data:image/svg+xml;base64,...">` (a browser runs
  no script and loads nothing for an SVG inside <img>), never inlined;
- HTML is sanitised with nh3 (script, event handlers, `javascript:` links, styles,
  frames, forms and inline SVG removed; tables, text and links kept);
- Markdown is converted to HTML with its raw HTML escaped, then sanitised the same way;
- everything else (JavaScript, JSON, LaTeX, any other text type) is shown as text only,
  and a binary type that is not an image as a one-line label.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import re
from collections.abc import Iterator
from datetime import datetime

from .records import AttachmentRecord, ResourceRecord
from .templates import PLACEHOLDER_RE, parameter_list

RASTER_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp")
SVG_MIME = "image/svg+xml"
# Shown as text: text/* and these (JSON, JavaScript, XML are text, never run).
TEXT_MIMES = (
    "application/json",
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/xml",
)
_PRE = '<pre style="white-space:pre-wrap">{}</pre>'
_TH = '<th style="text-align:left;padding-right:1em">{}</th>'


def when(moment: datetime | None) -> str:
    """'2026-12-02 13:51 UTC', or 'never' for a missing time."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else "never"


def content_text(record: ResourceRecord) -> str:
    """The content as text: JSON (indented) for agent configs, else the text itself."""
    if record.resource_type == "agent_config":
        return json.dumps(record.content, indent=2, ensure_ascii=False)
    return str(record.content)


def sorted_items(parameters: dict | None) -> list[tuple[str, object]]:
    """Parameters sorted by name (PostgreSQL's JSONB does not keep key order)."""
    return sorted((parameters or {}).items())


def parameters_text(parameters: dict | None) -> str:
    """`n: int = 5, city: str (required)`, sorted by name."""
    return ", ".join(p.describe() for p in parameter_list(parameters))


# -- a resource ------------------------------------------------------------------------
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
        ("created", when(record.created_at)),
        ("updated", when(record.updated_at)),
    ]
    return [(label, value) for label, value in rows if value]


def metadata_html(record: ResourceRecord) -> str:
    """The metadata rows as an HTML table, every value escaped."""
    return _metadata_html(metadata(record))


def _metadata_text(qualified_name: str, rows: list[tuple[str, str]]) -> str:
    """The qualified name, then one indented `label: value` line per row."""
    return "\n".join(
        [qualified_name, *(f"  {label}: {value}" for label, value in rows)]
    )


def _metadata_html(rows: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr>{_TH.format(html.escape(label))}<td>{html.escape(value)}</td></tr>"
        for label, value in rows
    )
    return f'<table class="rm-metadata-table">{body}</table>'


def heading_bundle(record: ResourceRecord, note: str | None = None) -> dict[str, str]:
    """The name and metadata, as text and HTML, with an optional note below."""
    rows = metadata(record)  # once for both
    name = record.qualified_name
    plain = _metadata_text(name, rows)
    rich = f"<b>{html.escape(name)}</b>{_metadata_html(rows)}"
    if note:
        plain += f"\n{note}"
        rich += f"<p><i>{html.escape(note)}</i></p>"
    return {"text/plain": plain, "text/html": rich}


def content_html(record: ResourceRecord) -> str:
    """The content highlighted (Pygments, inline styles); a prompt's placeholders in
    bold. Everything is escaped."""
    text = content_text(record)
    if record.resource_type == "prompt":
        marked = PLACEHOLDER_RE.sub(
            lambda match: f"<b>{match.group(0)}</b>", html.escape(text)
        )
        return _PRE.format(marked)
    from pygments import highlight

    kind = record.resource_type
    if kind == "workflow" and not _IPYTHON_SYNTAX.search(text):
        kind = "python"  # the same tokens, without trying IPython's rules at each one
    return highlight(text, _lexer(kind), _formatter())


# Every rule IPython's lexer adds to Python's needs one of these characters: without
# them it yields exactly Python's tokens, and Python's lexer takes ~40% less time (it
# does not first try some 25 patterns that cannot match at each token).
_IPYTHON_SYNTAX = re.compile(r"[%!?]")


@functools.cache
def _formatter():
    """One HTML formatter with inline styles, made once: making one builds its whole
    style sheet, which took longer than highlighting a cell."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(noclasses=True)


@functools.cache
def _lexer(kind: str):
    """A resource type's lexer, or "python": Python's own, for a workflow that uses
    no IPython syntax. Regex lexers try only the rules that can match at each
    position (lexing.py: the same tokens, a quarter of the time)."""
    from pygments.lexers import JsonLexer, PythonLexer, TextLexer

    from .lexing import by_first_character

    if kind == "agent_config":
        return JsonLexer()  # not a regex lexer: its own, already fast
    if kind == "python":
        return by_first_character(PythonLexer())
    if kind != "workflow":
        return TextLexer()
    try:  # IPython 9 ships its lexer (magics, !shell) as its own package
        from ipython_pygments_lexers import IPython3Lexer
    except ImportError:  # pragma: no cover - IPython 8
        return by_first_character(PythonLexer())
    return by_first_character(IPython3Lexer())


# What `content_html` may highlight, most common first: (the kind `_lexer` takes, a
# sample). A workflow without IPython syntax is Python's; agent configs are JSON.
_WARM_UPS = (
    ("python", "x = f('a', \"b\", 1.5)  # c\n"),
    ("workflow", "%time x\n"),
    ("agent_config", "{}"),
)


def warm_highlighter() -> Iterator[None]:
    """Import Pygments and compile each lexer `content_html` uses, one lexer per step
    (each `next()`), so the first resource shown in a process does not wait for it:
    `for _ in warm_highlighter(): pass` does all. Nearly free once warm."""
    from pygments import highlight

    for kind, sample in _WARM_UPS:
        highlight(sample, _lexer(kind), _formatter())
        yield


def content_bundle(record: ResourceRecord) -> dict[str, str]:
    return {"text/plain": content_text(record), "text/html": content_html(record)}


# -- stored outputs --------------------------------------------------------------------
def attachments_heading(count: int, version: int) -> str:
    return f"{count} stored output{'s' if count != 1 else ''} of version {version}:"


def attachment_label(attachment: AttachmentRecord) -> str:
    return f"[{attachment.mime_type}, {attachment.size:,} bytes]"


def attachment_bundle(attachment: AttachmentRecord) -> dict[str, str]:
    """A display bundle for one stored output that runs nothing when shown.

    Its keys are only text/plain, text/html (sanitised, or built here) and the raster
    image types, whatever type the output was stored under."""
    mime, data = attachment.mime_type.lower(), attachment.data
    label = attachment_label(attachment)
    if mime in RASTER_MIMES:
        return {mime: base64.b64encode(data).decode("ascii"), "text/plain": label}
    if mime == SVG_MIME:
        source = f"data:{SVG_MIME};base64,{base64.b64encode(data).decode('ascii')}"
        image = (
            f'<img src="{source}" alt="{html.escape(label)}" style="max-width:100%">'
        )
        return {"text/html": image, "text/plain": label}
    if not _is_text(mime):
        return {"text/plain": label}
    text = data.decode("utf-8", "replace")
    if mime == "text/html":
        return {"text/html": sanitise_html(text), "text/plain": label}
    if mime == "text/markdown":
        return {"text/html": markdown_html(text), "text/plain": text}
    return {"text/plain": text}


def bundle_html(bundle: dict[str, str]) -> str:
    """The HTML of an `attachment_bundle`, for a pane that shows only HTML."""
    for mime in RASTER_MIMES:
        if mime in bundle:
            return (
                f'<img src="data:{mime};base64,{bundle[mime]}" style="max-width:100%">'
            )
    if "text/html" in bundle:
        return bundle["text/html"]
    return _PRE.format(html.escape(bundle["text/plain"]))


def sanitise_html(text: str) -> str:
    """HTML with everything active removed (nh3's allow-list: no script, no event
    handlers, no `javascript:` links, no style, frames, forms or inline SVG)."""
    import nh3  # the first output shown imports it, not loading the extension

    return nh3.clean(text)


def markdown_html(text: str) -> str:
    """Markdown as HTML, its raw HTML escaped (shown as text), then sanitised."""
    import mistune

    return sanitise_html(mistune.create_markdown(escape=True)(text))


def _is_text(mime: str) -> bool:
    return (
        mime.startswith("text/")
        or mime in TEXT_MIMES
        or mime.endswith(("+json", "+xml"))
    )
