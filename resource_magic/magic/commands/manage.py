"""%resource update / delete: change a resource's metadata, or remove it."""

from __future__ import annotations

import argparse

from IPython.core.magic_arguments import argument

from ...present import parameters_text
from ...templates import parse_declarations
from ..parser import allow_secrets, one_of, own_name
from ..registry import Context, subcommand


@subcommand("update")
@own_name
@argument("--rename", metavar="NEW_NAME")
@argument("-d", "--description", metavar="TEXT", help='"" clears it')
@argument(
    "--tag",
    dest="tags",
    action="append",
    metavar="TAG",
    help="the new tags (replace the old ones); repeat for more",
)
@argument(
    "--param",
    dest="params",
    action="append",
    metavar="NAME=DEFAULT",
    help="new parameters (replace the old ones; makes a new version): NAME=DEFAULT, "
    "NAME (required) or NAME:TYPE",
)
@argument(
    "-m",
    "--message",
    metavar="TEXT",
    help="with --param: why the new version exists",
)
@allow_secrets
@one_of()
@argument("--public", dest="is_public", action="store_const", const=True, default=None)
@argument("--private", dest="is_public", action="store_const", const=False)
def update(ctx: Context, args: argparse.Namespace) -> None:
    """Rename, describe, tag, reparametrise or publish one of your resources.

    Examples
    --------
    %resource update etl-daily --rename etl -d "Daily clean" --tag etl --public
    """
    parameters = parse_declarations(args.params) if args.params is not None else None
    record = ctx.store.update(
        args.name,
        rename=args.rename,
        description=args.description,
        tags=args.tags,
        is_public=args.is_public,
        parameters=parameters,
        allow_secrets=args.allow_secrets,
        message=args.message,
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


@subcommand("delete")
@own_name
def delete(ctx: Context, args: argparse.Namespace) -> None:
    """Delete one of your resources with all its versions and shares.

    Examples
    --------
    %resource delete old-etl
    """
    name = ctx.store.delete(args.name)
    print(
        f"Deleted '{name}' with all its versions and shares (forks of it stay, "
        "without a parent)."
    )
