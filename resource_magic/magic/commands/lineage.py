"""%resource fork / lineage: copy a resource into mine, see where copies came from."""

from __future__ import annotations

import argparse

from ...frames import lineage_frame
from ...tokens import TOKEN_PREFIX, clean_token
from ..parser import CommandParser, add_visible_name
from ..registry import Context, subcommand


def _configure_fork(parser: CommandParser) -> None:
    parser.add_argument(
        "source",
        metavar="SOURCE",
        help="one of your resources, owner/name of a public one, or a share token",
    )
    parser.add_argument(
        "--as",
        dest="new_name",
        metavar="NAME",
        help="the copy's name (default: the same name, or name-2, name-3 ...)",
    )


@subcommand(
    "fork",
    "Copy a resource (yours, owner/name of a public one, or a share token) into yours.",
    "%resource fork bob/etl-daily --as my-etl",
    "%resource fork rmshr_AbC...  # a share token you were given",
    configure=_configure_fork,
    target="source",
)
def fork(ctx: Context, args: argparse.Namespace) -> None:
    copy = ctx.store.fork(args.source, args.new_name)
    if clean_token(args.source).startswith(TOKEN_PREFIX):
        source = "the shared resource"
    else:
        source = f"'{args.source}'"
    print(
        f"Forked {source} into '{copy.name}' (yours, private, version 1): "
        f"see it with %resource show {copy.name}."
    )


@subcommand(
    "lineage",
    "Ancestors and descendants of a resource, with depth, as a DataFrame.",
    "%resource lineage my-etl",
    configure=add_visible_name,
    target="resource",
)
def lineage(ctx: Context, args: argparse.Namespace):
    return lineage_frame(ctx.store.lineage(args.name))
