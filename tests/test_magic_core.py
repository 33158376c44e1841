"""The extension itself: light loading, configuration, users, routing, help, errors."""

from __future__ import annotations

import argparse
import inspect
import subprocess
import sys

import pandas as pd
import pytest
from IPython.core.error import UsageError

import resource_magic
from resource_magic.magic import SUBCOMMANDS, ResourceMagic

CONTRACT = (
    "save",
    "list",
    "show",
    "load",
    "get",
    "run",
    "fork",
    "lineage",
    "share",
    "shares",
    "revoke",
    "open",
    "history",
    "restore",
    "label",
    "labels",
    "diff",
    "update",
    "delete",
    "export",
    "import",
    "browse",
    "whoami",
    "help",
)


def test_load_ext_stays_light():
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'resource_magic')\n"
        "assert 'resource' in ip.magics_manager.magics['line']\n"
        "assert 'resource' in ip.magics_manager.magics['cell']\n"
        "ip.run_line_magic('config', 'ResourceMagic.user = \"bob\"')\n"
        "heavy = ('pandas', 'ipywidgets', 'sqlalchemy', 'resource_magic.store',\n"
        "         'detect_secrets')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_importing_the_package_is_light():
    code = "import sys, resource_magic; print('sqlalchemy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert out.stdout.strip() == "False", out.stderr


def test_public_api_imports_lazily():
    from resource_magic.store import ResourceStore

    assert resource_magic.ResourceStore is ResourceStore
    assert resource_magic.ResourceMagic is ResourceMagic
    with pytest.raises(AttributeError):
        resource_magic.nothing_here  # noqa: B018


def test_the_contract_subcommands_are_all_registered():
    assert tuple(SUBCOMMANDS) == CONTRACT
    for command in SUBCOMMANDS.values():
        assert command.examples and command.summary
        parser = command.parser()
        assert parser.prog == f"%resource {command.name}"


def test_a_subcommand_is_declared_once_on_its_handler():
    """Summary, help and examples come from the handler's docstring; its arguments
    from its `argument` decorators, which any argparse parser can take."""
    for command in SUBCOMMANDS.values():
        doc = inspect.cleandoc(command.handler.__doc__)
        assert doc.startswith(command.description)
        assert " ".join(doc.split("\n\n")[0].split()) == command.summary
        assert doc.rstrip().endswith(command.examples[-1])
        plain = argparse.ArgumentParser(prog=command.name, exit_on_error=False)
        command.add_arguments(plain)
        ours = command.parser()
        assert [a.dest for a in plain._actions] == [a.dest for a in ours._actions]


def test_the_declaration_builds_parsers_with_another_prog_and_error():
    """What a command line needs: its own prog, or argparse's own exit."""
    command = SUBCOMMANDS["restore"]
    parser = command.parser(prog="resource-magic restore")
    assert parser.format_help().startswith("usage: resource-magic restore ")
    plain = argparse.ArgumentParser(prog="resource-magic restore")
    command.add_arguments(plain)
    parsed = plain.parse_args(["etl", "production", "-m", "why"])
    assert (parsed.version, parsed.message) == ("production", "why")
    with pytest.raises(SystemExit):
        plain.parse_args(["etl"])


def test_help_shows_every_argument_help_as_written():
    """A stray % in an argument's help is read as a format by argparse."""
    for command in SUBCOMMANDS.values():
        shown = " ".join(command.help().split())
        for action in command.parser()._actions:
            if action.help:
                assert " ".join(action.help.replace("%%", "%").split()) in shown, (
                    command.name,
                    action.help,
                )


def test_update_public_and_private_exclude_each_other():
    with pytest.raises(UsageError, match="not allowed with argument"):
        SUBCOMMANDS["update"].parser().parse_args(["x", "--public", "--private"])


def test_docstring_documents_every_subcommand_with_an_example(shell):
    doc = shell.magics_manager.magics["line"]["resource"].__doc__
    assert doc == shell.magics_manager.magics["cell"]["resource"].__doc__
    for command in SUBCOMMANDS.values():
        assert f"  {command.name}  " in doc or f"  {command.name:<8}  " in doc
        for example in command.examples:
            assert example in doc
            assert example.split(" = ")[-1].startswith("%")


def test_question_mark_help_shows_every_example(run):
    shown = run("%resource?")
    assert shown.error is None
    for command in SUBCOMMANDS.values():
        for example in command.examples:
            assert example in shown.stdout


