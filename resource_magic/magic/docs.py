"""The `%resource?` text, built from the registry so every subcommand is in it."""

from __future__ import annotations

from .registry import SUBCOMMANDS

_HEADER = """\
Keep notebook cells as typed, versioned, shareable resources.

Usage:  %resource SUBCOMMAND [ARGUMENTS]
        %%resource save NAME [OPTIONS]      (the cell body is the content)

Subcommands, each with an example:
"""

_FOOTER = """
Details of one subcommand: %resource help SUBCOMMAND  (or %resource SUBCOMMAND -h).

Tables (list, lineage, shares, history) are pandas DataFrames: df = %resource list

Configuration, used from the next %resource on:
  %config ResourceMagic.database_url = "postgresql+psycopg://user@host/dbname"
  %config ResourceMagic.user = "alice"
Defaults: $RESOURCE_MAGIC_DATABASE_URL and $RESOURCE_MAGIC_USER (else $JUPYTERHUB_USER),
else an embedded SQLite file in your user data directory and your login name.

The line is read literally: $name and {expression} are not expanded; give values with
-p KEY=VALUE (read as Python literals, else as text).
"""


def overview() -> str:
    """Every subcommand with its summary and examples, plus configuration notes."""
    lines = [_HEADER]
    for command in SUBCOMMANDS.values():
        lines.append(f"  {command.name:<8}  {command.summary}")
        lines.extend(f"            {example}" for example in command.examples)
    lines.append(_FOOTER)
    return "\n".join(lines)
