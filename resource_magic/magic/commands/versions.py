"""%resource history / restore: every version is kept; restoring adds a new one."""

from __future__ import annotations

import argparse

from IPython.core.magic_arguments import argument

from ...frames import history_frame
from ..parser import allow_secrets, own_name, positive_int, visible_name
from ..registry import Context, subcommand


@subcommand("history")
@visible_name
def history(ctx: Context, args: argparse.Namespace):
    """Every version of a resource, oldest first, as a DataFrame.

    Examples
    --------
    %resource history etl-daily
    """
    return history_frame(ctx.store.history(args.name))


@subcommand("restore")
@own_name
@argument("version", metavar="VERSION", type=positive_int("version"), help="e.g. 2")
@allow_secrets
def restore(ctx: Context, args: argparse.Namespace) -> None:
    """Make an old version current again (as a new version; history only grows).

    Examples
    --------
    %resource restore etl-daily 2
    """
    record = ctx.store.restore(
        args.name, args.version, allow_secrets=args.allow_secrets
    )
    print(
        f"Restored version {args.version} of '{record.name}': it is now version "
        f"{record.version}, and every earlier version stays in its history."
    )
