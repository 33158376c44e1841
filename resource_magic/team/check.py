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


# Members of the group, at any depth (a role granted to a member is one too).
_MEMBERS = (
    "WITH RECURSIVE m AS (SELECT a.member FROM pg_auth_members a JOIN "
    "pg_roles g ON g.oid = a.roleid WHERE g.rolname = :m UNION SELECT "
    "a.member FROM pg_auth_members a JOIN m ON a.roleid = m.member) "
)
_OUR_FUNCTIONS = (
    "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON "
    "n.oid = p.pronamespace WHERE n.nspname = :s AND " + _NOT_EXTENSION
)
# (the guarantee, a query of what breaks it: no row means it holds). Parameters: :s
# the schema, :o the owner role, :m the member group.
GUARANTEES = (
    (
        "row-level security enabled and forced on every table",
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON "
        "n.oid = c.relnamespace WHERE n.nspname = :s AND c.relkind IN ('r', 'p') "
        "AND NOT (c.relrowsecurity AND c.relforcerowsecurity) ORDER BY 1",
    ),
    (
        "every table belongs to the owner role",
        "SELECT c.relname || ' (' || pg_get_userbyid(c.relowner) || ')' FROM "
        "pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE "
        "n.nspname = :s AND c.relkind IN ('r', 'p', 'S', 'v', 'm') AND "
        "pg_get_userbyid(c.relowner) <> :o ORDER BY 1",
    ),
    (
        "no member is a superuser, bypasses RLS or can act as the owner",
        _MEMBERS + "SELECT r.rolname FROM pg_roles r JOIN m ON m.member = r.oid "
        "WHERE r.rolsuper OR r.rolbypassrls OR pg_has_role(r.oid, :o, 'MEMBER') "
        "ORDER BY 1",
    ),
    (
        "no member owns a table",
        _MEMBERS + "SELECT c.relname FROM pg_class c JOIN m ON m.member = "
        "c.relowner JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :s ORDER BY 1",
    ),
    (
        "every function has a pinned search_path",
        _OUR_FUNCTIONS + "AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c "
        "WHERE c LIKE 'search\\_path=%') ORDER BY 1",
    ),
    (
        "functions: none executable by PUBLIC, definers owned by the owner",
        _OUR_FUNCTIONS + "AND (has_function_privilege('public', p.oid, 'EXECUTE') "
        "OR (p.prosecdef AND pg_get_userbyid(p.proowner) <> :o)) ORDER BY 1",
    ),
    (
        "no member may create objects in the schema",
        _MEMBERS + "SELECT r.rolname FROM pg_roles r JOIN m ON m.member = r.oid "
        "WHERE has_schema_privilege(r.oid, :s, 'CREATE') ORDER BY 1",
    ),
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
            params = {
                "s": self.schema(conn),
                "o": self.roles.owner,
                "m": self.roles.members,
            }
            results = []
            for what, query in GUARANTEES:
                breaking = conn.execute(text(query), params).scalars().all()
                results.append(Check(what, not breaking, ", ".join(breaking)))
            revision, head = current_revision(conn), packaged_head()
            behind = f"{revision} (head {head}): run resource-magic team upgrade"
            results.append(
                Check(
                    "the schema is at the packaged head",
                    revision == head,
                    behind if revision != head else "",
                )
            )
            return results
