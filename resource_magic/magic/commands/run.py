"""%resource run: run a workflow, render a prompt or read an agent config; count it."""

from __future__ import annotations

import argparse
import copy
import difflib

from IPython.core.magic_arguments import argument

from ...errors import InvalidInput, NotOwner
from ...execute import execute
from ...templates import parse_parameters, placeholders, render_prompt
from ..parser import visible_name
from ..registry import Context, subcommand
from ..render import PlainText


@subcommand("run")
@visible_name
@argument(
    "-p",
    "--param",
    dest="params",
    action="append",
    default=[],
    metavar="KEY=VALUE",
    help="a value for a declared parameter or a prompt placeholder (a Python "
    "literal, else text); for an agent_config, a top-level key to override",
)
def run(ctx: Context, args: argparse.Namespace) -> object:
    """Run a workflow here, render a prompt (returns text) or return an agent_config.

    By type:
      workflow      its declared parameters (overridden by -p) are set in your
                    namespace, then its code runs here, outputs shown as usual
      prompt        {{ name }} placeholders are filled from its parameters and -p;
                    the text is returned
      agent_config  the dict is returned, -p overriding top-level keys

    Each successful run of your own resource is counted. Someone's public prompt or
    agent_config (owner/name) can be run too, as it runs no code; a public workflow
    is code, so fork it and read it first.

    Examples
    --------
    %resource run etl-daily -p n=10 -p city=Paris
    text = %resource run summarise -p topic="unit tests"
    """
    store = ctx.store
    record = store.get(args.name)
    mine = record.owner == store.user
    if not mine and record.resource_type == "workflow":
        raise NotOwner(
            f"'{args.name}' is {record.owner}'s workflow, and another user's code "
            "never runs in your kernel unread: fork it with "
            f"`%resource fork {args.name}`, read your copy, then run it."
        )
    given = parse_parameters(args.params)
    declared = dict(record.parameters or {})
    if record.resource_type == "workflow":
        _check_known(record.name, given, declared, "parameter")
        ran = execute(ctx.shell, record.content, {**declared, **given})
        if ran.error is not None:
            raise InvalidInput(
                f"The workflow '{record.name}' raised {type(ran.error).__name__} (see "
                "above), so this run was not counted."
            )
        value = None
    elif record.resource_type == "prompt":
        known = dict.fromkeys([*placeholders(record.content), *declared])
        _check_known(record.name, given, known, "placeholder")
        value = PlainText(render_prompt(record.content, {**declared, **given}))
    else:
        value = {**copy.deepcopy(record.content), **given}
    if mine:  # another user's counters are theirs: a reader never writes to them
        store.record_execution(str(record.id))
    return value


def _check_known(name: str, given: dict, known: dict, what: str) -> None:
    """Refuse -p keys the resource does not use (usually a typo)."""
    for key in given:
        if key in known:
            continue
        if not known:
            hint = (
                f"declare it when saving with --param {key}=DEFAULT"
                if what == "parameter"
                else "there is nothing to fill"
            )
            raise InvalidInput(f"'{name}' has no {what}s: {hint}.")
        close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
        if close:
            raise InvalidInput(
                f"'{name}' has no {what} '{key}'. Did you mean '{close[0]}'?"
            )
        raise InvalidInput(
            f"'{name}' has no {what} '{key}': it has {', '.join(sorted(known))}."
        )
