"""The first command in a new kernel stays light: on an up-to-date database nothing
imports Alembic, and only commands that return a DataFrame import pandas. Each case runs
in a fresh Python process (a real IPython shell), since sys.modules is per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
from alembic import command
from sqlalchemy import create_engine

from resource_magic.migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    packaged_head,
)
from resource_magic.store import ResourceStore

_FIRST_CELL = textwrap.dedent(
    """
    import json, sys
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "resource_magic")
    shell.run_line_magic("config", f"ResourceMagic.database_url = {sys.argv[1]!r}")
    shell.run_line_magic("config", "ResourceMagic.user = 'alice'")
    result = shell.run_cell(sys.argv[2], store_history=False)
    # On a line of its own: a value that displays nothing (an empty listing) leaves
    # the display hook's "Out[0]: " prompt without its newline.
    print()
    print(json.dumps({
        **{name: name in sys.modules for name in sys.argv[3:]},
        "ok": result.success,
        "alembic": "alembic" in sys.modules,
        "pandas": "pandas" in sys.modules,
        "postgresql": "sqlalchemy.dialects.postgresql" in sys.modules,
    }))
    """
)


def first_cell(url: str, cell: str, *modules: str) -> dict:
    """Run `cell` as alice's first command in a fresh IPython process (`url`: hers);
    each of `modules` is reported too, True if the process imported it."""
    done = subprocess.run(
        [sys.executable, "-c", _FIRST_CELL, url, cell, *modules],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_show_on_an_up_to_date_database_imports_neither_alembic_nor_pandas(
    make_store, url_for
):
    make_store("alice").save("first", "x = 1")  # the database is at head
    seen = first_cell(url_for("alice"), "%resource show first")
    assert seen.pop("postgresql") == (make_store("alice").backend == "postgresql")
    assert seen == {"ok": True, "alembic": False, "pandas": False}


def test_list_imports_pandas_but_not_alembic(make_store, url_for):
    make_store("alice").save("first", "x = 1")
    seen = first_cell(url_for("alice"), "%resource list")
    assert seen.pop("postgresql") == (make_store("alice").backend == "postgresql")
    assert seen == {"ok": True, "alembic": False, "pandas": True}


# What only some commands need: scanning for secrets (save, share, publish), running
# a workflow (run, save --run), cleaning stored HTML (an output shown).
_NOT_FOR_SHOW_OR_LIST = (
    "resource_magic.secretscan",
    "resource_magic.execute",
    "nh3",
    "resource_magic.widgets",
    "resource_magic.diffs",
)


@pytest.mark.parametrize("cell", ["%resource show first", "%resource list"])
def test_show_and_list_import_nothing_only_other_commands_need(
    make_store, url_for, cell
):
    make_store("alice").save("first", "x = 1")
    seen = first_cell(url_for("alice"), cell, *_NOT_FOR_SHOW_OR_LIST)
    assert seen["ok"]
    assert {name: seen[name] for name in _NOT_FOR_SHOW_OR_LIST} == dict.fromkeys(
        _NOT_FOR_SHOW_OR_LIST, False
    )


@pytest.mark.parametrize(
    "cell",
    [
        "%resource show first",
        "%resource list",
        "%%resource save first\nx = 2\n",
        "%resource fork first --as second",
        "%resource share first",
        "%resource history first",
        "%resource lineage first",
    ],
)
def test_no_command_imports_the_orm(make_store, url_for, cell):
    """Reads and writes alike run Core statements: sqlalchemy.orm stays unimported
    (it and the mapping of the models were a fifth of the first command)."""
    make_store("alice").save("first", "x = 1")
    seen = first_cell(url_for("alice"), cell, "sqlalchemy.orm")
    assert seen["ok"]
    assert seen["sqlalchemy.orm"] is False


def test_a_new_version_on_sqlite_imports_no_postgresql_dialect(tmp_path):
    """save's prepared upsert takes its dialect's INSERT when first used."""
    url = f"sqlite:///{tmp_path / 'first.db'}"
    ResourceStore(url, user="alice").save("first", "x = 1")  # at head, alice exists
    seen = first_cell(url, "%%resource save first\nx = 2\n")
    assert seen == {
        "ok": True,
        "alembic": False,
        "pandas": False,
        "postgresql": False,
    }


def test_a_database_behind_the_package_is_migrated_through_alembic(
    empty_url,
):
    engine = create_engine(empty_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0002")
    seen = first_cell(empty_url, "%resource list")
    seen.pop("postgresql")  # Alembic's own modules import every dialect
    assert seen == {"ok": True, "alembic": True, "pandas": True}
    with engine.connect() as conn:
        assert current_revision(conn) == head_revision()
    engine.dispose()


def test_the_head_from_file_names_is_alembics_head():
    from alembic.script import ScriptDirectory

    assert packaged_head() == head_revision()
    scripts = ScriptDirectory.from_config(alembic_config())
    for script in scripts.walk_revisions():
        # The file-name rule packaged_head relies on: NNNN_slug.py holds "NNNN".
        assert os.path.basename(script.path).startswith(f"{script.revision}_")
        if script.down_revision is not None:
            assert int(script.revision) == int(script.down_revision) + 1
    assert (MIGRATIONS_DIR / "versions").is_dir()


@pytest.mark.parametrize("stop", [None, "0001", "head"])
def test_current_revision_reads_what_alembic_reads(empty_url, stop):
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(empty_url)
    if stop is not None:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), stop)
    with engine.connect() as conn:
        expected = MigrationContext.configure(conn).get_current_revision()
        assert current_revision(conn) == expected
        assert (expected is None) == (stop is None)
    engine.dispose()
