"""Prompt rendering and workflow parameters.

Pure: no database, no IPython, nothing executed. Placeholders are `{{ name }}`
(spaces optional, `name` a Python identifier). Single braces are plain text, so JSON
or code in a prompt renders unchanged. Rendering is one pass of substitution: a value
that itself contains `{{ x }}` is inserted as it is, never re-rendered, and no value
is ever evaluated.
"""

from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Iterable, Mapping

from .errors import InvalidInput

PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def placeholders(text: str) -> list[str]:
    """The placeholder names in `text`, in order of first appearance, each once."""
    seen: dict[str, None] = {}
    for match in PLACEHOLDER_RE.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)


def missing_values(text: str, values: Mapping[str, object]) -> list[str]:
    """The placeholders of `text` that `values` has no value for."""
    return [name for name in placeholders(text) if name not in values]


def render_prompt(text: str, values: Mapping[str, object]) -> str:
    """Replace each `{{ name }}` with str(values[name]); a missing value is an error."""
    missing = missing_values(text, values)
    if missing:
        raise InvalidInput(_missing_message(missing))
    return PLACEHOLDER_RE.sub(lambda match: str(values[match.group(1)]), text)


def _missing_message(missing: list[str]) -> str:
    if len(missing) == 1:
        name = missing[0]
        return f"The prompt needs a value for '{name}': give it with -p {name}=VALUE."
    names = ", ".join(f"'{name}'" for name in missing[:-1]) + f" and '{missing[-1]}'"
    flags = " ".join(f"-p {name}=VALUE" for name in missing)
    return f"The prompt needs values for {names}: give them with {flags}."


def parse_value(text: str) -> object:
    """A Python literal (5, 2.5, True, None, 'x', [1, 2], {...}) if `text` is one, else
    the text itself."""
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text


def parse_parameters(pairs: Iterable[str]) -> dict[str, object]:
    """`KEY=VALUE` strings -> {KEY: value} (values via `parse_value`; last wins)."""
    parameters: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidInput(
                f"Cannot read the parameter {pair!r}: write KEY=VALUE, like n=5 or "
                "city=Paris."
            )
        if not key.isidentifier() or keyword.iskeyword(key):
            raise InvalidInput(
                f"Parameter name {key!r} is not a Python identifier: use letters, "
                "digits and _ (not starting with a digit)."
            )
        parameters[key] = parse_value(value)
    return parameters
