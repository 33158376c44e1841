"""The SQL that makes a PostgreSQL database a team database (row-level security).

Design note. Every member connects as their own login; their identity is `session_user`
(which no member can change: SET ROLE changes current_user only, and members are
members of no one but the group). The tables belong to a non-login owner role and have
row-level security enabled and forced; members get only the privileges they need, and
the policies below decide which rows. What must cross from one member to another --
redeeming a share token, counting a fork or a run, walking a lineage through others'
private resources -- goes through SECURITY DEFINER functions owned by the owner role,
each with its search_path pinned, EXECUTE revoked from PUBLIC and granted to the group.

The statements are templates over quoted identifiers only ({schema}, {owner},
{members}: the dialect's own quoting, never a member's text); values travel as bound
parameters. Everything is CREATE OR REPLACE / DROP ... IF EXISTS, so applying them
again changes nothing."""

from __future__ import annotations

from ..vocabulary import TEAM_TABLE, TOKEN_REFUSED_SQLSTATE

# Tables every member reaches through policies (in the order they are set up).
CHILD_TABLES = (  # rows that belong to a resource: (table, how a row names it)
    ("resource_tag", "resource_id"),
    ("resource_version", "resource_id"),
    ("resource_label", "resource_id"),
    ("resource_label_event", "resource_id"),
)
# Columns a member may UPDATE on their own resources: never the owner, the id, the
# parent, the creation time, or a counter (runs are counted by rm_record_execution,
# forks by a trigger).
RESOURCE_UPDATABLE = (
    "name",
    "description",
    "resource_type",
    "content",
    "parameters",
    "is_public",
    "current_version",
    "search_text",
    "updated_at",
)
GRANT_TABLE = "rm_grant"
REFUSED_SQLSTATE = TOKEN_REFUSED_SQLSTATE  # rm_redeem's one refusal, for every case
# The functions a member may call, with their argument types (for GRANT / checks).
MEMBER_FUNCTIONS = (
    "rm_uid()",
    "rm_may_fork(uuid)",
    "rm_redeem(text)",
    "rm_record_execution(uuid)",
    "rm_lineage(uuid)",
)
TRIGGER_FUNCTIONS = ("rm_guard_resource()", "rm_guard_share()", "rm_count_fork()")

_DEFINER = "SECURITY DEFINER SET search_path = {schema}, pg_temp"
_INVOKER = "SECURITY INVOKER SET search_path = {schema}, pg_temp"

