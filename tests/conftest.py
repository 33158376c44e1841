"""Fixtures build on each other: backend URL -> store -> shell.

Every store test runs twice, on SQLite (a temporary file) and on PostgreSQL: the server
named by RESOURCE_MAGIC_TEST_POSTGRES_URL when set, else a throwaway server started with
pgserver. Each test run gets its own fresh PostgreSQL database. Without any PostgreSQL
the PostgreSQL variants skip with the reason, except under CI, where that is a failure.

A test reaches user X on its database only through these helpers, never by pairing the
backend URL with a user name itself, so that a backend whose users are database logins
(where a store's user must be the login of its URL) can hand each user a URL of its own:

- `url_for(user)` -> the URL a store, a shell, a worker process or a kernel acting as
  `user` uses on this test's `backend` database (so far `backend` itself).
  `make_store(user)` is `ResourceStore(url_for(user), user=user)`; a worker process is
  given `url_for(user)` for each user it acts as (a string, or a dict user -> URL).
- `users_on(database_url)` -> the same `url_for` for another database the test made on
  its backend's server (a module's own database, the `urls` pair).
- `as_user(user)` switches the test's `shell` to `user` as a notebook would, with two
  `%config` lines: `ResourceMagic.database_url` (to `url_for(user)`) first, then
  `ResourceMagic.user`. `as_user(user, database=url)` does it on another database.
  `shell` starts as `as_user("alice")`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable

import pytest
from _cells import run_cell
from _team import TEAMS, TeamDatabase
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from resource_magic.db import dispose_engines, get_engine
from resource_magic.store import ResourceStore

# The suites that also run on a team database (a third backend: every user a login
# role, PostgreSQL's row-level security deciding what each sees). The others test
# what does not depend on who may see what (rendering, widgets, notebooks, indexes)
# and run on the two plain backends only.
TEAM_SUITES = {
    "test_store_basics",
    "test_sharing",
    "test_forks_lineage",
    "test_versions_executions",
    "test_labels",
    "test_listing",
    "test_search",
    "test_isolation",
    "test_state_machine",
    "test_concurrency",
    "test_races",
    "test_secrets",
    "test_hostile",
    "test_magic_core",
    "test_magic_save",
    "test_magic_use",
    "test_magic_sharing",
    "test_magic_versions",
    "test_magic_manage",
    "test_magic_journey",
}

PG_ENV = "RESOURCE_MAGIC_TEST_POSTGRES_URL"
IN_CI = bool(os.environ.get("CI"))
TABLES = (
    "attachment",
    "resource_version",
    "resource_tag",
    "resource_share",
    "resource",
    "user",
)


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"PostgreSQL is required under CI: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL for this run: {reason}")


class PostgresServer:
    """A PostgreSQL server we may create and drop databases on."""

    def __init__(self) -> None:
        self.admin_url: str | None = None
        self.reason = ""
        self._pgserver = None
        self._pgdir: str | None = None
        self.databases: list[str] = []
        self.teams: list[TeamDatabase] = []

    def start(self) -> None:
        configured = os.environ.get(PG_ENV, "").strip()
        if configured:
            self.admin_url = _psycopg(configured)
            return
        try:
            import pgserver
        except ImportError:
            self.reason = f"{PG_ENV} is not set and pgserver is not installed"
            return
        # Short path: the server's Unix socket lives in it (sockets allow ~100
        # characters).
        self._pgdir = tempfile.mkdtemp(prefix="rmpg")
        try:
            self._pgserver = pgserver.get_server(self._pgdir, cleanup_mode="stop")
        except Exception as exc:  # report why, then skip (or fail under CI)
            self.reason = f"pgserver could not start: {exc}"
            return
        self.admin_url = _psycopg(self._pgserver.get_uri())

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"rm_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.databases.append(name)
        return (
            make_url(self.admin_url)
            .set(database=name)
            .render_as_string(hide_password=False)
        )

    def create_team_database(self) -> str:
        """A new team database (`team init` done): its admin URL. Its users are
        login roles made on first use; `users_on(url)` gives each one's URL."""
        url = self.create_database()
        team = TeamDatabase(url)
        TEAMS[url] = team
        self.teams.append(team)
        return url

    def stop(self) -> None:
        dispose_engines()
        for team in self.teams:
            team.close()
        if self.admin_url and self.databases:
            admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                for name in self.databases:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
        for team in self.teams:  # roles outlive databases: drop the ones we made
            team.drop_roles()
        if self._pgserver is not None:
            self._pgserver.cleanup()
        if self._pgdir:
            shutil.rmtree(self._pgdir, ignore_errors=True)


