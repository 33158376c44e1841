"""Reading an export file: everything in it is checked before anything is written.

An export file may come from anyone, so each field is checked the way the store checks
its own input, and a damaged file is refused whole with one line naming the resource
and what is wrong. Older files (without messages, labels or label moves) still read.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from ..errors import InvalidInput
from ..references import clean_settable_label
from ..validate import (
    check_content,
    check_parameters,
    clean_description,
    clean_message,
    clean_name,
    clean_tags,
    clean_type,
)
from .rows import clean_attachments

EXPORT_FORMAT = "resource_magic/1"


def parse_export(data: object) -> list[dict]:
    """Validate a whole export before anything is written."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise InvalidInput(
            f"This is not a resource_magic export (expected format {EXPORT_FORMAT!r})."
        )
    raw = data.get("resources")
    if not isinstance(raw, list):
        raise InvalidInput("The export has no list of resources.")
    items, seen = [], set()
    for position, entry in enumerate(raw, 1):
        where = f"resource #{position}"
        if not isinstance(entry, dict):
            raise InvalidInput(f"The export's {where} is not an object.")
        name = clean_name(entry.get("name"))
        if name in seen:
            raise InvalidInput(f"The export names '{name}' twice.")
        seen.add(name)
        resource_type = clean_type(entry.get("resource_type"))
        versions_raw = entry.get("versions")
        if not isinstance(versions_raw, list) or not versions_raw:
            raise InvalidInput(f"'{name}' in the export has no versions.")
        versions = []
        for position, v in enumerate(versions_raw, 1):
            if not isinstance(v, dict):
                raise InvalidInput(
                    f"A version of '{name}' in the export is not an object."
                )
            files = []
            for a in v.get("attachments") or []:
                try:
                    files.append(
                        (a["mime_type"], base64.b64decode(a["data"], validate=True))
                    )
                except (KeyError, TypeError, binascii.Error):
                    raise InvalidInput(
                        f"An attachment of '{name}' in the export is damaged."
                    ) from None
            versions.append(
                {
                    "content": check_content(resource_type, v.get("content")),
                    "parameters": check_parameters(v.get("parameters")),
                    "attachments": clean_attachments(files),
                    "message": clean_message(v.get("message")),
                    "number": _version_number(v, position, name),
                }
            )
        known = {v["number"] for v in versions}
        if len(known) != len(versions):
            raise InvalidInput(
                f"'{name}' in the export numbers two versions alike: fix the file; "
                "nothing was imported."
            )
        items.append(
            {
                "name": name,
                "resource_type": resource_type,
                "description": clean_description(entry.get("description")),
                "tags": clean_tags(entry.get("tags") or []),
                "is_public": _flag(entry, "is_public", name),
                "versions": versions,
                "labels": _labels(entry.get("labels"), known, name),
                "label_history": _label_history(
                    entry.get("label_history"), known, name
                ),
            }
        )
    return items


def _damaged(name: str, what: str) -> InvalidInput:
    return InvalidInput(
        f"'{name}' in the export has {what}: fix the file; nothing was imported."
    )


def _version_number(version: dict, position: int, name: str) -> int:
    """The version's number in the file (files always carry it; else its place)."""
    number = version.get("version", position)
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise _damaged(name, f"a version numbered {number!r}")
    return number


def _labels(raw: object, known: set[int], name: str) -> dict[str, int]:
    """[{"label": "production", "version": 2}, ...] -> {label: file version}; an
    older file has none."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise _damaged(name, "labels that are not a list")
    labels = {}
    for entry in raw:
        if not isinstance(entry, dict):
            raise _damaged(name, "a label that is not an object")
        try:
            label = clean_settable_label(entry.get("label"))
        except InvalidInput as exc:
            raise _damaged(name, f"a bad label ({exc})") from None
        if entry.get("version") not in known or isinstance(entry.get("version"), bool):
            raise _damaged(name, f"the label '{label}' on a version it does not hold")
        if label in labels:
            raise _damaged(name, f"the label '{label}' twice")
        labels[label] = entry["version"]
    return labels


def _label_history(raw: object, known: set[int], name: str) -> list[dict]:
    """[{"label", "from", "to", "at"}, ...], oldest first; an older file has none."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _damaged(name, "a label history that is not a list")
    moves = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise _damaged(name, "a label move that is not an object")
        try:
            label = clean_settable_label(entry.get("label"))
            at = datetime.fromisoformat(str(entry.get("at")))
        except (InvalidInput, ValueError) as exc:
            raise _damaged(name, f"a bad label move ({exc})") from None
        if at.tzinfo is None or at.utcoffset() is None:
            raise _damaged(name, "a label move without a time zone")
        try:
            at = at.astimezone(UTC)
        except OverflowError:
            raise _damaged(name, "a label move outside the years 1 to 9999") from None
        for end in ("from", "to"):
            value = entry.get(end)
            if value is not None and (isinstance(value, bool) or value not in known):
                raise _damaged(
                    name, f"a move of '{label}' from or to a version it does not hold"
                )
        moves.append(
            {"label": label, "from": entry.get("from"), "to": entry.get("to"), "at": at}
        )
    return moves


def _flag(entry: dict, field: str, name: str) -> bool:
    """A JSON true or false (absent means false); anything else refuses the import."""
    value = entry.get(field, False)
    if value is True or value is False:
        return value
    shown = json.dumps(value, ensure_ascii=True, default=repr)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    raise InvalidInput(
        f"'{name}' in the export has {field} {shown}, which is not true or false: "
        "fix the file (JSON true or false); nothing was imported."
    )
