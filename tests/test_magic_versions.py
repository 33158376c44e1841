"""Versions like a prompt hub through a real IPython shell, on SQLite and PostgreSQL:
messages, labels, diffs, NAME@VERSION / NAME@LABEL, strict and required parameters."""

from __future__ import annotations

import pytest

from resource_magic.frames import HISTORY_COLUMNS, LABEL_COLUMNS


@pytest.fixture
def etl(run, store):
    """Three versions of `etl`, saved through the magic with messages."""
    for n, why in ((1, "first"), (2, "faster"), (3, "experiment")):
        shown = run(f'%%resource save etl --param n={n} -m "{why}"\nprint(n * {n})\n')
        assert shown.error is None, shown.text
    return store


def test_messages_and_labels_in_history(run, etl):
    assert run("%resource label etl production 2").stdout == (
        "Labelled: 'etl@production' is version 2.\n"
    )
    assert run("%resource label etl production 2").stdout == (
        "Nothing to move: 'etl@production' is version 2 already.\n"
    )
    frame = run("%resource history etl").result
    assert tuple(frame.columns) == HISTORY_COLUMNS
    assert frame[["version", "labels", "message", "parameters"]].values.tolist() == [
        [1, "", "first", "n: int = 1"],
        [2, "production", "faster", "n: int = 2"],
        [3, "", "experiment", "n: int = 3"],
    ]
    labels = run("%resource labels etl").result
    assert tuple(labels.columns) == LABEL_COLUMNS
    assert labels[["label", "version"]].values.tolist() == [["production", 2]]


def test_run_a_labelled_version_then_move_the_label(run, etl):
    run("%resource label etl production 2")
    assert run("%resource run etl@production").stdout == "4\n"
    assert run("%resource run etl").stdout == "9\n"
    assert run("%resource run etl@1 -p n=7").stdout == "7\n"
    moved = run("%resource label etl production")
    assert moved.stdout == "Moved: 'etl@production' is version 3 (it was version 2).\n"
    assert run("%resource run etl@production").stdout == "9\n"
    history = run("%resource labels etl --history").result
    assert history["from_version"].isna().tolist() == [True, False]
    assert history[["label", "to_version"]].values.tolist() == [
        ["production", 2],
        ["production", 3],
    ]
    assert history["from_version"].iloc[1] == 2
    removed = run("%resource label etl --remove production")
    assert removed.stdout == (
        "Removed the label 'production' from 'etl' (it pointed at version 3).\n"
    )
    assert run("%resource labels etl").stdout == (
        "'etl' has no labels: set one with %resource label etl production.\n"
    )
    assert etl.get("etl").execution_count == 4


def test_diff_shows_text_and_html(run, etl):
    shown = run("%resource diff etl")
    assert shown.error is None
    [bundle] = shown.outputs
    assert bundle["text/plain"] == (
        "--- etl@2\n+++ etl@3\n@@ -1 +1 @@\n-print(n * 2)\n+print(n * 3)\n"
        "--- etl@2 parameters\n+++ etl@3 parameters\n@@ -1 +1 @@\n-n: int = 2\n"
        "+n: int = 3\n"
    )
    assert "<span" in bundle["text/html"] and "print(n * 3)" in bundle["text/html"]
    run("%resource label etl production 1")
    older = run("%resource diff etl production 2").outputs[0]["text/plain"]
    assert older.startswith("--- etl@1\n+++ etl@2\n")
    same = run("%resource diff etl 3 3")
    assert same.outputs == [
        {"text/plain": "etl@3 and etl@3 are identical (content and parameters)."}
    ]


