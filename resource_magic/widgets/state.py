"""The browser's state: what the user asked for, what the store answered, what went
wrong.

Traitlets `HasTraits` objects with no ipywidgets in them, so every behaviour (search,
paging, selection, each action and its error) can be driven and checked without a front
end; the view only mirrors these traits into widgets and calls these methods. This
module holds the query and the selection (`QueryState`); actions.py adds what a user can
do to the selection (`BrowserState`). A listing asks the store for one page, never more.
Errors never escape: a `ResourceError` becomes the status line as it is, anything else
becomes "what failed: ExceptionType: message" there and its traceback goes to the log
(`QueryState.attempt`, which every action and the view's own steps go through).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from traitlets import Any, Enum, HasTraits, Instance, Int, Tuple, Unicode, observe

from ..errors import ResourceError
from ..present import content_text
from ..records import AttachmentRecord, NewShare, ResourceRecord
from ..store import DEFAULT_SORT, SCOPES, SORTS, ResourceStore
from .debounce import Debouncer

logger = logging.getLogger(__name__)

PAGE_SIZES = (10, 25, 50, 100)
STATUS_KINDS = ("info", "success", "error")
T = TypeVar("T")


@dataclass(frozen=True)
class Preview:
    """The previewed resource and its outputs; `token` when opened through one."""

    record: ResourceRecord
    attachments: tuple[AttachmentRecord, ...]
    mine: bool
    token: str | None = None
    access_count: int | None = None
    max_accesses: int | None = None

    @property
    def ref(self) -> str:
        """How the store finds it again: its id (names can be ambiguous or change)."""
        return str(self.record.id)

    @property
    def uses_left(self) -> int | None:
        if self.token is None or self.max_accesses is None:
            return None
        return max(0, self.max_accesses - (self.access_count or 0))


def action(what: str):
    """Run a state action through `attempt` (True: it worked)."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self: QueryState, *args, **kwargs) -> bool:
            return bool(self.attempt(what, method, self, *args, **kwargs))

        return wrapper

    return decorate


