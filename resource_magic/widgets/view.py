"""ResourceBrowser: the ipywidgets view over BrowserState.

The view owns no behaviour. The query's controls are linked to the state's traits
both ways (`ipywidgets.link`: typing sets `state.query`, setting `state.query` fills
the box); each other handler (`_on_<child>_<event>`) hands a user's input to the state,
and observers on the state's traits redraw the affected children. Every
interactive child carries an `rm-...` CSS class and a descriptive label, tooltip or
placeholder, so people and the real-browser test can find it.
"""

from __future__ import annotations

import html
from collections.abc import Iterator

import ipywidgets as w

from ..errors import ResourceError
from ..store import ResourceStore
from ..vocabulary import RESOURCE_TYPES, SORT_FIELDS
from . import render
from .actions import BrowserState
from .controls import (
    SharedLayout,
    SharedToggleButtonsStyle,
    make_button,
    make_choice,
    make_html,
    make_text,
    shared,
)
from .insert import CellInserter, lab_frontend
from .panels import ActionPanel
from .preview import PreviewPane
from .state import PAGE_SIZES

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
_TYPES = (("any type", ""), *((t, t) for t in RESOURCE_TYPES))


class ResourceBrowser(w.VBox):
    """ResourceBrowser(store=None, shell=None): find, preview, insert, run, fork and
    share resources. `store` defaults to ResourceStore() (the configured database and
    user), `shell` to the running IPython.

    `state` is the BrowserState the widget mirrors, `inserter` the CellInserter that
    Insert uses, and `find("rm-search")` / `find_all("rm-revoke")` reach a control by
    its CSS class, as a person or the real-browser test would."""

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
        self._status = make_html(css="rm-status")
        if shell is None:
            from IPython import get_ipython

            shell = get_ipython()
        if frontend is None:
            frontend = lab_frontend(shell)
        self.inserter = CellInserter(shell, frontend, delay=insert_delay)
        if store is None:
            try:
                store = ResourceStore()
            except ResourceError as exc:  # e.g. the database is unreachable
                self.state = None
                self.children = [make_html(_CSS), self._status]
                self._show_status(str(exc), "error")
                return
        self.state = BrowserState(
            store, shell, page_size=page_size, debounce_seconds=debounce_seconds
        )
        # The first page before the widgets exist: they are drawn once, with it.
        self.state.refresh()
        self._build()
        self._bind()

    # -- finding a control ---------------------------------------------------------
    def find_all(self, css_class: str) -> list[w.DOMWidget]:
        """Every widget in the browser carrying `css_class`, in display order."""
        return [
            widget for widget in descendants(self) if css_class in css_classes(widget)
        ]

    def find(self, css_class: str) -> w.DOMWidget:
        """The one widget carrying `css_class`: `find("rm-search").value = "etl"`."""
        found = self.find_all(css_class)
        if len(found) != 1:
            raise LookupError(
                f"{len(found)} widgets carry the class {css_class!r}: "
                "find() needs exactly one (find_all() takes any number)."
            )
        return found[0]

    # -- building ----------------------------------------------------------------------
    def _build(self) -> None:
        state = self.state
        self._title = make_html(
            f"<b>Resources</b> \u00b7 {html.escape(state.store.user)} @ "
            f"{html.escape(state.store.display_url)}",
            "rm-title",
        )
        self._search = make_text(
            "Search names and descriptions",
            "rm-search",
            tooltip="Filters as you type",
            continuous_update=True,
            layout=shared(SharedLayout, width="280px"),
        )
        self._type = make_choice(
            w.Dropdown,
            "rm-type",
            options=_TYPES,
            tooltip="Show one type of resource",
            layout=shared(SharedLayout, width="130px"),
        )
        self._tag = make_text(
            "tag",
            "rm-tag",
            tooltip="Show resources with this tag",
            continuous_update=True,
            layout=shared(SharedLayout, width="120px"),
        )
        self._scope = w.ToggleButtons(
            options=(("mine", "mine"), ("public", "public")),
            tooltips=["My resources", "Everyone's public resources"],
            style=shared(SharedToggleButtonsStyle, button_width="70px"),
            layout=shared(SharedLayout),
            _dom_classes=("rm-scope",),
        )
        self._sort = make_choice(
            w.Dropdown,
            "rm-sort",
            options=[
                (field.label, f"-{key}" if field.descending else key)
                for key, field in SORT_FIELDS.items()
            ],
            tooltip="Sort the results",
            layout=shared(SharedLayout, width="150px"),
        )
        self._refresh = make_button(
            "Refresh",
            "rm-refresh",
            "Run the search again (see changes made elsewhere)",
            icon="refresh",
            layout=w.Layout(width="100px"),
        )
        filters = w.HBox(
            [
                self._search,
                self._type,
                self._tag,
                self._scope,
                self._sort,
                self._refresh,
            ],
            layout=shared(SharedLayout, flex_flow="row wrap"),
        )

        self._header = make_html(css="rm-results-header")
        self._results = make_choice(
            w.Select,
            "rm-results",
            options=(),
            rows=10,
            tooltip="Results: pick one to preview it",
            layout=shared(SharedLayout, width="100%"),
        )
        self._prev = make_button("\u25c0 Prev", "rm-prev", "Previous page")
        self._next = make_button("Next \u25b6", "rm-next", "Next page")
        self._page_label = make_html(css="rm-page-label")
        self._page_size = make_choice(
            w.Dropdown,
            "rm-page-size",
            options=_page_size_options(state.page_size),
            tooltip="Results per page",
            layout=shared(SharedLayout, width="130px"),
        )
        paging = w.HBox(
            [self._prev, self._page_label, self._next, self._page_size],
            layout=shared(SharedLayout, align_items="center"),
        )

        self._token = make_text(
            "Paste a share token (rmshr_...)",
            "rm-token",
            tooltip="A token someone shared with you",
            layout=shared(SharedLayout, width="360px"),
        )
        self._open_token = make_button(
            "Open token",
            "rm-open-token",
            "Preview the shared resource (uses the token once)",
        )
        self._fork_token = make_button(
            "Fork token",
            "rm-fork-token",
            "Copy the shared resource into yours (uses the token once)",
        )
        token_note = make_html("<small>Each Open or Fork uses a token once.</small>")
        token_row = w.HBox(
            [self._token, self._open_token, self._fork_token, token_note],
            layout=shared(SharedLayout, align_items="center"),
        )
        self._preview = PreviewPane(state, self.inserter)

        self.children = [
            make_html(_CSS),
            self._title,
            filters,
            self._header,
            self._results,
            paging,
            self._status,
            token_row,
            self._preview,
        ]
        self._draw_results()
        self._draw_paging()
        self._draw_status()

    def _bind(self) -> None:
        state = self.state
        # the query's traits and their controls, both ways (state first: it wins)
        w.link((state, "query"), (self._search, "value"))
        w.link((state, "tag"), (self._tag, "value"))
        w.link((state, "sort"), (self._sort, "value"))
        w.link(
            (state, "resource_type"),
            (self._type, "value"),
            transform=(lambda kind: kind, lambda value: value or ""),
        )
        w.link(
            (state, "scope"),
            (self._scope, "value"),
            transform=(lambda scope: scope, lambda value: value or state.scope),
        )
        w.link(
            (state, "page_size"),
            (self._page_size, "value"),
            transform=(self._offer_page_size, lambda size: size),
        )
        self._results.observe(self._on_results_value, "value")
        self._refresh.on_click(self._on_refresh_click)
        self._prev.on_click(self._on_prev_click)
        self._next.on_click(self._on_next_click)
        self._open_token.on_click(self._on_open_token_click)
        self._fork_token.on_click(self._on_fork_token_click)
        state.observe(self._draw_results, ["items", "scope"])
        state.observe(
            self._draw_paging,
            [
                "total",
                "total_capped",
                "items",
                "page",
                "page_size",
                "has_previous",
                "has_next",
            ],
        )
        state.observe(self._draw_status, ["status", "status_kind"])
        state.observe(self._draw_selection, "selected_id")

    # -- drawing (state -> widgets) ----------------------------------------------
    def _draw_results(self, change=None) -> None:
        state = self.state
        self._header.value = (
            f"<pre>{html.escape(render.header_label(state.scope))}</pre>"
        )
        self._results.value = None  # else new options select their first row
        self._results.options = tuple(
            (render.row_label(record, state.scope), str(record.id))
            for record in state.items
        )
        self._draw_selection()

    def _draw_selection(self, change=None) -> None:
        ids = {value for _, value in self._results.options}
        wanted = self.state.selected_id if self.state.selected_id in ids else None
        if self._results.value != wanted:
            self._results.value = wanted

    def _draw_paging(self, change=None) -> None:
        state = self.state
        self._page_label.value = html.escape(
            render.page_label(
                state.page,
                state.page_size,
                state.total,
                state.total_capped,
                len(state.items),
            )
        )
        self._prev.disabled = not state.has_previous
        self._next.disabled = not state.has_next

    def _offer_page_size(self, size: int) -> int:
        """A size set from Python may be none of the usual choices: offer it too."""
        if size not in {value for _, value in self._page_size.options}:
            self._page_size.options = _page_size_options(size)
        return size

    def _draw_status(self, change=None) -> None:
        self._show_status(self.state.status, self.state.status_kind)

    def _show_status(self, message: str, kind: str) -> None:
        self._status.value = (
            f'<span class="rm-status-{kind}">{html.escape(message)}</span>'
            if message
            else ""
        )

    # -- handlers (widgets -> state) ---------------------------------------------
    def _on_results_value(self, change) -> None:
        if change["new"] and change["new"] != self.state.selected_id:
            self.state.select(change["new"])  # a pick by the user, not a redraw

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


def descendants(widget: w.Widget) -> Iterator[w.Widget]:
    """`widget` and every widget inside it (hidden panels too: the action panels left
    for their first use are built now, hidden), in display order."""
    if isinstance(widget, ActionPanel):
        widget.build_panels()
    yield widget
    for child in getattr(widget, "children", ()):
        yield from descendants(child)


def css_classes(widget: w.Widget) -> tuple[str, ...]:
    """The CSS classes `add_class` gave `widget` (none for a widget without a DOM)."""
    return tuple(getattr(widget, "_dom_classes", ()))


def _page_size_options(current: int) -> list[tuple[str, int]]:
    """The usual page sizes, plus `current` when it is not one of them."""
    sizes = sorted({*PAGE_SIZES, current})
    return [(f"{n} per page", n) for n in sizes]
