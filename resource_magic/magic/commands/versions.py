"""%resource history / restore: every version is kept; restoring adds a new one."""

from __future__ import annotations

import argparse

from ...frames import history_frame
from ..parser import CommandParser, add_visible_name, positive_int
from ..registry import Context, subcommand


@subcommand(
    "history",
    "Every version of a resource, oldest first, as a DataFrame.",
    "%resource history etl-daily",
    configure=add_visible_name,
    target="resource",
)
def history(ctx: Context, args: argparse.Namespace):
    return history_frame(ctx.store.history(args.name))


def _configure_restore(parser: CommandParser) -> None:
    parser.add_argument("name", metavar="NAME", help="one of your resources")
    parser.add_argument(
        "version", metavar="VERSION", type=positive_int("version"), help="e.g. 2"
    )


@subcommand(
    "restore",
    "Make an old version current again (as a new version; history only grows).",
    "%resource restore etl-daily 2",
    configure=_configure_restore,
    target="resource",
)
def restore(ctx: Context, args: argparse.Namespace) -> None:
    record = ctx.store.restore(args.name, args.version)
    print(
        f"Restored version {args.version} of '{record.name}': it is now version "
        f"{record.version}, and every earlier version stays in its history."
    )