TABLES_AND_FUNCTIONS = [
    # The team's own settings: read by every member (team mode is read from here).
    f"""CREATE TABLE IF NOT EXISTS {{schema}}.{TEAM_TABLE} (
        id integer PRIMARY KEY CHECK (id = 1),
        owner_role text NOT NULL,
        member_role text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now())""",
    # Which resources a token redeemed in a transaction lets that transaction fork.
    f"""CREATE TABLE IF NOT EXISTS {{schema}}.{GRANT_TABLE} (
        xact xid8 NOT NULL,
        resource_id uuid NOT NULL,
        PRIMARY KEY (xact, resource_id))""",
    # The caller's user id (NULL before their first save or `team add`).
    f"""CREATE OR REPLACE FUNCTION {{schema}}.rm_uid() RETURNS integer
        LANGUAGE sql STABLE {_DEFINER} AS
        $$ SELECT id FROM "user" WHERE name = session_user $$""",
    # May the caller make a resource whose parent is `parent`: theirs, public, or
    # redeemed by a token in this very transaction.
    f"""CREATE OR REPLACE FUNCTION {{schema}}.rm_may_fork(p_parent uuid) RETURNS boolean
        LANGUAGE sql STABLE {_DEFINER} AS $$
        SELECT EXISTS (
            SELECT 1 FROM resource r
            WHERE r.id = p_parent AND (r.is_public OR r.user_id = rm_uid()))
        OR EXISTS (
            SELECT 1 FROM {GRANT_TABLE} g
            WHERE g.resource_id = p_parent
              AND g.xact = pg_current_xact_id_if_assigned()) $$""",
    # Redeem a token by its digest: one use counted in the same statement that checks
    # it (never more than max_accesses), the version it shows resolved, and what it
    # shows returned as one JSON document. Every unusable token gets the same error.
    f"""CREATE OR REPLACE FUNCTION {{schema}}.rm_redeem(p_digest text) RETURNS jsonb
        LANGUAGE plpgsql VOLATILE {_DEFINER} AS $$
        DECLARE
            s resource_share%ROWTYPE;
            shown integer;
            caller integer := rm_uid();
            result jsonb;
        BEGIN
            UPDATE resource_share SET access_count = access_count + 1
             WHERE token_digest = p_digest
               AND revoked_at IS NULL
               AND (expires_at IS NULL OR expires_at > now())
               AND (max_accesses IS NULL OR access_count < max_accesses)
            RETURNING * INTO s;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'share token refused'
                    USING ERRCODE = '{REFUSED_SQLSTATE}';
            END IF;
            IF s.label IS NOT NULL THEN
                SELECT l.version INTO shown FROM resource_label l
                 WHERE l.resource_id = s.resource_id AND l.label = s.label;
                IF shown IS NULL THEN
                    RAISE EXCEPTION 'share token refused'
                        USING ERRCODE = '{REFUSED_SQLSTATE}';
                END IF;
            ELSIF s.version IS NOT NULL THEN
                shown := s.version;
            ELSE
                SELECT r.current_version INTO shown FROM resource r
                 WHERE r.id = s.resource_id;
            END IF;
            -- Grants of finished transactions are garbage; a row another redeemer
            -- is deleting now is skipped, not waited for (a plain DELETE here made
            -- every redeem wait for every other until it committed).
            DELETE FROM {GRANT_TABLE} g USING (
                SELECT xact, resource_id FROM {GRANT_TABLE}
                 WHERE pg_xact_status(xact) <> 'in progress'
                   FOR UPDATE SKIP LOCKED) done
             WHERE g.xact = done.xact AND g.resource_id = done.resource_id;
            INSERT INTO {GRANT_TABLE} VALUES (pg_current_xact_id(), s.resource_id)
                ON CONFLICT DO NOTHING;
            SELECT jsonb_build_object(
                'id', r.id, 'owner', u.name, 'name', r.name,
                'resource_type', r.resource_type, 'description', r.description,
                'content', v.content, 'parameters', v.parameters,
                'message', v.message, 'version', v.version,
                'current_version', r.current_version,
                'tags', COALESCE((SELECT jsonb_agg(t.tag ORDER BY t.tag)
                                  FROM resource_tag t WHERE t.resource_id = r.id),
                                 '[]'::jsonb),
                'execution_count', r.execution_count,
                'last_executed_at', r.last_executed_at,
                'fork_count', r.fork_count,
                'parent_id', CASE WHEN p.is_public OR p.user_id = caller
                                  THEN p.id END,
                'parent', CASE WHEN p.is_public OR p.user_id = caller
                               THEN pu.name || '/' || p.name END,
                'is_public', r.is_public,
                'created_at', r.created_at, 'updated_at', r.updated_at,
                'attachments', COALESCE((
                    SELECT jsonb_agg(jsonb_build_object(
                        'position', a.position, 'mime_type', a.mime_type,
                        'data', encode(a.data, 'base64'), 'size', a.size)
                        ORDER BY a.position)
                    FROM attachment a WHERE a.version_id = v.id), '[]'::jsonb),
                'pinned', s.label IS NOT NULL OR s.version IS NOT NULL,
                'access_count', s.access_count, 'max_accesses', s.max_accesses,
                'expires_at', s.expires_at)
              INTO result
              FROM resource r
              JOIN "user" u ON u.id = r.user_id
              JOIN resource_version v ON v.resource_id = r.id AND v.version = shown
              LEFT JOIN resource p ON p.id = r.parent_resource_id
              LEFT JOIN "user" pu ON pu.id = p.user_id
             WHERE r.id = s.resource_id;
            IF result IS NULL THEN
                RAISE EXCEPTION 'share token refused'
                    USING ERRCODE = '{REFUSED_SQLSTATE}';
            END IF;
            RETURN result;
        END $$""",
    # Count one run of one of the caller's resources; NULL when it is not theirs.
    f"""CREATE OR REPLACE FUNCTION {{schema}}.rm_record_execution(p_resource uuid)
        RETURNS integer LANGUAGE sql VOLATILE {_DEFINER} AS $$
        UPDATE resource SET execution_count = execution_count + 1,
                            last_executed_at = now()
         WHERE id = p_resource AND user_id = rm_uid()
        RETURNING execution_count $$""",
    # The lineage of a resource the caller may see: ancestors (depth < 0), itself (0)
    # and descendants; another member's private resource is a row of NULLs (counted,
    # never described), and a visible node's parent id is NULL when the parent is
    # hidden.
    f"""CREATE OR REPLACE FUNCTION {{schema}}.rm_lineage(p_start uuid)
        RETURNS TABLE (visible boolean, id uuid, depth integer, owner text,
                       name text, resource_type text, parent_id uuid,
                       fork_count integer)
        LANGUAGE sql STABLE {_DEFINER} AS $$
        WITH RECURSIVE me AS (SELECT rm_uid() AS uid),
        first AS (
            SELECT r.id FROM resource r, me
             WHERE r.id = p_start AND (r.is_public OR r.user_id = me.uid)),
        up AS (
            SELECT r.id, r.parent_resource_id, 0 AS depth
              FROM resource r JOIN first f ON f.id = r.id
            UNION ALL
            SELECT r.id, r.parent_resource_id, up.depth - 1
              FROM resource r JOIN up ON r.id = up.parent_resource_id),
        down AS (
            SELECT f.id, 0 AS depth FROM first f
            UNION ALL
            SELECT r.id, down.depth + 1
              FROM resource r JOIN down ON r.parent_resource_id = down.id),
        nodes AS (
            SELECT up.id, up.depth FROM up
            UNION ALL
            SELECT down.id, down.depth FROM down WHERE down.depth > 0)
        SELECT v.visible,
               CASE WHEN v.visible THEN r.id END,
               CASE WHEN v.visible THEN n.depth END,
               CASE WHEN v.visible THEN u.name::text END,
               CASE WHEN v.visible THEN r.name::text END,
               CASE WHEN v.visible THEN r.resource_type::text END,
               CASE WHEN v.visible AND (p.is_public OR p.user_id = me.uid)
                    THEN r.parent_resource_id END,
               CASE WHEN v.visible THEN r.fork_count END
          FROM nodes n
          JOIN resource r ON r.id = n.id
          JOIN "user" u ON u.id = r.user_id
          LEFT JOIN resource p ON p.id = r.parent_resource_id
          CROSS JOIN me
          CROSS JOIN LATERAL (SELECT r.is_public OR r.user_id = me.uid AS visible) v
         ORDER BY n.depth, r.created_at, r.id $$""",
    # Triggers. A member's new resource is theirs with zeroed counters, whatever the
    # client sent; the owner role (functions, the admin) is left alone.
    f"""CREATE OR REPLACE FUNCTION {{schema}}.rm_guard_resource() RETURNS trigger
        LANGUAGE plpgsql {_INVOKER} AS $$
        BEGIN
            IF NOT pg_has_role(current_user, '{{owner_name}}', 'USAGE') THEN
                NEW.user_id := rm_uid();
                NEW.fork_count := 0;
                NEW.execution_count := 0;
                NEW.last_executed_at := NULL;
            END IF;
            RETURN NEW;
        END $$""",
    f"""CREATE OR REPLACE FUNCTION {{schema}}.rm_guard_share() RETURNS trigger
        LANGUAGE plpgsql {_INVOKER} AS $$
        BEGIN
            IF NOT pg_has_role(current_user, '{{owner_name}}', 'USAGE') THEN
                NEW.access_count := 0;
            END IF;
            RETURN NEW;
        END $$""",
    # A fork counts on its parent, in the same transaction (the insert's policy has
    # already checked the caller may fork that parent).
    f"""CREATE OR REPLACE FUNCTION {{schema}}.rm_count_fork() RETURNS trigger
        LANGUAGE plpgsql {_DEFINER} AS $$
        BEGIN
            UPDATE resource SET fork_count = fork_count + 1
             WHERE id = NEW.parent_resource_id;
            RETURN NULL;
        END $$""",
    "DROP TRIGGER IF EXISTS rm_guard ON {schema}.resource",
    """CREATE TRIGGER rm_guard BEFORE INSERT ON {schema}.resource
        FOR EACH ROW EXECUTE FUNCTION {schema}.rm_guard_resource()""",
    "DROP TRIGGER IF EXISTS rm_guard ON {schema}.resource_share",
    """CREATE TRIGGER rm_guard BEFORE INSERT ON {schema}.resource_share
        FOR EACH ROW EXECUTE FUNCTION {schema}.rm_guard_share()""",
    "DROP TRIGGER IF EXISTS rm_count_fork ON {schema}.resource",
    """CREATE TRIGGER rm_count_fork AFTER INSERT ON {schema}.resource
        FOR EACH ROW WHEN (NEW.parent_resource_id IS NOT NULL)
        EXECUTE FUNCTION {schema}.rm_count_fork()""",
    # The columns of the resource read policy (user_id = rm_uid() OR is_public), led
    # by each scope's column: a listing's capped count stays an index-only scan under
    # the policy, as it is on a plain database with the sort indexes (without them a
    # public count read every public row's heap page: 5x a plain database's at 100k;
    # benchmarks/team_load.py).
    "CREATE INDEX IF NOT EXISTS rm_resource_is_public_user_id "
    "ON {schema}.resource (is_public, user_id)",
    "CREATE INDEX IF NOT EXISTS rm_resource_user_id_is_public "
    "ON {schema}.resource (user_id, is_public)",
]


