"""Saving, finding, listing, changing and deleting resources."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import InvalidInput, NameTaken
from ..records import AttachmentRecord, ResourceRecord, SaveResult
from ..schema import resource_table, user_table
from ..validate import (
    check_content,
    check_parameters,
    clean_description,
    clean_message,
    clean_name,
    clean_tags,
    clean_type,
    search_text,
)
from . import prepared, team_paths
from .core import StoreCore
from .exposure import guard
from .refs import name_or_id_params, parse_uuid
from .rows import clean_attachments, new_resource


def _clean_save(
    name, content, resource_type, description, tags, parameters, attachments, message
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
        clean_message(message),
    )


class ResourceOps(StoreCore):
    """Save, get, update, delete and count runs; listings are store/listing.py's."""

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
        message: str | None = None,
    ) -> None:
        """Refuse, with the message save would give, what save would refuse before
        it writes (name, type, content, description, tags, parameters, outputs,
        version message); touches no database. `%%resource save --run` asks this
        before running the cell, so a bad save never runs code first."""
        _clean_save(
            name,
            content,
            resource_type,
            description,
            tags,
            parameters,
            attachments,
            message,
        )

    def save(
        self,
        name: str,
        content: object,
        *,
        resource_type: str | None = "workflow",
        description: str | None = None,
        tags: Sequence[str] | None = None,
        is_public: bool | None = None,
        parameters: dict | None = None,
        keep_parameters: bool = False,
        attachments: Iterable | None = None,
        allow_secrets: bool = False,
        message: str | None = None,
    ) -> SaveResult:
        """Create `name`, or add a version to my resource of that name and type;
        `message` says why this version exists.

        `resource_type=None`: the existing resource's type (a new one is a workflow).
        `keep_parameters`: without `parameters`, a new version keeps the current
        ones. Either way the store reads what it keeps in the same transaction, so a
        caller needs no read of its own first.

        When the resource is (or becomes) public or shared, a version that looks like
        it holds a secret is refused (SecretFound) unless allow_secrets."""
        arguments = (description, tags, parameters, attachments, message)
        if resource_type is not None:
            cleaned = _clean_save(name, content, resource_type, *arguments)
            name = cleaned[0]
        else:
            # The type (and so what the content may be) comes from the database:
            # the name first, the rest in _clean_save's order once the type is known.
            name = clean_name(name)
        keep = keep_parameters and parameters is None
        now = self._now()
        with self._transaction(write=True) as connection:
            uid, existing_type, was_public, shared = self._before_save(
                connection, name, now, scan=not allow_secrets
            )
            if resource_type is None:
                cleaned = _clean_save(
                    name, content, existing_type or "workflow", *arguments
                )
            (
                name,
                resource_type,
                content,
                description,
                tag_list,
                parameters,
                files,
                message,
            ) = cleaned
            # The whole row as it is now (kept parameters, counters, parent), so the
            # record needs no read-back of the row itself.
            stmt = prepared.upsert(
                self.engine.dialect.name,
                keep,
                description is not None,
                is_public is not None,
            )
            values = prepared.new_row_values(
                new_resource(
                    uid,
                    name,
                    resource_type,
                    description=description,
                    content=content,
                    parameters=parameters,
                    is_public=bool(is_public),
                    now=now,
                )
            )
            row = connection.execute(stmt, values).first()
            if row is None:
                existing = connection.scalar(
                    select(resource_table.c.resource_type).where(
                        resource_table.c.user_id == uid, resource_table.c.name == name
                    )
                )
                raise InvalidInput(
                    f"'{name}' is already a {existing}: save the {resource_type} under "
                    "another name, or delete the old one first."
                )
            resource_id, version = row.id, row.current_version
            if tag_list is not None:
                self._set_tags(connection, resource_id, tag_list)
            self._add_version(
                connection,
                resource_id,
                version,
                content,
                row.parameters,
                files,
                now,
                message,
            )
            # A private save of an unshared resource exposes nothing: no scan.
            if not allow_secrets and (row.is_public or was_public or shared):
                guard(
                    connection, resource_id, [version], was_public=was_public, now=now
                )
            return SaveResult(
                self._own_record(connection, row, tag_list),
                created=version == 1,
            )

    def _before_save(
        self, db: Connection, name: str, now: datetime, *, scan: bool
    ) -> tuple[int, str | None, bool, bool]:
        """(my user id, the type of my resource `name` or None, and whether it is
        public and shared now (when `scan`)), in one query while my user row exists;
        the row is made by my first save."""
        values = {"user": self.user, "name": name, "now": now}
        row = db.execute(prepared.before_save(scan), values).first()
        if row is None:  # my first write: no resource of mine yet either
            return self._uid(db), None, False, False
        uid, existing_type, is_public, is_shared = row
        self._remember_uid(db, uid)
        return uid, existing_type, bool(is_public), bool(is_shared)

    # -- read
    # ----------------------------------------------------------------------------
    def get(self, ref: str) -> ResourceRecord:
        """Mine by name or id, or a public one by owner/name or id."""
        with self._transaction() as connection:
            return self._get_record(connection, ref)

    def get_with_attachments(
        self, ref: str
    ) -> tuple[ResourceRecord, tuple[AttachmentRecord, ...]]:
        """The record and its current version's outputs, in one read transaction."""
        with self._transaction() as connection:
            record, has_outputs = self._get_record_flagged(
                connection, ref, with_outputs=True
            )
            return record, self._outputs_of(connection, record, has_outputs)

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
        with self._transaction(write=True) as conn:
            resource = self._own(conn, ref, action="update")
            # Lock the row and read it again: on PostgreSQL another update may have
            # committed since the read above, and the new search text (and content, for
            # a parameters-only change) are computed from these values; or a delete,
            # and then there is nothing to update.
            resource = conn.execute(
                select(resource_table)
                .where(resource_table.c.id == resource.id)
                .with_for_update()
            ).first()
            if resource is None:
                raise self._not_found(conn, ref)
            was_public = resource.is_public
            new_versions = []
            if content is not None:
                content = check_content(resource.resource_type, content)
            now = self._now()
            values: dict = {"updated_at": now}
            if new_name is not None and new_name != resource.name:
                taken = conn.scalar(
                    select(resource_table.c.id).where(
                        resource_table.c.user_id == resource.user_id,
                        resource_table.c.name == new_name,
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
                version = conn.scalar(
                    update(resource_table)
                    .where(resource_table.c.id == resource.id)
                    .values(current_version=resource_table.c.current_version + 1)
                    .returning(resource_table.c.current_version)
                )
                new_content = content if content is not None else resource.content
                new_parameters = (
                    parameters if parameters is not None else resource.parameters
                )
                values["content"] = new_content
                values["parameters"] = new_parameters
                new_versions.append(version)
                self._add_version(
                    conn,
                    resource.id,
                    version,
                    new_content,
                    new_parameters,
                    [],
                    now,
                    message,
                )
            try:
                conn.execute(
                    update(resource_table)
                    .where(resource_table.c.id == resource.id)
                    .values(**values)
                )
            except IntegrityError:
                raise NameTaken(
                    f"You already have a resource named '{new_name}': "
                    "pick another name."
                ) from None
            if tag_list is not None:
                self._set_tags(conn, resource.id, tag_list)
            if not allow_secrets:
                guard(conn, resource.id, new_versions, was_public=was_public, now=now)
            return self._load_record(conn, resource.id)

    def delete(self, ref: str) -> str:
        """Delete one of my resources (forks live on, parentless); returns its name."""
        with self._transaction(write=True) as conn:
            resource = self._own(conn, ref, action="delete")
            conn.execute(
                delete(resource_table).where(resource_table.c.id == resource.id)
            )
            return resource.name

    def delete_user(self) -> int:
        """Delete the current user and all they own; returns the number of resources."""
        with self._transaction(write=True) as conn:
            uid = self._uid(conn)
            count = conn.scalar(
                select(func.count())
                .select_from(resource_table)
                .where(resource_table.c.user_id == uid)
            )
            conn.execute(delete(user_table).where(user_table.c.id == uid))
        return count

    def _count_mine(self, connection: Connection, ref: str) -> int | None:
        """One more run of my resource `ref` (a plain database's one UPDATE): the new
        count, or None when no resource of mine is called that."""
        owner, name = self._split_owner(ref)
        if (owner is not None and owner != self.user) or self._names_a_token(name):
            return None
        ident = parse_uuid(name)
        values = {"me": self.user, "ref_name": name, "now": self._now()}
        if ident is not None:
            values["ref_id"] = ident
        return connection.execute(self._count_run(ident is not None), values).scalar()

    _COUNT_RUN: dict = {}  # _count_run's statements, by whether the ref is an id

    def _count_run(self, by_id: bool):
        """One more run of my resource :ref_name (or the id :ref_id it spells) at :now,
        returning the new count; built once."""
        stmt = self._COUNT_RUN.get(by_id)
        if stmt is None:
            uid = (
                select(user_table.c.id)
                .where(user_table.c.name == bindparam("me"))
                .scalar_subquery()
            )
            now = bindparam("now", type_=resource_table.c.last_executed_at.type)
            stmt = self._COUNT_RUN[by_id] = (
                update(resource_table)
                .where(name_or_id_params(uid, by_id))
                .values(
                    execution_count=resource_table.c.execution_count + 1,
                    last_executed_at=now,
                )
                .returning(resource_table.c.execution_count)
            )
        return stmt

    def record_execution(self, ref: str) -> int:
        """Count one run of one of my resources, atomically; returns the new count."""
        if not self.team:  # the common case: one UPDATE
            with self._transaction(write=True) as connection:
                count = self._count_mine(connection, ref)
            if count is not None:
                return count
        with self._transaction(write=True) as conn:
            count = None
            if self.team:
                clause = self._own_clause(conn, ref)
                if clause is not None:
                    # A member may not set counters: the team's function counts.
                    count = team_paths.record_execution(conn, clause)
            else:  # counted meanwhile, or the right error below
                count = self._count_mine(conn, ref)
            if count is None:
                self._own(conn, ref, action="run")  # raises the right error
            return count
