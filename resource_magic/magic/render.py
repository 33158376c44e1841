"""Showing resources in a notebook: the bundles of `present`, displayed in order.

Every display is a bundle with a text/plain part (terminals, logs, nbval) and, where it
helps, text/html or an image; what a stored output may show is decided in `present`.
"""

from __future__ import annotations

from collections.abc import Sequence

from IPython.display import display

from ..present import (
    attachment_bundle,
    attachments_heading,
    content_bundle,
    heading_bundle,
)
from ..records import AttachmentRecord, ResourceRecord


class PlainText(str):
    """A str that displays as itself: no quotes, real line breaks."""

    __slots__ = ()

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(str(self))


def show_resource(
    record: ResourceRecord,
    attachments: Sequence[AttachmentRecord] = (),
    note: str | None = None,
) -> None:
    """Display a resource: heading and metadata, its content, then its attachments."""
    display(heading_bundle(record, note), raw=True)
    display(content_bundle(record), raw=True)
    if attachments:
        print(attachments_heading(len(attachments), record.version))
        for attachment in attachments:
            display(attachment_bundle(attachment), raw=True)
