"""The History panel: every version of the previewed resource, newest first, with its
labels and message; per version Restore, Diff (against the current version) and Label
(put the label typed above on it, or move it there). Part of the browser's view."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from . import render
from .actions import BrowserState
from .controls import (
    HiddenLayout,
    hidden,
    make_box,
    make_button,
    make_html,
    make_text,
    shared,
    show,
)


class HistoryPanel(w.VBox):
    """HistoryPanel(state, shown): `shown()` keeps the panel open after a Restore."""

    def __init__(self, state: BrowserState, shown: Callable[[], None]) -> None:
        super().__init__(
            layout=shared(HiddenLayout), _dom_classes=("rm-history-panel",)
        )
        self.state = state
        self._shown = shown
        self._label_name = make_text(
            "label, e.g. production", "rm-label-name", description="Label:"
        )
        self._rows = make_box(w.VBox)
        self._diff = make_html(css="rm-diff", shown=False)
        self.children = (self._label_name, self._rows, self._diff)
        state.observe(self._draw_versions, "versions")
        state.observe(self._draw_diff, "version_diff")
        self._draw_versions()  # built on first use: the state may hold them already
        self._draw_diff()

    def _draw_versions(self, change=None) -> None:
        rows = []
        for version in reversed(self.state.versions or ()):
            label = make_html(
                html.escape(render.version_label(version)), "rm-version-row"
            )
            restore = make_button(
                f"Restore v{version.version}",
                "rm-restore",
                f"Save version {version.version}'s content as a new version",
                disabled=version.is_current,
            )
            diff = make_button(
                "Diff",
                "rm-version-diff",
                f"What changed from version {version.version} to the current one",
                disabled=version.is_current,
            )
            put = make_button(
                "Label",
                "rm-set-label",
                f"Put the label typed above on version {version.version}",
            )
            for button in (restore, diff, put):
                button.rm_version = version.version
            restore.on_click(self._on_restore_click)
            diff.on_click(self._on_diff_click)
            put.on_click(self._on_label_click)
            rows.append(make_box(w.HBox, [restore, diff, put, label]))
        self._rows.children = tuple(rows)

    def _draw_diff(self, change=None) -> None:
        found = self.state.version_diff
        if found is None:
            self._diff.value = ""
            hidden(self._diff)
            return
        # The diff's HTML is Pygments' rendering of escaped text: no markup of the
        # resource's own reaches the page.
        shown = html.escape(found.summary()) if found.identical else found.html()
        self._diff.value = shown
        show(self._diff)

    def _on_restore_click(self, button) -> None:
        if self.state.restore(button.rm_version):
            self._shown()

    def _on_diff_click(self, button) -> None:
        self.state.diff_version(button.rm_version)

    def _on_label_click(self, button) -> None:
        self.state.set_label(self._label_name.value, button.rm_version)
