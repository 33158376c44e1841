"""`resource-magic team ...`: an admin's commands for a team database (team.py).

    resource-magic team init    --database-url URL
    resource-magic team add     NAME [--password-stdin] [--existing]
    resource-magic team remove  NAME (--transfer-to OTHER | --delete-resources)
    resource-magic team list
    resource-magic team check
    resource-magic team upgrade

Each takes --database-url (default: $RESOURCE_MAGIC_DATABASE_URL) and runs as the
login that URL names, which must be allowed to create roles. Exit status: 0 done, 1
refused (or, for check, a guarantee that does not hold), 2 usage error."""

from __future__ import annotations

import argparse
import os
import sys

from .config import DATABASE_URL_ENV, masked_url
from .errors import ResourceError

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def add_team_parser(commands, parser_class) -> None:
    """The `team` subcommand and its own subcommands, on the top parser's
    subparsers."""
    team = commands.add_parser(
        "team",
        help="set up and manage a team database (PostgreSQL row-level security)",
        description="An admin's commands: make a PostgreSQL database a team "
        "database where every member connects as their own login and PostgreSQL "
        "itself enforces who sees what.",
    )
    actions = team.add_subparsers(
        dest="team_command", metavar="COMMAND", parser_class=parser_class
    )
    actions.required = True

    def action(name: str, help_: str):
        sub = actions.add_parser(name, help=help_, description=help_)
        sub.add_argument(
            "--database-url",
            metavar="URL",
            default=argparse.SUPPRESS,
            help=f"the team database, as an admin (default: ${DATABASE_URL_ENV})",
        )
        return sub

    action("init", "make the database a team database (again: changes nothing)")
    add = action("add", "add a member: a login role in the team's group")
    add.add_argument("name", metavar="NAME", help="the member's login (and user name)")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the new login's password from the first line of stdin",
    )
    add.add_argument(
        "--existing",
        action="store_true",
        help="add a role that exists already (e.g. authenticated by certificate)",
    )
    remove = action("remove", "take a member out of the team")
    remove.add_argument("name", metavar="NAME")
    fate = remove.add_mutually_exclusive_group(required=True)
    fate.add_argument(
        "--transfer-to", metavar="OTHER", help="give their resources to OTHER"
    )
    fate.add_argument(
        "--delete-resources", action="store_true", help="delete their resources"
    )
    action("list", "the members and how many resources each has")
    action("check", "verify the team database's guarantees (exit 1 if one fails)")
    action("upgrade", "apply new migrations as the owner role")


def run_team(args: argparse.Namespace) -> int:
    from .team import Admin

    url = (getattr(args, "database_url", None) or "").strip() or os.environ.get(
        DATABASE_URL_ENV, ""
    ).strip()
    if not url:
        print(
            f"Give the team database: --database-url URL or ${DATABASE_URL_ENV}.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        admin = Admin(url)
        try:
            return _ACTIONS[args.team_command](admin, args)
        finally:
            admin.close()
    except ResourceError as exc:
        print(exc, file=sys.stderr)
        return EXIT_REFUSED


def _init(admin, args) -> int:
    changed = admin.init()
    where = masked_url(admin.url)
    if changed:
        print(
            f"{where} is a team database (owner role {admin.roles.owner}, group "
            f"{admin.roles.members}). Add members with: resource-magic team add NAME"
        )
    else:
        print(f"{where} is already a team database: nothing changed.")
    return EXIT_OK


def _add(admin, args) -> int:
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    added = admin.add(args.name, password=password, existing=args.existing)
    if added:
        print(
            f"{args.name} is a member: they connect as {args.name} and see their "
            "own resources and public ones."
        )
    else:
        print(f"{args.name} was a member already: nothing changed.")
    return EXIT_OK


def _remove(admin, args) -> int:
    count = admin.remove(args.name, transfer_to=args.transfer_to)
    fate = f"given to {args.transfer_to}" if args.transfer_to else "deleted"
    print(
        f"{args.name} is no longer a member; {count} resource(s) {fate}. Their "
        f"login still exists: DROP ROLE it if nothing else needs it."
    )
    return EXIT_OK


def _list(admin, args) -> int:
    members = admin.members()
    if not members:
        print("No members yet: resource-magic team add NAME")
        return EXIT_OK
    width = max(len(m.name) for m in members)
    print(f"{'member':<{width}}  resources  login")
    for m in members:
        print(f"{m.name:<{width}}  {m.resources:>9}  {'yes' if m.can_login else 'no'}")
    return EXIT_OK


def _check(admin, args) -> int:
    results = admin.check()
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        detail = f": {result.detail}" if result.detail and not result.ok else ""
        print(f"{mark} {result.what}{detail}")
    return EXIT_OK if all(r.ok for r in results) else EXIT_REFUSED


def _upgrade(admin, args) -> int:
    before, after = admin.upgrade()
    if before == after:
        print(f"The schema is at revision {after} already: nothing to do.")
    else:
        print(f"Upgraded the schema from revision {before} to {after}.")
    return EXIT_OK


_ACTIONS = {
    "init": _init,
    "add": _add,
    "remove": _remove,
    "list": _list,
    "check": _check,
    "upgrade": _upgrade,
}