def _psycopg(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_database(postgres_server) -> str:
    """This run's own PostgreSQL database, migrated once by the first store."""
    if postgres_server.admin_url is None:
        _unavailable(postgres_server.reason)
    return postgres_server.create_database()


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("team", marks=pytest.mark.postgres),
    ],
)
def urls(request, tmp_path_factory, postgres_server) -> tuple[str, str]:
    """(SQLite URL, PostgreSQL URL): a module's own pair of fresh databases, for tests
    that put the same example to both backends at once; the PostgreSQL one is a plain
    database, then (a second run of each test) a team database, so SQLite, PostgreSQL
    and a team database must all decide alike."""
    sqlite = f"sqlite:///{tmp_path_factory.mktemp('both') / 'resources.db'}"
    if postgres_server.admin_url is None:
        _unavailable(postgres_server.reason)
    if request.param == "team":
        return sqlite, postgres_server.create_team_database()
    return sqlite, postgres_server.create_database()


@pytest.fixture
def fresh_postgres_url(postgres_server) -> str:
    """An empty PostgreSQL database of its own (for migration tests)."""
    if postgres_server.admin_url is None:
        _unavailable(postgres_server.reason)
    return postgres_server.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path) -> str:
    """A database with no tables at all (not even Alembic's), on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("fresh_postgres_url")


def _truncate(url: str) -> None:
    engine = get_engine(url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t}"' for t in TABLES)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


POSTGRES_FIXTURES = {
    "postgres_server",
    "postgres_database",
    "fresh_postgres_url",
    "urls",
}


def pytest_report_header(config) -> str:
    """Say which PostgreSQL the PostgreSQL variants use (password masked)."""
    from resource_magic.config import masked_url

    configured = os.environ.get(PG_ENV, "").strip()
    if configured:
        return f"postgresql: {masked_url(configured)} (from {PG_ENV})"
    try:
        import pgserver  # noqa: F401
    except ImportError:
        return f"postgresql: none ({PG_ENV} is not set, pgserver is not installed)"
    return f"postgresql: a throwaway pgserver server ({PG_ENV} is not set)"


# Of the long variants (`-m stress`), only the state machine also runs on a team
# database: the hostile-input property tests run there at their default size, and
# their long team runs (a login made per example) would add minutes to CI for no new
# path through the code.
TEAM_STRESS = {"test_state_machine"}


def _not_on_team(item, params: dict) -> bool:
    """A team variant that is not run: outside TEAM_SUITES, a long variant outside
    TEAM_STRESS, or a test that takes two backends (`backend` for its shell, `urls`
    for its stores) other than SQLite plus the same second one."""
    module = item.path.stem
    if module not in TEAM_SUITES:
        return True
    if item.get_closest_marker("stress") is not None and module not in TEAM_STRESS:
        return True
    if "backend" in params and "urls" in params:
        return params["backend"] not in ("sqlite", params["urls"])
    return False


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test that needs PostgreSQL `postgres`, so `-m postgres` / `-m "not
    postgres"` select them: a variant parametrised "postgresql" (fixtures that pick a
    backend with getfixturevalue) or a test using a PostgreSQL fixture directly."""
    deselected = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        params = callspec.params.values() if callspec is not None else ()
        if "team" in params and _not_on_team(item, callspec.params):
            deselected.append(item)
            continue
        variant = "postgresql" in params or "team" in params
        uses = POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ()))
        # the one notebook on PostgreSQL (it starts pgserver without a configured one)
        notebook = item.path.name == "team_postgres.ipynb"
        if variant or uses or notebook:
            item.add_marker(pytest.mark.postgres)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in set(deselected)]


@pytest.fixture(scope="session")
def team_database(postgres_server) -> str:
    """This run's own team database (its admin URL), set up once."""
    if postgres_server.admin_url is None:
        _unavailable(postgres_server.reason)
    return postgres_server.create_team_database()


