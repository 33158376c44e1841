"""`resource-magic team ...`: an admin sets up a team database and manages members
from the command line; on it, the user is the database login."""

from __future__ import annotations

import subprocess
import sys
import uuid

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from resource_magic.cli import main
from resource_magic.errors import DatabaseUnavailable, InvalidInput, SchemaBehind
from resource_magic.store import ResourceStore

pytestmark = pytest.mark.postgres


class Team:
    """A fresh database on this run's server, and unique role names for it."""

    def __init__(self, server) -> None:
        self.admin_url = server.create_database()
        tag = uuid.uuid4().hex[:8]
        self.names = {who: f"{who}_{tag}" for who in ("ann", "ben", "cat")}
        self.made: list[str] = []

    def url(self, who: str) -> str:
        return (
            make_url(self.admin_url)
            .set(username=self.names[who])
            .render_as_string(hide_password=False)
        )

    def sql(self, statement: str, **params):
        engine = create_engine(self.admin_url, poolclass=NullPool)
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            rows = result.all() if result.returns_rows else None
        engine.dispose()
        return rows

    def drop_roles(self) -> None:
        from resource_magic.db import dispose_engines

        dispose_engines()
        engine = create_engine(
            make_url(self.admin_url).set(database="postgres"),
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
        )
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :d AND pid <> pg_backend_pid()"
                ),
                {"d": make_url(self.admin_url).database},
            )
            conn.execute(
                text(f'DROP DATABASE IF EXISTS "{make_url(self.admin_url).database}"')
            )
            for name in self.names.values():
                conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))
            engine.dispose()


@pytest.fixture(autouse=True)
def _login_is_the_user(monkeypatch):
    """No RESOURCE_MAGIC_USER (the suite sets one): on a team database the login
    is the user, and a different one set on purpose is refused."""
    monkeypatch.delenv("RESOURCE_MAGIC_USER", raising=False)


@pytest.fixture
def team(postgres_server, postgres_database):
    # postgres_database: without a server this skips with the reason, and fails
    # under CI (conftest's rule for every PostgreSQL test)
    made = Team(postgres_server)
    yield made
    made.drop_roles()


def cli(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_init_twice_add_list_check(team, capsys):
    url = team.admin_url
    status, out, err = cli(capsys, "team", "init", "--database-url", url)
    assert status == 0 and "is a team database" in out, err
    status, out, _ = cli(capsys, "team", "init", "--database-url", url)
    assert status == 0 and "nothing changed" in out
    for who in ("ann", "ben"):
        status, out, err = cli(
            capsys, "team", "add", team.names[who], "--database-url", url
        )
        assert status == 0 and "is a member" in out, err
    status, out, _ = cli(
        capsys, "team", "add", team.names["ann"], "--database-url", url
    )
    assert status == 1
    ResourceStore(team.url("ann")).save("etl", "x = 1")
    status, out, _ = cli(capsys, "team", "list", "--database-url", url)
    lines = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:]}
    assert lines == {team.names["ann"]: "1", team.names["ben"]: "0"}
    status, out, _ = cli(capsys, "team", "check", "--database-url", url)
    assert status == 0 and "FAIL" not in out and out.count("ok ") >= 8, out


def test_python_dash_m_runs_the_same(team):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "resource_magic",
            "team",
            "init",
            "--database-url",
            team.admin_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "is a team database" in done.stdout, done.stderr
    again = subprocess.run(
        [sys.executable, "-m", "resource_magic", "team", "check"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "RESOURCE_MAGIC_DATABASE_URL": team.admin_url},
    )
    assert again.returncode == 0 and "FAIL" not in again.stdout, again.stdout


def test_check_fails_on_each_broken_guarantee_and_init_repairs(team, capsys):
    url = team.admin_url
    cli(capsys, "team", "init", "--database-url", url)
    cli(capsys, "team", "add", team.names["ann"], "--database-url", url)
    breakages = {
        "ALTER TABLE resource NO FORCE ROW LEVEL SECURITY": "forced on every table",
        "CREATE FUNCTION public.loose() RETURNS int LANGUAGE sql AS 'SELECT 1'": (
            "pinned search_path"
        ),
        f'ALTER ROLE "{team.names["ann"]}" BYPASSRLS': "bypasses RLS",
        f'ALTER TABLE resource_tag OWNER TO "{team.names["ann"]}"': "owns a table",
    }
    for breakage, line in breakages.items():
        team.sql(breakage)
        status, out, _ = cli(capsys, "team", "check", "--database-url", url)
        failing = [entry for entry in out.splitlines() if entry.startswith("FAIL")]
        assert status == 1 and any(line in f for f in failing), (breakage, out)
        # repair by hand what init does not undo, then init puts the rest back
        if "BYPASSRLS" in breakage:
            team.sql(f'ALTER ROLE "{team.names["ann"]}" NOBYPASSRLS')
        if "loose" in breakage:
            team.sql("DROP FUNCTION public.loose()")
        status, out, _ = cli(capsys, "team", "init", "--database-url", url)
        assert status == 0
        status, out, _ = cli(capsys, "team", "check", "--database-url", url)
        assert status == 0, (breakage, out)


