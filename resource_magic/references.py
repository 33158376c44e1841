"""How a user points at things: a reference (name, owner/name or id) the databases can
compare, and what may follow NAME@ (a version number, a label, or `latest`), with the
rules for labels. Pure: no database, no IPython."""

from __future__ import annotations

import re

from .errors import InvalidInput
from .validate import check_unicode


def check_ref(ref: str) -> None:
    """A reference (name, owner/name or id) the databases can compare: no NUL (which
    PostgreSQL refuses in text), no unpaired surrogate. No name holds either."""
    check_unicode(ref, "reference")
    if "\x00" in ref:
        raise InvalidInput(
            "The reference contains a NUL character, which no name has: remove it."
        )


# -- versions and labels in references: NAME@3, NAME@production, owner/NAME@staging --
MAX_LABEL = 32
LATEST = "latest"  # always the current version; never set by hand
_LABEL_RE = re.compile(r"[a-z][a-z0-9_-]*")


def clean_label_name(label: object) -> str:
    """A label: a short lowercase word (production, staging, v2-candidate)."""
    if not isinstance(label, str):
        raise InvalidInput("The label must be text, like production.")
    text = label.strip()
    if not (_LABEL_RE.fullmatch(text) and len(text) <= MAX_LABEL):
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise InvalidInput(
            f"{shown!r} is not a label: use a short lowercase word like production, "
            f"staging or v2-candidate (a-z, 0-9, - and _, starting with a letter, at "
            f"most {MAX_LABEL} characters)."
        )
    return text


def clean_settable_label(label: object) -> str:
    text = clean_label_name(label)
    if text == LATEST:
        raise InvalidInput(
            f"'{LATEST}' always means the current version, so it cannot be set: "
            "choose another label."
        )
    return text


def parse_selector(text: str) -> int | str | None:
    """What follows NAME@: a version number, a label, or None for `latest`."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        return int(text)
    if not text:
        raise InvalidInput(
            "Nothing follows '@': give a version number (NAME@3) or a label "
            "(NAME@production)."
        )
    label = clean_label_name(text)
    return None if label == LATEST else label


def split_selector(name: str) -> tuple[str, int | str | None]:
    """`etl@3` -> ('etl', 3); `etl@production` -> ('etl', 'production'); `etl` ->
    ('etl', None). The last '@' counts (names saved from now on cannot hold one)."""
    if "@" not in name:
        return name, None
    base, _, selector = name.rpartition("@")
    return base.strip(), parse_selector(selector)
