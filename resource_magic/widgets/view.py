"""ResourceBrowser: the ipywidgets view over BrowserState.

The view owns no behaviour: each handler (`_on_<child>_<event>`) hands a user's input to
the state, and observers on the state's traits redraw the affected children. Every
interactive child carries an `rm-...` CSS class and a descriptive label, tooltip or
placeholder, so people and the real-browser test can find it.
"""

from __future__ import annotations

import html
import logging

import ipywidgets as w

from ..errors import ResourceError
from ..store import SORTS, ResourceStore
from . import render
from .insert import CellInserter, lab_frontend
from .state import PAGE_SIZES, BrowserState, Preview

logger = logging.getLogger(__name__)

_CSS = """<style>
.rm-browser .rm-results select, .rm-browser .rm-results-header pre {
  font-family: var(--jp-code-font-family, monospace); font-size: 12px; white-space: pre;
}
.rm-browser .rm-results-header pre { margin: 0 0 0 4px; background: none; }
.rm-browser .rm-source { max-height: 360px; overflow: auto; }
.rm-browser .rm-status-error { color: #b00020; }
.rm-browser .rm-status-success { color: #1b5e20; }
.rm-browser .rm-status-info { color: #444; }
</style>"""
_TYPES = (
    ("any type", ""),
    ("workflow", "workflow"),
    ("prompt", "prompt"),
    ("agent_config", "agent_config"),
)
_SORT_LABELS = {
    "updated": "recently updated",
    "created": "recently created",
    "name": "name",
    "type": "type",
    "executions": "most run",
    "forks": "most forked",
    "version": "most versions",
}
_IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/gif": "gif",
    "image/svg+xml": "svg+xml",
    "image/webp": "webp",
}


def _button(label: str, css: str, tooltip: str, **kwargs) -> w.Button:
    button = w.Button(description=label, tooltip=tooltip, **kwargs)
    button.add_class(css)
    return button


def _text(placeholder: str, css: str, description: str = "", **kwargs) -> w.Text:
    box = w.Text(placeholder=placeholder, description=description, **kwargs)
    box.add_class(css)
    return box


def _hidden(box: w.Widget) -> w.Widget:
    box.layout.display = "none"
    return box


