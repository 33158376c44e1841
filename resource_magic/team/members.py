"""team add / remove / list: members are login roles in the team's group."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from ..errors import InvalidInput, NotFound
from .base import TeamBase, clean_member


@dataclass(frozen=True)
class Member:
    name: str
    resources: int
    can_login: bool


class MemberOps(TeamBase):
    def add(self, name: str, *, password: str | None = None, existing: bool = False):
        """Make `name` a member: a new login role (or an existing one) in the group,
        and its user row. Returns True if it was not a member before."""
        name = clean_member(name)
        with self.transaction() as conn:
            self._may_create_roles(conn)
            self._require_team(conn)
            role = self.q(conn, name)
            exists = self._role_exists(conn, name)
            if existing and not exists:
                raise NotFound(
                    f"There is no role '{name}': leave out --existing to create it."
                )
            if exists and not existing:
                raise InvalidInput(
                    f"A role '{name}' exists already: pass --existing to add it as it "
                    "is (its login and password unchanged)."
                )
            if exists:
                powerful = conn.execute(
                    text(
                        "SELECT rolsuper OR rolbypassrls FROM pg_roles "
                        "WHERE rolname = :n"
                    ),
                    {"n": name},
                ).scalar_one()
                if powerful:
                    raise InvalidInput(
                        f"'{name}' is a superuser or bypasses row-level security: a "
                        "member must be an ordinary role."
                    )
            else:
                conn.execute(text(f"CREATE ROLE {role} LOGIN"))
            if password is not None:
                verifier = self._verifier(conn, name, password)
                # not text(): a verifier's colons are no bind parameters
                conn.exec_driver_sql(f"ALTER ROLE {role} PASSWORD {verifier}")
            was = conn.execute(
                text("SELECT pg_has_role(:n, :m, 'MEMBER')"),
                {"n": name, "m": self.roles.members},
            ).scalar_one()
            conn.execute(text(f"GRANT {self.q(conn, self.roles.members)} TO {role}"))
            conn.execute(
                text(
                    f"INSERT INTO {self.q(conn, self.schema(conn))}."
                    '"user" (name, created_at) VALUES (:n, now()) '
                    "ON CONFLICT (name) DO NOTHING"
                ),
                {"n": name},
            )
            return not was

    @staticmethod
    def _verifier(conn: Connection, name: str, password: str) -> str:
        """A quoted SCRAM verifier for `password` (the password itself never reaches
        the server, its logs or its statistics)."""
        if not password or "\n" in password:
            raise InvalidInput("Give a non-empty password on one line.")
        raw = conn.connection.dbapi_connection
        verifier = raw.pgconn.encrypt_password(
            password.encode(), name.encode(), b"scram-sha-256"
        ).decode()
        return "'" + verifier.replace("'", "''") + "'"

    def remove(self, name: str, *, transfer_to: str | None = None) -> int:
        """Take `name` out of the group; their resources go to `transfer_to` or are
        deleted (transfer_to None). Returns the number of resources moved/deleted."""
        name = clean_member(name)
        with self.transaction() as conn:
            self._may_create_roles(conn)
            self._require_team(conn)
            schema = self.q(conn, self.schema(conn))
            if not self._is_member(conn, name):
                raise NotFound(
                    f"'{name}' is not a member: see resource-magic team list."
                )
            uid = conn.execute(
                text(f'SELECT id FROM {schema}."user" WHERE name = :n'), {"n": name}
            ).scalar()
            count = 0
            if uid is not None:
                count = conn.execute(
                    text(f"SELECT count(*) FROM {schema}.resource WHERE user_id = :u"),
                    {"u": uid},
                ).scalar_one()
            if transfer_to is not None:
                heir = clean_member(transfer_to)
                if heir == name or not self._is_member(conn, heir):
                    raise InvalidInput(
                        f"'{heir}' is not another member: see resource-magic team list."
                    )
                conn.execute(
                    text(
                        f'INSERT INTO {schema}."user" (name, created_at) VALUES '
                        "(:n, now()) ON CONFLICT (name) DO NOTHING"
                    ),
                    {"n": heir},
                )
                heir_id = conn.execute(
                    text(f'SELECT id FROM {schema}."user" WHERE name = :n'),
                    {"n": heir},
                ).scalar_one()
                if uid is not None:
                    clash = (
                        conn.execute(
                            text(
                                f"SELECT a.name FROM {schema}.resource a JOIN "
                                f"{schema}.resource b ON a.name = b.name WHERE "
                                "a.user_id = :u AND b.user_id = :h ORDER BY 1 LIMIT 5"
                            ),
                            {"u": uid, "h": heir_id},
                        )
                        .scalars()
                        .all()
                    )
                    if clash:
                        raise InvalidInput(
                            f"{heir} already has resources named "
                            + ", ".join(repr(c) for c in clash)
                            + f": rename them (as {name} or {heir}) first."
                        )
                    conn.execute(
                        text(
                            f"UPDATE {schema}.resource SET user_id = :h "
                            "WHERE user_id = :u"
                        ),
                        {"h": heir_id, "u": uid},
                    )
            if uid is not None:
                conn.execute(
                    text(f'DELETE FROM {schema}."user" WHERE id = :u'), {"u": uid}
                )
            conn.execute(
                text(
                    f"REVOKE {self.q(conn, self.roles.members)} FROM "
                    f"{self.q(conn, name)}"
                )
            )
            return count

    def _is_member(self, conn: Connection, name: str) -> bool:
        return conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM pg_auth_members a JOIN pg_roles g ON "
                "g.oid = a.roleid JOIN pg_roles r ON r.oid = a.member "
                "WHERE g.rolname = :m AND r.rolname = :n)"
            ),
            {"m": self.roles.members, "n": name},
        ).scalar_one()

    def members(self) -> list[Member]:
        with self.transaction() as conn:
            self._require_team(conn)
            schema = self.q(conn, self.schema(conn))
            rows = conn.execute(
                text(
                    "SELECT r.rolname, r.rolcanlogin, (SELECT count(*) FROM "
                    f'{schema}.resource x JOIN {schema}."user" u ON u.id = x.user_id '
                    "WHERE u.name = r.rolname) FROM pg_auth_members a "
                    "JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles r "
                    "ON r.oid = a.member WHERE g.rolname = :m ORDER BY 1"
                ),
                {"m": self.roles.members},
            )
            return [Member(name=n, can_login=c, resources=k) for n, c, k in rows]
