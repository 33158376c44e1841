"""Export my resources (every version, with attachments) to a JSON-ready dict, and
import one back, all or nothing: a name I already have gets the imported versions as new
versions."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidInput
from ..models import (
    Attachment,
    Resource,
    ResourceLabel,
    ResourceLabelEvent,
    ResourceVersion,
)
from ..records import ImportResult
from ..validate import (
    check_content,
    check_parameters,
    clean_description,
    clean_message,
    clean_name,
    clean_settable_label,
    clean_tags,
    clean_type,
    search_text,
)
from .exposure import guard
from .lineage import LineageOps
from .resources import clean_attachments

EXPORT_FORMAT = "resource_magic/1"


class TransferOps(LineageOps):
    def export(self, names: Sequence[str] | None = None) -> dict:
        """My resources (all, or these names) with every version and attachment."""
        with self._read() as session:
            uid = self._uid(session)
            if names:
                chosen = []
                for ref in names:
                    whole, selector = self._whole(ref)
                    resource = self._own(session, whole, action="export")
                    only = None
                    if selector is not None:
                        only = self._version_number(
                            session, resource.id, resource.name, selector
                        )
                    chosen.append((resource, only))
            else:
                chosen = [
                    (resource, None)
                    for resource in session.scalars(
                        select(Resource)
                        .where(Resource.user_id == uid)
                        .order_by(Resource.name)
                    )
                ]
            items = [self._export_one(session, r, only) for r, only in chosen]
        return {"format": EXPORT_FORMAT, "user": self.user, "resources": items}

    def _export_one(self, session, resource: Resource, only: int | None) -> dict:
        """One resource: every version (or only version `only`, with the labels on
        it and no label history), labels and label moves."""
        versions = []
        chosen = select(ResourceVersion).where(
            ResourceVersion.resource_id == resource.id
        )
        if only is not None:
            chosen = chosen.where(ResourceVersion.version == only)
        for version in session.scalars(chosen.order_by(ResourceVersion.version)):
            files = session.scalars(
                select(Attachment)
                .where(Attachment.version_id == version.id)
                .order_by(Attachment.position)
            )
            versions.append(
                {
                    "version": version.version,
                    "created_at": version.created_at.isoformat(),
                    "content": version.content,
                    "parameters": version.parameters,
                    "message": version.message,
                    "attachments": [
                        {
                            "mime_type": a.mime_type,
                            "data": base64.b64encode(a.data).decode("ascii"),
                        }
                        for a in files
                    ],
                }
            )
        return {
            "name": resource.name,
            "resource_type": resource.resource_type,
            "description": resource.description,
            "tags": [t.tag for t in resource.tags],
            "is_public": resource.is_public,
            "versions": versions,
            "labels": [
                {"label": label, "version": number}
                for label, number in session.execute(
                    select(ResourceLabel.label, ResourceLabel.version)
                    .where(ResourceLabel.resource_id == resource.id)
                    .order_by(ResourceLabel.label)
                )
                if only is None or number == only
            ],
            "label_history": []
            if only is not None
            else [
                {
                    "label": move.label,
                    "from": move.from_version,
                    "to": move.to_version,
                    "at": move.at.isoformat(),
                }
                for move in session.scalars(
                    select(ResourceLabelEvent)
                    .where(ResourceLabelEvent.resource_id == resource.id)
                    .order_by(ResourceLabelEvent.id)
                )
            ],
        }

    def import_(
        self,
        data: object,
        progress: Callable[[int], None] | None = None,
        *,
        allow_secrets: bool = False,
    ) -> ImportResult:
        """Import an export; checks everything first, then writes in one transaction.

        Versions that become visible to others (a public resource, or a public or
        shared one of mine they are added to) are scanned as save does, unless
        allow_secrets; one finding refuses the whole import."""
        items = _parse_export(data)
        created, appended = [], []
        now = self._now()
        with self._write() as session:
            uid = self._uid(session)
            for item in items:
                existing = self._named(session, uid, item["name"])
                resource = None
                if existing is None:
                    resource = self._create_imported(session, uid, item, now)
                    if resource is None:  # made meanwhile by another kernel: append
                        existing = self._named(session, uid, item["name"])
                if (
                    existing is not None
                    and existing.resource_type != item["resource_type"]
                ):
                    raise InvalidInput(
                        f"'{item['name']}' is a {existing.resource_type} here but a "
                        f"{item['resource_type']} in the file: rename one; "
                        "nothing was imported."
                    )
                if existing is None:
                    created.append(item["name"])
                    was_public = False
                else:
                    resource = existing
                    appended.append(item["name"])
                    was_public = existing.is_public
                added = []
                numbers = {}  # the file's version number -> the one it gets here
                for version in item["versions"]:
                    number = session.scalar(
                        update(Resource)
                        .where(Resource.id == resource.id)
                        .values(
                            current_version=Resource.current_version + 1,
                            content=version["content"],
                            parameters=version["parameters"],
                            updated_at=now,
                        )
                        .returning(Resource.current_version)
                    )
                    self._add_version(
                        session,
                        resource.id,
                        number,
                        version["content"],
                        version["parameters"],
                        version["attachments"],
                        now,
                        version["message"],
                    )
                    added.append(number)
                    numbers[version["number"]] = number
                self._import_labels(session, resource.id, item, numbers, now)
                if not allow_secrets:
                    guard(session, resource.id, added, was_public=was_public, now=now)
                if progress is not None:
                    progress(1)
        return ImportResult(created=tuple(created), new_versions=tuple(appended))

    @staticmethod
    def _import_labels(session, resource_id, item: dict, numbers: dict, now) -> None:
        """The file's label moves (renumbered), then its labels, as the file has them;
        a label this resource already has moves, and the move is recorded."""
        for move in item["label_history"]:
            session.add(
                ResourceLabelEvent(
                    resource_id=resource_id,
                    label=move["label"],
                    from_version=numbers.get(move["from"]),
                    to_version=numbers.get(move["to"]),
                    at=move["at"],
                )
            )
        for label, file_number in item["labels"].items():
            number = numbers[file_number]
            old = session.scalar(
                select(ResourceLabel).where(
                    ResourceLabel.resource_id == resource_id,
                    ResourceLabel.label == label,
                )
            )
            if old is None:
                session.add(
                    ResourceLabel(
                        resource_id=resource_id, label=label, version=number, set_at=now
                    )
                )
            elif old.version != number:
                if not item["label_history"]:
                    session.add(
                        ResourceLabelEvent(
                            resource_id=resource_id,
                            label=label,
                            from_version=old.version,
                            to_version=number,
                            at=now,
                        )
                    )
                old.version, old.set_at = number, now
        session.flush()

    @staticmethod
    def _named(session, uid: int, name: str) -> Resource | None:
        return session.scalar(
            select(Resource).where(Resource.user_id == uid, Resource.name == name)
        )

    def _create_imported(self, session, uid: int, item: dict, now) -> Resource | None:
        """A new resource for `item`, no versions yet; None if its name was just taken.

        Between the check for the name and this insert another kernel may create it (on
        PostgreSQL the check does not lock a row that does not exist yet): the savepoint
        turns that unique violation into "append to it", as the name had existed before.
        """
        last = item["versions"][-1]
        resource = Resource(
            user_id=uid,
            name=item["name"],
            description=item["description"],
            resource_type=item["resource_type"],
            content=last["content"],
            parameters=last["parameters"],
            execution_count=0,
            fork_count=0,
            is_public=item["is_public"],
            current_version=0,
            search_text=search_text(item["name"], item["description"]),
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(resource)
                session.flush()
        except IntegrityError:
            return None
        self._set_tags(session, resource.id, item["tags"])
        return resource


def _parse_export(data: object) -> list[dict]:
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
