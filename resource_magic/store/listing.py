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

from sqlalchemy import func, literal, select, true, tuple_
from sqlalchemy.orm import Session

from ..errors import InvalidInput
from ..models import Resource, ResourceTag
from ..records import Page, ResourceRecord
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
    key: Sort(getattr(Resource, field.column), field.record)
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


def order_and_seek(
    sort: Sort,
    descending: bool,
    after: ResourceRecord | None,
    before: ResourceRecord | None,
    last: bool,
):
    """(ORDER BY terms, WHERE terms, whether rows come back reversed)."""
    backwards = before is not None or last
    down = descending != backwards
    order = (
        [sort.column.desc(), Resource.id.desc()]
        if down
        else [
            sort.column.asc(),
            Resource.id.asc(),
        ]
    )
    anchor = after if after is not None else before
    if anchor is None:
        return order, [], backwards
    key = tuple_(sort.column, Resource.id)
    value = (getattr(anchor, sort.field), anchor.id)
    return order, [key < value if down else key > value], backwards


def capped_count(session: Session, where: list, cap: int) -> tuple[int, bool]:
    """How many rows match, counting no further than `cap` (then True: capped)."""
    matched = (
        select(literal(1)).select_from(Resource).where(*where).limit(cap + 1)
    ).subquery()
    total = session.scalar(select(func.count()).select_from(matched))
    return (cap, True) if total > cap else (total, False)


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
        COUNT_CAP, a search up to SEARCH_COUNT_CAP): most recently updated first, or by `sort` ("name" ascending,
        "-executions" descending). Page by `offset`, or by keyset: the page `after` or
        `before` a record of the page in view, or the `last` page (store/listing.py)."""
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
        order, seek, backwards = order_and_seek(chosen, descending, after, before, last)
        with self._transaction() as session:
            uid = self._uid(session)
            search = (
                search_filter(session, needle, estimate=not self.team)
                if needle
                else SearchFilter(true())
            )
            where = [
                search.scoped(Resource.user_id) == uid
                if scope == "mine"
                else search.scoped(Resource.is_public).is_(True),
                search.clause,
            ]
            if resource_type:
                where.append(Resource.resource_type == resource_type)
            if tag:
                where.append(
                    Resource.id.in_(
                        select(ResourceTag.resource_id).where(ResourceTag.tag == tag)
                    )
                )
            cap = min(self.count_cap, self.search_count_cap) if needle else self.count_cap
            total, capped = capped_count(session, where, max(cap, offset + limit))
            stmt = (
                self._record_select(uid, with_content=False)
                .where(*where, *seek)
                .order_by(*order)
                .limit(limit + 1)  # one more: is there another page that way?
                .offset(offset)
            )
            rows = session.execute(stmt).all()
            more = len(rows) > limit
            rows = rows[:limit][::-1] if backwards else rows[:limit]
            tags = self._tags_of(session, (row.id for row in rows))
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

    def names(self) -> list[str]:
        """All my resource names (for completion and suggestions)."""
        with self._transaction() as session:
            return list(
                session.scalars(
                    select(Resource.name)
                    .where(Resource.user_id == self._uid(session))
                    .order_by(Resource.name)
                )
            )
