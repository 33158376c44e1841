"""How a listing reads one page at any depth: keyset paging and a capped count.

A page is the next `limit` rows after (or before) the row a front end already shows, in
the sort's order with the id as tiebreak: `(sort column, id) > (its values)`, which an
index on (scope column, sort column, id) answers by reading about `limit` entries, at
page 1 or page 40,000 alike (OFFSET reads and throws away every row before the page).
One more row than asked is read, to know whether there is another page that way.

The total is counted up to COUNT_CAP rows (past the page in view, when an offset reaches
further): beyond it a listing says "10,000+" instead of counting a million rows on
every keystroke. A search counts to SEARCH_COUNT_CAP ("1,000+"): its count tests the
needle on every row it reads, so a common needle at 1M costs about a row test per
match counted; a thousand says "refine the search" as well as ten thousand would. A
capped total is a lower bound, and says so (`Page.total_capped`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, func, literal, select, true, tuple_

from ..errors import InvalidInput
from ..records import Page, ResourceRecord
from ..schema import resource_table, tag_table
from ..validate import clean_search, clean_tags, clean_type
from ..vocabulary import DEFAULT_SORT, SORT_FIELDS
from .core import StoreCore
from .search import SearchFilter, search_filter

COUNT_CAP = 10_000
SEARCH_COUNT_CAP = 1_000


@dataclass(frozen=True)
class Sort:
    column: object
    field: str  # the ResourceRecord attribute holding the column's value


# `sort="FIELD"` orders ascending, `sort="-FIELD"` descending (as most APIs do); the
# fields and the default ("-updated": most recently updated first) are vocabulary's.
SORTS = {
    key: Sort(resource_table.c[field.column], field.record)
    for key, field in SORT_FIELDS.items()
}


def parse_sort(sort: str) -> tuple[Sort, bool]:
    """'-name' -> (the name sort, descending?); unknown fields are refused."""
    descending = isinstance(sort, str) and sort.startswith("-")
    key = sort[1:] if descending else sort
    if key not in SORTS:
        raise InvalidInput(
            f"Cannot sort by {key!r}: use one of {', '.join(SORTS)} "
            "(a leading - sorts descending: -executions)."
        )
    return SORTS[key], descending


def check_anchor(
    offset: int, after: ResourceRecord | None, before: ResourceRecord | None, last: bool
) -> None:
    given = [offset > 0, after is not None, before is not None, last]
    if sum(given) > 1:
        raise InvalidInput("Page by one of offset, after, before or last at a time.")
    for anchor in (after, before):
        if anchor is not None and not isinstance(anchor, ResourceRecord):
            raise InvalidInput("after/before take a resource from the page in view.")


def order_and_seek(sort: Sort, descending: bool, anchored: bool, backwards: bool):
    """(ORDER BY terms, WHERE terms) of a page; an anchored one starts after the row
    whose sort value and id are :seek_value and :seek_id."""
    down = descending != backwards
    order = (
        [sort.column.desc(), resource_table.c.id.desc()]
        if down
        else [
            sort.column.asc(),
            resource_table.c.id.asc(),
        ]
    )
    if not anchored:
        return order, []
    key = tuple_(sort.column, resource_table.c.id)
    value = tuple_(
        bindparam("seek_value", type_=sort.column.type),
        bindparam("seek_id", type_=resource_table.c.id.type),
    )
    return order, [key < value if down else key > value]


def capped_count(where: list):
    """How many rows match, counting no further than :count_limit."""
    matched = (
        select(literal(1))
        .select_from(resource_table)
        .where(*where)
        .limit(bindparam("count_limit", type_=Integer()))
    ).subquery()
    return select(func.count()).select_from(matched)


SCOPES = ("mine", "public")
MAX_PAGE = 1000
MAX_OFFSET = 1_000_000_000


class ListingOps(StoreCore):
    """Pages of my resources or of all public ones, and all my names."""

    # A listing counts its matches up to here, then says "10,000+" (a search: "1,000+").
    count_cap: int = COUNT_CAP
    search_count_cap: int = SEARCH_COUNT_CAP

    def list(
        self,
        search: str | None = None,
        *,
        resource_type: str | None = None,
        tag: str | None = None,
        scope: str = "mine",
        sort: str = DEFAULT_SORT,
        limit: int = 50,
        offset: int = 0,
        after: ResourceRecord | None = None,
        before: ResourceRecord | None = None,
        last: bool = False,
    ) -> Page:
        """One page of my (or all public) resources and the total (counted up to
        COUNT_CAP, a search up to SEARCH_COUNT_CAP): most recently updated first, or
        by `sort` ("name" ascending, "-executions" descending). Page by `offset`, or
        by keyset: the page `after` or `before` a record of the page in view, or the
        `last` page (store/listing.py)."""
        needle = clean_search(search)
        if resource_type is not None:
            resource_type = clean_type(resource_type)
        if tag is not None:
            tag = clean_tags([tag])[0]
        if scope not in SCOPES:
            raise InvalidInput(f"Unknown scope {scope!r}: use 'mine' or 'public'.")
        chosen, descending = parse_sort(sort)
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= MAX_PAGE
        ):
            raise InvalidInput(
                f"The limit must be a whole number from 1 to {MAX_PAGE}."
            )
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidInput("The offset must be a whole number, 0 or more.")
        if offset > MAX_OFFSET:  # beyond any row; past 2**63 the databases overflow
            raise InvalidInput(
                f"The offset must be a whole number from 0 to {MAX_OFFSET:,}."
            )
        check_anchor(offset, after, before, last)
        anchor = after if after is not None else before
        backwards = before is not None or last
        with self._transaction() as conn:
            uid = self._uid(conn)
            search = (
                search_filter(conn, needle, estimate=not self.team)
                if needle
                else SearchFilter(true())
            )
            count, page = self._listing(
                (
                    scope,
                    search.kind,
                    bool(resource_type),
                    bool(tag),
                    chosen.field,
                    descending,
                    anchor is not None,
                    backwards,
                ),
                search,
                chosen,
            )
            cap = (
                min(self.count_cap, self.search_count_cap) if needle else self.count_cap
            )
            cap = max(cap, offset + limit)
            values = {
                **search.values,
                "uid": uid,
                "resource_type": resource_type,
                "tag": tag,
                "count_limit": cap + 1,
                "page_limit": limit + 1,  # one more: is there another page that way?
                "page_offset": offset,
            }
            if anchor is not None:
                values["seek_value"] = getattr(anchor, chosen.field)
                values["seek_id"] = anchor.id
            total = conn.scalar(count, values)
            total, capped = (cap, True) if total > cap else (total, False)
            rows = conn.execute(page, values).all()
            more = len(rows) > limit
            rows = rows[:limit][::-1] if backwards else rows[:limit]
            tags = self._tags_of(conn, (row.id for row in rows))
            items = tuple(
                self._to_record(row, tags.get(row.id, ()), with_content=False)
                for row in rows
            )
            return Page(
                items=items,
                total=total,
                limit=limit,
                offset=offset,
                total_capped=capped,
                more=more,
            )

    _LISTINGS: dict = {}  # _listing's statements, by shape

    def _listing(self, shape: tuple, search: SearchFilter, chosen: Sort):
        """(count, page) statements of a listing of this shape: (scope, search kind,
        by type?, by tag?, sort, descending?, anchored?, backwards?). Every value is a
        bind parameter, so each shape is built once per dialect: building them per
        page cost more Python than SQLite takes to answer a rare term."""
        key = (*shape, self.engine.dialect.name)
        built = self._LISTINGS.get(key)
        if built is not None:
            return built
        scope, _, by_type, by_tag, _, descending, anchored, backwards = shape
        uid = bindparam("uid", type_=resource_table.c.user_id.type)
        where = [
            search.scoped(resource_table.c.user_id) == uid
            if scope == "mine"
            else search.scoped(resource_table.c.is_public).is_(True),
            search.clause,
        ]
        if by_type:
            where.append(resource_table.c.resource_type == bindparam("resource_type"))
        if by_tag:
            tagged = tag_table.c.tag == bindparam("tag", type_=tag_table.c.tag.type)
            where.append(
                resource_table.c.id.in_(select(tag_table.c.resource_id).where(tagged))
            )
        order, seek = order_and_seek(chosen, descending, anchored, backwards)
        page = (
            self._record_select(uid, with_content=False)
            .where(*where, *seek)
            .order_by(*order)
            .limit(bindparam("page_limit", type_=Integer()))
            .offset(bindparam("page_offset", type_=Integer()))
        )
        built = self._LISTINGS[key] = (capped_count(where), page)
        return built

    def names(self) -> list[str]:
        """All my resource names (for completion and suggestions)."""
        with self._transaction() as conn:
            return list(
                conn.scalars(
                    select(resource_table.c.name)
                    .where(resource_table.c.user_id == self._uid(conn))
                    .order_by(resource_table.c.name)
                )
            )
