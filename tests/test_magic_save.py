"""%%resource save: cell and line forms, types, versions, parameters, --run outputs."""

from __future__ import annotations

import base64

import pytest
from _images import png


def test_save_workflow_then_new_version(run, store):
    shown = run(
        '%%resource save etl -d "Daily clean" --tag etl --tag daily\ndf = load()\n'
    )
    assert shown.error is None
    assert shown.stdout == "Saved workflow 'etl' (version 1).\n"
    shown = run("%%resource save etl\ndf = load().dropna()\n")
    assert shown.stdout == (
        "Saved 'etl' as version 2: it already existed and version 1 stays in its "
        "history.\n"
    )
    record = store.get("etl")
    assert record.content == "df = load().dropna()\n"
    assert record.resource_type == "workflow"
    assert record.description == "Daily clean" and record.tags == ("daily", "etl")
    assert record.is_public is False
    assert [v.content for v in store.history("etl")] == [
        "df = load()\n",
        "df = load().dropna()\n",
    ]


def test_save_prompt_and_agent_config(run, store):
    run("%%resource save summarise -t prompt --public\nSummarise {{ topic }} as {json}")
    run('%%resource save bot -t agent_config\n{"model": "m", "temperature": 0.2}')
    prompt, config = store.get("summarise"), store.get("bot")
    assert prompt.resource_type == "prompt" and prompt.is_public
    assert prompt.content == "Summarise {{ topic }} as {json}\n"
    assert config.resource_type == "agent_config"
    assert config.content == {"model": "m", "temperature": 0.2}
    # an existing name keeps its type without -t
    shown = run('%%resource save bot\n{"model": "n"}')
    assert shown.error is None and store.get("bot").content == {"model": "n"}


def test_parameters_are_declared_and_kept(run, store):
    run("%%resource save etl --param n=5 --param city=Paris --param ratio=0.5\nx = n")
    assert store.get("etl").parameters == {"n": 5, "city": "Paris", "ratio": 0.5}
    shown = run("%%resource save etl\nx = n + 1")
    assert shown.stdout.splitlines()[-1] == (
        "Kept its parameters: city: str = 'Paris', n: int = 5, ratio: float = 0.5."
    )
    assert store.get("etl").parameters == {"n": 5, "city": "Paris", "ratio": 0.5}
    run("%%resource save etl --param n=1\nx = n")
    assert store.get("etl").parameters == {"n": 1}


def test_line_form_saves_input_history(run, store, shell):
    first = shell.execution_count  # the input number the next cell gets
    run("a = 1")
    run("b = a + 1")
    run("c = b * 10")
    shown = run(f"%resource save nums {first}-{first + 2} --tag hist")
    assert shown.error is None, shown.text
    record = store.get("nums")
    assert record.content == "a = 1\nb = a + 1\nc = b * 10\n"
    assert record.tags == ("hist",)
    run(f"%resource save nums {first} {first + 2}")
    assert store.get("nums").content == "a = 1\nc = b * 10\n"


def test_run_stores_outputs_as_attachments_and_shows_them(run, store, shell):
    shell.user_ns["PNG"] = png()
    shown = run(
        "%%resource save plot --run\n"
        "from IPython.display import Image, HTML, display\n"
        "print('rows: 3')\n"
        "display(HTML('<b>ok</b>'))\n"
        "print('done')\n"
        "Image(data=PNG)\n"
    )
    assert shown.error is None, shown.text
    # the user saw the outputs, as usual
    assert shown.stdout.startswith("rows: 3\ndone\n")
    assert [sorted(o) for o in shown.outputs] == [
        ["text/html", "text/plain"],
        ["image/png", "text/plain"],
    ]
    assert base64.b64decode(shown.outputs[1]["image/png"]) == png()
    assert shown.stdout.endswith(
        "Saved workflow 'plot' (version 1).\nStored 4 captured outputs with it.\n"
    )
    stored = store.attachments("plot")
    assert [(a.mime_type, a.data) for a in stored] == [
        ("text/plain", b"rows: 3\n"),
        ("text/html", b"<b>ok</b>"),
        ("text/plain", b"done\n"),
        ("image/png", png()),
    ]
    # the code really ran in the user namespace
    assert "Image" in shell.user_ns
    assert store.history("plot")[0].attachment_count == 4


def test_run_that_raises_saves_nothing(run, store):
    shown = run("%%resource save broken --run\nprint('before')\n1 / 0\n")
    assert shown.usage_error == (
        "The cell raised ZeroDivisionError, so 'broken' was not saved: fix the cell "
        "and run it again."
    )
    assert "before" in shown.stdout and "ZeroDivisionError" in shown.stdout
    assert store.list().total == 0
    shown = run("%%resource save broken --run\ndef f(:\n")
    assert shown.usage_error.startswith("The cell raised SyntaxError")
    assert store.list().total == 0