class ResourceBrowser(w.VBox):
    """ResourceBrowser(store=None, shell=None): find, preview, insert, run, fork and
    share resources. `store` defaults to ResourceStore() (the configured database and
    user), `shell` to the running IPython."""

    def __init__(
        self,
        store: ResourceStore | None = None,
        shell=None,
        *,
        page_size: int = 25,
        debounce_seconds: float = 0.3,
        frontend=None,
        insert_delay: float = 0.3,
    ) -> None:
        super().__init__()
        self.add_class("rm-browser")
        self._status = w.HTML()
        self._status.add_class("rm-status")
        if shell is None:
            from IPython import get_ipython

            shell = get_ipython()
        if store is None:
            try:
                store = ResourceStore()
            except ResourceError as exc:  # e.g. the database is unreachable
                self.state = None
                self.children = [w.HTML(_CSS), self._status]
                self._show_status(str(exc), "error")
                return
        self.state = BrowserState(
            store, shell, page_size=page_size, debounce_seconds=debounce_seconds
        )
        if frontend is None:
            frontend = lab_frontend(shell)
        self._inserter = CellInserter(shell, frontend, delay=insert_delay)
        self._syncing = False
        self._build()
        self._bind()
        self.state.refresh()

    # -- building ----------------------------------------------------------------------
    def _build(self) -> None:
        state = self.state
        self._title = w.HTML(
            f"<b>Resources</b> \u00b7 {html.escape(state.store.user)} @ "
            f"{html.escape(state.store.display_url)}"
        )
        self._title.add_class("rm-title")
        self._search = _text(
            "Search names and descriptions",
            "rm-search",
            tooltip="Filters as you type",
            continuous_update=True,
            layout=w.Layout(width="280px"),
        )
        self._type = w.Dropdown(
            options=_TYPES, value="", tooltip="Show one type of resource"
        )
        self._type.add_class("rm-type")
        self._type.layout.width = "130px"
        self._tag = _text(
            "tag",
            "rm-tag",
            tooltip="Show resources with this tag",
            continuous_update=True,
            layout=w.Layout(width="120px"),
        )
        self._scope = w.ToggleButtons(
            options=(("mine", "mine"), ("public", "public")),
            value=state.scope,
            tooltips=["My resources", "Everyone's public resources"],
        )
        self._scope.add_class("rm-scope")
        self._scope.style.button_width = "70px"
        self._sort = w.Dropdown(
            options=[(_SORT_LABELS.get(key, key), key) for key in SORTS],
            value=state.sort,
            tooltip="Sort the results",
        )
        self._sort.add_class("rm-sort")
        self._sort.layout.width = "150px"
        self._refresh = _button(
            "Refresh",
            "rm-refresh",
            "Run the search again (see changes made elsewhere)",
            icon="refresh",
        )
        self._refresh.layout.width = "100px"
        filters = w.HBox(
            [
                self._search,
                self._type,
                self._tag,
                self._scope,
                self._sort,
                self._refresh,
            ]
        )
        filters.layout.flex_flow = "row wrap"

        self._header = w.HTML()
        self._header.add_class("rm-results-header")
        self._results = w.Select(
            options=(),
            rows=10,
            tooltip="Results: pick one to preview it",
            layout=w.Layout(width="100%"),
        )
        self._results.add_class("rm-results")
        self._prev = _button("\u25c0 Prev", "rm-prev", "Previous page")
        self._next = _button("Next \u25b6", "rm-next", "Next page")
        self._page_label = w.HTML()
        self._page_label.add_class("rm-page-label")
        self._page_size = w.Dropdown(
            options=[(f"{n} per page", n) for n in PAGE_SIZES]
            if state.page_size in PAGE_SIZES
            else [(f"{state.page_size} per page", state.page_size)]
            + [(f"{n} per page", n) for n in PAGE_SIZES],
            value=state.page_size,
            tooltip="Results per page",
        )
        self._page_size.add_class("rm-page-size")
        self._page_size.layout.width = "130px"
        paging = w.HBox([self._prev, self._page_label, self._next, self._page_size])
        paging.layout.align_items = "center"

        self._token = _text(
            "Paste a share token (rmshr_...)",
            "rm-token",
            tooltip="A token someone shared with you",
            layout=w.Layout(width="360px"),
        )
        self._open_token = _button(
            "Open token",
            "rm-open-token",
            "Preview the shared resource (uses the token once)",
        )
        self._fork_token = _button(
            "Fork token",
            "rm-fork-token",
            "Copy the shared resource into yours (uses the token once)",
        )
        token_note = w.HTML("<small>Each Open or Fork uses a token once.</small>")
        token_row = w.HBox(
            [self._token, self._open_token, self._fork_token, token_note]
        )
        token_row.layout.align_items = "center"

        self._preview_title = w.HTML("<i>Pick a resource to preview it.</i>")
        self._preview_title.add_class("rm-preview-title")
        self._insert = _button(
            "Insert", "rm-insert", "Put the source in a new cell below", icon="plus"
        )
        self._run = _button(
            "Run", "rm-run", "Run it here (counts one execution)", icon="play"
        )
        self._fork = _button(
            "Fork", "rm-fork", "Copy it into your resources", icon="code-fork"
        )
        self._share = _button("Share", "rm-share", "Make a share token", icon="share")
        self._shares = _button(
            "Shares", "rm-shares", "Show its share tokens (revoke them here)"
        )
        self._history = _button(
            "History",
            "rm-history",
            "Show its versions (restore one here)",
            icon="history",
        )
        self._delete = _button(
            "Delete", "rm-delete", "Delete it and its history", icon="trash"
        )
        self._action_buttons = (
            self._insert,
            self._run,
            self._fork,
            self._share,
            self._shares,
            self._history,
            self._delete,
        )
        actions = w.HBox(list(self._action_buttons))
        actions.layout.flex_flow = "row wrap"

        self._fork_name = _text("name of the copy (blank: same name)", "rm-fork-name")
        self._fork_confirm = _button(
            "Fork it", "rm-fork-confirm", "Make the copy", button_style="primary"
        )
        self._fork_cancel = _button("Cancel", "rm-fork-cancel", "Do not fork")
        self._fork_panel = _hidden(
            w.HBox([self._fork_name, self._fork_confirm, self._fork_cancel])
        )
        self._fork_panel.add_class("rm-fork-panel")

        self._share_expires = _text(
            "expires: 30m, 12h, 7d or ISO date (blank: never)",
            "rm-share-expires",
            layout=w.Layout(width="320px"),
        )
        self._share_max_uses = _text(
            "max uses (blank: unlimited)",
            "rm-share-max-uses",
            layout=w.Layout(width="200px"),
        )
        self._share_create = _button(
            "Create token",
            "rm-share-create",
            "Make the share token",
            button_style="primary",
        )
        self._share_cancel = _button("Cancel", "rm-share-cancel", "Do not share")
        self._share_token = w.HTML()
        self._share_token.add_class("rm-share-token")
        self._share_line = w.Text(
            description="Give them:",
            tooltip="Copy this line for the recipient",
            layout=w.Layout(width="100%"),
        )
        self._share_line.add_class("rm-share-line")
        self._share_result = _hidden(w.VBox([self._share_token, self._share_line]))
        self._share_panel = _hidden(
            w.VBox(
                [
                    w.HBox(
                        [
                            self._share_expires,
                            self._share_max_uses,
                            self._share_create,
                            self._share_cancel,
                        ]
                    ),
                    self._share_result,
                ]
            )
        )
        self._share_panel.add_class("rm-share-panel")

        self._shares_panel = _hidden(w.VBox())
        self._shares_panel.add_class("rm-shares-panel")
        self._history_panel = _hidden(w.VBox())
        self._history_panel.add_class("rm-history-panel")

        self._delete_question = w.HTML()
        self._delete_confirm = _button(
            "Yes, delete",
            "rm-delete-confirm",
            "Delete it for good",
            button_style="danger",
        )
        self._delete_cancel = _button("Cancel", "rm-delete-cancel", "Keep it")
        self._delete_panel = _hidden(
            w.HBox([self._delete_question, self._delete_confirm, self._delete_cancel])
        )
        self._delete_panel.add_class("rm-delete-panel")

        self._insert_text = _hidden(
            w.Textarea(
                description="Source:",
                tooltip="Copy this into a new cell",
                layout=w.Layout(width="100%", height="140px"),
            )
        )
        self._insert_text.add_class("rm-insert-text")
        self._panels = {
            "fork": self._fork_panel,
            "share": self._share_panel,
            "shares": self._shares_panel,
            "history": self._history_panel,
            "delete": self._delete_panel,
            "insert": self._insert_text,
        }

        self._source = w.HTML()
        self._source.add_class("rm-source")
        self._metadata = w.HTML()
        self._metadata.add_class("rm-metadata")
        self._attachments = w.VBox()
        self._attachments.add_class("rm-attachments")
        self._output = w.Output(layout=w.Layout(border="1px solid #ddd"))
        self._output.add_class("rm-output")
        self._output_label = _hidden(w.HTML("<b>Output</b>"))
        details = w.HBox(
            [
                w.VBox([self._source], layout=w.Layout(width="62%")),
                w.VBox([self._metadata], layout=w.Layout(width="38%")),
            ]
        )
        self._preview_box = w.VBox(
            [
                self._preview_title,
                actions,
                *self._panels.values(),
                details,
                self._attachments,
                self._output_label,
                self._output,
            ]
        )
        self._preview_box.add_class("rm-preview")

        self.children = [
            w.HTML(_CSS),
            self._title,
            filters,
            self._header,
            self._results,
            paging,
            self._status,
            token_row,
            self._preview_box,
        ]
        self._draw_results()
        self._draw_paging()
        self._draw_preview()

    def _bind(self) -> None:
        self._search.observe(self._on_search_value, "value")
        self._type.observe(self._on_type_value, "value")
        self._tag.observe(self._on_tag_value, "value")
        self._scope.observe(self._on_scope_value, "value")
        self._sort.observe(self._on_sort_value, "value")
        self._page_size.observe(self._on_page_size_value, "value")
        self._results.observe(self._on_results_value, "value")
        self._refresh.on_click(self._on_refresh_click)
        self._prev.on_click(self._on_prev_click)
        self._next.on_click(self._on_next_click)
        self._open_token.on_click(self._on_open_token_click)
        self._fork_token.on_click(self._on_fork_token_click)
        self._insert.on_click(self._on_insert_click)
        self._run.on_click(self._on_run_click)
        self._fork.on_click(self._on_fork_click)
        self._fork_confirm.on_click(self._on_fork_confirm_click)
        self._fork_cancel.on_click(self._on_fork_cancel_click)
        self._share.on_click(self._on_share_click)
        self._share_create.on_click(self._on_share_create_click)
        self._share_cancel.on_click(self._on_share_cancel_click)
        self._shares.on_click(self._on_shares_click)
        self._history.on_click(self._on_history_click)
        self._delete.on_click(self._on_delete_click)
        self._delete_confirm.on_click(self._on_delete_confirm_click)
        self._delete_cancel.on_click(self._on_delete_cancel_click)
        state = self.state
        state.observe(self._draw_results, ["items", "scope"])
        state.observe(self._draw_paging, ["total", "page", "page_size"])
        state.observe(self._draw_status, ["status", "status_kind"])
        state.observe(self._draw_preview, "preview")
        state.observe(self._draw_shares, "shares")
        state.observe(self._draw_history, "versions")
        state.observe(self._draw_new_share, "new_share")
        state.observe(self._draw_output, "run_outputs")
        state.observe(self._draw_selection, "selected_id")

    # -- drawing (state -> widgets) ----------------------------------------------
    def _draw_results(self, change=None) -> None:
        state = self.state
        self._header.value = (
            f"<pre>{html.escape(render.header_label(state.scope))}</pre>"
        )
        if self._scope.value != state.scope:
            self._scope.value = state.scope
        options = tuple(
            (render.row_label(record, state.scope), str(record.id))
            for record in state.items
        )
        self._syncing = True
        try:
            self._results.options = options
            ids = {value for _, value in options}
            self._results.value = (
                state.selected_id if state.selected_id in ids else None
            )
        finally:
            self._syncing = False

    def _draw_selection(self, change=None) -> None:
        ids = {value for _, value in self._results.options}
        wanted = self.state.selected_id if self.state.selected_id in ids else None
        if self._results.value != wanted:
            self._syncing = True
            try:
                self._results.value = wanted
            finally:
                self._syncing = False

    def _draw_paging(self, change=None) -> None:
        state = self.state
        self._page_label.value = html.escape(
            render.page_label(state.page, state.page_size, state.total)
        )
        self._prev.disabled = state.page == 0
        self._next.disabled = state.page + 1 >= state.page_count
        if self._page_size.value != state.page_size:
            self._page_size.value = state.page_size

    def _draw_status(self, change=None) -> None:
        self._show_status(self.state.status, self.state.status_kind)

    def _show_status(self, message: str, kind: str) -> None:
        self._status.value = (
            f'<span class="rm-status-{kind}">{html.escape(message)}</span>'
            if message
            else ""
        )

    def _draw_preview(self, change=None) -> None:
        preview: Preview | None = self.state.preview
        self._show_panel(None)
        self._share_result.layout.display = "none"
        if preview is None:
            self._preview_title.value = "<i>Pick a resource to preview it.</i>"
            self._source.value = ""
            self._metadata.value = ""
            self._attachments.children = ()
            for button in self._action_buttons:
                button.disabled = True
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
        self._source.value = render.source_html(record)
        self._metadata.value = render.metadata_html(record)
        self._attachments.children = tuple(
            self._attachment_widget(a) for a in preview.attachments
        )
        mine = preview.mine
        self._insert.disabled = False
        self._fork.disabled = preview.uses_left == 0
        for button in (
            self._run,
            self._share,
            self._shares,
            self._history,
            self._delete,
        ):
            button.disabled = not mine
        why = f"Only {record.owner} can do this: fork it first"
        self._run.tooltip = "Run it here (counts one execution)" if mine else why
        self._fork_name.placeholder = f"name of the copy (blank: {record.name})"

    @staticmethod
    def _attachment_widget(attachment) -> w.Widget:
        fmt = _IMAGE_FORMATS.get(attachment.mime_type)
        if fmt is not None:
            image = w.Image(value=attachment.data, format=fmt)
            image.layout.max_width = "100%"
            image.add_class("rm-attachment-image")
            return image
        box = w.HTML(render.text_attachment_html(attachment))
        box.add_class("rm-attachment-text")
        return box

    def _draw_shares(self, change=None) -> None:
        shares = self.state.shares
        if shares is None:
            self._shares_panel.children = ()
            return
        rows = []
        for share in shares:
            label = w.HTML(html.escape(render.share_label(share)))
            label.add_class("rm-share-row")
            revoke = _button(
                "Revoke",
                "rm-revoke",
                f"Revoke the share {share.prefix}\u2026",
                disabled=share.status == "revoked",
            )
            revoke.rm_prefix = share.prefix
            revoke.on_click(self._on_revoke_click)
            rows.append(w.HBox([revoke, label]))
        if not rows:
            rows = [w.HTML("<i>No shares yet: use Share to make one.</i>")]
        self._shares_panel.children = tuple(rows)

    def _draw_history(self, change=None) -> None:
        versions = self.state.versions
        if versions is None:
            self._history_panel.children = ()
            return
        rows = []
        for version in reversed(versions):
            label = w.HTML(html.escape(render.version_label(version)))
            label.add_class("rm-version-row")
            restore = _button(
                f"Restore v{version.version}",
                "rm-restore",
                f"Save version {version.version}'s content as a new version",
                disabled=version.is_current,
            )
            restore.rm_version = version.version
            restore.on_click(self._on_restore_click)
            rows.append(w.HBox([restore, label]))
        self._history_panel.children = tuple(rows)

    def _draw_new_share(self, change=None) -> None:
        new = self.state.new_share
        if new is None:
            self._share_result.layout.display = "none"
            self._share_line.value = ""
            self._share_token.value = ""
            return
        self._share_token.value = (
            f"Token (shown only once): <code>{html.escape(new.token)}</code>"
        )
        self._share_line.value = f"%resource open {new.token}"
        self._share_result.layout.display = ""

    def _draw_output(self, change=None) -> None:
        outputs = self.state.run_outputs
        self._output.outputs = tuple(outputs)
        self._output_label.layout.display = "" if outputs else "none"

    def _show_panel(self, name: str | None) -> None:
        for key, panel in self._panels.items():
            panel.layout.display = "" if key == name else "none"

    # -- handlers (widgets -> state) ---------------------------------------------
    def _on_search_value(self, change) -> None:
        self.state.query = change["new"]

    def _on_type_value(self, change) -> None:
        self.state.resource_type = change["new"] or ""

    def _on_tag_value(self, change) -> None:
        self.state.tag = change["new"]

    def _on_scope_value(self, change) -> None:
        if change["new"]:
            self.state.scope = change["new"]

    def _on_sort_value(self, change) -> None:
        self.state.sort = change["new"]

    def _on_page_size_value(self, change) -> None:
        self.state.page_size = change["new"]

    def _on_results_value(self, change) -> None:
        if self._syncing or not change["new"]:
            return
        self.state.select(change["new"])

    def _on_refresh_click(self, button) -> None:
        self.state.flush()
        self.state.reload()

    def _on_prev_click(self, button) -> None:
        self.state.previous_page()

    def _on_next_click(self, button) -> None:
        self.state.next_page()

    def _on_open_token_click(self, button) -> None:
        self.state.open_token(self._token.value)

    def _on_fork_token_click(self, button) -> None:
        self.state.fork_token(self._token.value)

    def _on_insert_click(self, button) -> None:
        try:
            source = self.state.source()
            how = self._inserter.insert(source)
        except ResourceError as exc:
            self.state.say(str(exc), "error")
            return
        except Exception as exc:
            logger.exception("resource browser: Insert failed")
            self.state.say(f"Insert failed: {type(exc).__name__}: {exc}", "error")
            return
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
        self._show_panel("share")

    def _on_share_create_click(self, button) -> None:
        self.state.share(self._share_expires.value, self._share_max_uses.value)

    def _on_share_cancel_click(self, button) -> None:
        self.state.new_share = None
        self._show_panel(None)

    def _on_shares_click(self, button) -> None:
        if self.state.load_shares():
            self._show_panel("shares")

    def _on_revoke_click(self, button) -> None:
        self.state.revoke(button.rm_prefix)

    def _on_history_click(self, button) -> None:
        if self.state.load_history():
            self._show_panel("history")

    def _on_restore_click(self, button) -> None:
        if self.state.restore(button.rm_version):
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
