"""%resource run: run a workflow, render a prompt or read an agent config; count it."""

from __future__ import annotations

import argparse
import copy

from IPython.core.magic_arguments import argument

from ...errors import InvalidInput, NotOwner
from ...templates import (
    bind_parameters,
    parameter_list,
    parse_parameters,
    render_prompt,
)
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

    A -p value must have the type of its parameter's default (an int where the
    default is 5; a text parameter takes what you type), a required parameter needs
    one, and an unknown name is refused: all before anything runs. NAME@VERSION and
    NAME@LABEL run that version.

    Examples
    --------
    %resource run etl-daily -p n=10 -p city=Paris
    %resource run etl-daily@production
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
    if record.resource_type == "workflow":
        values = bind_parameters(
            record.name, parameter_list(record.parameters), given, _typed_text(args)
        )
        from ...execute import execute  # imported by the first run, not on loading

        ran = execute(ctx.shell, record.content, values)
        if ran.error is not None:
            raise InvalidInput(
                f"The workflow '{record.name}' raised {type(ran.error).__name__} (see "
                "above), so this run was not counted."
            )
        value = None
    elif record.resource_type == "prompt":
        declared = parameter_list(record.parameters, record.content)
        values = bind_parameters(
            record.name, declared, given, _typed_text(args), what="placeholder"
        )
        value = PlainText(render_prompt(record.content, values))
    else:
        value = {**copy.deepcopy(record.content), **given}
    if mine:  # another user's counters are theirs: a reader never writes to them
        store.record_execution(str(record.id))
    return value


def _typed_text(args: argparse.Namespace) -> dict[str, str]:
    """The text each -p value was typed as (a text parameter takes it as it is)."""
    return {
        key.strip(): value.strip()
        for key, _, value in (pair.partition("=") for pair in args.params)
    }
