"""Prompt rendering and workflow parameters.

Pure: no database, no IPython, nothing executed. Placeholders are `{{ name }}`
(spaces optional, `name` a parameter name: an ASCII identifier, not a keyword).
Single braces are plain text, so JSON or code in a prompt renders unchanged. Rendering
is one pass of substitution: a value that itself contains `{{ x }}` is inserted as it
is, never re-rendered, and no value is ever evaluated.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .errors import InvalidInput
from .vocabulary import MAX_CONTENT_BYTES, PARAMETER_NAME, check_parameter_name

# A placeholder's name follows the one rule for parameter names: `{{ class }}` or
# `{{ __x__ }}` is plain text, as no parameter could ever fill it.
PLACEHOLDER_RE = re.compile(rf"\{{\{{\s*({PARAMETER_NAME})\s*\}}\}}", re.ASCII)
# The longest text a prompt may render to: four times a version's content limit (a
# full-size prompt and its values), more than any model's context window takes.
MAX_RENDERED = 4 * MAX_CONTENT_BYTES


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
    """Replace each `{{ name }}` with str(values[name]); a missing value is an error,
    and so is a result longer than MAX_RENDERED (measured before it is built)."""
    missing = missing_values(text, values)
    if missing:
        raise InvalidInput(_missing_message(missing))
    matches = list(PLACEHOLDER_RE.finditer(text))
    shown = {name: str(values[name]) for name in {m.group(1) for m in matches}}
    size = len(text) + sum(
        len(shown[m.group(1)]) - (m.end() - m.start()) for m in matches
    )
    if size > MAX_RENDERED:
        raise InvalidInput(
            f"The rendered prompt would be {size:,} characters: the limit is "
            f"{MAX_RENDERED:,}; give shorter values or use fewer placeholders."
        )
    return PLACEHOLDER_RE.sub(lambda match: shown[match.group(1)], text)


def _missing_message(missing: list[str], noun: str = "prompt") -> str:
    subject = "The prompt" if noun == "prompt" else noun
    if len(missing) == 1:
        name = missing[0]
        return f"{subject} needs a value for '{name}': give it with -p {name}=VALUE."
    names = ", ".join(f"'{name}'" for name in missing[:-1]) + f" and '{missing[-1]}'"
    flags = " ".join(f"-p {name}=VALUE" for name in missing)
    return f"{subject} needs values for {names}: give them with {flags}."


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
        parameters[check_parameter_name(key)] = parse_value(value)
    return parameters


# -- declared parameters: types from defaults, required ones, binding values ----------
# A parameter is declared with a default (`--param n=5`: an int, 5 unless given) or as
# required (`--param city`, any type; `--param n:int`, an int). Required ones are kept
# in the same {name: default} mapping as a marker default, so every path that already
# carries parameters (versions, forks, export files) carries them unchanged.
REQUIRED = "__required__"
PARAMETER_TYPES = ("int", "float", "bool", "str", "list", "dict")
_EXAMPLES = {
    "int": "5",
    "float": "0.5",
    "bool": "True",
    "str": "text",
    "list": "[1, 2]",
    "dict": "{'k': 1}",
}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str | None  # one of PARAMETER_TYPES, None: any value
    default: object
    required: bool

    def describe(self) -> str:
        """`n: int = 5`, `city: str (required)`, `x (required)`."""
        kind = f": {self.type}" if self.type else ""
        if self.required:
            return f"{self.name}{kind} (required)"
        return f"{self.name}{kind} = {self.default!r}"

    def declaration(self) -> str:
        """How `--param` declares it again: `n=5`, `city` or `n:int`."""
        if not self.required:
            return f"{self.name}={self.default!r}"
        return f"{self.name}:{self.type}" if self.type else self.name


def required_parameter(type_name: str | None = None) -> dict:
    """The stored default that marks a parameter as required (of a type, or any)."""
    return {REQUIRED: type_name}


def is_required(default: object) -> bool:
    return isinstance(default, dict) and set(default) == {REQUIRED}


def type_of(value: object) -> str | None:
    """The declared type a default fixes (None for None: any value)."""
    if isinstance(value, bool):
        return "bool"
    for name, kind in (("int", int), ("float", float), ("str", str), ("dict", dict)):
        if isinstance(value, kind):
            return name
    if isinstance(value, list | tuple):
        return "list"
    return None


def parameter_list(
    parameters: Mapping[str, object] | None, prompt: str | None = None
) -> list[Parameter]:
    """The declared parameters, sorted by name; a prompt's placeholders without a
    default are required text parameters."""
    found = {}
    for name, default in (parameters or {}).items():
        if is_required(default):
            found[name] = Parameter(name, default[REQUIRED], None, True)
        else:
            found[name] = Parameter(name, type_of(default), default, False)
    for name in placeholders(prompt or ""):
        found.setdefault(name, Parameter(name, "str", None, True))
    return [found[name] for name in sorted(found)]


def parse_declarations(items: Iterable[str]) -> dict[str, object]:
    """`--param` values of save: `n=5` (a default), `city` (required, any type) or
    `n:int` (required, an int) -> the {name: default} mapping that is stored."""
    declared: dict[str, object] = {}
    for item in items:
        if "=" in item:
            declared.update(parse_parameters([item]))
            continue
        name, colon, type_name = item.partition(":")
        name, type_name = name.strip(), type_name.strip()
        if not name:
            raise InvalidInput(
                f"Cannot read the parameter {item!r}: write NAME=DEFAULT, NAME "
                "(required) or NAME:TYPE (required, of a type), like n=5 or city."
            )
        check_parameter_name(name)
        if colon and type_name not in PARAMETER_TYPES:
            raise InvalidInput(
                f"Unknown parameter type {type_name!r} in {item!r}: use one of "
                f"{', '.join(PARAMETER_TYPES)}, like --param {name}:int."
            )
        declared[name] = required_parameter(type_name or None)
    return declared


def bind_parameters(
    resource: str,
    declared: list[Parameter],
    given: Mapping[str, object],
    raw: Mapping[str, str] | None = None,
    what: str = "parameter",
) -> dict[str, object]:
    """Every declared parameter's value: given, else its default. Refuses an unknown
    name (suggesting the nearest), a missing required one and a value of the wrong
    type, before anything runs. `raw`: the text each value was typed as, so a text
    parameter given `-p zip=02139` or `-p code=5` gets the text."""
    known = {p.name: p for p in declared}
    for key in given:
        if key not in known:
            raise InvalidInput(_unknown_message(resource, key, list(known), what))
    values: dict[str, object] = {}
    missing = []
    for parameter in declared:
        if parameter.name in given:
            text = (raw or {}).get(parameter.name)
            values[parameter.name] = _typed(
                resource, parameter, given[parameter.name], text
            )
        elif parameter.required:
            missing.append(parameter.name)
        else:
            values[parameter.name] = parameter.default
    if missing:
        noun = "prompt" if what == "placeholder" else f"'{resource}'"
        raise InvalidInput(_missing_message(missing, noun))
    return values


def _typed(resource: str, parameter: Parameter, value: object, text: str | None):
    kind = parameter.type
    if kind is None:
        return value
    if kind == "str":
        if isinstance(value, str):
            return value
        if text is not None:
            return text
    elif kind == "float":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    elif kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind == "list":
        if isinstance(value, list | tuple):
            return list(value)
    elif isinstance(value, dict if kind == "dict" else bool):
        return value
    article = "an" if kind == "int" else "a"
    shown = repr(value)
    shown = shown if len(shown) <= 40 else shown[:40] + "..."
    raise InvalidInput(
        f"The parameter '{parameter.name}' of '{resource}' takes {article} {kind}, "
        f"not {type(value).__name__} {shown}: give e.g. -p "
        f"{parameter.name}={_EXAMPLES[kind]}."
    )


def _unknown_message(resource: str, key: str, known: list[str], what: str) -> str:
    if not known:
        hint = (
            f"declare it when saving with --param {key}=DEFAULT"
            if what == "parameter"
            else "there is nothing to fill"
        )
        return f"'{resource}' has no {what}s: {hint}."
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"'{resource}' has no {what} '{key}'. Did you mean '{close[0]}'?"
    return f"'{resource}' has no {what} '{key}': it has {', '.join(sorted(known))}."
