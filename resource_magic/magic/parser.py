"""Argument parsing that raises IPython's UsageError instead of exiting the kernel.

IPython shows a `UsageError` as one line ("UsageError: ...") with no traceback, but only
for that exact class, so `error()` raises it, never a subclass. `-h` prints the help and
stops through `HelpShown`, which the router swallows.
"""

from __future__ import annotations

import argparse
import difflib
import re
from typing import NoReturn

from IPython.core.error import UsageError
from IPython.core.magic_arguments import ArgMethodWrapper, argument

_UNRECOGNIZED = re.compile(r"^unrecognized arguments: (.*)$")
_REQUIRED = re.compile(r"^the following arguments are required: (.*)$")


class HelpShown(Exception):
    """Raised after `-h` printed the help: the command stops, nothing else happens."""


class CommandParser(argparse.ArgumentParser):
    """An ArgumentParser for one subcommand; mistakes become one-line UsageErrors."""

    def __init__(self, subcommand: str, **kwargs) -> None:
        kwargs.setdefault("prog", f"%resource {subcommand}")
        kwargs.setdefault("allow_abbrev", False)
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(**kwargs)
        self.subcommand = subcommand

    def parse_known_args(self, args=None, namespace=None):
        return super().parse_known_args(self._dash_values(args), namespace)

    def _dash_values(self, words):
        """`--sort -executions` as `--sort=-executions`: argparse takes a word that
        starts with - for an option (and says the option lacks its value), so an
        option that expects one value gets the next word when that word is not one
        of this parser's options."""
        if words is None:
            return None
        words = list(words)
        joined: list[str] = []
        index = 0
        while index < len(words):
            word = words[index]
            following = words[index + 1] if index + 1 < len(words) else None
            action = self._option_string_actions.get(word)
            if (
                action is not None
                and action.nargs is None
                and following is not None
                and following.startswith("-")
                and following != "--"
                and not self._is_option(following)
            ):
                joined.append(f"{word}={following}")
                index += 2
                continue
            joined.append(word)
            index += 1
        return joined

    def _is_option(self, word: str) -> bool:
        """True when `word` names one of this parser's options (-t, -tX, --tag=X)."""
        head = word.split("=", 1)[0]
        if head in self._option_string_actions:
            return True
        return not word.startswith("--") and word[:2] in self._option_string_actions

    def error(self, message: str) -> NoReturn:
        message = self._truly_required(_readable(message))
        suggestion = self._suggest_option(message)
        raise UsageError(
            f"{self.prog}: {message}.{suggestion} See %resource help {self.subcommand}."
        )

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:  # argparse only exits non-zero through error(); be safe anyway
            self.error((message or "invalid arguments").strip())
        raise HelpShown

    def _truly_required(self, message: str) -> str:
        """argparse lists an optional positional (nargs * or ?) among the missing
        "required" ones when an earlier positional is missing: keep only those a
        user must give (`%resource export` needs FILE, not NAME)."""
        match = _REQUIRED.match(message)
        if not match:
            return message
        optional = {
            action.metavar or action.dest
            for action in self._actions
            if not action.option_strings and action.nargs in ("*", "?")
        }
        names = [n for n in match.group(1).split(", ") if n not in optional]
        if not names:
            return message
        return f"the following arguments are required: {', '.join(names)}"

    def _suggest_option(self, message: str) -> str:
        match = _UNRECOGNIZED.match(message)
        if not match:
            return ""
        first = match.group(1).split()[0]
        if not first.startswith("-"):
            return ""
        options = [o for action in self._actions for o in action.option_strings]
        close = difflib.get_close_matches(first.split("=")[0], options, n=1, cutoff=0.6)
        return f" Did you mean {close[0]}?" if close else ""


def _readable(message: str) -> str:
    """argparse's wording, tidied into one line without a trailing period."""
    return " ".join(message.split()).rstrip(".")


def positive_int(what: str):
    """An argparse `type` for whole numbers >= 0 with a message that names `what`."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"the {what} must be a whole number, not {text!r}"
            ) from None
        if value < 0:
            raise argparse.ArgumentTypeError(
                f"the {what} must be 0 or more, not {value}"
            )
        return value

    convert.__name__ = what  # argparse names the type in some messages
    return convert


class one_of(ArgMethodWrapper):  # noqa: N801 - a decorator, named like IPython's
    """Open a mutually exclusive group: the `argument`s written below it join it."""

    def add_to_parser(self, parser, group):
        return parser.add_mutually_exclusive_group(*self.args, **self.kwds)


# Arguments several subcommands share, used as decorators like any `argument`.
visible_name = argument(
    "name", metavar="NAME", help="one of your resources, or owner/name of a public one"
)
own_name = argument("name", metavar="NAME", help="one of your resources")
allow_secrets = argument(
    "--allow-secrets",
    dest="allow_secrets",
    action="store_true",
    help="go ahead even if what others would see looks like a key, token or password",
)
