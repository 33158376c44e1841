"""The subcommand registry: every `%resource` subcommand, discoverable from code.

Each subcommand module registers itself with `@subcommand(...)`; `SUBCOMMANDS` maps
the name to a `Subcommand` holding its summary, examples, parser and handler. The
router, the `%resource?` docstring, `%resource help` and the test suite (the isolation
matrix enumerates it, so a new subcommand is covered automatically) all read this one
table.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .parser import CommandParser

if TYPE_CHECKING:  # pragma: no cover - typing only
    from IPython.core.interactiveshell import InteractiveShell

    from ..store import ResourceStore
    from .core import ResourceMagic

# What a subcommand's first positional argument names, for tools that aim at it:
# a resource of mine (or owner/name), a share token, either, a token or its prefix,
# a file, a subcommand name, or nothing.
TARGETS = ("resource", "token", "source", "share", "file", "subcommand", None)


@dataclass
class Context:
    """What a handler gets besides its arguments: the magic, shell and cell body."""

    magic: ResourceMagic
    cell: str | None = None

    @property
    def shell(self) -> InteractiveShell:
        return self.magic.shell

    @cached_property
    def store(self) -> ResourceStore:
        """The store for the configured database and user (opened on first use)."""
        return self.magic.store()


Handler = Callable[[Context, argparse.Namespace], Any]
Configure = Callable[[CommandParser], None]


@dataclass(frozen=True)
class Subcommand:
    """One subcommand: `configure` adds its arguments, `handler` does the work."""

    name: str
    summary: str
    examples: tuple[str, ...]
    configure: Configure
    handler: Handler
    target: str | None = None
    cell: bool = False  # True: the %%resource cell form is accepted (its body is input)
    description: str = field(default="")

    def parser(self) -> CommandParser:
        """A fresh parser (cheap; avoids state shared between calls)."""
        epilog = "examples:\n" + "\n".join(f"  {e}" for e in self.examples)
        parser = CommandParser(
            self.name,
            description=self.description or self.summary,
            epilog=epilog,
        )
        self.configure(parser)
        return parser

    def help(self) -> str:
        return self.parser().format_help()


SUBCOMMANDS: dict[str, Subcommand] = {}


def subcommand(
    name: str,
    summary: str,
    *examples: str,
    configure: Configure,
    target: str | None = None,
    cell: bool = False,
    description: str = "",
) -> Callable[[Handler], Handler]:
    """Register the decorated handler as `%resource NAME`."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}")

    def register(handler: Handler) -> Handler:
        if name in SUBCOMMANDS:
            raise ValueError(f"subcommand {name!r} registered twice")
        SUBCOMMANDS[name] = Subcommand(
            name=name,
            summary=summary,
            examples=examples,
            configure=configure,
            handler=handler,
            target=target,
            cell=cell,
            description=description,
        )
        return handler

    return register
