"""The preview pane: the picked resource, what can be done to it, a run's output.

Part of the browser's view (see view.py): it shows `BrowserState.preview` (title,
highlighted source, metadata, stored outputs) and `BrowserState.run_outputs`; the
buttons under the title and their panels are panels.py's `ActionPanel`.
"""

from __future__ import annotations

import base64
import html

import ipywidgets as w

from .. import present
from .actions import BrowserState
from .controls import SharedLayout, make_box, make_html, shared, show
from .idle import run_in_steps
from .insert import CellInserter
from .panels import ActionPanel
from .state import Preview

# Seconds after the pane is built before the highlighter warms up: by then the cell that
# opened the browser has ended, and its reply is not held back by the warm-up.
WARM_UP_DELAY = 0.05


class PreviewPane(w.VBox):
    """PreviewPane(state, inserter): the picked resource and what can be done to it."""

    def __init__(self, state: BrowserState, inserter: CellInserter) -> None:
        super().__init__(layout=shared(SharedLayout), _dom_classes=("rm-preview",))
        self.state = state
        self.inserter = inserter
        self._build()
        self._bind()
        self._draw_preview()
        # The first preview would import Pygments and compile its lexers (~50-100 ms):
        # done while the kernel idles after the opening instead (see idle.py).
        run_in_steps(present.warm_highlighter(), WARM_UP_DELAY)

    def _build(self) -> None:
        self._preview_title = make_html(
            "<i>Pick a resource to preview it.</i>", "rm-preview-title"
        )
        self._actions = ActionPanel(self.state, self.inserter)

        self._source = make_html(css="rm-source")
        self._metadata = make_html(css="rm-metadata")
        self._attachments = make_box(w.VBox, css="rm-attachments")
        self._output = w.Output(
            layout=shared(SharedLayout, border="1px solid #ddd"),
            _dom_classes=("rm-output",),
        )
        self._output_label = make_html("<b>Output</b>", shown=False)
        details = make_box(
            w.HBox,
            [
                w.VBox([self._source], layout=shared(SharedLayout, width="62%")),
                w.VBox([self._metadata], layout=shared(SharedLayout, width="38%")),
            ],
        )
        self.children = tuple(
            [
                self._preview_title,
                self._actions,
                details,
                self._attachments,
                self._output_label,
                self._output,
            ]
        )

    def _bind(self) -> None:
        state = self.state
        state.observe(self._draw_preview, "preview")
        state.observe(self._draw_output, "run_outputs")

    # -- drawing (state -> widgets) ----------------------------------------------
    def _draw_preview(self, change=None) -> None:
        preview: Preview | None = self.state.preview
        if preview is None:
            self._preview_title.value = "<i>Pick a resource to preview it.</i>"
            self._source.value = ""
            self._metadata.value = ""
            self._attachments.children = ()
            return
        record = preview.record
        heading = (
            f"<b>{html.escape(record.qualified_name)}</b> \u00b7 "
            f"{html.escape(record.resource_type)} \u00b7 v{record.version}"
        )
        if preview.token is not None:
            left = preview.uses_left
            heading += " \u00b7 <i>opened through a share token" + (
                f", {left} use(s) left</i>" if left is not None else "</i>"
            )
        self._preview_title.value = heading
        self._source.value = present.content_html(record)
        self._metadata.value = present.metadata_html(record)
        self._attachments.children = tuple(
            self._attachment_widget(a) for a in preview.attachments
        )

    @staticmethod
    def _attachment_widget(attachment) -> w.Widget:
        """The stored output as `present` shows it (inert): an image, or its HTML."""
        bundle = present.attachment_bundle(attachment)
        mime = next((m for m in present.RASTER_MIMES if m in bundle), None)
        if mime is not None:
            data = base64.b64decode(bundle[mime])
            return w.Image(
                value=data,
                format=mime.partition("/")[2],
                layout=shared(SharedLayout, max_width="100%"),
                _dom_classes=("rm-attachment-image",),
            )
        return make_html(present.bundle_html(bundle), "rm-attachment-text")

    def _draw_output(self, change=None) -> None:
        outputs = self.state.run_outputs
        self._output.outputs = tuple(outputs)
        show(self._output_label, bool(outputs))
