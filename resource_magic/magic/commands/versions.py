"""%resource history / restore / label / labels / diff: versions like a prompt hub.

Every save is a version; a label (`production`) points at one and moves on purpose;
`diff` shows what changed between two; `NAME@3` and `NAME@production` name a version
wherever a resource is named.
"""

from __future__ import annotations

import argparse

from IPython.core.magic_arguments import argument
from IPython.display import display

from ...errors import InvalidInput
from ...frames import history_frame, label_history_frame, labels_frame
from ..parser import allow_secrets, own_name, visible_name
from ..registry import Context, subcommand

message_option = argument(
    "-m",
    "--message",
    metavar="TEXT",
    help="why this version exists (shown by %%resource history)",
)


@subcommand("history")
@visible_name
def history(ctx: Context, args: argparse.Namespace):
    """Every version of a resource, oldest first, with its labels and message, as a
    DataFrame.

    Examples
    --------
    %resource history etl-daily
    """
    return history_frame(ctx.store.history(args.name))


@subcommand("restore")
@own_name
@argument("version", metavar="VERSION", help="a version number or a label, e.g. 2")
@message_option
@allow_secrets
def restore(ctx: Context, args: argparse.Namespace) -> None:
    """Make an old version current again (as a new version; history only grows).

    Examples
    --------
    %resource restore etl-daily 2
    %resource restore etl-daily production -m "back to what runs in production"
    """
    record = ctx.store.restore(
        args.name, args.version, message=args.message, allow_secrets=args.allow_secrets
    )
    print(
        f"Restored version {args.version} of '{record.name}': it is now version "
        f"{record.version}, and every earlier version stays in its history."
    )


@subcommand("label")
@own_name
@argument("label", metavar="LABEL", nargs="?", help="e.g. production")
@argument(
    "version",
    metavar="VERSION",
    nargs="?",
    help="a version number or another label (default: the current version)",
)
@argument("--remove", metavar="LABEL", help="take this label off instead")
def label(ctx: Context, args: argparse.Namespace) -> None:
    """Point a label at a version (default: the current one), or move or remove it.

    A label is a short lowercase word (production, staging, v2-candidate); `latest`
    always means the current version. Use it anywhere a resource is named, as
    NAME@LABEL: `%resource run etl@production`, `%resource share etl@production`.

    Examples
    --------
    %resource label etl-daily production 2
    %resource label etl-daily --remove staging
    """
    if args.remove is not None:
        if args.label is not None:
            raise _usage("give a label to set or --remove LABEL, not both")
        removed = ctx.store.remove_label(args.name, args.remove)
        print(
            f"Removed the label '{removed.label}' from '{args.name}' (it pointed at "
            f"version {removed.version})."
        )
        return
    if args.label is None:
        raise _usage("give the LABEL to set, or --remove LABEL")
    record, left = ctx.store.set_label(args.name, args.label, args.version)
    where = f"'{args.name}@{record.label}' is version {record.version}"
    if left is None:
        print(f"Labelled: {where}.")
    elif left == record.version:
        print(f"Nothing to move: {where} already.")
    else:
        print(f"Moved: {where} (it was version {left}).")


@subcommand("labels")
@visible_name
@argument(
    "--history",
    action="store_true",
    help="every move of every label instead (from, to, when), oldest first",
)
def labels(ctx: Context, args: argparse.Namespace):
    """A resource's labels and the versions they point at, as a DataFrame.

    Examples
    --------
    %resource labels etl-daily
    %resource labels etl-daily --history
    """
    if args.history:
        return label_history_frame(ctx.store.label_history(args.name))
    found = ctx.store.labels(args.name)
    if not found:
        print(
            f"'{args.name}' has no labels: set one with "
            f"%resource label {args.name} production."
        )
        return None
    return labels_frame(found)


@subcommand("diff")
@visible_name
@argument("old", metavar="FROM", nargs="?", help="a version or label")
@argument("new", metavar="TO", nargs="?", help="a version or label (default: current)")
def diff(ctx: Context, args: argparse.Namespace) -> None:
    """What changed between two versions: content and parameters, as a unified diff.

    Without versions, the version before the current one against the current one;
    with one, that version against the current one. Versions are numbers or labels.
    Agent configs are compared as JSON with sorted keys, so key order never shows.

    Examples
    --------
    %resource diff etl-daily
    %resource diff etl-daily production
    %resource diff etl-daily 1 3
    """
    pair = ctx.store.versions(args.name, args.old, args.new)
    mine = pair.resource.owner == ctx.store.user
    shown = pair.resource.name if mine else pair.resource.qualified_name
    from ...diffs import diff_versions  # imported by the first diff, not on loading

    display(diff_versions(pair, shown).bundle(), raw=True)


def _usage(message: str) -> InvalidInput:
    return InvalidInput(f"%resource label: {message} (see %resource help label).")