def test_help_subcommand_shows_options_and_examples(run):
    for command in SUBCOMMANDS.values():
        shown = run(f"%resource help {command.name}")
        assert shown.error is None
        assert shown.stdout.startswith(f"usage: %resource {command.name} ")
        for example in command.examples:
            assert example in shown.stdout


def test_help_without_subcommand_and_bare_magic_show_the_overview(run):
    overview = run("%resource help").stdout
    assert "Subcommands, each with an example:" in overview
    assert run("%resource").stdout == overview
    assert run("%resource -h").stdout == overview


def test_dash_h_prints_help_and_changes_nothing(run, shell):
    shown = run("%%resource save x -h\nprint(1)")
    assert shown.error is None
    assert shown.stdout.startswith("usage: %resource save ")
    assert run("%resource list").result.empty


def test_readme_tour_mentions_every_subcommand():
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    tour = readme.split("## Tour", 1)[1]
    for name in SUBCOMMANDS:
        assert f"| {name} " in tour and f"%resource {name}" in tour, name


# -- configuration and users -------------------------------------------------------


def test_whoami_masks_the_password(run, backend):
    shown = run("%resource whoami")
    assert shown.stdout.splitlines()[0] == "user: alice"
    run(
        "%config ResourceMagic.database_url = "
        "'postgresql://bob:s3cret@db.example:5432/team'"
    )
    shown = run("%resource whoami")
    assert shown.stdout.splitlines() == [
        "user: alice",
        "database: postgresql://bob:***@db.example:5432/team",
    ]
    assert "s3cret" not in shown.text
    run(
        "%config ResourceMagic.database_url = "
        "'postgresql://bob@db.example/team?Password=s3cret&sslpassword=k3y&port=5432'"
    )
    shown = run("%resource whoami")
    assert shown.stdout.splitlines()[1] == (
        "database: postgresql://bob@db.example/team?Password=***&sslpassword=***"
        "&port=5432"
    )
    assert "s3cret" not in shown.text and "k3y" not in shown.text


def test_defaults_come_from_the_environment(shell, run, tmp_path, monkeypatch):
    run("%config ResourceMagic.user = ''")
    run("%config ResourceMagic.database_url = ''")
    default = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("RESOURCE_MAGIC_DATABASE_URL", default)
    monkeypatch.setenv("RESOURCE_MAGIC_USER", "carol")
    assert run("%resource whoami").stdout.splitlines() == [
        "user: carol",
        f"database: {default}",
    ]
    run("%%resource save from-env\nx = 1")
    from resource_magic.store import ResourceStore

    assert ResourceStore(default, user="carol").names() == ["from-env"]


def test_two_users_in_one_shell(run, as_user, make_store):
    run("%%resource save etl\nx = 1")
    as_user("bob")
    assert run("%resource whoami").stdout.splitlines()[0] == "user: bob"
    assert run("%resource list").result.empty
    shown = run("%resource show etl")
    assert shown.usage_error == (
        "No resource named 'etl': see your resources with %resource list."
    )
    run("%%resource save etl\ny = 2")  # bob's own, same name
    as_user("alice")
    frame = run("%resource list").result
    assert frame["name"].tolist() == ["etl"] and frame["version"].tolist() == [1]
    assert make_store("alice").get("etl").content == "x = 1\n"
    assert make_store("bob").get("etl").content == "y = 2\n"


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "ResourceMagic.user = 'a/b'",
            "The user name 'a/b' contains '/', which is kept for owner/name: use "
            "another character.",
        ),
        (
            "ResourceMagic.database_url = 'mysql://db/x'",
            "'mysql' databases are not supported: use a sqlite:/// or "
            "postgresql+psycopg:// URL.",
        ),
        (
            "ResourceMagic.database_url = 'not a url'",
            "'not a url' is not a database URL: use e.g. sqlite:///path/to/file.db or "
            "postgresql+psycopg://user@host/dbname.",
        ),
        (
            "ResourceMagic.database_url = 'postgresql://bob:s3cret@db:port/x'",
            "'postgresql://bob:***@db:port/x' is not a database URL: use e.g. "
            "sqlite:///path/to/file.db or postgresql+psycopg://user@host/dbname.",
        ),
    ],
)
def test_bad_settings_are_one_line_at_the_next_magic(run, setting, message):
    assert run(f"%config {setting}").error is None
    shown = run("%resource list")
    assert shown.usage_error == message
    assert not shown.traceback_shown