@pytest.fixture
def new_database(request, tmp_path_factory):
    """new_database(kind) -> the URL of a new, empty database of a backend kind
    ("sqlite", "postgresql" or "team"), for a module that keeps its own."""

    def make(kind: str) -> str:
        if kind == "sqlite":
            path = tmp_path_factory.mktemp("own") / "resources.db"
            return f"sqlite:///{path}"
        server = request.getfixturevalue("postgres_server")
        if server.admin_url is None:
            _unavailable(server.reason)
        if kind == "team":
            return server.create_team_database()
        return server.create_database()

    return make


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("team", marks=pytest.mark.postgres),
    ]
)
def backend(request, tmp_path) -> str:
    """A database URL with the schema in place and no rows, on each backend in turn:
    SQLite, PostgreSQL, and a PostgreSQL team database (the URL is its admin's; each
    user logs in as themselves through `url_for(user)`)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'resources.db'}"
    if request.param == "team":
        url = request.getfixturevalue("team_database")
    else:
        url = request.getfixturevalue("postgres_database")
        ResourceStore(url, user="_migrate")  # brings the schema to head once
    _truncate(url)
    return url


@pytest.fixture
def users_on() -> Callable[[str], Callable[[str], str]]:
    """users_on(database_url) -> url_for(user) on that database: the URL `user` logs
    in with: on a team database, a URL of its own that logs in as `user` (a login
    role made on first use); on the others, the database's URL itself."""

    def on(database_url: str) -> Callable[[str], str]:
        team = TEAMS.get(database_url)
        if team is not None:
            return team.url_for
        return lambda user: database_url

    return on


@pytest.fixture
def url_for(backend, users_on) -> Callable[[str], str]:
    """url_for(user) -> the URL `user` uses on this test's database."""
    return users_on(backend)


@pytest.fixture
def make_store(url_for):
    """make_store(user) -> a ResourceStore on this test's database as `user`."""

    def make(user: str = "alice") -> ResourceStore:
        return ResourceStore(url_for(user), user=user)

    return make


@pytest.fixture
def store(make_store) -> ResourceStore:
    return make_store("alice")


@pytest.fixture(autouse=True)
def _release_team_connections():
    """Each team database's users have pools of their own: close them after each
    test, so a run of thousands of users never runs out of server connections."""
    yield
    for team in TEAMS.values():
        team.release()


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    """Never touch the user's real database or identity from a test."""
    monkeypatch.setenv(
        "RESOURCE_MAGIC_DATABASE_URL", f"sqlite:///{tmp_path / 'default.db'}"
    )
    monkeypatch.setenv("RESOURCE_MAGIC_USER", "tester")


# -- IPython: a real shell with the extension loaded ----------------------------------


def _switch_user(shell, url: str, user: str) -> None:
    """The two %config lines a notebook runs to act as `user` (the URL first: on a
    database of logins, the user must be the one the URL logs in as)."""
    shell.run_line_magic("config", f"ResourceMagic.database_url = {url!r}")
    shell.run_line_magic("config", f"ResourceMagic.user = {user!r}")


@pytest.fixture
def shell(url_for, tmp_path, monkeypatch):
    """A real IPython InteractiveShell after `%load_ext resource_magic`, configured
    with `%config` onto this test's `backend` database as user alice (so it runs on
    SQLite and PostgreSQL). Switch user with `as_user(user)`.
    It is the InteractiveShell singleton, so IPython.display.display() reaches it; the
    input history lives in memory and IPYTHONDIR in tmp_path."""
    import atexit

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    InteractiveShell.clear_instance()
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    config.InteractiveShell.colors = "nocolor"  # plain tracebacks, easy to assert on
    ip = InteractiveShell.instance(config=config)
    ip.run_line_magic("load_ext", "resource_magic")
    _switch_user(ip, url_for("alice"), "alice")
    yield ip
    # Not ip.atexit_operations(): its reset() runs a full gc.collect() (~0.2 s a test).
    atexit.unregister(ip.atexit_operations)
    ip.history_manager.db.close()
    InteractiveShell.clear_instance()


@pytest.fixture
def as_user(shell, url_for, users_on):
    """as_user(user, database=None): `shell` acts as `user` from now on, on this
    test's database (or on `database`, another one the test made)."""

    def switch(user: str, database: str | None = None) -> None:
        login = url_for if database is None else users_on(database)
        _switch_user(shell, login(user), user)

    return switch


@pytest.fixture
def run(shell):
    """run(source) -> CellRun: run one cell in `shell` and see what it showed."""
    return lambda source: run_cell(shell, source)