def test_run_with_a_bad_message_runs_nothing(run, store, shell):
    shown = run(f"%%resource save noted --run -m {'x' * 2_001}\nran_it = True\n")
    assert shown.usage_error == (
        "The version message is 2001 characters long: use at most 2000."
    )
    assert "ran_it" not in shell.user_ns
    assert store.list().total == 0


def test_run_respects_a_trailing_semicolon_and_saves_a_new_version(run, store):
    run("%%resource save calc\nx = 1")
    shown = run("%%resource save calc --run\n41 + 1;\n")
    assert shown.outputs == []
    assert store.get("calc").version == 2
    assert store.attachments("calc") == ()
    shown = run("%%resource save calc --run\n41 + 1\n")
    assert [o["text/plain"] for o in shown.outputs] == ["42"]
    assert [(a.mime_type, a.data) for a in store.attachments("calc")] == [
        ("text/plain", b"42")
    ]


def test_run_does_not_store_live_widgets(run, store):
    shown = run(
        "%%resource save slider --run\nimport ipywidgets\nipywidgets.IntSlider()\n"
    )
    assert shown.error is None
    assert "application/vnd.jupyter.widget-view+json" in shown.outputs[0]
    assert store.attachments("slider") == ()


def test_run_checks_the_save_before_running(run, store, shell):
    shown = run("%%resource save bad/name --run\nran = True\n")
    assert shown.usage_error == (
        "The name 'bad/name' contains '/', which is kept for owner/name: use another "
        "character."
    )
    assert "ran" not in shell.user_ns
    shown = run("%%resource save p -t prompt --run\nHello\n")
    assert (
        shown.usage_error
        == "--run only works for workflows: a prompt is not Python code."
    )
    assert store.list().total == 0


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            "%resource save etl",
            "Nothing to save: put the content in a cell that starts with "
            "%%resource save etl, or name input lines like %resource save etl 3-7.",
        ),
        (
            "%resource save etl 999-1000",
            "No input history matches '999-1000': give input numbers like 3-7 or "
            "3 5 8 (see %history -n).",
        ),
        (
            "%%resource save etl\n   \n",
            "The workflow is empty: put its text in the cell.",
        ),
        (
            "%%resource save etl 1-2\nx = 1",
            "Give the content either as the cell body or as input lines, not both.",
        ),
        (
            "%%resource save my daily etl\nx = 1",
            "'my daily etl' is not a name: names have no spaces, so use a dash, as "
            "in %%resource save my-daily-etl.",
        ),
        (  # the cell form needs no LINES
            "%%resource save\nx = 1",
            "%resource save: the following arguments are required: NAME. See "
            "%resource help save.",
        ),
        (
            "%resource save",
            "%resource save: the following arguments are required: NAME. See "
            "%resource help save.",
        ),
        (
            "%%resource save etl -t recipe\nx = 1",
            "Unknown resource type 'recipe': use one of workflow, prompt, "
            "agent_config.",
        ),
        (
            '%%resource save cfg -t agent_config\n{"model": "m",}',
            "The agent_config is not valid JSON (line 1, column 15: Expecting property "
            "name enclosed in double quotes): fix the cell and save again.",
        ),
        (
            "%%resource save cfg -t agent_config\n[1, 2]",
            'An agent_config must be a JSON object, like {"model": "gpt-4o"}.',
        ),
        (
            "%%resource save etl --param n:integer\nx = 1",
            "Unknown parameter type 'integer' in 'n:integer': use one of int, float, "
            "bool, str, list, dict, like --param n:int.",
        ),
        (
            "%%resource save etl --tag 'two words'\nx = 1",
            "The tag 'two words' contains a space or comma: give one tag per --tag.",
        ),
        (
            "%%resource save rmshr_x\nx = 1",
            "Names may not start with 'rmshr_' (that marks share tokens): choose "
            "another name.",
        ),
    ],
)
def test_save_mistakes(run, store, cell, message):
    shown = run(cell)
    assert shown.usage_error == message
    assert not shown.traceback_shown
    assert store.list().total == 0


def test_saving_another_type_under_an_existing_name_is_refused(run, store):
    run("%%resource save etl\nx = 1")
    shown = run("%%resource save etl -t prompt\nHello")
    assert shown.usage_error == (
        "'etl' is already a workflow: save the prompt under another name, or delete "
        "the old one first."
    )
    assert store.get("etl").version == 1


def test_a_new_version_is_one_store_transaction(run, store, shell):
    from _sql_capture import capture_sql

    run("%%resource save etl --param n=5\nx = n")
    with capture_sql(store.engine) as sql:
        shown = run("%%resource save etl\nx = n + 1")
    assert shown.stdout.splitlines()[-1] == "Kept its parameters: n: int = 5."
    assert len(sql.transactions()) == 1, sql.events
