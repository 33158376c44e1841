"""A member attacks a team database with their own credentials and raw SQL (psycopg,
not the store): every attempt on other members' rows is refused or sees nothing, and
a checksum of every other member's rows is unchanged. The same reads run as the admin
do see those rows: the negative control that shows the checks can fail."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from _team import TeamDatabase
from sqlalchemy.engine import make_url

from resource_magic.store import ResourceStore

pytestmark = pytest.mark.postgres

SECRET_CONTENT = "ALICE_PRIVATE_CONTENT = 1"
TABLES = (
    "user",
    "resource",
    "resource_version",
    "attachment",
    "resource_tag",
    "resource_share",
    "resource_label",
    "resource_label_event",
)


def _conninfo(url: str) -> str:
    return (
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


class Planted:
    def __init__(self, team: TeamDatabase) -> None:
        self.team = team
        alice = ResourceStore(team.url_for("alice"), user="alice")
        bob = ResourceStore(team.url_for("bob"), user="bob")
        self.mallory_url = team.url_for("mallory")
        ResourceStore(self.mallory_url, user="mallory").save("mine", "m = 1")
        secret = alice.save(
            "alice-secret",
            SECRET_CONTENT,
            description="alice's private notes",
            tags=["alice-private-tag"],
            attachments=[("text/plain", b"alice private output")],
        ).resource
        alice.save("alice-secret", SECRET_CONTENT + "\nv2 = 2")
        alice.set_label("alice-secret", "alice-private-label", 1)
        self.alice_token = alice.share("alice-secret").token
        public = alice.save("alice-public", "p = 1", is_public=True).resource
        alice.share("alice-public")
        bob.save("bob-secret", "BOB_PRIVATE_CONTENT = 2", tags=["bob-private-tag"])
        self.secret_id = str(secret.id)
        self.new_id = str(uuid.uuid4())
        self.evil_name = "evil-child"
        self.zeros = "0" * 64  # a digest of no token
        self.crafted = "' OR 1=1 --"
        self.public_id = str(public.id)
        with psycopg.connect(_conninfo(team.admin_url)) as conn:
            self.alice_uid = conn.execute(
                "SELECT id FROM \"user\" WHERE name = 'alice'"
            ).fetchone()[0]
            self.digests = [
                row[0]
                for row in conn.execute(
                    "SELECT token_digest FROM resource_share s JOIN resource r "
                    'ON r.id = s.resource_id JOIN "user" u ON u.id = r.user_id '
                    "WHERE u.name = 'alice'"
                )
            ]
        # What must never show to mallory.
        self.markers = [
            "alice-secret",
            "ALICE_PRIVATE_CONTENT",
            "alice-private-tag",
            "alice-private-label",
            b"alice private output".hex(),  # the output, as bytea prints
            "YWxpY2UgcHJpdmF0ZSBvdXRwdXQ",  # the output, base64 (as rm_redeem)
            "BOB_PRIVATE_CONTENT",
            "bob-secret",
            self.secret_id,
            *self.digests,
        ]

    def checksum(self) -> dict[str, str]:
        """md5 of every row that belongs to alice or bob, per table (as the admin)."""
        victims = (
            'SELECT r.id FROM resource r JOIN "user" u ON u.id = r.user_id '
            "WHERE u.name IN ('alice', 'bob')"
        )
        per_table = {
            "user": "SELECT t::text FROM \"user\" t WHERE name IN ('alice', 'bob')",
            "resource": f"SELECT t::text FROM resource t WHERE id IN ({victims})",
            "attachment": "SELECT t::text FROM attachment t JOIN resource_version v "
            f"ON v.id = t.version_id WHERE v.resource_id IN ({victims})",
        }
        sums = {}
        with psycopg.connect(_conninfo(self.team.admin_url)) as conn:
            for table in TABLES:
                query = per_table.get(
                    table,
                    f"SELECT t::text FROM {table} t WHERE resource_id IN ({victims})",
                )
                rows = sorted(r[0] for r in conn.execute(query))
                sums[table] = f"{len(rows)}:{hash(tuple(rows))}"
        return sums


@pytest.fixture(scope="module")
def planted(postgres_server, postgres_database):
    # postgres_database: without a server this skips with the reason, and fails
    # under CI (conftest's rule for every PostgreSQL test)
    team = TeamDatabase(postgres_server.create_database())
    yield Planted(team)
    team.close()


def _reads(p: Planted) -> list[tuple[str, tuple]]:
    """Every way to read that a member has (and a few they do not)."""
    reads = [(f'SELECT t::text FROM "{t}" t', ()) for t in TABLES]
    reads += [
        ("SELECT t::text FROM resource t WHERE id = %s::uuid", (p.secret_id,)),
        ("SELECT t::text FROM rm_grant t", ()),
        ("SELECT t::text FROM resource_magic_team t", ()),
        ("SELECT * FROM rm_lineage(%s::uuid)", (p.secret_id,)),
        ("SELECT * FROM rm_lineage(%s::uuid)", (p.public_id,)),
        (
            "SELECT string_agg(most_common_vals::text, ',') FROM pg_stats "
            "WHERE tablename = 'resource'",
            (),
        ),
        ("SELECT pg_read_file('/etc/hostname')", ()),
        (
            "CREATE TEMP VIEW peek AS SELECT * FROM resource; "
            "SELECT t::text FROM peek t",
            (),
        ),
    ]
    return reads


def _run(url: str, sql: str, params=()) -> tuple[str, list]:
    """('ok', rows) or ('refused', [error]) for one statement in its own
    transaction (committed when it succeeds)."""
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        try:
            cursor = None
            for statement in [s for s in sql.split("; ") if s]:
                cursor = conn.execute(statement, params if "%s" in statement else ())
            rows = cursor.fetchall() if cursor.description else []
            return "ok", rows
        except psycopg.Error as exc:
            return "refused", [str(exc).splitlines()[0]]


def _leaked(p: Planted, rows) -> list[str]:
    text_ = repr(rows)
    return [m for m in p.markers if m in text_]


def test_reads_see_nothing_of_others_and_admin_sees_it(planted):
    before = planted.checksum()
    leaks = {}
    admin_sees = set()
    for sql, params in _reads(planted):
        _status, rows = _run(planted.mallory_url, sql, params)
        if _leaked(planted, rows):
            leaks[sql] = _leaked(planted, rows)
        _status, rows = _run(planted.team.admin_url, sql, params)
        admin_sees.update(_leaked(planted, rows))
    assert leaks == {}
    # The negative control: the admin's identical reads reveal every marker (but
    # the base64 form, which only redeeming the token would show).
    assert admin_sees == set(planted.markers[: -len(planted.digests) or None]) - {
        "YWxpY2UgcHJpdmF0ZSBvdXRwdXQ"
    } | set(planted.digests)
    assert planted.checksum() == before


def test_counts_count_only_what_a_member_may_see(planted):
    rows = _run(
        planted.mallory_url,
        "SELECT (SELECT count(*) FROM resource WHERE NOT is_public), "
        '(SELECT count(*) FROM resource_share), (SELECT count(*) FROM "user"), '
        "(SELECT count(*) FROM resource_version v JOIN resource r ON "
        "r.id = v.resource_id WHERE NOT r.is_public)",
    )[1]
    # mallory: one private resource of her own (one version), no shares; she sees
    # herself and alice (who has a public resource), not bob.
    assert rows == [(1, 0, 2, 1)]
    admin = _run(
        planted.team.admin_url,
        "SELECT (SELECT count(*) FROM resource WHERE NOT is_public), "
        "(SELECT count(*) FROM resource_share)",
    )[1]
    assert admin[0][0] > 1 and admin[0][1] >= 2


_INSERT_RESOURCE = (
    "INSERT INTO resource (id, user_id, name, resource_type, content, "
    "execution_count, fork_count, is_public, current_version, search_text, "
    "created_at, updated_at{extra}) VALUES (%s::uuid, %s, %s, 'workflow', "
    "'\"x = 1\"', 0, 0, false, 1, '', now(), now(){values})"
)
# (sql, params as names of Planted's attributes, what must happen): 'refused' (an
# error) or 'nothing' (runs, and changes and shows nothing of anyone else's).
ATTACKS = [
    # writes on others' rows: no row matches
    (
        "UPDATE resource SET content = '\"pwned\"' WHERE id = %s::uuid",
        ("secret_id",),
        "nothing",
    ),
    (
        "UPDATE resource SET content = '\"pwned\"' WHERE id = %s::uuid",
        ("public_id",),
        "nothing",
    ),
    ("UPDATE resource SET description = 'pwned'", (), "nothing"),
    ("DELETE FROM resource WHERE id = %s::uuid", ("public_id",), "nothing"),
    (
        "DELETE FROM resource_version WHERE resource_id = %s::uuid",
        ("public_id",),
        "nothing",
    ),
    ("DELETE FROM attachment", (), "nothing"),
    ("DELETE FROM resource_tag", (), "nothing"),
    ("DELETE FROM resource_label", (), "nothing"),
    ("DELETE FROM resource_share", (), "nothing"),
    ("DELETE FROM \"user\" WHERE name = 'alice'", (), "nothing"),
    ("UPDATE resource_share SET revoked_at = now()", (), "nothing"),
    # inserting for someone else
    (
        "INSERT INTO resource_version (resource_id, version, content, created_at) "
        "VALUES (%s::uuid, 99, '\"x\"', now())",
        ("public_id",),
        "refused",
    ),
    ("INSERT INTO resource_tag VALUES (%s::uuid, 'evil')", ("public_id",), "refused"),
    (
        "INSERT INTO resource_label (resource_id, label, version, set_at) VALUES "
        "(%s::uuid, 'evil', 1, now())",
        ("public_id",),
        "refused",
    ),
    (
        "INSERT INTO resource_share (id, resource_id, token_digest, token_prefix, "
        "access_count, created_at) VALUES (gen_random_uuid(), %s::uuid, 'd', 'p', "
        "0, now())",
        ("public_id",),
        "refused",
    ),
    ("INSERT INTO \"user\" (name, created_at) VALUES ('alice2', now())", (), "refused"),
    (
        _INSERT_RESOURCE.format(extra=", parent_resource_id", values=", %s::uuid"),
        ("new_id", "alice_uid", "evil_name", "secret_id"),
        "refused",
    ),
    # counters, owners and ids: not a member's to set, even on their own rows
    (
        "UPDATE resource SET fork_count = 1000 WHERE id = %s::uuid",
        ("public_id",),
        "refused",
    ),
    ("UPDATE resource SET fork_count = 1000", (), "refused"),
    ("UPDATE resource SET execution_count = 1000", (), "refused"),
    ("UPDATE resource SET user_id = %s", ("alice_uid",), "refused"),
    ("UPDATE resource SET parent_resource_id = %s::uuid", ("public_id",), "refused"),
    ("UPDATE resource_share SET access_count = 0", (), "refused"),
    ("UPDATE resource_share SET max_accesses = NULL", (), "refused"),
    # the functions, with wrong, NULL, huge and crafted arguments
    ("SELECT rm_redeem(%s)", ("zeros",), "refused"),
    ("SELECT rm_redeem(NULL)", (), "refused"),
    ("SELECT rm_redeem(repeat('a', 1000000))", (), "refused"),
    ("SELECT rm_redeem(%s)", ("crafted",), "refused"),
    ("SELECT rm_redeem(%s)", ("alice_token",), "refused"),  # the token, not digest
    ("SELECT rm_record_execution(%s::uuid)", ("secret_id",), "nothing"),
    ("SELECT rm_record_execution(%s::uuid)", ("public_id",), "nothing"),
    ("SELECT rm_record_execution(NULL)", (), "nothing"),
    ("SELECT rm_may_fork(%s::uuid)", ("secret_id",), "nothing"),
    ("SELECT rm_lineage(NULL)", (), "nothing"),
    # identity and the rules themselves
    ("SET ROLE alice", (), "refused"),
    ("SET SESSION AUTHORIZATION alice", (), "refused"),
    ("SET ROLE {owner_role}", (), "refused"),
    ("SET row_security = off; SELECT * FROM resource", (), "refused"),
    ("ALTER TABLE resource DISABLE ROW LEVEL SECURITY", (), "refused"),
    ("ALTER TABLE resource NO FORCE ROW LEVEL SECURITY", (), "refused"),
    ("DROP POLICY rm_read ON resource", (), "refused"),
    ("CREATE POLICY evil ON resource USING (true)", (), "refused"),
    (
        "CREATE FUNCTION public.evil() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        (),
        "refused",
    ),
    ("CREATE VIEW public.evil AS SELECT * FROM resource", (), "refused"),
    (
        "CREATE TRIGGER evil BEFORE INSERT ON resource FOR EACH ROW "
        "EXECUTE FUNCTION rm_guard_share()",
        (),
        "refused",
    ),
    ("CREATE TABLE public.evil (x int)", (), "refused"),
    ("GRANT SELECT ON resource TO PUBLIC", (), "nothing"),  # a no-op, warned,
    ("ALTER ROLE mallory BYPASSRLS", (), "refused"),
    ("TRUNCATE resource CASCADE", (), "refused"),
    ("TRUNCATE resource_share", (), "refused"),
    ("LOCK TABLE alembic_version", (), "refused"),
    ("LOCK TABLE rm_grant", (), "refused"),
    ("COPY resource TO '/tmp/rm_stolen.csv'", (), "refused"),
    ("COPY resource FROM STDIN", (), "refused"),
    ("SELECT pg_read_file('/etc/hostname')", (), "refused"),
    ("DELETE FROM rm_grant", (), "refused"),
    (
        "INSERT INTO rm_grant VALUES (pg_current_xact_id(), %s::uuid)",
        ("secret_id",),
        "refused",
    ),
    ("UPDATE resource_magic_team SET member_role = 'mallory'", (), "refused"),
    ("DELETE FROM alembic_version", (), "refused"),
]


@pytest.mark.parametrize(("sql", "names", "expected"), ATTACKS)
def test_every_attack_is_refused_or_changes_nothing(planted, sql, names, expected):
    sql = sql.format(owner_role=planted.team.admin.roles.owner)
    params = tuple(getattr(planted, name) for name in names)
    before = planted.checksum()
    status, rows = _run(planted.mallory_url, sql, params)
    if expected == "refused":
        assert status == "refused", (sql, rows)
    assert not _leaked(planted, rows), (sql, rows)
    assert planted.checksum() == before, sql


def test_a_row_inserted_for_someone_else_is_the_members_own(planted):
    before = planted.checksum()
    new_id = str(uuid.uuid4())
    status, rows = _run(
        planted.mallory_url,
        "INSERT INTO resource (id, user_id, name, resource_type, content, "
        "execution_count, fork_count, is_public, current_version, search_text, "
        "created_at, updated_at) VALUES (%s::uuid, %s, 'planted', 'workflow', "
        "'\"x\"', 7, 99, false, 1, '', now(), now()) RETURNING user_id = rm_uid(), "
        "fork_count, execution_count",
        (new_id, planted.alice_uid),
    )
    assert (status, rows) == ("ok", [(True, 0, 0)])
    assert planted.checksum() == before


def test_the_admin_can_do_what_the_member_cannot(planted):
    """The negative control for the writes: as the admin the same kind of statement
    goes through, so a 'refused' above is the rules, not a broken statement."""
    status, _ = _run(
        planted.team.admin_url,
        "UPDATE resource SET description = description WHERE id = %s::uuid",
        (planted.secret_id,),
    )
    assert status == "ok"
    status, rows = _run(
        planted.team.admin_url,
        "SELECT count(*) FROM resource WHERE id = %s::uuid",
        (planted.secret_id,),
    )
    assert rows == [(1,)]


def test_zz_the_guarantees_still_hold_after_every_attack(planted):
    """`team check` on the attacked database: RLS still forced everywhere, no member
    gained a privilege (the GRANT above was a no-op), functions still pinned."""
    failed = [c for c in planted.team.admin.check() if not c.ok]
    assert failed == []
    status, rows = _run(
        planted.mallory_url,
        "SELECT has_table_privilege('public', 'resource', 'SELECT')",
    )
    assert (status, rows) == ("ok", [(False,)])
