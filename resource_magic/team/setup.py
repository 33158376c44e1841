"""team init / upgrade: roles, ownership, row-level security, policies, grants and
functions (sql.py), applied idempotently."""

from __future__ import annotations

from sqlalchemy import Connection, text

from ..migrate import current_revision, packaged_head, upgrade_on
from . import sql as team_sql
from .base import TeamBase


class SetupOps(TeamBase):
    def _fingerprint(self, conn: Connection) -> tuple:
        """What init sets up, as the catalog says it is now."""
        schema = self.schema(conn)
        queries = [
            "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN (:o, :m)",
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
            "pg_get_userbyid(c.relowner), c.relacl::text FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s "
            "AND c.relkind IN ('r', 'S') ORDER BY 1",
            "SELECT tablename, policyname, cmd, roles::text, qual, with_check "
            "FROM pg_policies WHERE schemaname = :s ORDER BY 1, 2",
            "SELECT p.proname, p.prosrc, p.proconfig::text, p.prosecdef, "
            "pg_get_userbyid(p.proowner), p.proacl::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = :s "
            "ORDER BY 1",
            "SELECT tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = :s AND NOT t.tgisinternal "
            "ORDER BY 1, 2",
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :s "
            "ORDER BY 1",
            "SELECT nspacl::text FROM pg_namespace WHERE nspname = :s",
            "SELECT datacl::text FROM pg_database WHERE datname = current_database()",
        ]
        params = {"s": schema, "o": self.roles.owner, "m": self.roles.members}
        return tuple(
            tuple(tuple(row) for row in conn.execute(text(q), params)) for q in queries
        )

    # -- init / upgrade
    # ------------------------------------------------------------------------
    def init(self) -> bool:
        """Make this database a team database; True if anything changed."""
        with self.transaction() as conn:
            self._may_create_roles(conn)
            before = self._fingerprint(conn)
            self._ensure_roles(conn)
            self._migrate(conn)
            self._apply(conn)
            return self._fingerprint(conn) != before

    def upgrade(self) -> tuple[str | None, str]:
        """Apply new migrations as the owner role, then the setup again; (revision
        before, revision after)."""
        with self.transaction() as conn:
            self._may_create_roles(conn)
            self._require_team(conn)
            before = current_revision(conn)
            self._ensure_roles(conn)
            self._migrate(conn)
            self._apply(conn)
            return before, current_revision(conn)

    def _ensure_roles(self, conn: Connection) -> None:
        for role in (self.roles.owner, self.roles.members):
            if not self._role_exists(conn, role):
                conn.execute(text(f"CREATE ROLE {self.q(conn, role)} NOLOGIN"))
        # The admin may act as the owner role (to migrate and to own what it makes).
        mine = conn.execute(
            text("SELECT pg_has_role(current_user, :o, 'MEMBER')"),
            {"o": self.roles.owner},
        ).scalar_one()
        if not mine:
            conn.execute(
                text(f"GRANT {self.q(conn, self.roles.owner)} TO current_user")
            )

    def _migrate(self, conn: Connection) -> None:
        """Bring the schema to head, as the owner role once the tables are its."""
        if current_revision(conn) == packaged_head():
            return
        owned = self.is_team(conn)
        if owned:
            conn.execute(text(f"SET LOCAL ROLE {self.q(conn, self.roles.owner)}"))
        upgrade_on(conn)
        if owned:
            conn.execute(text("RESET ROLE"))

    def _tables(self, conn: Connection) -> list[str]:
        return list(
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = :s "
                    "AND c.relkind IN ('r', 'p') ORDER BY 1"
                ),
                {"s": self.schema(conn)},
            ).scalars()
        )

    def _apply(self, conn: Connection) -> None:
        """Ownership, row-level security, policies, grants and functions."""
        q = lambda name: self.q(conn, name)  # noqa: E731
        run = lambda sql, **kw: conn.execute(text(self._format(conn, sql, **kw)))  # noqa: E731
        owner, members = q(self.roles.owner), q(self.roles.members)
        database = q(self.database)
        # Nobody but the group (and the admin) connects; nobody makes objects here.
        run(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC")
        run(f"GRANT CONNECT ON DATABASE {database} TO {members}")
        run("REVOKE ALL ON SCHEMA {schema} FROM PUBLIC")
        run("REVOKE ALL ON SCHEMA {schema} FROM {members}")
        run("GRANT USAGE, CREATE ON SCHEMA {schema} TO {owner}")
        run("GRANT USAGE ON SCHEMA {schema} TO {members}")
        for statement in team_sql.TABLES_AND_FUNCTIONS[:2]:  # the team's own tables
            run(statement)
        for table in self._tables(conn):
            run(f"ALTER TABLE {{schema}}.{q(table)} OWNER TO {owner}")
        for sequence in conn.execute(
            text(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind = 'S' "
                "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid "
                "AND d.deptype IN ('a', 'i'))"
            ),
            {"s": self.schema(conn)},
        ).scalars():
            run(f"ALTER SEQUENCE {{schema}}.{q(sequence)} OWNER TO {owner}")
        conn.execute(text(f"SET LOCAL ROLE {owner}"))
        for statement in team_sql.TABLES_AND_FUNCTIONS[2:]:
            run(statement)
        for table in self._tables(conn):
            run(f"ALTER TABLE {{schema}}.{q(table)} ENABLE ROW LEVEL SECURITY")
            run(f"ALTER TABLE {{schema}}.{q(table)} FORCE ROW LEVEL SECURITY")
            for (policy,) in conn.execute(
                text(
                    "SELECT policyname FROM pg_policies WHERE schemaname = "
                    "current_schema() AND tablename = :t"
                ),
                {"t": table},
            ):
                run(f"DROP POLICY {q(policy)} ON {{schema}}.{q(table)}")
            run(
                f"CREATE POLICY rm_owner ON {{schema}}.{q(table)} TO {owner} "
                "USING (true) WITH CHECK (true)"
            )
            run(f"REVOKE ALL ON {{schema}}.{q(table)} FROM PUBLIC, {members}")
        for table, name, command, using, check in team_sql.MEMBER_POLICIES:
            clauses = f" USING ({using})" if using else ""
            clauses += f" WITH CHECK ({check})" if check else ""
            run(
                f"CREATE POLICY {name} ON {{schema}}.{q(table)} AS PERMISSIVE "
                f"FOR {command} TO {members}{clauses}"
            )
        for grant in team_sql.MEMBER_GRANTS:
            run(grant, columns=", ".join(map(q, team_sql.RESOURCE_UPDATABLE)))
        run("REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {schema} FROM PUBLIC, {members}")
        for function in team_sql.MEMBER_FUNCTIONS:
            run(f"GRANT EXECUTE ON FUNCTION {{schema}}.{function} TO {members}")
        conn.execute(text("RESET ROLE"))
        conn.execute(
            text(
                f"INSERT INTO {q(self.schema(conn))}.{team_sql.TEAM_TABLE} "
                "(id, owner_role, member_role) VALUES (1, :o, :m) "
                "ON CONFLICT (id) DO UPDATE SET owner_role = EXCLUDED.owner_role, "
                "member_role = EXCLUDED.member_role "
                "WHERE (resource_magic_team.owner_role, "
                "resource_magic_team.member_role) "
                "IS DISTINCT FROM (EXCLUDED.owner_role, EXCLUDED.member_role)"
            ),
            {"o": self.roles.owner, "m": self.roles.members},
        )
