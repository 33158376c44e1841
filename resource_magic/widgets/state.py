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

from traitlets import (
    Any,
    Bool,
    Enum,
    HasTraits,
    Instance,
    Int,
    Tuple,
    Unicode,
    observe,
)

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
    page = Int(
        0,
        help="Zero-based page number; negative counts from the end (-1: the last "
        "page) when the total is capped and so the number of pages unknown.",
    )
    total = Int(0)
    total_capped = Bool(False, help="True: at least `total` match (counting stopped).")
    items = Tuple(help="ResourceRecords of the current page (without content).")
    has_previous = Bool(False)
    has_next = Bool(False)
    # -- the selection and what was loaded for it --------------------------------------
    selected_id = Unicode("", help="Id of the result picked in the list ('' for none).")
    preview = Instance(Preview, allow_none=True)
    shares = Tuple(allow_none=True, default_value=None)
    versions = Tuple(allow_none=True, default_value=None)
    version_diff = Any(None, help="The VersionDiff of the last Diff in History.")
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
        # Which page to read, by keyset: ("first"|"last", None) or ("after"|"before",
        # a record of the page it was reached from).
        self._anchor: tuple[str, ResourceRecord | None] = ("first", None)
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
        self._anchor = ("first", None)
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
        """Ask the store for the current page (one page, by keyset) and the total."""
        result = self.attempt("Search", self._current_page)
        if result is None:
            self._query_failed = True
            return False
        way = self._anchor[0]
        # `more` looks the way the page was read: forwards, or backwards (before, last)
        backwards = way in ("before", "last")
        with self.hold_trait_notifications():
            self.total = result.total
            self.total_capped = result.total_capped
            self.items = result.items
            self.has_previous = result.more if backwards else way == "after"
            self.has_next = way == "before" if backwards else result.more
        if self._query_failed:  # the problem is gone: clear its message
            self._query_failed = False
            self.say("")
        return True

    def _current_page(self):
        result = self._list_page()
        way = self._anchor[0]
        if not result.items and result.total and way != "first":
            # the page vanished (deletions elsewhere): show the first or last instead
            if way == "before":
                self._anchor = ("first", None)
                self.page = 0
            else:
                self._to_last(result)
            result = self._list_page()
        return result

    def _list_page(self):
        way, record = self._anchor
        limit = self.page_size
        if way == "last" and not self.total_capped and self.page >= 0:
            limit = self.total - self.page * self.page_size  # the rest, aligned
        return self.store.list(
            self.query or None,
            resource_type=self.resource_type or None,
            tag=self._tag_filter(),
            scope=self.scope,
            sort=self.sort,
            limit=max(1, min(limit, self.page_size)),
            after=record if way == "after" else None,
            before=record if way == "before" else None,
            last=way == "last",
        )

    @property
    def page_count(self) -> int:
        """How many pages (at least this many when the total is capped)."""
        return max(1, -(-self.total // self.page_size))

    def next_page(self) -> bool:
        if not self.has_next or not self.items:
            return False
        self._anchor = ("after", self.items[-1])
        self.page += 1
        return self.refresh()

    def previous_page(self) -> bool:
        if not self.has_previous or not self.items:
            return False
        self._anchor = ("before", self.items[0])
        self.page = max(0, self.page - 1) if self.page > 0 else self.page - 1
        return self.refresh()

    def first_page(self) -> bool:
        self._anchor = ("first", None)
        self.page = 0
        return self.refresh()

    def last_page(self) -> bool:
        """The last page, read backwards from the end: no offset, no full count."""
        self._to_last(self)
        return self.refresh()

    def _to_last(self, counted) -> None:
        self._anchor = ("last", None)
        self.total_capped = counted.total_capped
        self.total = counted.total
        self.page = -1 if counted.total_capped else self.page_count - 1

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
            record, attachments = self.store.get_with_attachments(preview.ref)
        except ResourceError:
            self._show_nothing()
            self.say(
                f"'{preview.record.qualified_name}' is gone (deleted or made "
                "private elsewhere).",
                "info",
            )
            return ok
        self.preview = replace(preview, record=record, attachments=attachments)
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
        record, attachments = self.store.get_with_attachments(resource_id)
        self._show(Preview(record, attachments, mine=record.owner == self.store.user))
        return True

    def _show(self, preview: Preview) -> None:
        with self.hold_trait_notifications():
            self.preview = preview
            self.shares = None
            self.versions = None
            self.version_diff = None
            self.new_share = None
            self.run_outputs = ()

    def _show_nothing(self) -> None:
        with self.hold_trait_notifications():
            self.preview = None
            self.selected_id = ""
            self.shares = None
            self.versions = None
            self.version_diff = None
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
        record, attachments = self.store.get_with_attachments(preview.ref)
        self.preview = replace(preview, record=record, attachments=attachments)


class BrowserProblem(ResourceError):
    """A mistake only the browser can make (nothing picked, no token pasted...)."""