def test_password_is_stored_as_a_scram_verifier(team, capsys, monkeypatch):
    import io

    cli(capsys, "team", "init", "--database-url", team.admin_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO("s3cret-Pass\n"))
    status, _, err = cli(
        capsys,
        "team",
        "add",
        team.names["ann"],
        "--password-stdin",
        "--database-url",
        team.admin_url,
    )
    assert status == 0, err
    [(stored,)] = team.sql(
        "SELECT rolpassword FROM pg_authid WHERE rolname = :n", n=team.names["ann"]
    )
    assert stored.startswith("SCRAM-SHA-256$") and "s3cret-Pass" not in stored


def test_remove_transfers_or_deletes(team, capsys):
    url = team.admin_url
    cli(capsys, "team", "init", "--database-url", url)
    for who in ("ann", "ben", "cat"):
        cli(capsys, "team", "add", team.names[who], "--database-url", url)
    ResourceStore(team.url("ann")).save("etl", "x = 1")
    ResourceStore(team.url("ann")).save("report", "y = 2")
    ResourceStore(team.url("ben")).save("etl", "z = 3")
    ResourceStore(team.url("cat")).save("notes", "n = 1")
    # ben has an etl too: the transfer is refused, nothing moves
    status, _, err = cli(
        capsys,
        "team",
        "remove",
        team.names["ann"],
        "--transfer-to",
        team.names["ben"],
        "--database-url",
        url,
    )
    assert status == 1 and "'etl'" in err and "rename" in err
    assert ResourceStore(team.url("ann")).names() == ["etl", "report"]
    status, out, err = cli(
        capsys,
        "team",
        "remove",
        team.names["ann"],
        "--transfer-to",
        team.names["cat"],
        "--database-url",
        url,
    )
    assert status == 0 and "2 resource(s) given to" in out, err
    assert ResourceStore(team.url("cat")).names() == ["etl", "notes", "report"]
    status, out, _ = cli(
        capsys,
        "team",
        "remove",
        team.names["ben"],
        "--delete-resources",
        "--database-url",
        url,
    )
    assert status == 0 and "1 resource(s) deleted" in out
    assert team.sql("SELECT count(*) FROM resource")[0][0] == 3
    status, out, _ = cli(capsys, "team", "list", "--database-url", url)
    assert [line.split()[0] for line in out.splitlines()[1:]] == [team.names["cat"]]
    # a removed member can still log in (their role stays) but is no member
    with pytest.raises(DatabaseUnavailable) as gone:  # a connection still open
        ResourceStore(team.url("ann")).names()
    assert "may not use any schema of this database" in str(gone.value)
    from resource_magic.db import dispose_engines

    dispose_engines()
    with pytest.raises(DatabaseUnavailable) as gone:  # a new connection
        ResourceStore(team.url("ann")).names()
    assert "permission denied for database" in str(gone.value)
    with pytest.raises(SystemExit) as usage:  # neither --transfer-to nor --delete
        main(["team", "remove", team.names["cat"], "--database-url", url])
    assert usage.value.code == 2


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (
            ["team", "init", "--database-url", "sqlite:///x.db"],
            1,
            "A team database is a PostgreSQL database",
        ),
        (
            ["team", "add", "bad name;drop", "--database-url", "{admin}"],
            1,
            "cannot be a member name",
        ),
        (
            ["team", "add", "pg_evil", "--database-url", "{admin}"],
            1,
            "cannot be a member name",
        ),
        (
            [
                "team",
                "add",
                "nobody_xyz_123",
                "--existing",
                "--database-url",
                "{admin}",
            ],
            1,
            "There is no role 'nobody_xyz_123'",
        ),
        (
            [
                "team",
                "remove",
                "nobody_xyz_123",
                "--delete-resources",
                "--database-url",
                "{admin}",
            ],
            1,
            "is not a member",
        ),
        (
            ["team", "upgrade", "--database-url", "{plain}"],
            1,
            "not a team database yet",
        ),
    ],
)
def test_mistakes_are_one_line_and_change_nothing(
    team, capsys, monkeypatch, args, status, message, postgres_server
):
    monkeypatch.chdir(__import__("tempfile").mkdtemp())
    cli(capsys, "team", "init", "--database-url", team.admin_url)
    plain = postgres_server.create_database()
    args = [a.format(admin=team.admin_url, plain=plain) for a in args]
    before = team.sql("SELECT count(*) FROM pg_roles")
    got, out, err = cli(capsys, *args)
    assert got == status and message in err and len(err.strip().splitlines()) == 1, err
    assert team.sql("SELECT count(*) FROM pg_roles") == before


