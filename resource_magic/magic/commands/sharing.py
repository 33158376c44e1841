"""%resource share / shares / revoke / open: share tokens, from both sides."""

from __future__ import annotations

import argparse

from IPython.core.magic_arguments import argument

from ...frames import quiet_when_empty, shares_frame
from ...present import when
from ..parser import allow_secrets, own_name
from ..registry import Context, subcommand
from ..render import show_resource


class ShareToken(str):
    """The new token, as the value of `%resource share` (so `tok = %resource share x`
    keeps it). The command has printed it already with the line to give, so its own
    display in a notebook shows nothing more; it is a plain str for everything else."""

    __slots__ = ()

    def _ipython_display_(self) -> None:
        """Nothing: the message above it shows the token once."""


@subcommand("share")
@own_name
@argument(
    "--expires",
    metavar="WHEN",
    help="a duration (30m, 12h, 7d, 2w) or an ISO date-time with a zone "
    "(2026-12-31T18:00Z); default: never",
)
@argument(
    "--max-uses",
    dest="max_uses",
    metavar="N",
    help="how many times the token may be used (default: no limit)",
)
@allow_secrets
def share(ctx: Context, args: argparse.Namespace) -> ShareToken:
    """Make a share token for a resource (shown once) to give to someone.

    The token is also the value, so it can be kept: tok = %resource share NAME.

    Examples
    --------
    %resource share etl-daily --expires 7d --max-uses 5
    tok = %resource share etl-daily --max-uses 1
    """
    new = ctx.store.share(
        args.name,
        expires=args.expires,
        max_accesses=args.max_uses,
        allow_secrets=args.allow_secrets,
    )
    record = new.share
    limits = [
        f"expires {when(record.expires_at)}" if record.expires_at else "never expires",
        _up_to(record.max_accesses) if record.max_accesses else "no use limit",
    ]
    print(f"Shared '{record.resource}' ({', '.join(limits)}). The token:")
    print(f"    {new.token}")
    print("Give the recipient this line:")
    print(f"    %resource open {new.token}")
    print(
        "The token is shown only this once; see your shares with %resource shares "
        f"and stop this one with %resource revoke {record.handle}."
    )
    return ShareToken(new.token)


def _up_to(uses: int) -> str:
    return f"up to {uses} use{'s' if uses != 1 else ''}"


@subcommand("shares")
@argument("name", metavar="NAME", nargs="?", help="only the shares of this resource")
def shares(ctx: Context, args: argparse.Namespace):
    """My shares (ids and token prefixes only), their status and uses, as a DataFrame.

    Examples
    --------
    %resource shares etl-daily
    """
    found = ctx.store.shares(args.name)
    if not found:
        if args.name is None:
            print("You have no shares yet: make one with %resource share NAME.")
        else:
            print(
                f"'{args.name}' has no shares: make one with "
                f"%resource share {args.name}."
            )
    return quiet_when_empty(shares_frame(found))


@subcommand("revoke")
@argument(
    "token",
    metavar="SHARE",
    help="the share's id as %%resource shares shows it (like 3f9c2a7e), or its token",
)
def revoke(ctx: Context, args: argparse.Namespace) -> None:
    """Stop a share token from working (the share's id, or its token).

    Examples
    --------
    %resource revoke 3f9c2a7e
    """
    record = ctx.store.revoke(args.token)
    uses = record.access_count
    print(
        f"Revoked the share {record.handle} ({record.prefix}…) of "
        f"'{record.resource}' (used {uses} "
        f"time{'s' if uses != 1 else ''}): the token no longer works."
    )


@subcommand("open")
@argument("token", metavar="TOKEN", help="a share token you were given")
def open_(ctx: Context, args: argparse.Namespace) -> None:
    """Show a resource someone shared with you (counts one use of the token).

    Examples
    --------
    %resource open rmshr_AbC...  # the line the owner gave you
    """
    shared = ctx.store.open(args.token)
    uses = f"use {shared.access_count}"
    if shared.max_accesses is not None:
        uses += f" of {shared.max_accesses}"
    expiry = f", expires {when(shared.expires_at)}" if shared.expires_at else ""
    note = (
        f"Opened with a share token ({uses}{expiry}). Keep your own copy with "
        "%resource fork TOKEN (that uses the token once more)."
    )
    show_resource(shared.resource, shared.attachments, note=note)