def test_agent_config_key_order_is_no_change(run, store):
    store.save(
        "agent", {"model": "m", "temperature": 0.1}, resource_type="agent_config"
    )
    store.save(
        "agent", {"temperature": 0.1, "model": "m"}, resource_type="agent_config"
    )
    assert run("%resource diff agent").outputs == [
        {"text/plain": "agent@1 and agent@2 are identical (content and parameters)."}
    ]
    store.save(
        "agent", {"temperature": 0.2, "model": "m"}, resource_type="agent_config"
    )
    text = run("%resource diff agent").outputs[0]["text/plain"]
    assert '-  "temperature": 0.1\n+  "temperature": 0.2\n' in text
    assert "model" not in text.split("@@", 2)[2].replace('  "model": "m",', "")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%resource run etl -p nn=1", "'etl' has no parameter 'nn'. Did you mean 'n'?"),
        ("%resource run etl -p n=ten", "The parameter 'n' of 'etl' takes an int, not "
         "str 'ten': give e.g. -p n=5."),
        ("%resource run etl -p n=2.5", "The parameter 'n' of 'etl' takes an int, not "
         "float 2.5: give e.g. -p n=5."),
        ("%resource run etl@9", "'etl' has no version 9: it has versions 1 to 3 (see "
         "%resource history etl)."),
        ("%resource run etl@stable", "'etl' has no label 'stable'. See its labels with "
         "%resource labels etl."),
        ("%resource label etl latest", "'latest' always means the current version, so "
         "it cannot be set: choose another label."),
        ("%resource label etl", "%resource label: give the LABEL to set, or --remove "
         "LABEL (see %resource help label)."),
        ("%resource label etl a --remove b", "%resource label: give a label to set or "
         "--remove LABEL, not both (see %resource help label)."),
        ("%resource label etl --remove gone", "'etl' has no label 'gone': see its "
         "labels with %resource labels etl."),
        ("%resource diff etl 7", "'etl' has no version 7: it has versions 1 to 3 (see "
         "%resource history etl)."),
        ("%resource history etl@2", "'etl@2' names one version: give the resource's "
         "name ('etl') here."),
    ],
)  # fmt: skip
def test_refusals_are_one_line_and_run_nothing(run, etl, line, message):
    before = (etl.history("etl"), etl.labels("etl"), etl.get("etl").execution_count)
    shown = run(line)
    assert shown.usage_error == message
    assert not shown.traceback_shown and shown.stdout == ""
    assert (etl.history("etl"), etl.labels("etl"), etl.get("etl").execution_count) == (
        before
    )


def test_required_and_typed_parameters(run, store, shell):
    saved = run(
        "%%resource save report --param city --param days:int --param verbose=False\n"
        "print(city, days, verbose)\n"
    )
    assert saved.stdout == (
        "Saved workflow 'report' (version 1).\n"
        "Required when it runs (no default): city, days; give each with -p.\n"
    )
    refused = run("%resource run report -p city=Oslo")
    assert refused.usage_error == (
        "'report' needs a value for 'days': give it with -p days=VALUE."
    )
    assert refused.stdout == ""
    wrong = run("%resource run report -p city=Oslo -p days=many")
    assert wrong.usage_error == (
        "The parameter 'days' of 'report' takes an int, not str 'many': give e.g. "
        "-p days=5."
    )
    ran = run("%resource run report -p city=02139 -p days=3")
    assert ran.stdout == "02139 3 False\n"
    assert store.get("report").execution_count == 1
    shown = run("%resource show report").text
    assert (
        "parameters: city (required), days: int (required), verbose: bool = False"
        in shown
    )
    run("%resource load report")
    loaded = shell.rl_next_input
    assert loaded.startswith("# %resource load report\n")


def test_prompt_placeholders_without_default_are_required(run, store):
    saved = run(
        "%%resource save ask -t prompt --param tone=dry\n"
        "Write about {{ topic }} in a {{ tone }} tone.\n"
    )
    assert saved.stdout == (
        "Saved prompt 'ask' (version 1).\n"
        "Required when it runs (no default): topic; give each with -p.\n"
    )
    assert run("%resource run ask").usage_error == (
        "The prompt needs a value for 'topic': give it with -p topic=VALUE."
    )
    assert run("%resource run ask -p topic=tests").result == (
        "Write about tests in a dry tone.\n"
    )


def test_save_run_binds_the_declared_defaults(run, store, shell):
    shell.user_ns["n"] = "from the notebook"
    saved = run("%%resource save sq --param n=5 --run\nprint(n * n)\n")
    assert saved.error is None, saved.text
    [output] = store.attachments("sq")
    assert output.data == b"25\n"
    shell.user_ns.pop("n")
    refused = run("%%resource save need --param city --run\nprint(city)\n")
    assert refused.usage_error == (
        "--run runs the cell with the parameters' defaults, and 'city' is required "
        "(it has none): give it a default, or save without --run."
    )
    assert store.names() == ["sq"]


def test_load_round_trips_required_parameters(run, store, shell):
    run(
        "%%resource save ask -t prompt --param topic:str --param tone=dry\nOn {{topic}}"
    )
    run("%resource load ask")
    header = shell.rl_next_input.splitlines()[0]
    assert header == (
        "%%resource save ask -t prompt --param \"tone='dry'\" --param topic:str"
    )
    run(shell.rl_next_input)
    assert store.get("ask").parameters == store.get("ask@1").parameters
    assert store.get("ask").version == 2


def test_share_a_version_and_a_label(run, etl, make_store):
    run("%resource label etl production 2")
    pinned = run("tok = %resource share etl@1")
    assert pinned.error is None, pinned.text
    following = run("%resource share etl@production")
    assert following.error is None, following.text
    frame = run("%resource shares etl").result
    assert sorted(frame["shows"]) == ["label production", "version 1"]
