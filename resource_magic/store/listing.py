"""How a listing reads one page at any depth: keyset paging and a capped count.

A page is the next `limit` rows after (or before) the row a front end already shows, in
the sort's order with the id as tiebreak: `(sort column, id) > (its values)`, which an
index on (scope column, sort column, id) answers by reading about `limit` entries, at
page 1 or page 40,000 alike (OFFSET reads and throws away every row before the page).
One more row than asked is read, to know whether there is another page that way.

The total is counted up to COUNT_CAP rows (past the page in view, when an offset reaches
further): beyond it a listing says "10,000+" instead of counting a million rows on
every keystroke. A capped total is a lower bound, and says so (`Page.total_capped`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, literal, select, tuple_
from sqlalchemy.orm import Session

from ..errors import InvalidInput
from ..models import Resource
from ..records import ResourceRecord
from ..vocabulary import SORT_FIELDS

COUNT_CAP = 10_000


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
