# PYTHON_ARGCOMPLETE_OK
"""The command line: `resource-magic SUBCOMMAND ...` and `python -m resource_magic`.

Built from the same declarations as `%resource` (the registry): every subcommand's
arguments, help and examples come from its handler, and its handler runs it, so a
subcommand added to the magic appears here by itself. What needs a notebook
(`browse`, `load`, the cell form of `save`) says so.

Output: what a handler prints goes to stdout; a table (DataFrame) prints as aligned
text, or as JSON / CSV with `--json` / `--csv`; a value (a rendered prompt, an agent
config) prints as text (JSON for a dict). Exit status: 0 on success, 1 when the
database refuses (the same one-line message as the magic, on stderr), 2 on a usage
error. `--database-url` and `--user` are accepted before or after the subcommand.
`export` / `import` show the magic's progress bar only when stderr is a terminal.
Shell completion: `eval "$(register-python-argcomplete resource-magic)"`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from typing import Any

from .config import DATABASE_URL_ENV, USER_ENV
from .errors import ResourceError
from .magic.parser import CommandParser
from .magic.registry import SUBCOMMANDS, Context
from .team_cli import add_team_parser, run_team

PROG = "resource-magic"
# Subcommands that act on a notebook: here they say so instead of running.
NOTEBOOK_ONLY = {
    "browse": "the browser is an ipywidgets app",
    "load": "it puts the source into the next notebook cell",
    "save": "it keeps a notebook cell (or input-history lines)",
}
EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
# Subcommands that display through IPython (or run code): they get a private shell.
_DISPLAYS = {"show", "open", "run", "diff"}


class CliParser(argparse.ArgumentParser):
    """argparse as a command line expects it (usage errors exit 2), reading values
    that start with - and missing arguments as the magic's parser does."""

    _dash_values = CommandParser._dash_values
    _is_option = CommandParser._is_option
    _truly_required = CommandParser._truly_required

    def parse_known_args(self, args=None, namespace=None):
        return super().parse_known_args(self._dash_values(args), namespace)

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {self._truly_required(message)}\n")


def _add_globals(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """--database-url, --user, --json, --csv: on the top parser with defaults, and on
    each subcommand without (so a value given after the subcommand wins)."""
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--database-url",
        metavar="URL",
        default=default,
        help=f"SQLAlchemy URL of the database (default: ${DATABASE_URL_ENV}, else "
        "the embedded SQLite file)",
    )
    parser.add_argument(
        "--user",
        metavar="NAME",
        default=default,
        help=f"whose resources (default: ${USER_ENV}, else $JUPYTERHUB_USER, else "
        "the login name)",
    )
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument(
        "--json",
        dest="output",
        action="store_const",
        const="json",
        default=default,
        help="print tables and values as JSON",
    )
    shape.add_argument(
        "--csv",
        dest="output",
        action="store_const",
        const="csv",
        default=default,
        help="print tables as CSV",
    )


def build_parser() -> CliParser:
    """The whole command line, from the subcommand registry."""
    parser = CliParser(
        prog=PROG,
        description="Keep notebook cells as typed, versioned, shareable resources: "
        "the %resource subcommands, outside a notebook.",
        epilog=f"Details of one subcommand: {PROG} SUBCOMMAND -h",
    )
    _add_globals(parser, top=True)
    commands = parser.add_subparsers(
        dest="subcommand", metavar="SUBCOMMAND", parser_class=CliParser
    )
    commands.required = True
    for name, command in SUBCOMMANDS.items():
        sub = commands.add_parser(
            name,
            help=command.summary.replace("%", "%%"),
            description=command.description,
            epilog=_examples(command.examples),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if name not in NOTEBOOK_ONLY:
            command.add_arguments(sub)
        else:
            sub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        _add_globals(sub, top=False)
    add_team_parser(commands, CliParser)
    return parser


def _examples(examples: Sequence[str]) -> str:
    """The magic's examples as command lines: `x = %resource get y` -> `PROG get y`."""
    lines = []
    for example in examples:
        line = re.sub(r"^\w+ = ", "", example)
        if line.startswith("%resource "):
            lines.append("  " + PROG + line.removeprefix("%resource"))
    return "examples:\n" + "\n".join(lines) if lines else ""


class _Settings:
    """What a handler's Context needs of the magic: settings and a store, plus a
    shell (a fresh, private IPython one) for the few handlers that run code or
    display a resource."""

    def __init__(self, database_url: str | None, user: str | None) -> None:
        self.database_url = database_url
        self.user = user
        self._store = None
        self._shell = None

    def settings(self) -> tuple[str, str]:
        from .config import default_database_url, default_user

        url = (self.database_url or "").strip() or default_database_url()
        user = (self.user or "").strip() or default_user()
        return url, user

    def store(self):
        if self._store is None:
            from .store import ResourceStore

            # An unset user stays None: on a team database the login is the user.
            user = (self.user or "").strip() or None
            self._store = ResourceStore(self.settings()[0], user)
        return self._store

    @property
    def shell(self):
        """An in-memory IPython shell: a fresh namespace, no history file; its
        displays print their text to stdout."""
        if self._shell is None:
            from IPython.core.interactiveshell import InteractiveShell
            from traitlets.config import Config

            config = Config()
            config.HistoryManager.enabled = False
            config.InteractiveShell.colors = "nocolor"
            self._shell = InteractiveShell.instance(config=config)
        return self._shell


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; the exit status."""
    parser = build_parser()
    try:
        import argcomplete
    except ImportError:  # pragma: no cover - argcomplete is a dependency
        pass
    else:
        argcomplete.autocomplete(parser)
    args = parser.parse_args(argv)
    name = args.subcommand
    if name == "team":
        return run_team(args)
    if name in NOTEBOOK_ONLY:
        print(
            f"{PROG}: {name} needs a notebook ({NOTEBOOK_ONLY[name]}): use "
            f"%resource {name} in IPython or Jupyter.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from IPython.core.error import UsageError

    magic = _Settings(args.database_url, args.user)
    if name in _DISPLAYS:
        _ = magic.shell  # their displays print their text through it
    try:
        value = SUBCOMMANDS[name].handler(
            Context(magic=magic, bars_need_a_terminal=True), args
        )
    except ResourceError as exc:
        print(exc, file=sys.stderr)
        return EXIT_REFUSED
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    _print_value(value, args.output)
    return EXIT_OK


def _print_value(value: Any, output: str | None) -> None:
    """A handler's value as a script wants it on stdout."""
    if value is None:
        return
    from .frames import frame_text, is_frame

    if is_frame(value):
        text = frame_text(value, output or "text")
        if text:
            print(text)
    elif isinstance(value, dict) or output == "json":
        print(json.dumps(value, indent=2, ensure_ascii=False, default=str))
    elif getattr(value, "_ipython_display_", None) is None:
        print(value)  # text (a rendered prompt): as it is


def run() -> None:
    """The console script's entry point."""
    try:
        status = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `resource-magic list | head`: the reader left early
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = EXIT_OK
    sys.exit(status)
