"""%resource show / load / get: look at a resource, put it in a cell, get its value."""

from __future__ import annotations

import argparse
import copy

from ...present import content_text
from ...templates import parameter_list
from ..parser import visible_name
from ..registry import Context, subcommand
from ..render import PlainText, show_resource
from ..words import quote_word


@subcommand("show")
@visible_name
def show(ctx: Context, args: argparse.Namespace) -> None:
    """Show a resource: metadata, highlighted content and stored outputs.

    Examples
    --------
    %resource show etl-daily
    %resource show bob/summarise
    """
    record, attachments = ctx.store.get_with_attachments(args.name)
    show_resource(record, attachments)


@subcommand("load")
@visible_name
def load(ctx: Context, args: argparse.Namespace) -> None:
    """Put a resource's source into the next cell, like %load.

    Replaces this cell with the resource's source, like %load. A workflow comes as
    its code; a prompt or an agent_config comes inside a %%resource save cell, so
    running the edited cell saves a new version.

    Examples
    --------
    %resource load etl-daily
    """
    record = ctx.store.get(args.name)
    text = content_text(record)
    if record.resource_type == "workflow":
        source = f"# %resource load {args.name}\n{text}"
    else:
        header = _save_header(record.name, record.resource_type, record.parameters)
        source = f"{header}\n{text}"
    ctx.shell.set_next_input(source, replace=True)


@subcommand("get")
@visible_name
def get(ctx: Context, args: argparse.Namespace) -> object:
    """Return the content as a value: str (workflow, prompt) or dict (agent_config).

    Examples
    --------
    config = %resource get agent-settings
    """
    record = ctx.store.get(args.name)
    if record.resource_type == "agent_config":
        return copy.deepcopy(record.content)
    return PlainText(record.content)


def _save_header(name: str, resource_type: str, parameters: dict | None) -> str:
    """The `%%resource save` line that saves a cell back as `name` of this type with
    these parameters, whatever the name holds: quoted so the router reads it back as
    exactly one word (spaces, quotes, #, =, \\), after `--` when it looks like an
    option (a name such as `--public` must never become a flag)."""
    options = f"-t {resource_type}" + "".join(
        f" --param {quote_word(parameter.declaration())}"
        for parameter in parameter_list(parameters)
    )
    if name.startswith("-"):
        return f"%%resource save {options} -- {quote_word(name)}"
    return f"%%resource save {quote_word(name)} {options}"
