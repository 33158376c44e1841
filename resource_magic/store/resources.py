"""Saving, finding, listing, changing and deleting resources; version history."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import and_, delete, func, insert, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidInput, NameTaken
from ..models import Attachment, Resource, ResourceTag, ResourceVersion, User
from ..records import (
    AttachmentRecord,
    Page,
    ResourceRecord,
    SaveResult,
    VersionRecord,
)
from ..validate import (
    MAX_ATTACHMENT_BYTES,
    check_content,
    check_parameters,
    clean_description,
    clean_message,
    clean_name,
    clean_search,
    clean_tags,
    clean_type,
    search_text,
)
from ..vocabulary import DEFAULT_SORT, MIME_LENGTH
from .core import MAX_VERSION, StoreCore, name_or_id
from .exposure import exposure, guard
from .listing import (
    COUNT_CAP,
    capped_count,
    check_anchor,
    order_and_seek,
    parse_sort,
)
from .search import SearchFilter, search_filter

SCOPES = ("mine", "public")
MAX_PAGE = 1000
MAX_OFFSET = 1_000_000_000


def clean_attachments(attachments: Iterable | None) -> list[tuple[str, bytes]]:
    """Accept (mime_type, data) pairs or AttachmentRecord-likes; text becomes UTF-8."""
    cleaned = []
    for item in attachments or ():
        mime, data = (
            (item.mime_type, item.data)
            if hasattr(item, "mime_type")
            else (item[0], item[1])
        )
        if (
            not isinstance(mime, str)
            or not 0 < len(mime) <= MIME_LENGTH
            or "/" not in mime
            or not mime.isprintable()  # no NUL, control characters or surrogates
        ):
            raise InvalidInput(f"{mime!r} is not a MIME type like image/png.")
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, bytes | bytearray):
            raise InvalidInput(f"The {mime} attachment must be bytes or text.")
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise InvalidInput(
                f"The {mime} output is {len(data):,} bytes: the limit is "
                f"{MAX_ATTACHMENT_BYTES:,} bytes per output."
            )
        cleaned.append((mime, bytes(data)))
    return cleaned


def _clean_save(
    name, content, resource_type, description, tags, parameters, attachments
) -> tuple:
    """save's arguments checked and cleaned, or InvalidInput: one place for save and
    check_save, so they cannot disagree."""
    resource_type = clean_type(resource_type)
    return (
        clean_name(name),
        resource_type,
        check_content(resource_type, content),
        clean_description(description),
        clean_tags(tags) if tags is not None else None,
        check_parameters(parameters),
        clean_attachments(attachments),
    )


class ResourceOps(StoreCore):
    # A listing counts its matches up to here, then says "10,000+" (store/listing.py).
    count_cap: int = COUNT_CAP

    # -- create / new version
    # ------------------------------------------------------------
    def check_save(
        self,
        name: str,
        content: object,
        *,
        resource_type: str = "workflow",
        description: str | None = None,
        tags: Sequence[str] | None = None,
        parameters: dict | None = None,
        attachments: Iterable | None = None,
    ) -> None:
        """Refuse, with the message save would give, what save would refuse before
        it writes (name, type, content, description, tags, parameters, outputs);
        touches no database. `%%resource save --run` asks this before running the
        cell, so a bad save never runs code first."""
        _clean_save(
            name, content, resource_type, description, tags, parameters, attachments
        )

    def save(
        self,
        name: str,
        content: object,
        *,
        resource_type: str = "workflow",
        description: str | None = None,
        tags: Sequence[str] | None = None,
        is_public: bool | None = None,
        parameters: dict | None = None,
        attachments: Iterable | None = None,
        allow_secrets: bool = False,
        message: str | None = None,
    ) -> SaveResult:
        """Create `name`, or add a version to my resource of that name and type;
        `message` says why this version exists.

        When the resource is (or becomes) public or shared, a version that looks like
        it holds a secret is refused (SecretFound) unless allow_secrets."""
        name, resource_type, content, description, tag_list, parameters, files = (
            _clean_save(
                name, content, resource_type, description, tags, parameters, attachments
            )
        )
        message = clean_message(message)
        now = self._now()
        with self._transaction(write=True) as session:
            uid = self._uid(session)
            was_public, shared = (
                exposure(session, uid, name, now)
                if not allow_secrets
                else (False, False)
            )
            ins = self._insert(Resource).values(
                id=uuid.uuid4(),
                user_id=uid,
                name=name,
                description=description,
                resource_type=resource_type,
                content=content,
                parameters=parameters,
                execution_count=0,
                fork_count=0,
                is_public=bool(is_public),
                current_version=1,
                search_text=search_text(name, description),
                created_at=now,
                updated_at=now,
            )
            changes = {
                "current_version": Resource.current_version + 1,
                "content": ins.excluded.content,
                "parameters": ins.excluded.parameters,
                "updated_at": ins.excluded.updated_at,
            }
            if description is not None:
                changes["description"] = ins.excluded.description
                changes["search_text"] = ins.excluded.search_text
            if is_public is not None:
                changes["is_public"] = ins.excluded.is_public
            stmt = ins.on_conflict_do_update(
                index_elements=["user_id", "name"],
                set_=changes,
                where=Resource.resource_type == ins.excluded.resource_type,
            ).returning(Resource.id, Resource.current_version, Resource.is_public)
            row = session.execute(stmt).first()
            if row is None:
                existing = session.scalar(
                    select(Resource.resource_type).where(
                        Resource.user_id == uid, Resource.name == name
                    )
                )
                raise InvalidInput(
                    f"'{name}' is already a {existing}: save the {resource_type} under "
                    "another name, or delete the old one first."
                )
            resource_id, version, now_public = row
            if tag_list is not None:
                self._set_tags(session, resource_id, tag_list)
            self._add_version(
                session, resource_id, version, content, parameters, files, now, message
            )
            # A private save of an unshared resource exposes nothing: no scan.
            if not allow_secrets and (now_public or was_public or shared):
                guard(session, resource_id, [version], was_public=was_public, now=now)
            return SaveResult(
                self._load_record(session, resource_id), created=version == 1
            )

    def _add_version(
        self,
        session,
        resource_id,
        version,
        content,
        parameters,
        files,
        now,
        message=None,
    ):
        version_id = session.scalar(
            insert(ResourceVersion)
            .values(
                resource_id=resource_id,
                version=version,
                content=content,
                parameters=parameters,
                message=message,
                created_at=now,
            )
            .returning(ResourceVersion.id)
        )
        if files:
            session.execute(
                insert(Attachment),
                [
                    {
                        "version_id": version_id,
                        "position": position,
                        "mime_type": mime,
                        "data": data,
                        "size": len(data),
                    }
                    for position, (mime, data) in enumerate(files)
                ],
            )
        return version_id

    # -- read
    # ----------------------------------------------------------------------------
    def get(self, ref: str) -> ResourceRecord:
        """Mine by name or id, or a public one by owner/name or id."""
        with self._transaction() as session:
            return self._get_record(session, ref)

    def get_with_attachments(
        self, ref: str
    ) -> tuple[ResourceRecord, tuple[AttachmentRecord, ...]]:
        """The record and its current version's outputs, in one read transaction."""
        with self._transaction() as session:
            record = self._get_record(session, ref)
            return record, self._attachments_of(session, record.id, record.version)

    def _get_record(self, session, ref: str) -> ResourceRecord:
        """One query for the row, its owner and parent (plus one for its tags)."""
        # The user id as a subquery: no separate lookup on this hot path.
        uid = self._uid_expr()
        owner, name, selector = self._parse_ref(ref)
        row = None
        if not self._names_a_token(name):
            visible = or_(Resource.user_id == uid, Resource.is_public.is_(True))
            if owner is not None:
                match = and_(User.name == owner, Resource.name == name, visible)
            else:
                match = name_or_id(uid, name, visible)
            row = session.execute(self._record_select(uid).where(match)).first()
        if row is None:
            raise self._not_found(session, ref)
        return self._at_version(session, self._to_record(row), selector)

    def list(
        self,
        search: str | None = None,
        *,
        resource_type: str | None = None,
        tag: str | None = None,
        scope: str = "mine",
        sort: str = DEFAULT_SORT,
        limit: int = 50,
        offset: int = 0,
        after: ResourceRecord | None = None,
        before: ResourceRecord | None = None,
        last: bool = False,
    ) -> Page:
        """One page of my (or all public) resources and the total (counted up to
        COUNT_CAP): most recently updated first, or by `sort` ("name" ascending,
        "-executions" descending). Page by `offset`, or by keyset: the page `after` or
        `before` a record of the page in view, or the `last` page (store/listing.py)."""
        needle = clean_search(search)
        if resource_type is not None:
            resource_type = clean_type(resource_type)
        if tag is not None:
            tag = clean_tags([tag])[0]
        if scope not in SCOPES:
            raise InvalidInput(f"Unknown scope {scope!r}: use 'mine' or 'public'.")
        chosen, descending = parse_sort(sort)
        if (
            isinstance(limit, bool)
            or not isinstance(limit, int)
            or not 1 <= limit <= MAX_PAGE
        ):
            raise InvalidInput(
                f"The limit must be a whole number from 1 to {MAX_PAGE}."
            )
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InvalidInput("The offset must be a whole number, 0 or more.")
        if offset > MAX_OFFSET:  # beyond any row; past 2**63 the databases overflow
            raise InvalidInput(
                f"The offset must be a whole number from 0 to {MAX_OFFSET:,}."
            )
        check_anchor(offset, after, before, last)
        order, seek, backwards = order_and_seek(chosen, descending, after, before, last)
        with self._transaction() as session:
            uid = self._uid(session)
            search = search_filter(session, needle) if needle else SearchFilter(true())
            where = [
                search.scoped(Resource.user_id) == uid
                if scope == "mine"
                else search.scoped(Resource.is_public).is_(True),
                search.clause,
            ]
            if resource_type:
                where.append(Resource.resource_type == resource_type)
            if tag:
                where.append(
                    Resource.id.in_(
                        select(ResourceTag.resource_id).where(ResourceTag.tag == tag)
                    )
                )
            total, capped = capped_count(
                session, where, max(self.count_cap, offset + limit)
            )
            stmt = (
                self._record_select(uid, with_content=False)
                .where(*where, *seek)
                .order_by(*order)
                .limit(limit + 1)  # one more: is there another page that way?
                .offset(offset)
            )
            rows = session.execute(stmt).all()
            more = len(rows) > limit
            rows = rows[:limit][::-1] if backwards else rows[:limit]
            items = tuple(self._to_record(row, with_content=False) for row in rows)
            return Page(
                items=items,
                total=total,
                limit=limit,
                offset=offset,
                total_capped=capped,
                more=more,
            )

    def names(self) -> list[str]:
        """All my resource names (for completion and suggestions)."""
        with self._transaction() as session:
            return list(
                session.scalars(
                    select(Resource.name)
                    .where(Resource.user_id == self._uid(session))
                    .order_by(Resource.name)
                )
            )

    # -- change
    # --------------------------------------------------------------------------
    def update(
        self,
        ref: str,
        *,
        rename: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        is_public: bool | None = None,
        content: object = None,
        parameters: dict | None = None,
        allow_secrets: bool = False,
        message: str | None = None,
    ) -> ResourceRecord:
        """Change metadata; new content or parameters make a new version (`message`
        says why). Only the owner may.

        Making it public, or new content of a public or shared resource, is refused
        (SecretFound) when what becomes visible looks like a secret, unless
        allow_secrets."""
        if all(
            v is None
            for v in (rename, description, tags, is_public, content, parameters)
        ):
            raise InvalidInput(
                "Nothing to update: give a new name, description, tags, public/private "
                "or content."
            )
        message = clean_message(message)
        if message is not None and content is None and parameters is None:
            raise InvalidInput(
                "A message describes a new version, and this update makes none (only "
                "new content or parameters do): leave out the message."
            )
        new_name = clean_name(rename) if rename is not None else None
        tag_list = clean_tags(tags) if tags is not None else None
        if description is not None:
            description = clean_description(description) or ""
        parameters = check_parameters(parameters)
        with self._transaction(write=True) as session:
            resource = self._own(session, ref, action="update")
            # Lock the row and read it again: on PostgreSQL another update may have
            # committed since the read above, and the new search text (and content, for
            # a parameters-only change) are computed from these values; or a delete,
            # and then there is nothing to update.
            resource = session.scalar(
                select(Resource)
                .where(Resource.id == resource.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
            if resource is None:
                raise self._not_found(session, ref)
            was_public = resource.is_public
            new_versions = []
            if content is not None:
                content = check_content(resource.resource_type, content)
            now = self._now()
            values: dict = {"updated_at": now}
            if new_name is not None and new_name != resource.name:
                taken = session.scalar(
                    select(Resource.id).where(
                        Resource.user_id == resource.user_id, Resource.name == new_name
                    )
                )
                if taken is not None:
                    raise NameTaken(
                        f"You already have a resource named '{new_name}': "
                        "pick another name."
                    )
                values["name"] = new_name
            if description is not None:
                values["description"] = description or None
            if new_name is not None or description is not None:
                values["search_text"] = search_text(
                    values.get("name", resource.name),
                    values.get("description", resource.description),
                )
            if is_public is not None:
                values["is_public"] = bool(is_public)
            if content is not None or parameters is not None:
                version = session.scalar(
                    update(Resource)
                    .where(Resource.id == resource.id)
                    .values(current_version=Resource.current_version + 1)
                    .returning(Resource.current_version)
                )
                new_content = content if content is not None else resource.content
                new_parameters = (
                    parameters if parameters is not None else resource.parameters
                )
                values["content"] = new_content
                values["parameters"] = new_parameters
                new_versions.append(version)
                self._add_version(
                    session,
                    resource.id,
                    version,
                    new_content,
                    new_parameters,
                    [],
                    now,
                    message,
                )
            try:
                session.execute(
                    update(Resource).where(Resource.id == resource.id).values(**values)
                )
            except IntegrityError:
                raise NameTaken(
                    f"You already have a resource named '{new_name}': "
                    "pick another name."
                ) from None
            if tag_list is not None:
                self._set_tags(session, resource.id, tag_list)
            if not allow_secrets:
                guard(
                    session, resource.id, new_versions, was_public=was_public, now=now
                )
            return self._load_record(session, resource.id)

    def delete(self, ref: str) -> str:
        """Delete one of my resources (forks live on, parentless); returns its name."""
        with self._transaction(write=True) as session:
            resource = self._own(session, ref, action="delete")
            session.execute(delete(Resource).where(Resource.id == resource.id))
            return resource.name

    def delete_user(self) -> int:
        """Delete the current user and all they own; returns the number of resources."""
        with self._transaction(write=True) as session:
            uid = self._uid(session)
            count = session.scalar(
                select(func.count())
                .select_from(Resource)
                .where(Resource.user_id == uid)
            )
            session.execute(delete(User).where(User.id == uid))
        return count

    def record_execution(self, ref: str) -> int:
        """Count one run of one of my resources, atomically; returns the new count."""
        with self._transaction(write=True) as session:
            clause = self._own_clause(session, ref)
            count = None
            if clause is not None:
                count = session.scalar(
                    update(Resource)
                    .where(clause)
                    .values(
                        execution_count=Resource.execution_count + 1,
                        last_executed_at=self._now(),
                    )
                    .returning(Resource.execution_count)
                    # nothing loaded to keep in sync: no extra "fetch" columns
                    .execution_options(synchronize_session=False)
                )
            if count is None:
                self._own(session, ref, action="run")  # raises the right error
            return count

    # -- versions
    # ------------------------------------------------------------------------
    def history(self, ref: str) -> list[VersionRecord]:
        """Every version of a resource I can see, oldest first, with its message and
        labels."""
        with self._transaction() as session:
            resource = self._visible(session, ref)
            return self._versions_of(session, resource.id, resource.current_version)

    def restore(
        self,
        ref: str,
        version: int | str,
        message: str | None = None,
        *,
        allow_secrets: bool = False,
    ) -> ResourceRecord:
        """Make a new version equal to an old one (a number or a label; history only
        grows); `message` says why. Refused like save when the resource is public or
        shared and that version holds a secret."""
        if isinstance(version, bool) or not isinstance(version, int | str):
            raise InvalidInput(
                f"The version must be a whole number or a label, not {version!r}."
            )
        message = clean_message(message)
        with self._transaction(write=True) as session:
            resource = self._own(session, ref, action="restore")
            # After the lookup: a reference to nothing reads as "not found" first.
            number = self._resolve_version(
                session, resource.id, resource.name, resource.current_version, version
            )
            old = session.scalar(
                select(ResourceVersion).where(
                    ResourceVersion.resource_id == resource.id,
                    ResourceVersion.version == number,
                )
            )
            now = self._now()
            new_version = session.scalar(
                update(Resource)
                .where(Resource.id == resource.id)
                .values(
                    current_version=Resource.current_version + 1,
                    content=old.content,
                    parameters=old.parameters,
                    updated_at=now,
                )
                .returning(Resource.current_version)
            )
            if new_version is None:  # deleted since the lookup (PostgreSQL)
                raise self._not_found(session, ref)
            files = [
                (a.mime_type, a.data)
                for a in session.scalars(
                    select(Attachment)
                    .where(Attachment.version_id == old.id)
                    .order_by(Attachment.position)
                )
            ]
            self._add_version(
                session,
                resource.id,
                new_version,
                old.content,
                old.parameters,
                files,
                now,
                message,
            )
            if not allow_secrets:
                guard(
                    session,
                    resource.id,
                    [new_version],
                    was_public=resource.is_public,
                    now=now,
                )
            return self._load_record(session, resource.id)

    def attachments(
        self, ref: str, version: int | None = None
    ) -> tuple[AttachmentRecord, ...]:
        """The captured outputs of a version (the current one by default)."""
        with self._transaction() as session:
            resource = self._visible(session, ref)
            if version is not None and abs(version) > MAX_VERSION:
                return ()  # no such version, as for any other missing one
            return self._attachments_of(
                session, resource.id, version or resource.current_version
            )

    def _attachments_of(
        self, session, resource_id, version
    ) -> tuple[AttachmentRecord, ...]:
        rows = session.scalars(
            select(Attachment)
            .join(ResourceVersion, Attachment.version_id == ResourceVersion.id)
            .where(
                ResourceVersion.resource_id == resource_id,
                ResourceVersion.version == version,
            )
            .order_by(Attachment.position)
        )
        return tuple(
            AttachmentRecord(
                position=a.position, mime_type=a.mime_type, data=a.data, size=a.size
            )
            for a in rows
        )
