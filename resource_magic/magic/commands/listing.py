"""%resource list: a page of my (or everyone's public) resources as a DataFrame."""

from __future__ import annotations

import argparse

from IPython.core.magic_arguments import argument

from ...frames import quiet_when_empty, resources_frame
from ...vocabulary import DEFAULT_SORT, RESOURCE_TYPES, SORT_FIELDS
from ..parser import positive_int
from ..registry import Context, subcommand

DEFAULT_LIMIT = 50


@subcommand("list")
@argument("-s", "--search", metavar="TEXT", help="text in the name or description")
@argument(
    "-t",
    "--type",
    dest="resource_type",
    metavar="TYPE",
    help=f"{', '.join(RESOURCE_TYPES[:-1])} or {RESOURCE_TYPES[-1]}",
)
@argument("--tag", metavar="TAG", help="only resources with this tag")
@argument(
    "--public",
    action="store_true",
    help="everyone's public resources instead of mine (adds an owner column)",
)
@argument(
    "--sort",
    default=DEFAULT_SORT,
    metavar="FIELD",
    help=f"one of {', '.join(SORT_FIELDS)}, ascending; a leading - sorts "
    "descending: --sort -executions (most run first). Default -updated "
    "(most recently updated first)",
)
@argument(
    "--limit",
    type=positive_int("limit"),
    default=DEFAULT_LIMIT,
    metavar="N",
    help=f"rows per page (default {DEFAULT_LIMIT})",
)
@argument("--offset", type=positive_int("offset"), default=0, metavar="N")
def list_(ctx: Context, args: argparse.Namespace):
    """List my resources (or everyone's public ones) as a DataFrame.

    Examples
    --------
    df = %resource list -s clean -t workflow --tag etl --sort=-executions
    """
    page = ctx.store.list(
        args.search,
        resource_type=args.resource_type,
        tag=args.tag,
        scope="public" if args.public else "mine",
        sort=args.sort,
        limit=args.limit,
        offset=args.offset,
    )
    shown = len(page.items)
    filtered = any((args.search, args.resource_type, args.tag))
    if page.total == 0:
        if args.public:
            print("No public resources match.")
        elif filtered:
            print("None of your resources match.")
        else:
            print("You have no resources yet: save a cell with %%resource save NAME.")
    elif shown == 0:
        print(
            f"No resources at offset {page.offset}: {page.total_label} match in total."
        )
    elif page.more or page.offset:
        first = page.offset + 1
        last = page.offset + shown
        more = f"; see more with --offset {last}" if page.more else ""
        print(f"Showing {first}-{last} of {page.total_label} matching resources{more}.")
    return quiet_when_empty(
        resources_frame(
            page.items,
            with_owner=args.public,
            total=page.total,
            total_capped=page.total_capped,
        )
    )
