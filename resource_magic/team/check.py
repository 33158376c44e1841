"""team check: every guarantee, verified on the live database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from ..migrate import current_revision, packaged_head
from .base import TeamBase

# Functions an extension (pg_trgm) installed are the extension's, not ours to check.
_NOT_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass "
    "AND d.objid = p.oid AND d.deptype = 'e') "
)


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    detail: str = ""


class CheckOps(TeamBase):
    def check(self) -> list[Check]:
        """Each guarantee, verified on the live database."""
        with self.transaction() as conn:
            if not self.is_team(conn):
                return [Check("a team database (resource-magic team init)", False)]
            schema = self.schema(conn)
            p = {"s": schema, "o": self.roles.owner, "m": self.roles.members}
            results = []

            def rows(sql: str) -> list:
                return list(conn.execute(text(sql), p))

            weak = rows(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON "
                "n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind IN "
                "('r', 'p') AND NOT (c.relrowsecurity AND c.relforcerowsecurity) "
                "ORDER BY 1"
            )
            results.append(
                Check(
                    "row-level security enabled and forced on every table",
                    not weak,
                    ", ".join(r[0] for r in weak),
                )
            )
            stray = rows(
                "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c JOIN "
                "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :s AND "
                "c.relkind IN ('r', 'p', 'S', 'v', 'm') AND "
                "pg_get_userbyid(c.relowner) <> :o ORDER BY 1"
            )
            results.append(
                Check(
                    "every table belongs to the owner role",
                    not stray,
                    ", ".join(f"{t} ({o})" for t, o in stray),
                )
            )
            members_sql = (
                "WITH RECURSIVE m AS (SELECT a.member FROM pg_auth_members a JOIN "
                "pg_roles g ON g.oid = a.roleid WHERE g.rolname = :m UNION SELECT "
                "a.member FROM pg_auth_members a JOIN m ON a.roleid = m.member) "
            )
            powerful = rows(
                members_sql + "SELECT r.rolname FROM pg_roles r JOIN m ON "
                "m.member = r.oid WHERE r.rolsuper OR r.rolbypassrls OR "
                "pg_has_role(r.oid, :o, 'MEMBER') ORDER BY 1"
            )
            results.append(
                Check(
                    "no member is a superuser, bypasses RLS or can act as the owner",
                    not powerful,
                    ", ".join(r[0] for r in powerful),
                )
            )
            owning = rows(
                members_sql + "SELECT c.relname FROM pg_class c JOIN m ON "
                "m.member = c.relowner JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s ORDER BY 1"
            )
            results.append(
                Check(
                    "no member owns a table",
                    not owning,
                    ", ".join(r[0] for r in owning),
                )
            )
            unpinned = rows(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON "
                "n.oid = p.pronamespace WHERE n.nspname = :s AND "
                + _NOT_EXTENSION
                + "AND NOT EXISTS "
                "(SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search\\_path=%') "
                "ORDER BY 1"
            )
            results.append(
                Check(
                    "every function has a pinned search_path",
                    not unpinned,
                    ", ".join(r[0] for r in unpinned),
                )
            )
            public = rows(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON "
                "n.oid = p.pronamespace WHERE n.nspname = :s AND "
                + _NOT_EXTENSION
                + "AND "
                "(has_function_privilege('public', p.oid, 'EXECUTE') OR "
                "(p.prosecdef AND pg_get_userbyid(p.proowner) <> :o)) ORDER BY 1"
            )
            results.append(
                Check(
                    "functions: none executable by PUBLIC, definers owned by the owner",
                    not public,
                    ", ".join(r[0] for r in public),
                )
            )
            creators = rows(
                members_sql + "SELECT r.rolname FROM pg_roles r JOIN m ON "
                "m.member = r.oid WHERE has_schema_privilege(r.oid, :s, 'CREATE') "
                "ORDER BY 1"
            )
            results.append(
                Check(
                    "no member may create objects in the schema",
                    not creators,
                    ", ".join(r[0] for r in creators),
                )
            )
            revision = current_revision(conn)
            results.append(
                Check(
                    "the schema is at the packaged head",
                    revision == packaged_head(),
                    f"{revision} (head {packaged_head()}): run resource-magic team "
                    "upgrade"
                    if revision != packaged_head()
                    else "",
                )
            )
            return results
