"""%%resource save: the cell (or input-history lines) becomes a resource or version."""

from __future__ import annotations

import argparse
import re
import sys

from IPython.core.magic_arguments import argument

from ...errors import InvalidInput, NotFound
from ...present import parameters_text
from ...templates import bind_parameters, parameter_list, parse_declarations
from ..parser import allow_secrets
from ..registry import Context, subcommand


@subcommand("save", cell=True)
@argument("name", metavar="NAME", help="the resource's name")
@argument(
    "lines",
    metavar="LINES",
    nargs="*",
    help="line form: input-history numbers to save, like 3-7 or 3 5 8 (as %%save)",
)
@argument(
    "-t",
    "--type",
    dest="resource_type",
    metavar="TYPE",
    help="workflow (the default for a new name), prompt or agent_config (a JSON "
    "object); an existing name keeps its type",
)
@argument("-d", "--description", metavar="TEXT")
@argument("--tag", dest="tags", action="append", metavar="TAG", help="repeat for more")
@argument(
    "--public",
    action="store_true",
    default=None,
    help="let every user of this database see and fork it",
)
@argument(
    "--param",
    dest="params",
    action="append",
    metavar="NAME=DEFAULT",
    help="declare a parameter: NAME=DEFAULT (a Python literal, else text; its type "
    "is the default's), NAME (required) or NAME:TYPE (required, of a type: int, "
    "float, bool, str, list, dict); without --param a new version keeps the current "
    "parameters",
)
@argument(
    "-m",
    "--message",
    metavar="TEXT",
    help="why this version exists (shown by %%resource history)",
)
@argument(
    "--run",
    action="store_true",
    help="workflows: run the cell first and store its outputs with the version; "
    "if it raises, nothing is saved",
)
@allow_secrets
def save(ctx: Context, args: argparse.Namespace) -> None:
    """Save the cell as a resource; an existing name gets a new version.

    Examples
    --------
    %%resource save etl-daily -d "Daily clean" --tag etl --param n=5 --run
    %resource save etl-daily 3-7
    """
    content = _content(ctx, args)
    store = ctx.store
    parameters = parse_declarations(args.params) if args.params is not None else None
    attachments = None
    resource_type = args.resource_type
    if args.run:
        # The cell runs before the save, with the type and parameters it will have.
        existing = _mine(ctx, args.name)
        same_type = existing is not None and (
            args.resource_type in (None, existing.resource_type)
        )
        resource_type = args.resource_type or (
            existing.resource_type if existing else "workflow"
        )
        if args.params is None:
            parameters = existing.parameters if same_type else None
        attachments = _run_first(ctx, args, resource_type, content, parameters)
    # Without -t an existing name keeps its type, and without --param its parameters:
    # the store reads both in the save's own transaction.
    result = store.save(
        args.name,
        content,
        resource_type=resource_type,
        description=args.description,
        tags=args.tags,
        is_public=args.public,
        parameters=parameters,
        keep_parameters=args.params is None,
        attachments=attachments,
        allow_secrets=args.allow_secrets,
        message=args.message,
    )
    record = result.resource
    if result.created:
        print(f"Saved {record.resource_type} '{record.name}' (version 1).")
    else:
        print(
            f"Saved '{record.name}' as version {record.version}: it already existed "
            f"and version {record.version - 1} stays in its history."
        )
    if args.params is None and not result.created and record.parameters:
        print(f"Kept its parameters: {parameters_text(record.parameters)}.")
    required = [
        p.name
        for p in parameter_list(record.parameters, _prompt_text(record))
        if p.required
    ]
    if required:
        names = ", ".join(required)
        print(f"Required when it runs (no default): {names}; give each with -p.")
    if attachments:
        count = len(attachments)
        print(f"Stored {count} captured output{'s' if count != 1 else ''} with it.")
    _warn_about_secrets(record, attachments, allowed=args.allow_secrets)


def _warn_about_secrets(record, attachments, allowed: bool) -> None:
    """A private save keeps what looks like a secret, with a warning: sharing it or
    making it public will be refused (the store scans again then)."""
    from ... import secretscan  # imported by the first save, not by loading the magic

    found = secretscan.first_secret(
        secretscan.pieces(
            record.content, record.parameters, attachments or (), record.description
        )
    )
    if found is None:
        return
    where, kind = found
    if allowed:
        print(
            f"Warning: {where} looks like {kind}; --allow-secrets saved it anyway.",
            file=sys.stderr,
        )
        return
    print(
        f"Warning: {where} looks like {kind}. '{record.name}' keeps it while private, "
        "but sharing it or making it public will be refused until you remove it "
        "(or pass --allow-secrets).",
        file=sys.stderr,
    )


# What %save takes as input-history lines: 3, 3-7, 4:8, ~1/2-3 (another session).
_HISTORY_RANGE = re.compile(r"^[~\d/:-]+$")


def _content(ctx: Context, args: argparse.Namespace) -> str:
    has_body = ctx.cell is not None and bool(ctx.cell.strip())
    if args.lines:
        if has_body and not all(_HISTORY_RANGE.match(word) for word in args.lines):
            words = [args.name, *args.lines]
            raise InvalidInput(
                f"'{' '.join(words)}' is not a name: names have no spaces, so use "
                f"a dash, as in %%resource save {'-'.join(words)}."
            )
        if has_body:
            raise InvalidInput(
                "Give the content either as the cell body or as input lines, not both."
            )
        ranges = " ".join(args.lines)
        text = ctx.shell.extract_input_lines(ranges, raw=True)
        if not text.strip():
            raise InvalidInput(
                f"No input history matches {ranges!r}: give input numbers like 3-7 "
                "or 3 5 8 (see %history -n)."
            )
        return text + "\n"
    if ctx.cell is None:
        raise InvalidInput(
            f"Nothing to save: put the content in a cell that starts with "
            f"%%resource save {args.name}, or name input lines like "
            f"%resource save {args.name} 3-7."
        )
    return ctx.cell


def _mine(ctx: Context, name: str):
    """My resource called `name`, or None (also when the name is not a valid name)."""
    if "/" in name:
        return None  # never someone else's; the store refuses the name itself
    try:
        record = ctx.store.get(name)
    except (NotFound, InvalidInput):
        return None
    return record if record.owner == ctx.store.user else None


def _run_first(
    ctx: Context,
    args: argparse.Namespace,
    resource_type: str,
    content: str,
    parameters: dict | None,
) -> list[tuple[str, bytes]]:
    """Check what the store will check, run the cell, return its outputs or raise."""
    ctx.store.check_save(
        args.name,
        content,
        resource_type=resource_type,
        description=args.description,
        tags=args.tags,
        parameters=parameters,
        message=args.message,
    )
    if resource_type != "workflow":
        raise InvalidInput(
            f"--run only works for workflows: a {resource_type} is not Python code."
        )
    # As %resource run does: the declared defaults are the workflow's variables.
    declared = parameter_list(parameters)
    missing = [p.name for p in declared if p.required]
    if missing:
        raise InvalidInput(
            f"--run runs the cell with the parameters' defaults, and {missing[0]!r} "
            "is required (it has none): give it a default, or save without --run."
        )
    from ...execute import execute  # imported by the first run, not on loading

    ran = execute(ctx.shell, content, bind_parameters(args.name, declared, {}))
    if ran.error is not None:
        raise InvalidInput(
            f"The cell raised {type(ran.error).__name__}, so '{args.name}' was not "
            "saved: fix the cell and run it again."
        )
    return ran.attachments()


def _prompt_text(record) -> str | None:
    return record.content if record.resource_type == "prompt" else None
