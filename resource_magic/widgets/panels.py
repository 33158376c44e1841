"""The actions under the preview: a row of buttons and the panel each one opens.

Part of the browser's view (see preview.py). Each button hands its click to the state:
Insert, Run, Fork, Share, Shares, Make public/private, History and Delete. Fork, Share
(share.py), Make public/private (publish.py) and Delete first open a small panel (the
copy's name; an expiry, a use limit and 'Allow secrets'; a confirmation), Shares and
History list rows with Revoke / Restore, and Insert falls back to a box holding the
source to copy; one panel shows at a time. Insert goes through `CellInserter` (ipylab
in JupyterLab, a copy box elsewhere).

A panel is built the first time it opens, drawn then from the state as it stands:
hidden until then, it is nothing the first page needs, and the seven of them were a
third of the widgets built to open the browser. `build_panels()` builds the rest at once
(the view's `find` does, so a control is found before its first use too).
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from . import render
from .actions import BrowserState
from .controls import (
    SharedLayout,
    SharedTextStyle,
    hidden,
    make_box,
    make_button,
    make_html,
    make_text,
    shared,
    show,
)
from .history import HistoryPanel
from .insert import CellInserter
from .publish import PublicPanel, label_public_button, public_button
from .share import SharePanel


class ActionPanel(w.VBox):
    """ActionPanel(state, inserter): what can be done to the previewed resource."""

    def __init__(self, state: BrowserState, inserter: CellInserter) -> None:
        super().__init__(layout=shared(SharedLayout), _dom_classes=("rm-actions",))
        self.state = state
        self.inserter = inserter
        self._build()
        self._bind()
        self._draw_preview()

    def _build(self) -> None:
        self._insert = make_button(
            "Insert", "rm-insert", "Put the source in a new cell below", icon="plus"
        )
        self._run = make_button(
            "Run", "rm-run", "Run it here (counts one execution)", icon="play"
        )
        self._fork = make_button(
            "Fork", "rm-fork", "Copy it into your resources", icon="code-fork"
        )
        self._share = make_button(
            "Share", "rm-share", "Make a share token", icon="share"
        )
        self._shares = make_button(
            "Shares", "rm-shares", "Show its share tokens (revoke them here)"
        )
        self._public = public_button()
        self._history = make_button(
            "History",
            "rm-history",
            "Show its versions (restore one here)",
            icon="history",
        )
        self._delete = make_button(
            "Delete", "rm-delete", "Delete it and its history", icon="trash"
        )
        self._action_buttons = (
            self._insert,
            self._run,
            self._fork,
            self._share,
            self._shares,
            self._public,
            self._history,
            self._delete,
        )
        self._row = w.HBox(
            list(self._action_buttons),
            layout=shared(SharedLayout, flex_flow="row wrap"),
        )
        # name -> builder, in display order; each panel is made on its first opening
        self._builders: dict[str, Callable[[], w.DOMWidget]] = {
            "fork": self._build_fork,
            "share": lambda: SharePanel(self.state, lambda: self._show_panel(None)),
            "shares": self._build_shares,
            "public": lambda: PublicPanel(self.state),
            "history": lambda: HistoryPanel(
                self.state, lambda: self._show_panel("history")
            ),
            "delete": self._build_delete,
            "insert": self._build_insert,
        }
        self._panels: dict[str, w.DOMWidget] = {}
        self.children = (self._row,)

    def _build_fork(self) -> w.DOMWidget:
        self._fork_name = make_text(
            "name of the copy (blank: same name)", "rm-fork-name"
        )
        self._fork_confirm = make_button(
            "Fork it", "rm-fork-confirm", "Make the copy", button_style="primary"
        )
        self._fork_cancel = make_button("Cancel", "rm-fork-cancel", "Do not fork")
        self._fork_confirm.on_click(self._on_fork_confirm_click)
        self._fork_cancel.on_click(self._on_fork_cancel_click)
        return make_box(
            w.HBox,
            [self._fork_name, self._fork_confirm, self._fork_cancel],
            "rm-fork-panel",
            shown=False,
        )

    def _build_shares(self) -> w.DOMWidget:
        self._shares_panel = make_box(w.VBox, css="rm-shares-panel", shown=False)
        return self._shares_panel

    def _build_delete(self) -> w.DOMWidget:
        self._delete_question = make_html(css="rm-delete-question")
        self._delete_confirm = make_button(
            "Yes, delete",
            "rm-delete-confirm",
            "Delete it for good",
            button_style="danger",
        )
        self._delete_cancel = make_button("Cancel", "rm-delete-cancel", "Keep it")
        self._delete_confirm.on_click(self._on_delete_confirm_click)
        self._delete_cancel.on_click(self._on_delete_cancel_click)
        return make_box(
            w.HBox,
            [self._delete_question, self._delete_confirm, self._delete_cancel],
            "rm-delete-panel",
            shown=False,
        )

    def _build_insert(self) -> w.DOMWidget:
        self._insert_text = hidden(
            w.Textarea(
                description="Source:",
                tooltip="Copy this into a new cell",
                layout=w.Layout(width="100%", height="140px"),
                style=shared(SharedTextStyle),
                _dom_classes=("rm-insert-text",),
            )
        )
        return self._insert_text

    def _panel(self, name: str) -> w.DOMWidget:
        """The panel `name`, built (hidden) and drawn from the state if it was not."""
        panel = self._panels.get(name)
        if panel is None:
            panel = self._panels[name] = self._builders[name]()
            self.children = (
                self._row,
                *(self._panels[key] for key in self._builders if key in self._panels),
            )
            self._draw_panel(name)
        return panel

    def build_panels(self) -> None:
        """Build every panel not built yet (each stays hidden)."""
        for name in self._builders:
            self._panel(name)

    def _bind(self) -> None:
        self._insert.on_click(self._on_insert_click)
        self._run.on_click(self._on_run_click)
        self._fork.on_click(self._on_fork_click)
        self._share.on_click(self._on_share_click)
        self._shares.on_click(self._on_shares_click)
        self._public.on_click(self._on_public_click)
        self._history.on_click(self._on_history_click)
        self._delete.on_click(self._on_delete_click)
        state = self.state
        state.observe(self._draw_preview, "preview")
        state.observe(self._draw_shares, "shares")

    # -- drawing (state -> widgets) ----------------------------------------------
    def _draw_preview(self, change=None) -> None:
        """A new preview (or none): close the panels, enable what the user may do."""
        preview = self.state.preview
        self._show_panel(None)
        if "share" in self._panels:
            self._panels["share"].hide_result()
        label_public_button(self._public, preview)
        if preview is None:
            for button in self._action_buttons:
                button.disabled = True
            return
        mine = preview.mine
        self._insert.disabled = False
        self._fork.disabled = preview.uses_left == 0
        for button in (
            self._run,
            self._share,
            self._shares,
            self._public,
            self._history,
            self._delete,
        ):
            button.disabled = not mine
        why = f"Only {preview.record.owner} can do this: fork it first"
        self._run.tooltip = "Run it here (counts one execution)" if mine else why
        self._draw_fork_name()

    def _draw_panel(self, name: str) -> None:
        """A panel just built shows what the state holds now."""
        if name == "fork":
            self._draw_fork_name()
        elif name == "shares":
            self._draw_shares()

    def _draw_fork_name(self) -> None:
        preview = self.state.preview
        if "fork" in self._panels and preview is not None:
            name = preview.record.name
            self._fork_name.placeholder = f"name of the copy (blank: {name})"

    def _draw_shares(self, change=None) -> None:
        if "shares" not in self._panels:
            return  # drawn when it is built
        shares = self.state.shares
        if shares is None:
            self._shares_panel.children = ()
            return
        rows = []
        for share in shares:
            label = make_html(html.escape(render.share_label(share)), "rm-share-row")
            revoke = make_button(
                "Revoke",
                "rm-revoke",
                f"Revoke the share {share.handle} ({share.prefix}\u2026)",
                disabled=share.status == "revoked",
            )
            revoke.rm_share_id = share.id  # exactly this share, whatever its prefix
            revoke.on_click(self._on_revoke_click)
            rows.append(make_box(w.HBox, [revoke, label]))
        if not rows:
            rows = [make_html("<i>No shares yet: use Share to make one.</i>")]
        self._shares_panel.children = tuple(rows)

    def _show_panel(self, name: str | None) -> None:
        if name is not None:
            self._panel(name)
        for key, panel in self._panels.items():
            show(panel, key == name)

    # -- handlers (widgets -> state) ---------------------------------------------
    def _on_insert_click(self, button) -> None:
        inserted = self.state.attempt("Insert", self._insert_source)
        if inserted is None:
            return
        source, how = inserted
        name = self.state.preview.record.name
        if how == "lab":
            self._show_panel(None)
            self.state.say(f"Inserted '{name}' in a new cell below.", "success")
        elif how == "next-input":
            self.state.say(f"'{name}' is ready as your next input.", "success")
        else:
            self._panel("insert").value = source
            self._show_panel("insert")
            self.state.say(
                "This front end cannot add cells from a widget: copy the source "
                "from the box below into a new cell.",
                "info",
            )

    def _insert_source(self) -> tuple[str, str]:
        source = self.state.source()
        return source, self.inserter.insert(source)

    def _on_run_click(self, button) -> None:
        self._show_panel(None)
        self.state.run()

    def _on_fork_click(self, button) -> None:
        self._panel("fork")
        self._fork_name.value = ""
        self._show_panel("fork")

    def _on_fork_confirm_click(self, button) -> None:
        if self.state.fork(self._fork_name.value):
            self._show_panel(None)

    def _on_fork_cancel_click(self, button) -> None:
        self._show_panel(None)

    def _on_share_click(self, button) -> None:
        self.state.new_share = None
        self._panel("share").allow.value = False
        self._show_panel("share")

    def _on_shares_click(self, button) -> None:
        if self.state.load_shares():
            self._show_panel("shares")

    def _on_revoke_click(self, button) -> None:
        self.state.revoke(button.rm_share_id)

    def _on_public_click(self, button) -> None:
        if self._panel("public").ask():
            self._show_panel("public")

    def _on_history_click(self, button) -> None:
        if self.state.load_history():
            self._show_panel("history")

    def _on_delete_click(self, button) -> None:
        if self.state.preview is None:
            self.state.say("Pick a resource first, then delete it.", "error")
            return
        record = self.state.preview.record
        self._panel("delete")
        self._delete_question.value = (
            f"Delete <b>{html.escape(record.name)}</b> and all its versions for good?"
        )
        self._show_panel("delete")

    def _on_delete_confirm_click(self, button) -> None:
        self.state.delete()
        self._show_panel(None)

    def _on_delete_cancel_click(self, button) -> None:
        self._show_panel(None)
