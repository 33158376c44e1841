"""The %resource / %%resource magics: a thin front end over ResourceStore.

Layout: `core` (the Magics class and its config), `router` (line -> subcommand, domain
errors -> UsageError), `parser` (argparse raising UsageError), `registry` (SUBCOMMANDS),
`commands/` (one module per subcommand or small group), `render` (display) and
`capture` (running cells and recording their outputs).
"""

from .core import ResourceMagic
from .registry import SUBCOMMANDS, Context, Subcommand

__all__ = ["SUBCOMMANDS", "Context", "ResourceMagic", "Subcommand"]
