"""The command line, run as a user runs it: the console script's entry point and
`python -m resource_magic` in subprocesses, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from resource_magic.magic.commands.transfer import PROGRESS_FROM

ROOT = Path(__file__).resolve().parents[1]


def _entry_point() -> list[str]:
    """The console script as pyproject declares it, run from this checkout."""
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = scripts["resource-magic"].split(":")
    code = (
        f"import sys; sys.argv[0] = 'resource-magic'; from {module} import {function}"
    )
    return [sys.executable, "-c", f"{code}; {function}()"]


COMMANDS = {
    "script": _entry_point(),
    "module": [sys.executable, "-m", "resource_magic"],
}


def cli(*args: str, way: str = "script", env: dict | None = None):
    """Run the command line; the finished process (stdout, stderr, returncode)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [*COMMANDS[way], *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


@pytest.fixture
def seeded(make_store, url_for):
    """Alice's resources and bob's public prompt; returns url_for (the command line
    acts as USER with `--database-url url_for(USER) --user USER`)."""
    alice = make_store("alice")
    alice.save("etl", 'print("rows", n)', parameters={"n": 3}, tags=["etl"])
    alice.save("etl", 'print("rows:", n)', parameters={"n": 3}, tags=["etl"])
    alice.save("ask", "About {{ topic }}", resource_type="prompt")
    alice.save("cfg", {"model": "m", "t": 1}, resource_type="agent_config")
    alice.record_execution("ask")
    make_store("bob").save("pub", "Hi {{ x }}", resource_type="prompt", is_public=True)
    return url_for


def _listing(url: str, user: str = "alice", drop: str = "updated") -> list[dict]:
    """`user`'s listing (`url`: the one `user` logs in with)."""
    done = cli(
        "--database-url", url, "list", "--json", "--sort", "name", "--user", user
    )
    assert done.returncode == 0, done.stderr
    return [
        {k: v for k, v in row.items() if k not in ("updated", drop)}
        for row in json.loads(done.stdout)
    ]


@pytest.mark.parametrize("way", ["script", "module"])
def test_list_as_text_json_and_csv_with_flags_before_or_after(seeded, way):
    url = seeded("alice")
    before = cli("--database-url", url, "--user", "alice", "list", way=way)
    after = cli("list", "--database-url", url, "--user", "alice", way=way)
    assert before.returncode == after.returncode == 0, before.stderr + after.stderr
    assert before.stdout == after.stdout
    lines = before.stdout.splitlines()
    assert lines[0].split()[:3] == ["name", "type", "description"]
    assert [line.split()[0] for line in lines[1:]] == ["cfg", "ask", "etl"]
    as_json = cli("--database-url", url, "--user", "alice", "list", "--json")
    assert [r["name"] for r in json.loads(as_json.stdout)] == ["cfg", "ask", "etl"]
    as_csv = cli("--database-url", url, "--user", "alice", "--csv", "list")
    assert as_csv.stdout.splitlines()[0].startswith("name,type,description,tags")
    most_run = cli("--database-url", url, "--user", "alice", "list", "--sort")
    assert most_run.returncode == 2  # --sort without a value is a usage error
    # no --user: the one from the environment (the suite's "tester")
    tester = seeded("tester")
    most_run = cli("list", "--sort", "-executions", "--json", "--database-url", tester)
    assert most_run.returncode == 0, most_run.stderr
    env = {"RESOURCE_MAGIC_USER": "alice"}
    ranked = cli(
        "list", "--sort", "-executions", "--json", "--database-url", url, env=env
    )
    assert json.loads(ranked.stdout)[0]["name"] == "ask"


def test_values_print_as_text_and_workflows_run_in_a_fresh_namespace(seeded):
    base = ["--database-url", seeded("alice"), "--user", "alice"]
    assert cli(*base, "run", "ask", "-p", "topic=tests").stdout == "About tests\n"
    assert cli(*base, "run", "bob/pub", "-p", "x=you").stdout == "Hi you\n"
    ran = cli(*base, "run", "etl", "-p", "n=7")
    assert ran.returncode == 0 and ran.stdout == "rows: 7\n", ran.stderr
    got = cli(*base, "get", "cfg")
    assert json.loads(got.stdout) == {"model": "m", "t": 1}
    shown = cli(*base, "show", "etl")
    assert (
        shown.stdout.startswith("alice/etl\n") and 'print("rows:", n)' in shown.stdout
    )
    history = cli(*base, "history", "etl", "--json")
    assert [v["version"] for v in json.loads(history.stdout)] == [1, 2]
    who = cli(*base, "whoami")
    assert who.stdout.splitlines()[0] == "user: alice"


def test_exit_codes_and_one_line_refusals(seeded):
    base = ["--database-url", seeded("alice"), "--user", "alice"]
    missing = cli(*base, "show", "nope")
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr == (
        "No resource named 'nope': see your resources with %resource list.\n"
    )
    workflow = cli(*base, "run", "bob/nothing")
    assert workflow.returncode == 1 and len(workflow.stderr.splitlines()) == 1
    usage = cli(*base, "list", "--bogus")
    assert usage.returncode == 2 and "unrecognized arguments: --bogus" in usage.stderr
    unknown = cli(*base, "lsit")
    assert unknown.returncode == 2 and "invalid choice: 'lsit'" in unknown.stderr
    export = cli(*base, "export")
    assert export.returncode == 2
    assert "the following arguments are required: FILE" in export.stderr
    for name in ("browse", "load", "save"):
        notebook = cli(*base, name, "etl")
        assert notebook.returncode == 2
        assert f"{name} needs a notebook" in notebook.stderr
    assert "Traceback" not in missing.stderr + usage.stderr + export.stderr


def test_share_then_open_and_revoke_from_the_command_line(seeded):
    alice = ["--database-url", seeded("alice"), "--user", "alice"]
    shared = cli(*alice, "share", "etl", "--max-uses", "1", "--json")
    assert shared.returncode == 0, shared.stderr
    token = json.loads(shared.stdout.splitlines()[-1])
    assert token.startswith("rmshr_") and shared.stdout.count("Shared 'etl'") == 1
    carol = ["--database-url", seeded("carol"), "--user", "carol"]
    opened = cli(*carol, "open", token)
    assert opened.returncode == 0 and "alice/etl" in opened.stdout
    again = cli(*carol, "open", token)
    assert again.returncode == 1 and "Traceback" not in again.stderr


def test_cron_style_backup_export_then_import_into_a_fresh_database(
    seeded, backend, users_on, tmp_path, request
):
    """`resource-magic export backup.json`, then import into an empty database of
    the same backend: the same listing."""
    backup = tmp_path / "backup.json"
    done = cli(
        "--database-url", seeded("alice"), "--user", "alice", "export", str(backup)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Exported 3 resources (4 versions) to " + str(backup) + ".\n"
    assert "it/s" not in done.stderr  # piped: no progress bar
    if backend.startswith("sqlite"):
        fresh = users_on(f"sqlite:///{tmp_path / 'restored.db'}")("alice")
    else:
        fresh = users_on(request.getfixturevalue("fresh_postgres_url"))("alice")
    done = cli("import", str(backup), "--database-url", fresh, "--user", "alice")
    assert done.returncode == 0, done.stderr
    # the same resources, versions, tags and parameters; run counts are activity in
    # one database, which an export does not carry
    assert _listing(fresh, drop="executions") == _listing(
        seeded("alice"), drop="executions"
    )
    history = cli(
        "--database-url", fresh, "--user", "alice", "history", "etl", "--json"
    )
    assert [v["version"] for v in json.loads(history.stdout)] == [1, 2]


def test_every_subcommand_of_the_magic_is_on_the_command_line():
    from resource_magic.cli import NOTEBOOK_ONLY, build_parser
    from resource_magic.magic.registry import SUBCOMMANDS

    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.dest == "subcommand"]
    # every %resource subcommand, and the admin's `team` (command line only)
    assert set(commands.choices) == set(SUBCOMMANDS) | {"team"}
    for name, sub in commands.choices.items():
        if name in NOTEBOOK_ONLY or name == "team":
            continue
        declared = {
            o for a in SUBCOMMANDS[name].parser()._actions for o in a.option_strings
        }
        assert declared <= {o for a in sub._actions for o in a.option_strings}, name


def _on_a_terminal(*args: str) -> tuple[int, str]:
    """Run the command line with stdout and stderr on a pseudo-terminal; its exit
    status and everything it wrote there."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    # 24 rows, 100 columns: a new pseudo-terminal is 0 wide, and so would be the bar
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    with subprocess.Popen(
        [*COMMANDS["script"], *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=environment,
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        status = process.wait(timeout=120)
    os.close(leader)
    return status, b"".join(chunks).decode("utf-8", "replace")


def test_export_and_import_show_a_bar_on_a_terminal_and_none_when_piped(
    make_store, url_for, tmp_path
):
    """The magic's own progress bar (from PROGRESS_FROM resources on): on a terminal
    it shows; piped (a cron job's log) nothing but the one-line summary."""
    alice = make_store("alice")
    for i in range(PROGRESS_FROM):
        alice.save(f"r{i:02d}", f"x = {i}")

    def base(user: str) -> tuple[str, ...]:
        return ("--database-url", url_for(user), "--user", user)

    piped_file, shown_file = tmp_path / "piped.json", tmp_path / "shown.json"

    piped = cli(*base("alice"), "export", str(piped_file))
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    assert piped.stdout == (
        f"Exported {PROGRESS_FROM} resources ({PROGRESS_FROM} versions) "
        f"to {piped_file}.\n"
    )
    status, shown = _on_a_terminal(*base("alice"), "export", str(shown_file))
    assert status == 0, shown
    assert "%|" in shown and "\r" in shown
    assert f"{PROGRESS_FROM}/{PROGRESS_FROM}" in shown

    piped = cli(*base("carol"), "import", str(piped_file))
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    assert "\r" not in piped.stdout and "%|" not in piped.stdout
    assert piped.stdout.startswith(f"Imported {PROGRESS_FROM} resources")
    status, shown = _on_a_terminal(*base("dave"), "import", str(shown_file))
    assert status == 0, shown
    assert "%|" in shown and f"{PROGRESS_FROM}/{PROGRESS_FROM}" in shown
    assert make_store("dave").list().total == PROGRESS_FROM