def _own_resource(column: str) -> str:
    return (
        f"EXISTS (SELECT 1 FROM {{schema}}.resource r WHERE r.id = {column} "
        "AND r.user_id = (SELECT {schema}.rm_uid()))"
    )


def _visible_resource(column: str) -> str:
    # The subquery is itself under the resource table's policy: visible = mine or
    # public.
    return f"EXISTS (SELECT 1 FROM {{schema}}.resource r WHERE r.id = {column})"


_MINE = "user_id = (SELECT {schema}.rm_uid())"
# An attachment row belongs to the resource of its version.
_OWN_VERSION = (
    "EXISTS (SELECT 1 FROM {schema}.resource_version v JOIN {schema}.resource r "
    "ON r.id = v.resource_id WHERE v.id = version_id "
    "AND r.user_id = (SELECT {schema}.rm_uid()))"
)

# (table, policy name, command, USING, WITH CHECK) for the member group.
MEMBER_POLICIES = [
    (
        "user",
        "rm_read",
        "SELECT",
        "name = session_user OR EXISTS (SELECT 1 FROM {schema}.resource r "
        'WHERE r.user_id = "user".id AND r.is_public)',
        None,
    ),
    ("user", "rm_insert", "INSERT", None, "name = session_user"),
    ("user", "rm_delete", "DELETE", "name = session_user", None),
    ("resource", "rm_read", "SELECT", f"{_MINE} OR is_public", None),
    (
        "resource",
        "rm_insert",
        "INSERT",
        None,
        f"{_MINE} AND (parent_resource_id IS NULL "
        "OR {schema}.rm_may_fork(parent_resource_id))",
    ),
    ("resource", "rm_update", "UPDATE", _MINE, _MINE),
    ("resource", "rm_delete", "DELETE", _MINE, None),
    (
        "resource_share",
        "rm_own",
        "ALL",
        _own_resource("resource_id"),
        _own_resource("resource_id"),
    ),
    (
        "attachment",
        "rm_read",
        "SELECT",
        "EXISTS (SELECT 1 FROM {schema}.resource_version v WHERE v.id = version_id)",
        None,
    ),
    (
        "attachment",
        "rm_own",
        "ALL",
        _OWN_VERSION,
        _OWN_VERSION,
    ),
    ("alembic_version", "rm_read", "SELECT", "true", None),
    (TEAM_TABLE, "rm_read", "SELECT", "true", None),
    *(
        policy
        for table, column in CHILD_TABLES
        for policy in (
            (table, "rm_read", "SELECT", _visible_resource(column), None),
            (table, "rm_own", "ALL", _own_resource(column), _own_resource(column)),
        )
    ),
]

# What the group may do to each table (beyond that, nothing); column lists where a
# member may touch only some columns.
MEMBER_GRANTS = [
    'GRANT SELECT, INSERT, DELETE ON {schema}."user" TO {members}',
    "GRANT SELECT, INSERT, DELETE ON {schema}.resource TO {members}",
    "GRANT UPDATE ({columns}) ON {schema}.resource TO {members}",
    "GRANT SELECT, INSERT, DELETE ON {schema}.resource_share TO {members}",
    "GRANT UPDATE (revoked_at) ON {schema}.resource_share TO {members}",
    *(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {{schema}}.{table} TO {{members}}"
        for table in ("attachment", *(t for t, _ in CHILD_TABLES))
    ),
    "GRANT SELECT ON {schema}.alembic_version TO {members}",
    f"GRANT SELECT ON {{schema}}.{TEAM_TABLE} TO {{members}}",
    "GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {members}",
]
