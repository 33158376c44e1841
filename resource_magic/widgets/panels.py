"""The actions under the preview: a row of buttons and the panel each one opens.

Part of the browser's view (see preview.py). Each button hands its click to the state:
Insert, Run, Fork, Share, Shares, Make public/private, History and Delete. Fork, Share,
Make public/private (publish.py) and Delete first open a small panel (the copy's name;
an expiry, a use limit and 'Allow secrets'; a confirmation), Shares and
History list rows with Revoke / Restore, and Insert falls back to a box holding the
source to copy; one panel shows at a time. Insert goes through `CellInserter` (ipylab
in JupyterLab, a copy box elsewhere).
"""

from __future__ import annotations

import html

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
from .publish import PublicPanel, allow_secrets_box


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
        self._public_panel = PublicPanel(self.state)
        self._public = self._public_panel.button
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
        actions = w.HBox(
            list(self._action_buttons), layout=w.Layout(flex_flow="row wrap")
        )

        self._fork_name = make_text(
            "name of the copy (blank: same name)", "rm-fork-name"
        )
        self._fork_confirm = make_button(
            "Fork it", "rm-fork-confirm", "Make the copy", button_style="primary"
        )
        self._fork_cancel = make_button("Cancel", "rm-fork-cancel", "Do not fork")
        self._fork_panel = make_box(
            w.HBox,
            [self._fork_name, self._fork_confirm, self._fork_cancel],
            "rm-fork-panel",
            shown=False,
        )

        self._share_expires = make_text(
            "expires: 30m, 12h, 7d or ISO date (blank: never)",
            "rm-share-expires",
            layout=w.Layout(width="320px"),
        )
        self._share_max_uses = make_text(
            "max uses (blank: unlimited)",
            "rm-share-max-uses",
            layout=w.Layout(width="200px"),
        )
        self._share_create = make_button(
            "Create token",
            "rm-share-create",
            "Make the share token",
            button_style="primary",
        )
        self._share_allow = allow_secrets_box("rm-share-allow-secrets", "Share it")
        self._share_cancel = make_button("Cancel", "rm-share-cancel", "Do not share")
        self._share_token = make_html(css="rm-share-token")
        self._share_line = make_text(
            "",
            "rm-share-line",
            description="Give them:",
            tooltip="Copy this line for the recipient",
            layout=w.Layout(width="100%"),
        )
        self._share_result = make_box(
            w.VBox, [self._share_token, self._share_line], shown=False
        )
        self._share_panel = make_box(
            w.VBox,
            [
                make_box(
                    w.HBox,
                    [
                        self._share_expires,
                        self._share_max_uses,
                        self._share_allow,
                        self._share_create,
                        self._share_cancel,
                    ],
                ),
                self._share_result,
            ],
            "rm-share-panel",
            shown=False,
        )

        self._shares_panel = make_box(w.VBox, css="rm-shares-panel", shown=False)
        self._history_panel = HistoryPanel(
            self.state, lambda: self._show_panel("history")
        )

        self._delete_question = make_html(css="rm-delete-question")
        self._delete_confirm = make_button(
            "Yes, delete",
            "rm-delete-confirm",
            "Delete it for good",
            button_style="danger",
        )
        self._delete_cancel = make_button("Cancel", "rm-delete-cancel", "Keep it")
        self._delete_panel = make_box(
            w.HBox,
            [self._delete_question, self._delete_confirm, self._delete_cancel],
            "rm-delete-panel",
            shown=False,
        )

        self._insert_text = hidden(
            w.Textarea(
                description="Source:",
                tooltip="Copy this into a new cell",
                layout=w.Layout(width="100%", height="140px"),
                style=shared(SharedTextStyle),
                _dom_classes=("rm-insert-text",),
            )
        )
        self._panels = {
            "fork": self._fork_panel,
            "share": self._share_panel,
            "shares": self._shares_panel,
            "public": self._public_panel,
            "history": self._history_panel,
            "delete": self._delete_panel,
            "insert": self._insert_text,
        }
        self.children = (actions, *self._panels.values())

    def _bind(self) -> None:
        self._insert.on_click(self._on_insert_click)
        self._run.on_click(self._on_run_click)
        self._fork.on_click(self._on_fork_click)
        self._fork_confirm.on_click(self._on_fork_confirm_click)
        self._fork_cancel.on_click(self._on_fork_cancel_click)
        self._share.on_click(self._on_share_click)
        self._share_create.on_click(self._on_share_create_click)
        self._share_cancel.on_click(self._on_share_cancel_click)
        self._shares.on_click(self._on_shares_click)
        self._public.on_click(self._on_public_click)
        self._history.on_click(self._on_history_click)
        self._delete.on_click(self._on_delete_click)
        self._delete_confirm.on_click(self._on_delete_confirm_click)
        self._delete_cancel.on_click(self._on_delete_cancel_click)
        state = self.state
        state.observe(self._draw_preview, "preview")
        state.observe(self._draw_shares, "shares")
        state.observe(self._draw_new_share, "new_share")

    # -- drawing (state -> widgets) ----------------------------------------------
    def _draw_preview(self, change=None) -> None:
        """A new preview (or none): close the panels, enable what the user may do."""
        preview = self.state.preview
        self._show_panel(None)
        hidden(self._share_result)
        self._public_panel.draw(preview)
        if preview is None:
            for button in self._action_buttons:
                button.disabled = True
            return
        record = preview.record
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
        why = f"Only {record.owner} can do this: fork it first"
        self._run.tooltip = "Run it here (counts one execution)" if mine else why
        self._fork_name.placeholder = f"name of the copy (blank: {record.name})"

    def _draw_shares(self, change=None) -> None:
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

    def _draw_new_share(self, change=None) -> None:
        new = self.state.new_share
        if new is None:
            hidden(self._share_result)
            self._share_line.value = ""
            self._share_token.value = ""
            return
        self._share_token.value = (
            f"Token (shown only once): <code>{html.escape(new.token)}</code>"
        )
        self._share_line.value = f"%resource open {new.token}"
        show(self._share_result)

    def _show_panel(self, name: str | None) -> None:
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
            self._insert_text.value = source
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
        self._fork_name.value = ""
        self._show_panel("fork")

    def _on_fork_confirm_click(self, button) -> None:
        if self.state.fork(self._fork_name.value):
            self._show_panel(None)

    def _on_fork_cancel_click(self, button) -> None:
        self._show_panel(None)

    def _on_share_click(self, button) -> None:
        self.state.new_share = None
        self._share_allow.value = False
        self._show_panel("share")

    def _on_share_create_click(self, button) -> None:
        self.state.share(
            self._share_expires.value,
            self._share_max_uses.value,
            allow_secrets=self._share_allow.value,
        )

    def _on_share_cancel_click(self, button) -> None:
        self.state.new_share = None
        self._show_panel(None)

    def _on_shares_click(self, button) -> None:
        if self.state.load_shares():
            self._show_panel("shares")

    def _on_revoke_click(self, button) -> None:
        self.state.revoke(button.rm_share_id)

    def _on_public_click(self, button) -> None:
        if self._public_panel.ask():
            self._show_panel("public")

    def _on_history_click(self, button) -> None:
        if self.state.load_history():
            self._show_panel("history")

    def _on_delete_click(self, button) -> None:
        if self.state.preview is None:
            self.state.say("Pick a resource first, then delete it.", "error")
            return
        record = self.state.preview.record
        self._delete_question.value = (
            f"Delete <b>{html.escape(record.name)}</b> and all its versions for good?"
        )
        self._show_panel("delete")

    def _on_delete_confirm_click(self, button) -> None:
        self.state.delete()
        self._show_panel(None)

    def _on_delete_cancel_click(self, button) -> None:
        self._show_panel(None)
