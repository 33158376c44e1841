"""PostgreSQL restarts in the middle of a session: the next store call and the next
`%resource` magic work again, with the same store and the same kernel.

The server is a private throwaway one (pgserver, in a temporary directory) that this
module starts, stops and starts again with pg_ctl; never the shared test server.
While it is down, a call fails with a one-line DatabaseUnavailable (a UsageError in
the magic, no traceback); once it is back, pooled connections that died with the old
server are replaced (pool_pre_ping) without anyone reopening anything.
This is PostgreSQL-only by nature; SQLite has no server to restart.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from resource_magic.db import get_engine
from resource_magic.errors import DatabaseUnavailable
from resource_magic.store import ResourceStore

IN_CI = bool(os.environ.get("CI"))

pytestmark = pytest.mark.postgres


class PrivateServer:
    """A pgserver PostgreSQL in its own directory that we may stop and start."""

    def __init__(self) -> None:
        import pgserver

        self.directory = tempfile.mkdtemp(prefix="rmrs")  # short: the socket lives here
        self.server = pgserver.get_server(self.directory, cleanup_mode="stop")
        self.url = self.server.get_uri().replace(
            "postgresql://", "postgresql+psycopg://", 1
        )

    def _pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.server.pgdata, user=self.server.system_user)

    def stop(self, mode: str) -> None:
        self._pg_ctl("-w", "-m", mode, "stop")

    def start(self) -> None:
        # pgserver starts it as it did the first time (same socket directory, so the
        # same URL); it notices the old postmaster is gone.
        self.server.ensure_postgres_running()
        assert (
            self.server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
            == self.url
        )

    def close(self) -> None:
        get_engine(self.url).dispose()
        self.server.cleanup()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="module")
def private_server():
    try:
        server = PrivateServer()
    except Exception as exc:  # no pgserver, or it cannot start here
        if IN_CI:
            pytest.fail(f"a private PostgreSQL is required under CI: {exc}")
        pytest.skip(f"cannot start a private PostgreSQL: {exc}")
    yield server
    server.close()


@pytest.fixture
def private_shell(private_server, tmp_path, monkeypatch):
    """A real InteractiveShell with the extension, on the private server as alice."""
    import atexit

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    InteractiveShell.clear_instance()
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    config.InteractiveShell.colors = "nocolor"
    ip = InteractiveShell.instance(config=config)
    ip.run_line_magic("load_ext", "resource_magic")
    ip.run_line_magic("config", f"ResourceMagic.database_url = {private_server.url!r}")
    ip.run_line_magic("config", "ResourceMagic.user = 'alice'")
    yield ip
    ip.atexit_operations()
    atexit.unregister(ip.atexit_operations)
    InteractiveShell.clear_instance()


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_store_works_again_after_a_restart(private_server, mode):
    store = ResourceStore(private_server.url, user=f"alice-{mode}")
    store.save("etl", "x = 1")
    token = store.share("etl", max_accesses=5).token
    assert store.get("etl").version == 1  # a pooled connection is now open

    private_server.stop(mode)
    with pytest.raises(DatabaseUnavailable) as caught:
        store.get("etl")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"Cannot use the database {store.display_url} (")
    assert message.endswith(
        "): check that it is running and that ResourceMagic.database_url / "
        "RESOURCE_MAGIC_DATABASE_URL is right."
    )

    private_server.start()
    # The same store object, no reconnect by hand: reads, writes, counters, tokens.
    assert store.get("etl").content == "x = 1"
    assert store.save("etl", "x = 2").version == 2
    assert store.record_execution("etl") == 1
    assert store.open(token).access_count == 1
    assert [v.content for v in store.history("etl")] == ["x = 1", "x = 2"]
    print(f"\nPostgreSQL {mode} stop + start: the same store carried on")


def test_magic_works_again_after_a_restart(private_server, private_shell):
    from _cells import run_cell

    ip = private_shell
    first = run_cell(ip, "%%resource save etl\nx = 1")
    assert first.error is None, first.text
    assert run_cell(ip, "%resource show etl").error is None

    private_server.stop("fast")
    down = run_cell(ip, "%resource show etl")
    assert not down.traceback_shown, down.text
    assert down.usage_error is not None
    assert down.usage_error.startswith("Cannot use the database ")
    assert "\n" not in down.usage_error

    private_server.start()
    again = run_cell(ip, "%resource show etl")
    assert again.error is None and not again.traceback_shown, again.text
    assert "x = 1" in again.text
    saved = run_cell(ip, "%%resource save etl\nx = 2")
    assert saved.error is None, saved.text
    assert ResourceStore(private_server.url, user="alice").get("etl").version == 2
    print("\nPostgreSQL restart mid-session: the next %resource worked, same kernel")
