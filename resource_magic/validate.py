"""Checks on everything a user hands the store; each failure is an InvalidInput that
says what to do. Pure: no database, no IPython."""

from __future__ import annotations

import json
import math
import sys
import unicodedata

from .errors import InvalidInput
from .tokens import TOKEN_PREFIX
from .vocabulary import (
    MAX_CONTENT_BYTES,
    NAME_LENGTH,
    RESOURCE_TYPES,
    TAG_LENGTH,
    check_parameter_name,
)

MAX_NAME = NAME_LENGTH
MAX_TAG = TAG_LENGTH
MAX_TAGS = 32
MAX_DESCRIPTION = 20_000
MAX_SEARCH = 1_000
MAX_JSON_DEPTH = 64
MAX_ATTACHMENT_BYTES = 10 * 1_048_576
_ALLOWED_CONTROL = {"\n", "\t", "\r"}


def _has_control(text: str, allowed: set[str] | frozenset = frozenset()) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def check_unicode(text: str, what: str) -> None:
    """Refuse unpaired surrogates: neither database can store them (a notebook's JSON
    can carry them into a cell), so they would fail deep inside the driver."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            f"The {what} contains an unpaired surrogate, which is not valid Unicode: "
            "remove it."
        ) from None


def clean_label(text: object, what: str, max_len: int) -> str:
    """Trim and NFKC-normalise a label; refuse empty, too long or control characters."""
    if not isinstance(text, str):
        raise InvalidInput(f"The {what} must be text.")
    check_unicode(text, what)
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned:
        raise InvalidInput(f"The {what} is empty: give 1 to {max_len} characters.")
    if len(cleaned) > max_len:
        raise InvalidInput(
            f"The {what} is {len(cleaned)} characters long: use at most {max_len}."
        )
    if _has_control(cleaned):
        raise InvalidInput(
            f"The {what} contains control characters (such as NUL or a newline): "
            "remove them."
        )
    return cleaned


def clean_name(name: object, what: str = "name") -> str:
    cleaned = clean_label(name, what, MAX_NAME)
    if what == "name" and "@" in cleaned:
        raise InvalidInput(
            f"The name {cleaned!r} contains '@', which is kept for NAME@VERSION and "
            "NAME@LABEL: use another character."
        )
    if "/" in cleaned:
        raise InvalidInput(
            f"The {what} {cleaned!r} contains '/', which is kept for owner/name: "
            "use another character."
        )
    if cleaned.startswith(TOKEN_PREFIX):
        raise InvalidInput(
            f"Names may not start with {TOKEN_PREFIX!r} (that marks share tokens): "
            "choose another name."
        )
    return cleaned


def clean_user(name: object) -> str:
    return clean_name(name, "user name")


def clean_type(resource_type: object) -> str:
    if resource_type not in RESOURCE_TYPES:
        raise InvalidInput(
            f"Unknown resource type {resource_type!r}: use one of "
            + ", ".join(RESOURCE_TYPES)
            + "."
        )
    return resource_type  # type: ignore[return-value]


def clean_description(description: object) -> str | None:
    if description is None:
        return None
    if not isinstance(description, str):
        raise InvalidInput("The description must be text.")
    check_unicode(description, "description")
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"The description is {len(description)} characters long: "
            f"use at most {MAX_DESCRIPTION}."
        )
    if _has_control(description, _ALLOWED_CONTROL):
        raise InvalidInput("The description contains control characters: remove them.")
    return description or None


MAX_MESSAGE = 2_000


def clean_message(message: object) -> str | None:
    """Why a version exists (`-m`): text, at most MAX_MESSAGE characters."""
    if message is None:
        return None
    if not isinstance(message, str):
        raise InvalidInput("The version message must be text.")
    check_unicode(message, "version message")
    message = message.strip()
    if len(message) > MAX_MESSAGE:
        raise InvalidInput(
            f"The version message is {len(message)} characters long: use at most "
            f"{MAX_MESSAGE}."
        )
    if _has_control(message, _ALLOWED_CONTROL):
        raise InvalidInput(
            "The version message contains control characters: remove them."
        )
    return message or None


def clean_tags(tags: object) -> list[str]:
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = [tags]
    cleaned = []
    for tag in tags:  # type: ignore[union-attr]
        tag = clean_label(tag, "tag", MAX_TAG)
        if any(ch.isspace() or ch == "," for ch in tag):
            raise InvalidInput(
                f"The tag {tag!r} contains a space or comma: give one tag per --tag."
            )
        if tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise InvalidInput(f"{len(cleaned)} tags given: use at most {MAX_TAGS}.")
    return sorted(cleaned)


def clean_search(text: object) -> str | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise InvalidInput("The search text must be text.")
    if len(text) > MAX_SEARCH:
        raise InvalidInput(
            f"The search text is too long: use at most {MAX_SEARCH} characters."
        )
    if "\x00" in text:
        raise InvalidInput("The search text contains a NUL character: remove it.")
    check_unicode(text, "search text")
    folded = search_fold(text.strip())
    return folded or None


def search_fold(text: str) -> str:
    """The case folding every search uses on both backends (Python's, not SQL's)."""
    return unicodedata.normalize("NFKC", text).casefold()


def search_text(name: str, description: str | None) -> str:
    return search_fold(name + "\n" + (description or ""))


# Python writes floats from 1e16 up with an exponent (1e+16); PostgreSQL's jsonb reads
# such a number as an exact decimal and gives back a whole number (1e300 comes back as
# 10**300, a different value), while SQLite keeps the text. Refused on both, so both
# decide the same and what is read back is what was saved.
MAX_EXACT_FLOAT = 1e16


def _check_json_values(value: object, what: str) -> None:
    """Depth, NaN/Infinity, floats too large to keep, keys that are not text."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise InvalidInput(
                f"The {what} is nested more than {MAX_JSON_DEPTH} levels deep."
            )
        if isinstance(item, dict):
            for key in item:
                if not isinstance(key, str):
                    raise InvalidInput(
                        f"The key {key!r} in the {what} is not text: "
                        "JSON keys are strings."
                    )
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, float):
            if math.isnan(item) or math.isinf(item):
                raise InvalidInput(
                    f"The {what} contains NaN or Infinity, which JSON cannot hold: "
                    "use null or a number."
                )
            if abs(item) >= MAX_EXACT_FLOAT:
                raise InvalidInput(
                    f"The number {item!r} in the {what} is too large to keep exactly: "
                    "write it as a whole number or a string."
                )


