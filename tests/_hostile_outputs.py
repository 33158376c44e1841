"""Stored outputs that run script if a front end shows them as they are, and a checker
for what a front end publishes.

Each payload, if it ever runs in a page, appends its own name to `window.__rm_pwned`,
so a real browser can tell which one ran (tests/e2e) and the unit tests can check the
published bundles (`active_content`).
"""

from __future__ import annotations

from html.parser import HTMLParser

MARKER = "__rm_pwned"


def _mark(name: str) -> str:
    """JavaScript that records that the payload `name` ran."""
    return f"(window.{MARKER} = window.{MARKER} || []).push('{name}')"


# (name, mime type, stored text): script in every form a stored output can carry it
HOSTILE_OUTPUTS = (
    ("html-script", "text/html", f"<b>bold</b><script>{_mark('html-script')}</script>"),
    (
        "html-onerror",
        "text/html",
        f'<img src="no-such-image.png" onerror="{_mark("html-onerror")}">',
    ),
    (
        "html-link",
        "text/html",
        f'<a id="rm-evil-link" href="javascript:{_mark("html-link")}">click</a>',
    ),
    (
        "svg-onload",
        "image/svg+xml",
        '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" '
        f'onload="{_mark("svg-onload")}"><script>{_mark("svg-script")}</script>'
        '<circle cx="10" cy="10" r="8" fill="red"/></svg>',
    ),
    ("text-javascript", "text/javascript", _mark("text-javascript") + ";"),
    ("app-javascript", "application/javascript", _mark("app-javascript") + ";"),
    (
        "markdown-html",
        "text/markdown",
        "# Notes\n\nplain *words*\n\n"
        f'<img src="no-such-image.png" onerror="{_mark("markdown-html")}">\n\n'
        f"<script>{_mark('markdown-script')}</script>\n",
    ),
)
ATTACHMENTS = [(mime, text) for _, mime, text in HOSTILE_OUTPUTS]
# What may be published for a stored output: text, sanitised HTML, raster images.
SAFE_MIMES = {
    "text/plain",
    "text/html",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
}
_ACTIVE_TAGS = {
    "script",
    "iframe",
    "frame",
    "object",
    "embed",
    "svg",
    "math",
    "style",
    "link",
    "meta",
    "base",
    "form",
    "template",
}
_URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "srcset",
}


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in _ACTIVE_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            url = "".join((value or "").split()).lower()
            if name.startswith("on") or name == "srcdoc":
                self.found.append(f"<{tag} {name}=...>")
            elif name in _URL_ATTRIBUTES and url.startswith(
                ("javascript:", "vbscript:")
            ):
                self.found.append(f"<{tag} {name}={url[:20]}...>")
            elif (
                name in _URL_ATTRIBUTES
                and url.startswith("data:")
                and not (
                    tag == "img" and name == "src" and url.startswith("data:image/")
                )
            ):
                self.found.append(f"<{tag} {name}=data:...>")


def active_content(bundle: dict) -> list[str]:
    """What in a published display bundle could run script (empty: inert)."""
    found = [f"published as {mime}" for mime in bundle if mime not in SAFE_MIMES]
    if "text/html" in bundle:
        finder = _Finder()
        finder.feed(bundle["text/html"])
        finder.close()
        found += finder.found
    return found
