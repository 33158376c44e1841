"""The subcommand registry: every `%resource` subcommand, declared once, on its handler.

A subcommand is declared the way IPython declares its own magics (`%history`,
`%store`): the handler's docstring is its help (the first paragraph is the summary, an
``Examples`` section at the end lists one example per line) and
`IPython.core.magic_arguments.argument` decorators under `@subcommand` are its
arguments::

    @subcommand("restore")
    @own_name
    @argument("version", metavar="VERSION", type=positive_int("version"))
    def restore(ctx: Context, args: argparse.Namespace) -> None:
        \"\"\"Make an old version current again.

        Examples
        --------
        %resource restore etl-daily 2
        \"\"\"

`SUBCOMMANDS` maps each name to its `Subcommand`. The router, `%resource?`,
`%resource help`, the README Tour check and the isolation matrix all read this one
table; a command line or a completer builds its parsers from it with `add_arguments`
(any argparse parser) or `parser(**kwargs)` (a `CommandParser` with its own prog).
"""

from __future__ import annotations

import argparse
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .parser import CommandParser

if TYPE_CHECKING:  # pragma: no cover - typing only
    from IPython.core.interactiveshell import InteractiveShell

    from ..store import ResourceStore
    from .core import ResourceMagic


@dataclass
class Context:
    """What a handler gets besides its arguments: the magic, shell and cell body."""

    magic: ResourceMagic
    cell: str | None = None
    # Progress bars only when stderr is a terminal (the command line: none when
    # piped); the magic always shows them (a notebook widget, or IPython's stderr).
    bars_need_a_terminal: bool = False

    @property
    def shell(self) -> InteractiveShell:
        return self.magic.shell

    @cached_property
    def store(self) -> ResourceStore:
        """The store for the configured database and user (opened on first use)."""
        return self.magic.store()


Handler = Callable[[Context, argparse.Namespace], Any]

# The numpydoc heading IPython's docstrings use: "Examples" underlined with dashes.
_EXAMPLES = re.compile(r"^Examples\n-+\n", re.MULTILINE)


@dataclass(frozen=True)
class Subcommand:
    """One subcommand, as its handler declares it.

    `summary` is the docstring's first paragraph on one line, `description` the
    docstring up to its examples (as written), `examples` one per line, `cell` whether
    the %%resource cell form is accepted (its body is the input).
    """

    name: str
    handler: Handler
    summary: str
    description: str
    examples: tuple[str, ...]
    cell: bool = False

    @property
    def arguments(self) -> tuple[Any, ...]:
        """The `magic_arguments` decorators, in the order they are written."""
        return tuple(reversed(getattr(self.handler, "decorators", ())))

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add this subcommand's arguments to any argparse parser (or subparser).

        As in IPython's `construct_parser`, a decorator that opens a group (such as
        `argument_group` or `one_of`) receives every argument written below it.
        """
        group = None
        for decorator in self.arguments:
            group = decorator.add_to_parser(parser, group) or group

    def epilog(self) -> str:
        return "examples:\n" + "\n".join(f"  {e}" for e in self.examples)

    def parser(self, **kwargs: Any) -> CommandParser:
        """A fresh parser (cheap; no state shared between calls). `kwargs` go to
        `CommandParser` (for example another `prog`)."""
        kwargs.setdefault("description", self.description)
        kwargs.setdefault("epilog", self.epilog())
        parser = CommandParser(self.name, **kwargs)
        self.add_arguments(parser)
        return parser

    def shared_parser(self) -> CommandParser:
        """This subcommand's parser with the default settings, built once (parsing
        keeps no state in the parser: each call gets a fresh namespace). The router
        parses every %resource line with it; building one costs more than the rest
        of a small cell's Python."""
        parser = _PARSERS.get(self.name)
        if parser is None:
            parser = _PARSERS[self.name] = self.parser()
        return parser

    def help(self) -> str:
        return self.parser().format_help()


SUBCOMMANDS: dict[str, Subcommand] = {}
_PARSERS: dict[str, CommandParser] = {}  # Subcommand.shared_parser's, by name


def subcommand(name: str, *, cell: bool = False) -> Callable[[Handler], Handler]:
    """Register the decorated handler as `%resource NAME` (put it above the
    `argument` decorators). `cell`: the %%resource form is accepted."""

    def register(handler: Handler) -> Handler:
        if name in SUBCOMMANDS:
            raise ValueError(f"subcommand {name!r} registered twice")
        summary, description, examples = _read_docstring(name, handler)
        SUBCOMMANDS[name] = Subcommand(
            name=name,
            handler=handler,
            summary=summary,
            description=description,
            examples=examples,
            cell=cell,
        )
        return handler

    return register


def _read_docstring(name: str, handler: Handler) -> tuple[str, str, tuple[str, ...]]:
    """(summary, description, examples) from the handler's docstring."""
    doc = inspect.cleandoc(handler.__doc__ or "")
    parts = _EXAMPLES.split(doc, maxsplit=1)
    if len(parts) != 2:
        raise ValueError(
            f"subcommand {name!r}: its docstring needs a summary and an Examples "
            "section with one example per line"
        )
    description = parts[0].strip()
    summary = " ".join(description.split("\n\n", 1)[0].split())
    examples = tuple(line.strip() for line in parts[1].splitlines() if line.strip())
    if not summary or not examples:
        raise ValueError(f"subcommand {name!r}: give a summary and an example")
    return summary, description, examples
