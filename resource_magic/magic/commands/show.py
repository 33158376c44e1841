"""%resource show / load / get: look at a resource, put it in a cell, get its value."""

from __future__ import annotations

import argparse
import copy
import shlex

from ..parser import visible_name
from ..registry import Context, subcommand
from ..render import PlainText, content_text, show_resource, sorted_items


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
        header = f"%%resource save {record.name} -t {record.resource_type}"
        if record.parameters:
            header += "".join(
                f" --param {_quoted(f'{key}={value!r}')}"
                for key, value in sorted_items(record.parameters)
            )
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


def _quoted(token: str) -> str:
    """`token` as one shell-style word that reads back to the same text."""
    if shlex.quote(token) == token:
        return token
    if '"' not in token and "\\" not in token:
        return f'"{token}"'
    return shlex.quote(token)