class QueryState(HasTraits):
    """The query, one page of results, the selection; BrowserState adds the actions."""

    # -- the query ---------------------------------------------------------------------
    query = Unicode("", help="Search text (substring of name or description).")
    resource_type = Unicode("", help="'' for every type, else one resource type.")
    tag = Unicode("", help="'' for any tag, else one tag.")
    scope = Enum(SCOPES, default_value="mine")
    sort = Enum(
        tuple(SORTS) + tuple(f"-{key}" for key in SORTS),
        default_value=DEFAULT_SORT,
        help="A store sort: FIELD ascending, -FIELD descending.",
    )
    page_size = Int(25)
    # -- the answer --------------------------------------------------------------------
    page = Int(0, help="Zero-based page number.")
    total = Int(0)
    items = Tuple(help="ResourceRecords of the current page (without content).")
    # -- the selection and what was loaded for it --------------------------------------
    selected_id = Unicode("", help="Id of the result picked in the list ('' for none).")
    preview = Instance(Preview, allow_none=True)
    shares = Tuple(allow_none=True, default_value=None)
    versions = Tuple(allow_none=True, default_value=None)
    new_share = Instance(NewShare, allow_none=True)
    run_outputs = Tuple(help="Notebook-format outputs of the last Run.")
    # -- feedback ----------------------------------------------------------------------
    status = Unicode("")
    status_kind = Enum(STATUS_KINDS, default_value="info")
    shell = Any(None)

    def __init__(
        self,
        store: ResourceStore,
        shell=None,
        *,
        page_size: int = 25,
        debounce_seconds: float = 0.3,
    ) -> None:
        self._ready = False  # no queries while the traits get their first values
        super().__init__(shell=shell, page_size=page_size)
        self.store = store
        self._debouncer = Debouncer(self._requery, debounce_seconds)
        self._query_failed = False
        self._ready = True

    # -- feedback ----------------------------------------------------------------------
    def say(self, message: str, kind: str = "info") -> None:
        with self.hold_trait_notifications():
            self.status_kind = kind
            self.status = message

    def attempt(self, what: str, fn: Callable[..., T], *args, **kwargs) -> T | None:
        """`fn(*args, **kwargs)`, or None when it failed: the failure is then the
        status line, a `ResourceError` as it is, anything else as "what failed: Type:
        message" with its traceback in the log. The one place errors become messages."""
        try:
            return fn(*args, **kwargs)
        except ResourceError as exc:
            self.say(str(exc), "error")
        except Exception as exc:
            logger.exception("resource browser: %s failed", what)
            self.say(f"{what} failed: {type(exc).__name__}: {exc}", "error")
        return None

    # -- querying ----------------------------------------------------------------------
    @observe("query", "tag")
    def _typed(self, change) -> None:
        if self._ready:
            self._debouncer.trigger()

    @observe("resource_type", "scope", "sort", "page_size")
    def _picked(self, change) -> None:
        if not self._ready:
            return
        self._debouncer.cancel()  # this query includes whatever was typed
        self._requery()

    def flush(self) -> None:
        """Run a query still waiting for typing to pause, now."""
        self._debouncer.flush()

    def _requery(self) -> None:
        self.page = 0
        self.refresh()

    def _tag_filter(self) -> str | None:
        tag = self.tag.strip()
        if any(ch.isspace() or ch == "," for ch in tag):
            raise BrowserProblem(
                "Filter by one tag at a time: remove the space or comma."
            )
        return tag or None

    def refresh(self) -> bool:
        """Ask the store for the current page (one page: limit/offset) and the total."""
        result = self.attempt("Search", self._current_page)
        if result is None:
            self._query_failed = True
            return False
        with self.hold_trait_notifications():
            self.total = result.total
            self.items = result.items
        if self._query_failed:  # the problem is gone: clear its message
            self._query_failed = False
            self.say("")
        return True

    def _current_page(self):
        result = self._list_page()
        if not result.items and result.total and self.page > 0:
            # the page vanished (deletions elsewhere): show the last one instead
            self.page = (result.total - 1) // self.page_size
            result = self._list_page()
        return result

    def _list_page(self):
        return self.store.list(
            self.query or None,
            resource_type=self.resource_type or None,
            tag=self._tag_filter(),
            scope=self.scope,
            sort=self.sort,
            limit=self.page_size,
            offset=self.page * self.page_size,
        )

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def next_page(self) -> bool:
        if self.page + 1 >= self.page_count:
            return False
        self.page += 1
        return self.refresh()

    def previous_page(self) -> bool:
        if self.page == 0:
            return False
        self.page -= 1
        return self.refresh()

    @action("Refresh")
    def reload(self) -> bool:
        """Refresh: the page again, and the preview and its open panels."""
        ok = self.refresh()
        preview = self.preview
        if preview is None or preview.token is not None:
            # (re-opening a token would use it once more)
            if ok:
                self.say("Refreshed.", "info")
            return ok
        try:
            record = self.store.get(preview.ref)
        except ResourceError:
            self._show_nothing()
            self.say(
                f"'{preview.record.qualified_name}' is gone (deleted or made "
                "private elsewhere).",
                "info",
            )
            return ok
        self.preview = replace(
            preview,
            record=record,
            attachments=self.store.attachments(preview.ref),
        )
        if self.shares is not None:
            self.shares = tuple(self.store.shares(preview.ref))
        if self.versions is not None:
            self.versions = tuple(self.store.history(preview.ref))
        if ok:
            self.say("Refreshed.", "info")
        return ok

    # -- selection ---------------------------------------------------------------------
    @action("Preview")
    def select(self, resource_id: str | None) -> bool:
        """Pick a result by id: load its content and outputs into the preview."""
        self.selected_id = resource_id or ""
        if not resource_id:
            return True
        record = self.store.get(resource_id)
        attachments = self.store.attachments(resource_id)
        self._show(Preview(record, attachments, mine=record.owner == self.store.user))
        return True

    def _show(self, preview: Preview) -> None:
        with self.hold_trait_notifications():
            self.preview = preview
            self.shares = None
            self.versions = None
            self.new_share = None
            self.run_outputs = ()

    def _show_nothing(self) -> None:
        with self.hold_trait_notifications():
            self.preview = None
            self.selected_id = ""
            self.shares = None
            self.versions = None
            self.new_share = None
            self.run_outputs = ()

    def _current(self, action: str, own: bool = False) -> Preview:
        preview = self.preview
        if preview is None:
            raise BrowserProblem(f"Pick a resource first, then {action} it.")
        if own and not preview.mine:
            raise BrowserProblem(
                f"'{preview.record.qualified_name}' belongs to {preview.record.owner}, "
                f"so you cannot {action} it: fork it, then {action} your copy."
            )
        return preview

    def source(self) -> str:
        """The selected resource's source, as Insert puts it in a cell."""
        return content_text(self._current("insert").record)

    # -- helpers for the actions (actions.py) -------------------------------------
    def _reread(self, preview: Preview) -> None:
        """The previewed record again, after an action changed it."""
        record = self.store.get(preview.ref)
        self.preview = replace(
            preview, record=record, attachments=self.store.attachments(preview.ref)
        )


class BrowserProblem(ResourceError):
    """A mistake only the browser can make (nothing picked, no token pasted...)."""
