"""%resource update / delete: change a resource's metadata, or remove it."""

from __future__ import annotations

import argparse

from ...templates import parse_parameters
from ..parser import CommandParser
from ..registry import Context, subcommand
from ..render import parameters_text


def _configure_update(parser: CommandParser) -> None:
    parser.add_argument("name", metavar="NAME", help="one of your resources")
    parser.add_argument("--rename", metavar="NEW_NAME")
    parser.add_argument("-d", "--description", metavar="TEXT", help='"" clears it')
    parser.add_argument(
        "--tag",
        dest="tags",
        action="append",
        metavar="TAG",
        help="the new tags (replace the old ones); repeat for more",
    )
    parser.add_argument(
        "--param",
        dest="params",
        action="append",
        metavar="KEY=DEFAULT",
        help="new parameters (replace the old ones; makes a new version)",
    )
    visibility = parser.add_mutually_exclusive_group()
    visibility.add_argument(
        "--public", dest="is_public", action="store_const", const=True, default=None
    )
    visibility.add_argument(
        "--private", dest="is_public", action="store_const", const=False
    )


@subcommand(
    "update",
    "Rename, describe, tag, reparametrise or publish one of your resources.",
    '%resource update etl-daily --rename etl -d "Daily clean" --tag etl --public',
    configure=_configure_update,
    target="resource",
)
def update(ctx: Context, args: argparse.Namespace) -> None:
    parameters = parse_parameters(args.params) if args.params is not None else None
    record = ctx.store.update(
        args.name,
        rename=args.rename,
        description=args.description,
        tags=args.tags,
        is_public=args.is_public,
        parameters=parameters,
    )
    changes = []
    if args.rename is not None:
        changes.append(f"renamed from '{args.name}'")
    if args.description is not None:
        changes.append(
            "description set" if record.description else "description cleared"
        )
    if args.tags is not None:
        changes.append(f"tags: {', '.join(record.tags)}")
    if parameters is not None:
        changes.append(
            f"parameters: {parameters_text(record.parameters)} "
            f"(version {record.version})"
        )
    if args.is_public is not None:
        changes.append("now public" if record.is_public else "now private")
    print(f"Updated '{record.name}': {'; '.join(changes)}.")


def _configure_delete(parser: CommandParser) -> None:
    parser.add_argument("name", metavar="NAME", help="one of your resources")


@subcommand(
    "delete",
    "Delete one of your resources with all its versions and shares.",
    "%resource delete old-etl",
    configure=_configure_delete,
    target="resource",
)
def delete(ctx: Context, args: argparse.Namespace) -> None:
    name = ctx.store.delete(args.name)
    print(
        f"Deleted '{name}' with all its versions and shares (forks of it stay, "
        "without a parent)."
    )
