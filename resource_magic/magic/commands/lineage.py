"""%resource fork / lineage: copy a resource into mine, see where copies came from."""

from __future__ import annotations

import argparse

from IPython.core.magic_arguments import argument

from ...frames import lineage_frame
from ...tokens import TOKEN_PREFIX, clean_token
from ..parser import visible_name
from ..registry import Context, subcommand


@subcommand("fork")
@argument(
    "source",
    metavar="SOURCE",
    help="one of your resources, owner/name of a public one, or a share token",
)
@argument(
    "--as",
    dest="new_name",
    metavar="NAME",
    help="the copy's name (default: the same name, or name-2, name-3 ...)",
)
def fork(ctx: Context, args: argparse.Namespace) -> None:
    """Copy a resource (yours, owner/name of a public one, or a share token) into
    yours.

    Examples
    --------
    %resource fork bob/etl-daily --as my-etl
    %resource fork rmshr_AbC...  # a share token you were given
    """
    copy = ctx.store.fork(args.source, args.new_name)
    if clean_token(args.source).startswith(TOKEN_PREFIX):
        source = "the shared resource"
    else:
        source = f"'{args.source}'"
    print(
        f"Forked {source} into '{copy.name}' (yours, private, version 1): "
        f"see it with %resource show {copy.name}."
    )


@subcommand("lineage")
@visible_name
def lineage(ctx: Context, args: argparse.Namespace):
    """Ancestors and descendants of a resource, with depth, as a DataFrame.

    Examples
    --------
    %resource lineage my-etl
    """
    found = ctx.store.lineage(args.name)
    if found.hidden:
        print(
            f"Also in this lineage: {found.hidden} private resource"
            f"{'s' if found.hidden != 1 else ''} of other users, not shown."
        )
    return lineage_frame(found)