def _too_many_digits(what: str) -> InvalidInput:
    return InvalidInput(
        f"A number in the {what} has more than {sys.get_int_max_str_digits()} "
        "digits: write it as a string."
    )


def _encode_json(value: object, what: str) -> str:
    _check_json_values(value, what)
    try:
        encoded = json.dumps(value, allow_nan=False, ensure_ascii=False)
    except ValueError:  # NaN and Infinity were refused above
        raise _too_many_digits(what) from None
    except TypeError as exc:
        raise InvalidInput(f"The {what} is not JSON: {exc}.") from None
    if "\\u0000" in encoded or "\x00" in encoded:
        raise InvalidInput(f"The {what} contains a NUL character: remove it.")
    check_unicode(encoded, what)
    return encoded


def parse_agent_config(text: str) -> dict:
    """Parse a cell body as an agent_config: a JSON object."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except _NonFiniteNumber:
        raise InvalidInput(
            "The agent_config contains NaN or Infinity, which JSON cannot hold: "
            "use null or a number."
        ) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The agent_config is not valid JSON "
            f"(line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}): fix the cell and save again."
        ) from None
    except RecursionError:
        raise InvalidInput(
            f"The agent_config is nested more than {MAX_JSON_DEPTH} levels deep."
        ) from None
    except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
        raise _too_many_digits("agent_config") from None
    return value


class _NonFiniteNumber(ValueError):
    pass


def _refuse_constant(name: str):
    raise _NonFiniteNumber(name)


def check_content(resource_type: str, content: object) -> object:
    """Refuse content the type cannot hold, NaN, NUL, too deep or too big."""
    if resource_type == "agent_config":
        if isinstance(content, str):
            content = parse_agent_config(content)
        if not isinstance(content, dict):
            raise InvalidInput(
                'An agent_config must be a JSON object, like {"model": "gpt-4o"}.'
            )
        encoded = _encode_json(content, "agent_config")
    else:
        if not isinstance(content, str):
            raise InvalidInput(f"A {resource_type}'s content must be text.")
        if not content.strip():
            raise InvalidInput(
                f"The {resource_type} is empty: put its text in the cell."
            )
        if "\x00" in content:
            raise InvalidInput(
                f"The {resource_type} contains a NUL character: remove it."
            )
        check_unicode(content, resource_type)
        encoded = _encode_json(content, resource_type)
    size = len(encoded.encode("utf-8"))
    if size > MAX_CONTENT_BYTES:
        raise InvalidInput(
            f"The content is {size:,} bytes: the limit is {MAX_CONTENT_BYTES:,} bytes "
            "per version; keep large data in files and save the code that loads it."
        )
    return content


def check_parameters(parameters: object) -> dict | None:
    if parameters is None:
        return None
    if not isinstance(parameters, dict):
        raise InvalidInput("Parameters must be a mapping of names to default values.")
    for key in parameters:
        check_parameter_name(key)
    size = len(_encode_json(parameters, "parameters").encode("utf-8"))
    if size > MAX_CONTENT_BYTES:
        raise InvalidInput(
            f"The parameters are {size:,} bytes as JSON: the limit is "
            f"{MAX_CONTENT_BYTES:,} bytes, as for content; keep large data in files "
            "and give their paths."
        )
    return dict(parameters) or None
