"""Every example in the README's Tour table runs, in a real IPython shell, against a
scratch database holding what the examples name (on SQLite and PostgreSQL): an
example that goes stale fails here."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from resource_magic.magic.registry import SUBCOMMANDS

README = Path(__file__).resolve().parents[1] / "README.md"
_ROW = re.compile(r"^\| ([^|]+?) \| (.+) \|$", re.MULTILINE)
# What a `%%resource save` example keeps: uses the parameter the example declares.
CELL_BODY = 'print("rows", n)'


def tour_rows(readme: str) -> list[tuple[str, list[str]]]:
    """(subcommand, its %resource examples) for each row of the `## Tour` table."""
    tour = readme.split("\n## Tour", 1)[1].split("\n## ", 1)[0]
    rows = []
    for name, cell in _ROW.findall(tour):
        if name in ("subcommand", "---"):
            continue
        spans = re.findall(r"`([^`]+)`", cell)
        rows.append((name, [span for span in spans if "%resource" in span]))
    return rows


def _prepare(make_store, tmp_path: Path) -> dict[str, Callable[[], str]]:
    """A database with what the examples name; the placeholders in the table, each
    with how to get a real value for it when its row runs."""
    bob = make_store("bob")
    bob.save("etl-daily", 'print("bob", n)', parameters={"n": 1}, is_public=True)
    bob_token = bob.share("etl-daily").token
    alice = make_store("alice")
    alice.save("etl-daily", "print('rows', n)", parameters={"n": 5}, tags=["etl"])
    alice.save("etl-daily", CELL_BODY, parameters={"n": 5}, tags=["etl"])
    alice.set_label("etl-daily", "production", 1)
    alice.save("old-etl", "x = 0")
    alice.save(
        "agent-settings",
        {"model": "m", "temperature": 0.2},
        resource_type=("agent_config"),
    )
    alice.save("summarise", "Summarise {{ topic }}", resource_type="prompt")
    alice.share("etl-daily")
    (tmp_path / "backup.json").write_text(json.dumps(alice.export()), "utf-8")
    return {
        " [NAME ...]": lambda: "",  # optional names, written as usage
        "rmshr_...": lambda: bob_token,
        "3f9c2a7e": lambda: alice.shares()[-1].handle,  # the oldest: prepared here
    }


def _problem(run, example: str, placeholders: dict[str, Callable[[], str]]) -> str:
    """Run one example as a cell; what went wrong ("" when it ran cleanly)."""
    source = example
    for placeholder, value in placeholders.items():
        if placeholder in source:
            source = source.replace(placeholder, value())
    if source.startswith("%%"):
        source += "\n" + CELL_BODY
    shown = run(source)
    if shown.error is not None or shown.traceback_shown:
        return f"{source!r} failed: {shown.error!r}\n{shown.text}"
    return ""


def _history_lines(run) -> None:
    """Input-history lines for `save NAME 3-7` to keep."""
    for i in range(8):
        run(f"step_{i} = {i}")


def test_every_tour_example_runs_against_a_scratch_database(
    run, make_store, tmp_path, monkeypatch
):
    rows = tour_rows(README.read_text(encoding="utf-8"))
    assert {name.split()[0] for name, _ in rows} == set(SUBCOMMANDS)
    assert all(examples for _, examples in rows), rows
    monkeypatch.chdir(tmp_path)  # backup.json: a scratch file
    placeholders = _prepare(make_store, tmp_path)
    _history_lines(run)
    problems = [
        problem
        for _, examples in rows
        for example in examples
        if (problem := _problem(run, example, placeholders))
    ]
    assert problems == []
    # The examples did what they say, not only "no error".
    alice = make_store("alice")
    names = {item.name for item in alice.list().items}
    assert {"etl", "my-etl", "agent-settings", "summarise"} <= names
    assert "old-etl" not in names and "etl-daily" not in names  # renamed, deleted


def test_a_wrong_example_in_the_table_fails_the_check(run, make_store, tmp_path):
    """The check can fail: rows with a missing resource, a misspelled option and an
    unknown subcommand each report a problem; a right one reports none."""
    table = (
        "# X\n\n## Tour\n\n| subcommand | example |\n| --- | --- |\n"
        "| show | `%resource show no-such-thing` (gone) |\n"
        "| list | `%resource list --sortt name` |\n"
        "| nope | `%resource nope` |\n"
        "| whoami | `%resource whoami` |\n\n## Next\n"
    )
    rows = tour_rows(table)
    assert [name for name, _ in rows] == ["show", "list", "nope", "whoami"]
    placeholders = _prepare(make_store, tmp_path)
    found = [_problem(run, examples[0], placeholders) for _, examples in rows]
    assert [bool(problem) for problem in found] == [True, True, True, False]
    assert "no-such-thing" in found[0] and "--sortt" in found[1]