def test_missing_url_is_a_usage_error(capsys, monkeypatch):
    monkeypatch.delenv("RESOURCE_MAGIC_DATABASE_URL", raising=False)
    status, _, err = cli(capsys, "team", "check")
    assert status == 2 and "--database-url" in err


def test_a_member_cannot_run_team_commands(team, capsys):
    cli(capsys, "team", "init", "--database-url", team.admin_url)
    cli(capsys, "team", "add", team.names["ann"], "--database-url", team.admin_url)
    status, _, err = cli(
        capsys, "team", "add", "someone_else", "--database-url", team.url("ann")
    )
    assert status == 1 and "may not create roles" in err


def test_the_login_is_the_user(team, capsys, monkeypatch):
    cli(capsys, "team", "init", "--database-url", team.admin_url)
    cli(capsys, "team", "add", team.names["ann"], "--database-url", team.admin_url)
    monkeypatch.delenv("RESOURCE_MAGIC_USER", raising=False)
    assert ResourceStore(team.url("ann")).user == team.names["ann"]
    with pytest.raises(InvalidInput) as other:
        ResourceStore(team.url("ann"), user="ben")
    assert str(other.value) == (
        f"This is a team database and you are '{team.names['ann']}' (your database "
        "login), not 'ben': unset ResourceMagic.user / RESOURCE_MAGIC_USER, or "
        "connect as that login."
    )
    monkeypatch.setenv("RESOURCE_MAGIC_USER", "ben")
    with pytest.raises(InvalidInput):
        ResourceStore(team.url("ann"))
    monkeypatch.setenv("RESOURCE_MAGIC_USER", team.names["ann"])
    assert ResourceStore(team.url("ann")).user == team.names["ann"]
    # the command line: whoami says so
    status, out, _ = cli(capsys, "--database-url", team.url("ann"), "whoami")
    assert status == 0 and out.splitlines()[0] == f"user: {team.names['ann']}"
    assert "a team database" in out


def test_a_member_behind_the_schema_is_sent_to_the_admin(team, capsys):
    from resource_magic.migrate import packaged_head

    cli(capsys, "team", "init", "--database-url", team.admin_url)
    cli(capsys, "team", "add", team.names["ann"], "--database-url", team.admin_url)
    ResourceStore(team.url("ann")).save("etl", "x = 1")
    from resource_magic.db import dispose_engines
    from resource_magic.migrate import _current

    # the admin takes the schema one migration back (as the owner role)
    owner = team.sql("SELECT owner_role FROM resource_magic_team")[0][0]
    engine = create_engine(team.admin_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text(f'SET LOCAL ROLE "{owner}"'))
        from alembic import command

        from resource_magic.migrate import alembic_config

        previous = f"{int(packaged_head()) - 1:04d}"
        command.downgrade(alembic_config(conn), previous)
    engine.dispose()
    dispose_engines()
    _current.clear()
    with pytest.raises(SchemaBehind) as behind:
        ResourceStore(team.url("ann"))
    assert "ask your admin to run `resource-magic team upgrade`" in str(behind.value)
    status, out, _ = cli(capsys, "team", "upgrade", "--database-url", team.admin_url)
    assert status == 0 and f"from revision {previous} to {packaged_head()}" in out
    assert ResourceStore(team.url("ann")).names() == ["etl"]
    status, out, _ = cli(capsys, "team", "upgrade", "--database-url", team.admin_url)
    assert "nothing to do" in out
    status, out, _ = cli(capsys, "team", "check", "--database-url", team.admin_url)
    assert status == 0, out


def test_members_raw_connection_sees_the_same_as_the_store(team, capsys):
    """psycopg as a member: their own and public rows, nothing else."""
    cli(capsys, "team", "init", "--database-url", team.admin_url)
    for who in ("ann", "ben"):
        cli(capsys, "team", "add", team.names[who], "--database-url", team.admin_url)
    ann = ResourceStore(team.url("ann"))
    ann.save("private", "p = 1")
    ann.save("shared", "s = 1", is_public=True)
    ben_url = make_url(team.url("ben")).set(drivername="postgresql")
    with psycopg.connect(ben_url.render_as_string(hide_password=False)) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM resource ORDER BY 1")]
    assert names == ["shared"]
    assert [
        r.name for r in ResourceStore(team.url("ben")).list(scope="public").items
    ] == ["shared"]
