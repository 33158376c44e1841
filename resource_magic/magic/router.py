"""The router: one line of `%resource ...` -> a subcommand's parser and handler.

This is the one place where domain errors become messages: a `ResourceError` raised
anywhere below turns into IPython's `UsageError` (one line, no traceback). Anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from ..errors import ResourceError
from .docs import overview
from .parser import HelpShown
from .registry import SUBCOMMANDS, Context, Subcommand
from .words import split_line

if TYPE_CHECKING:  # pragma: no cover - typing only
    from .core import ResourceMagic


def route(magic: ResourceMagic, line: str, cell: str | None = None) -> Any:
    """Run `%resource LINE` (`cell`: the %%resource body); the handler's value."""
    try:
        words = split_line(line)
    except ResourceError as exc:
        raise UsageError(str(exc)) from None
    if not words or words[0] in ("-h", "--help"):
        print(overview())
        return None
    command = find_subcommand(words[0])
    if cell is not None and not cell.strip() and not command.cell:
        cell = None  # an empty %%resource cell is just the line form
    if cell is not None and not command.cell:
        raise UsageError(
            f"%%resource {command.name} takes no cell body: use "
            f"%resource {command.name} on one line."
        )
    try:
        args = command.shared_parser().parse_args(words[1:])
        return command.handler(Context(magic=magic, cell=cell), args)
    except HelpShown:
        return None
    except ResourceError as exc:
        raise UsageError(str(exc)) from None


def find_subcommand(name: str) -> Subcommand:
    """The subcommand called `name`, or a UsageError that suggests the nearest one."""
    command = SUBCOMMANDS.get(name)
    if command is not None:
        return command
    close = difflib.get_close_matches(name, list(SUBCOMMANDS), n=1, cutoff=0.6)
    if close:
        raise UsageError(f"Unknown subcommand '{name}'. Did you mean '{close[0]}'?")
    shown = name if len(name) <= 40 else name[:37] + "..."  # a word can be 1 MB long
    raise UsageError(
        f"Unknown subcommand '{shown}': use one of {', '.join(SUBCOMMANDS)} "
        "(see %resource?)."
    )
