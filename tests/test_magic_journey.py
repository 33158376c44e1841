"""A newcomer's whole journey as one notebook session, with a mistake at every step
that must show one line and change nothing."""

from __future__ import annotations

import re

TOKEN_RE = re.compile(r"rmshr_[A-Za-z0-9_-]{32}")


def test_newcomer_journey(run, shell, as_user, make_store):
    def ok(source: str):
        shown = run(source)
        assert shown.error is None, shown.text
        return shown

    def mistake(source: str, message: str) -> None:
        before = (make_store("alice").export(), make_store("bob").export())
        shown = run(source)
        assert shown.usage_error == message
        assert shown.stderr == f"UsageError: {message}\n"
        assert not shown.traceback_shown
        assert (make_store("alice").export(), make_store("bob").export()) == before

    # save a workflow, a prompt and an agent config
    ok(
        '%%resource save etl-daily -d "Clean the daily export" --tag etl '
        "--param n=3\n"
        "rows = list(range(n))\n"
        "print(f'{len(rows)} rows')\n"
    )
    ok(
        "%%resource save summarise -t prompt --tag llm\n"
        'Summarise {{ topic }} in {{ words }} words. Reply as {"summary": "..."}\n'
    )
    ok('%%resource save agent -t agent_config\n{"model": "m1", "temperature": 0.2}')
    mistake(
        '%%resource save agent2 -t agent_config\n{"model": }',
        "The agent_config is not valid JSON (line 1, column 11: Expecting value): "
        "fix the cell and save again.",
    )

    # list and search
    assert sorted(ok("%resource list").result["name"]) == [
        "agent",
        "etl-daily",
        "summarise",
    ]
    assert ok("%resource list -s daily").result["name"].tolist() == ["etl-daily"]
    mistake("%resource lst", "Unknown subcommand 'lst'. Did you mean 'list'?")

    # run the workflow with a parameter; render the prompt
    assert ok("%resource run etl-daily -p n=5").stdout == "5 rows\n"
    assert shell.user_ns["rows"] == [0, 1, 2, 3, 4]
    mistake(
        "%resource run etl-daly",
        "No resource named 'etl-daly'. Did you mean 'etl-daily'?",
    )
    text = ok("%resource run summarise -p topic=tests -p words=20").result
    assert text == 'Summarise tests in 20 words. Reply as {"summary": "..."}\n'
    mistake(
        "%resource run summarise -p topic=tests",
        "The prompt needs a value for 'words': give it with -p words=VALUE.",
    )
    assert ok("config = %resource get agent") and shell.user_ns["config"] == {
        "model": "m1",
        "temperature": 0.2,
    }

    # fork my own; share with an expiry and a use limit
    ok("%resource fork etl-daily --as etl-weekly")
    mistake(
        "%resource share etl-daily --expires tomorrow",
        "Cannot read 'tomorrow' as an expiry: use a duration like 30m, 12h, 7d or "
        "an ISO date-time with a zone like 2026-12-31T18:00Z.",
    )
    shared = ok("%resource share etl-daily --expires 7d --max-uses 2").stdout
    token = TOKEN_RE.search(shared).group(0)
    assert f"%resource open {token}" in shared

    # switch user: open and fork the share
    as_user("bob")
    mistake(
        "%resource show alice/etl-daily",
        "No public resource 'alice/etl-daily': check the spelling, or ask alice for "
        "a share token.",
    )
    opened = ok(f"%resource open {token}")
    assert "use 1 of 2" in opened.outputs[0]["text/plain"]
    ok(f"%resource fork {token}")
    mistake(
        f"%resource open {token}",
        "That share token is not valid (mistyped, expired, used up or revoked): "
        "ask the owner for a new one.",
    )
    assert ok("%resource list").result["name"].tolist() == ["etl-daily"]

    # lineage and history, back as alice
    as_user("alice")
    shown = ok("%resource lineage etl-daily")
    assert shown.result[["depth", "owner", "name"]].values.tolist() == [
        [0, "alice", "etl-daily"],
        [1, "alice", "etl-weekly"],
    ]
    # bob's fork: alice may not see it, only that it is there
    assert shown.stdout.startswith(
        "Also in this lineage: 1 private resource of other users, not shown."
    )
    assert "bob" not in shown.text
    ok("%%resource save etl-daily\nrows = list(range(n * 2))\n")
    history = ok("%resource history etl-daily").result
    assert history["version"].tolist() == [1, 2]
    ok("%resource restore etl-daily 1")
    assert ok("%resource history etl-daily").result["current"].tolist() == [
        False,
        False,
        True,
    ]
    listed = ok("%resource list --sort name").result.set_index("name")
    assert listed.loc["etl-daily", "executions"] == 1
    assert listed.loc["etl-daily", "forks"] == 2