def test_one_store_per_database_and_user(shell, run, as_user):
    magic = shell.magics_manager.registry["ResourceMagic"]
    run("%resource list")
    first = magic.store()
    as_user("bob")
    run("%resource list")
    assert magic.store() is not first and magic.store().user == "bob"
    as_user("alice")
    assert magic.store() is first


def test_unload_and_reload(shell, run, as_user):
    run("%unload_ext resource_magic")
    assert "resource" not in shell.magics_manager.magics["line"]
    assert not any(isinstance(c, ResourceMagic) for c in shell.configurables)
    run("%load_ext resource_magic")
    as_user("alice")
    assert isinstance(run("%resource list").result, pd.DataFrame)


def test_unreachable_database_is_one_line(run):
    run(
        "%config ResourceMagic.database_url = "
        "'postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2'"
    )
    shown = run("%resource list")
    message = shown.usage_error
    assert message.startswith(
        "Cannot use the database postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    assert message.endswith(
        "check that it is running and that ResourceMagic.database_url / "
        "RESOURCE_MAGIC_DATABASE_URL is right."
    )
    assert not shown.traceback_shown


def test_unreachable_database_masks_credentials_in_the_query(run):
    run(
        "%config ResourceMagic.database_url = 'postgresql+psycopg://nobody@127.0.0.1:1"
        "/none?connect_timeout=2&password=hunter2&sslpassword=k3y'"
    )
    shown = run("%resource list")
    assert shown.usage_error.startswith(
        "Cannot use the database postgresql+psycopg://nobody@127.0.0.1:1/none"
        "?connect_timeout=2&password=***&sslpassword=*** ("
    )
    assert "hunter2" not in shown.text and "k3y" not in shown.text


# -- routing and errors ------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%resource lst", "Unknown subcommand 'lst'. Did you mean 'list'?"),
        ("%resource sahre x", "Unknown subcommand 'sahre'. Did you mean 'share'?"),
        (
            "%resource frobnicate",
            "Unknown subcommand 'frobnicate': use one of "
            + ", ".join(CONTRACT)
            + " (see %resource?).",
        ),
        ("%resource help lsit", "Unknown subcommand 'lsit'. Did you mean 'list'?"),
        (
            "%resource list --limt 5",
            "%resource list: unrecognized arguments: --limt 5. Did you mean --limit? "
            "See %resource help list.",
        ),
        (
            "%resource list --bogus",
            "%resource list: unrecognized arguments: --bogus. See %resource help list.",
        ),
        (
            "%resource show",
            "%resource show: the following arguments are required: NAME. "
            "See %resource help show.",
        ),
        (
            "%resource list --limit ten",
            "%resource list: argument --limit: the limit must be a whole number, "
            "not 'ten'. See %resource help list.",
        ),
        (
            "%resource list --offset -1",
            "%resource list: argument --offset: the offset must be 0 or more, not -1. "
            "See %resource help list.",
        ),
        (
            "%resource show 'unclosed",
            "Cannot read the line (No closing quotation): close the quotes you opened.",
        ),
        (
            "%%resource list\nsome body",
            "%%resource list takes no cell body: use %resource list on one line.",
        ),
        (
            "%resource update x --public --private",
            "%resource update: argument --private: not allowed with argument "
            "--public. See %resource help update.",
        ),
    ],
)
def test_usage_mistakes_are_one_line(run, line, message):
    shown = run(line)
    assert shown.usage_error == message
    assert shown.stderr == f"UsageError: {message}\n"
    assert not shown.traceback_shown
    assert run("%resource list").result.empty  # nothing was written


def test_an_empty_cell_is_the_line_form(run, store):
    store.save("etl", "x = 1")
    shown = run("%%resource list\n\n")
    assert shown.error is None and shown.result["name"].tolist() == ["etl"]


def test_parser_error_raises_ipythons_own_usage_error():
    parser = SUBCOMMANDS["list"].parser()
    with pytest.raises(UsageError) as caught:
        parser.parse_args(["--nope"])
    assert type(caught.value) is UsageError


def test_line_is_not_variable_expanded(run, make_store):
    run("name = 'expanded'")
    run('%%resource save lit -d "costs $5 {name}"\nx = 1')
    assert make_store("alice").get("lit").description == "costs $5 {name}"


def test_unexpected_errors_keep_their_traceback(shell, run, monkeypatch):
    magic = shell.magics_manager.registry["ResourceMagic"]

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(magic, "store", broken)
    shown = run("%resource list")
    assert isinstance(shown.error, RuntimeError)
    assert shown.usage_error is None
    assert shown.traceback_shown and "RuntimeError: a bug" in shown.text
