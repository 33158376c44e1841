"""`pytest -m postgres` selects exactly the tests that need PostgreSQL, and the
header says which PostgreSQL they use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FILES = [
    "tests/test_store_basics.py",
    "tests/test_migrations.py",
    "tests/test_pgserver.py",
]


def _collect(*args: str, env: dict | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only"]
        + ["-p", "no:nbval", "-o", "addopts=", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _ids(out: str) -> list[str]:
    return [line for line in out.splitlines() if "::" in line]


@pytest.mark.parametrize(
    ("expression", "wanted"), [("postgres", True), ("not postgres", False)]
)
def test_the_postgres_marker_selects_the_postgresql_variants(expression, wanted):
    ids = _ids(_collect("-q", "-m", expression, *FILES))
    assert ids
    needs_postgres = [  # the plain PostgreSQL variants and the team database ones
        i
        for i in ids
        if "[postgresql" in i or "[team" in i or i.startswith("tests/test_pgserver.py")
    ]
    assert (needs_postgres == ids) if wanted else not needs_postgres


def test_the_header_names_the_configured_server_with_its_password_masked():
    url = "postgresql+psycopg://me:Pw-9f3e@db.example:5432/postgres"
    out = _collect(
        "tests/test_config.py", env={"RESOURCE_MAGIC_TEST_POSTGRES_URL": url}
    )
    header = [line for line in out.splitlines() if line.startswith("postgresql:")]
    assert header == [
        "postgresql: postgresql+psycopg://me:***@db.example:5432/postgres "
        "(from RESOURCE_MAGIC_TEST_POSTGRES_URL)"
    ]
    assert "Pw-9f3e" not in out


def test_without_a_configured_server_the_header_says_pgserver():
    out = _collect("tests/test_config.py", env={"RESOURCE_MAGIC_TEST_POSTGRES_URL": ""})
    assert "postgresql: a throwaway pgserver server" in out
