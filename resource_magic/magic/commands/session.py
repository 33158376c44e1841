"""%resource browse / whoami / help: the browser, who and where I am, and help."""

from __future__ import annotations

import argparse

from ...config import masked_url
from ...errors import InvalidInput
from ..docs import overview
from ..parser import CommandParser
from ..registry import Context, subcommand


def _no_arguments(parser: CommandParser) -> None:
    """Subcommands that take nothing."""


@subcommand(
    "browse",
    "Open the resource browser widget (search, preview, run, fork, share).",
    "%resource browse",
    configure=_no_arguments,
)
def browse(ctx: Context, args: argparse.Namespace) -> None:
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


@subcommand(
    "whoami",
    "Show the current user and database (password masked).",
    "%resource whoami",
    configure=_no_arguments,
)
def whoami(ctx: Context, args: argparse.Namespace) -> None:
    # From the settings, not the store: this works even when the database is down.
    url, user = ctx.magic.settings()
    print(f"user: {user}")
    print(f"database: {masked_url(url)}")


def _configure_help(parser: CommandParser) -> None:
    parser.add_argument(
        "topic", metavar="SUBCOMMAND", nargs="?", help="default: all of them"
    )


@subcommand(
    "help",
    "Help on one subcommand (its options and examples), or on all of them.",
    "%resource help save",
    configure=_configure_help,
    target="subcommand",
)
def help_(ctx: Context, args: argparse.Namespace) -> None:
    from ..router import find_subcommand

    if args.topic is None:
        print(overview())
    else:
        print(find_subcommand(args.topic).help())
