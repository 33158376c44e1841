"""%resource browse / whoami / help: the browser, who and where I am, and help."""

from __future__ import annotations

import argparse

from IPython.core.magic_arguments import argument

from ...config import masked_url
from ...errors import InvalidInput, ResourceError
from ..docs import overview
from ..registry import Context, subcommand


@subcommand("browse")
def browse(ctx: Context, args: argparse.Namespace) -> None:
    """Open the resource browser widget (search, preview, run, fork, share).

    Examples
    --------
    %resource browse
    """
    try:
        from ...widgets import ResourceBrowser
    except ImportError as exc:
        missing = exc.name or ""
        if missing and not missing.startswith("resource_magic"):
            reason = f"it needs the {missing!r} package: pip install {missing}"
        else:
            reason = "this installation has no browser yet: use %resource list and "
            reason += "%resource show instead"
        raise InvalidInput(
            f"The resource browser is not available: {reason}."
        ) from None
    from IPython.display import display

    display(ResourceBrowser(store=ctx.store))


@subcommand("whoami")
def whoami(ctx: Context, args: argparse.Namespace) -> None:
    """Show the current user and database (password masked).

    Examples
    --------
    %resource whoami
    """
    # From the settings, not the store: this works even when the database is down.
    # A PostgreSQL database may be a team database, where the user is the login:
    # ask it (and say nothing more when it cannot be reached).
    url, user = ctx.magic.settings()
    team = None
    if url.startswith("postgres"):
        try:
            store = ctx.store
        except ResourceError:
            store = None
        if store is not None and store.team:
            team = store.user
    print(f"user: {team if team is not None else user}")
    print(f"database: {masked_url(url)}")
    if team is not None:
        print("a team database: the user is your database login, and PostgreSQL")
        print("itself shows you only your own resources and public ones")


@subcommand("help")
@argument("topic", metavar="SUBCOMMAND", nargs="?", help="default: all of them")
def help_(ctx: Context, args: argparse.Namespace) -> None:
    """Help on one subcommand (its options and examples), or on all of them.

    Examples
    --------
    %resource help save
    """
    from ..router import find_subcommand

    if args.topic is None:
        print(overview())
    else:
        print(find_subcommand(args.topic).help())
