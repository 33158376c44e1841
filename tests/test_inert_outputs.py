"""A stored output never runs anything when shown: whoever made it, however it arrived
(`%%resource save --run`, `ResourceStore.save(attachments=...)`, an import file) and
however it is shown (`%resource show`, `%resource open`, a fork's copy, the browser's
preview). And both front ends show a record the same way. On both backends."""

from __future__ import annotations

import base64
import html
import json
import re

import ipywidgets as w
import pytest
from _hostile_outputs import ATTACHMENTS, HOSTILE_OUTPUTS, active_content

from resource_magic import present
from resource_magic.records import AttachmentRecord
from resource_magic.widgets import ResourceBrowser

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
# `--run` stores each display's richest representation; a display of only a
# JavaScript type is not stored at all, so this path carries HTML, SVG and markdown.
RUN_CELL = (
    "from IPython.display import display\n"
    "for mime, text in HOSTILE:\n"
    "    if 'javascript' not in mime:\n"
    "        display({mime: text}, raw=True)\n"
)
PRE_STYLE = ' style="white-space:pre-wrap"'
RUN_STORED = [(mime, text) for mime, text in ATTACHMENTS if "javascript" not in mime]


def export_file(tmp_path, attachments) -> str:
    """An export file someone crafted, carrying `attachments` in its one version."""
    data = {
        "format": "resource_magic/1",
        "user": "mallory",
        "resources": [
            {
                "name": "evil",
                "resource_type": "workflow",
                "description": "looks harmless",
                "tags": [],
                "is_public": True,
                "versions": [
                    {
                        "content": "x = 1\n",
                        "parameters": None,
                        "attachments": [
                            {
                                "mime_type": mime,
                                "data": base64.b64encode(text.encode()).decode(),
                            }
                            for mime, text in attachments
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(data))
    return str(path)


def arrive(how: str, shell, run, as_user, make_store, tmp_path):
    """Bob's public resource 'evil' with hostile outputs, arrived `how`: (its store,
    the attachments it holds)."""
    bob = make_store("bob")
    if how == "store-save":
        bob.save("evil", "x = 1\n", is_public=True, attachments=ATTACHMENTS)
        return bob, ATTACHMENTS
    as_user("bob")
    if how == "save-run":
        shell.user_ns["HOSTILE"] = ATTACHMENTS
        shown = run("%%resource save evil --public --run\n" + RUN_CELL)
        stored = RUN_STORED
    else:
        shown = run(f"%resource import {export_file(tmp_path, ATTACHMENTS)}")
        stored = ATTACHMENTS
    as_user("alice")
    assert shown.error is None, shown.text
    return bob, stored


def shown_outputs(shown, count: int) -> list[dict]:
    """The stored outputs a show/open displayed (after heading and content)."""
    assert f"{count} stored outputs of version" in shown.stdout, shown.text
    return shown.outputs[2:]


@pytest.mark.parametrize("how", ["store-save", "save-run", "import"])
def test_hostile_outputs_are_shown_inert(
    how, shell, run, as_user, make_store, tmp_path
):
    bob, stored = arrive(how, shell, run, as_user, make_store, tmp_path)
    assert [(a.mime_type, a.data.decode()) for a in bob.attachments("evil")] == stored
    token = bob.share("evil").token
    published = []
    for line in (
        "%resource show bob/evil",
        f"%resource open {token}",
        "%resource fork bob/evil --as copy",
        "%resource show copy",
    ):
        shown = run(line)
        assert shown.error is None, shown.text
        if "fork" not in line:
            outputs = shown_outputs(shown, len(stored))
            assert len(outputs) == len(stored)
            published += shown.outputs
    for bundle in published:
        assert active_content(bundle) == [], bundle
    # inert, not gone: the harmless parts are still shown
    html_shown = " ".join(b.get("text/html", "") for b in published)
    assert "<b>bold</b>" in html_shown and "<h1>Notes</h1>" in html_shown
    assert "data:image/svg+xml;base64," in html_shown  # the SVG as an image

    # the browser's preview, opened through the token and of the fork
    alice = make_store("alice")
    browser = ResourceBrowser(store=alice, shell=shell, debounce_seconds=0)
    assert browser.state.open_token(token)
    previewed = attachment_views(browser)
    assert browser.state.select(str(alice.get("copy").id))
    previewed += attachment_views(browser)
    assert len(previewed) == 2 * len(stored)
    for view in previewed:
        assert active_content({"text/html": view}) == [], view


def attachment_views(browser) -> list[str]:
    """The HTML of each stored output the preview shows (images as their format)."""
    box = browser.find("rm-attachments")
    return [
        f"<img {child.format}>" if isinstance(child, w.Image) else child.value
        for child in box.children
    ]


def test_the_checker_sees_every_payload_as_active():
    """The negative control: shown as stored, each payload is active content."""
    for name, mime, text in HOSTILE_OUTPUTS:
        assert active_content({mime: text}) != [], name
        assert active_content({"text/html": text}) != [] or "javascript" in mime, name


@pytest.mark.parametrize(("name", "mime", "text"), HOSTILE_OUTPUTS)
def test_the_attachment_policy_publishes_only_inert_bundles(name, mime, text):
    record = AttachmentRecord(0, mime, text.encode(), len(text))
    bundle = present.attachment_bundle(record)
    assert active_content(bundle) == []
    assert active_content({"text/html": present.bundle_html(bundle)}) == []


@pytest.mark.parametrize(
    ("mime", "expected"),
    [
        ("text/plain", {"text/plain": "a < b"}),
        ("application/json", {"text/plain": "a < b"}),
        ("text/latex", {"text/plain": "a < b"}),
        ("TEXT/JAVASCRIPT", {"text/plain": "a < b"}),
        ("text/html; charset=utf-8", {"text/plain": "a < b"}),
        (
            "application/octet-stream",
            {"text/plain": "[application/octet-stream, 5 bytes]"},
        ),
        ("text/html", {"text/html": "a &lt; b", "text/plain": "[text/html, 5 bytes]"}),
    ],
)
def test_types_other_than_images_html_and_markdown_are_text(mime, expected):
    data = b"a < b"
    assert present.attachment_bundle(AttachmentRecord(0, mime, data, 5)) == (expected)


def test_show_and_the_browser_preview_show_a_record_the_same_way(
    shell, run, make_store
):
    """The same metadata and the same (inert) outputs in both front ends."""
    bob = make_store("bob")
    bob.save("base", "x = 0\n", is_public=True)
    alice = make_store("alice")
    alice.fork("bob/base", "chart")
    alice.save(
        "chart",
        "import math\nprint(math.pi)\n",
        description="Draws <b>a</b> chart",
        tags=["plots", "demo"],
        parameters={"n": 5, "label": "x"},
        attachments=[("image/png", PNG), ("text/plain", "3.14 <not html>\n")]
        + ATTACHMENTS,
    )
    alice.record_execution("chart")
    shown = run("%resource show chart")
    assert shown.error is None, shown.text
    head, content, *outputs = shown.outputs
    browser = ResourceBrowser(store=alice, shell=shell, debounce_seconds=0)
    assert browser.state.select(str(alice.get("chart").id))

    metadata = browser.find("rm-metadata")
    table = re.search(
        r'<table class="rm-metadata-table">.*?</table>', head["text/html"]
    )
    assert table is not None and table.group(0) == metadata.value
    for value in (
        "Draws &lt;b&gt;a&lt;/b&gt; chart",
        "bob/base",
        "label: str = &#x27;x&#x27;",
    ):
        assert value in metadata.value
    source = browser.find("rm-source")
    assert source.value == content["text/html"]

    box = browser.find("rm-attachments")
    assert len(box.children) == len(outputs) == 2 + len(ATTACHMENTS)
    for child, bundle in zip(box.children, outputs, strict=True):
        assert active_content(bundle) == []
        if isinstance(child, w.Image):
            mime = f"image/{child.format}"
            assert child.value == base64.b64decode(bundle[mime]) == PNG
        elif "text/html" in bundle:
            assert child.value == bundle["text/html"]
        else:
            assert (
                child.value
                == f"<pre{PRE_STYLE}>{html.escape(bundle['text/plain'])}</pre>"
            )
