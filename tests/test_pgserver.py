"""The suite's own throwaway PostgreSQL (pgserver) works even where a server is
configured: a user's fresh machine has none, so this path must stay green in CI."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from resource_magic.db import get_engine
from resource_magic.store import ResourceStore

pytestmark = pytest.mark.postgres


def test_store_on_a_pgserver_postgres():
    try:
        import pgserver
    except ImportError:  # pragma: no cover - pgserver is in the test extra
        if os.environ.get("CI"):
            pytest.fail("pgserver is not installed", pytrace=False)
        pytest.skip("pgserver is not installed")
    directory = tempfile.mkdtemp(prefix="rmpgs")
    server = pgserver.get_server(directory, cleanup_mode="stop")
    try:
        uri = server.get_uri().replace("postgresql://", "postgresql+psycopg://", 1)
        alice = ResourceStore(uri, user="alice")
        bob = ResourceStore(uri, user="bob")
        assert alice.backend == "postgresql"
        alice.save("etl", "x = 1")
        alice.save("etl", "x = 2")
        token = alice.share("etl", max_accesses=1).token
        assert bob.open(token).resource.content == "x = 2"
        assert [v.version for v in alice.history("etl")] == [1, 2]
        assert bob.list().total == 0
        get_engine(uri).dispose()
    finally:
        server.cleanup()
        shutil.rmtree(directory, ignore_errors=True)
