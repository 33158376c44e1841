"""list, show, load, get and run through a real shell, on both backends."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from _images import png

from resource_magic.frames import PUBLIC_RESOURCE_COLUMNS, RESOURCE_COLUMNS

# -- list --------------------------------------------------------------------------


def test_df_equals_resource_list(run, shell, store):
    store.save("etl", "x = 1", description="Daily clean", tags=["etl"])
    store.save("summarise", "Hi {{ who }}", resource_type="prompt")
    shown = run("df = %resource list")
    assert shown.error is None and shown.stdout == ""
    df = shell.user_ns["df"]
    assert isinstance(df, pd.DataFrame)
    assert tuple(df.columns) == RESOURCE_COLUMNS
    assert sorted(df["name"]) == ["etl", "summarise"]
    # as the last line of a cell it is displayed, like any value
    shown = run("%resource list --sort name")
    assert shown.result["name"].tolist() == ["etl", "summarise"]
    assert shown.stdout.startswith("Out[") and "summarise" in shown.stdout


def test_list_filters(run, store):
    store.save("etl-daily", "x = 1", description="Clean the data", tags=["etl"])
    store.save("etl-weekly", "x = 2", tags=["etl", "slow"])
    store.save("greet", "Hello {{ name }}", resource_type="prompt")

    def names(line: str) -> list[str]:
        return run(line).result["name"].tolist()

    assert names("%resource list -s CLEAN") == ["etl-daily"]
    assert names("%resource list -t prompt") == ["greet"]
    assert names("%resource list --tag slow") == ["etl-weekly"]
    assert names("%resource list --sort=-name") == ["greet", "etl-weekly", "etl-daily"]
    assert names("%resource list -s etl --sort name") == ["etl-daily", "etl-weekly"]


def test_sort_field_is_ascending_and_minus_field_descending(run, store):
    """As in most APIs: --sort=-executions (the README's example) is most run first,
    with = or a space; --sort executions least run first; the default newest first."""
    for name, runs in (("once", 1), ("never", 0), ("often", 5)):
        store.save(name, "x = 1")
        for _ in range(runs):
            store.record_execution(name)

    def names(line: str) -> list[str]:
        shown = run(line)
        assert shown.error is None, shown.error
        return shown.result["name"].tolist()

    assert names("%resource list --sort=-executions") == ["often", "once", "never"]
    assert names("%resource list --sort -executions") == ["often", "once", "never"]
    assert names("%resource list --sort executions") == ["never", "once", "often"]
    assert names("%resource list --sort -name --limit 1") == ["once"]
    assert names("%resource list") == ["often", "never", "once"]  # updated, newest
    help_text = run("%resource help list").stdout
    assert "a leading - sorts descending: --sort -executions" in " ".join(
        help_text.split()
    )


def test_list_says_how_many_matched_when_a_page_is_cut(run, store):
    for i in range(5):
        store.save(f"r{i}", f"x = {i}")
    shown = run("df = %resource list --sort name --limit 2")
    assert shown.stdout == (
        "Showing 1-2 of 5 matching resources; see more with --offset 2.\n"
    )
    shown = run("%resource list --sort name --limit 2")
    assert shown.result["name"].tolist() == ["r0", "r1"]
    shown = run("%resource list --sort name --limit 2 --offset 4")
    assert shown.stdout.splitlines()[0] == "Showing 5-5 of 5 matching resources."
    assert shown.result["name"].tolist() == ["r4"]
    shown = run("%resource list --offset 9")
    assert shown.stdout.splitlines()[0] == (
        "No resources at offset 9: 5 match in total."
    )
    assert shown.result.empty


def test_list_empty_messages(run, store):
    shown = run("df = %resource list")
    assert shown.stdout == (
        "You have no resources yet: save a cell with %%resource save NAME.\n"
    )
    shown = run("%resource list")
    assert tuple(shown.result.columns) == RESOURCE_COLUMNS and shown.result.empty
    # the message, and no "Empty DataFrame" repr after it (only IPython's prompt)
    assert "Empty DataFrame" not in shown.text and shown.outputs == []
    assert shown.stdout.splitlines()[0].startswith("You have no resources yet")
    assert re.fullmatch(r"Out\[\d+\]: ", shown.stdout.splitlines()[1])
    assert len(shown.stdout.splitlines()) == 2
    frame = run("df = %resource list\ndf.loc[len(df)] = ['x'] * len(df.columns)\ndf")
    assert "Empty DataFrame" not in frame.text and "x" in frame.stdout  # plain again
    store.save("etl", "x = 1")
    assert run("df = %resource list -s nothing").stdout == (
        "None of your resources match.\n"
    )
    assert run("df = %resource list --public").stdout == "No public resources match.\n"


def test_list_public_scope_shows_owners(run, make_store):
    make_store("bob").save("shared", "x = 1", is_public=True)
    make_store("bob").save("hidden", "x = 2")
    make_store("alice").save("mine", "x = 3", is_public=True)
    frame = run("%resource list --public --sort name").result
    assert tuple(frame.columns) == PUBLIC_RESOURCE_COLUMNS
    assert frame[["owner", "name"]].values.tolist() == [
        ["alice", "mine"],
        ["bob", "shared"],
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "%resource list -t recipe",
            "Unknown resource type 'recipe': use one of workflow, prompt, "
            "agent_config.",
        ),
        (
            "%resource list --sort size",
            "Cannot sort by 'size': use one of updated, created, name, type, "
            "executions, forks, version (a leading - sorts descending: -executions).",
        ),
        (
            "%resource list --limit 0",
            "The limit must be a whole number from 1 to 1000.",
        ),
        (
            "%resource list --tag 'a b'",
            "The tag 'a b' contains a space or comma: give one tag per --tag.",
        ),
    ],
)
def test_list_mistakes(run, line, message):
    assert run(line).usage_error == message


# -- show --------------------------------------------------------------------------


def test_show_workflow_highlighted_with_metadata(run, store):
    store.save(
        "etl",
        "def clean(df):\n    return df.dropna()\n",
        description="Daily clean",
        tags=["etl"],
        parameters={"n": 5},
    )
    shown = run("%resource show etl")
    assert shown.error is None
    head, content = shown.outputs
    lines = head["text/plain"].splitlines()
    assert lines[0] == "alice/etl"
    assert lines[1:7] == [
        "  type: workflow",
        "  version: 1",
        "  owner: alice (private)",
        "  description: Daily clean",
        "  tags: etl",
        "  parameters: n: int = 5",
    ]
    assert '<table class="rm-metadata-table">' in head["text/html"]
    assert content["text/plain"] == "def clean(df):\n    return df.dropna()\n"
    html = content["text/html"]
    assert 'class="highlight"' in html and "<span" in html  # Pygments markup
    assert ">def</span>" in html


def test_show_prompt_and_agent_config(run, store):
    store.save("p", "Hi {{ who }} <b>{x}</b>", resource_type="prompt")
    store.save("cfg", {"model": "m", "tools": ["a"]}, resource_type="agent_config")
    content = run("%resource show p").outputs[1]
    assert content["text/plain"] == "Hi {{ who }} <b>{x}</b>"
    assert "<b>{{ who }}</b>" in content["text/html"]
    assert "&lt;b&gt;{x}&lt;/b&gt;" in content["text/html"]  # escaped, not rendered
    content = run("%resource show cfg").outputs[1]
    assert content["text/plain"] == '{\n  "model": "m",\n  "tools": [\n    "a"\n  ]\n}'


def test_show_displays_attachments_images_as_images(run, store):
    store.save(
        "plot",
        "x = 1",
        attachments=[("text/plain", "rows: 3\n"), ("image/png", png())],
    )
    shown = run("%resource show plot")
    assert shown.stdout == "2 stored outputs of version 1:\n"
    text, image = shown.outputs[2:]
    assert text == {"text/plain": "rows: 3\n"}
    assert image["text/plain"] == f"[image/png, {len(png()):,} bytes]"
    import base64

    assert base64.b64decode(image["image/png"]) == png()


def test_show_someone_elses_public_resource(run, make_store):
    make_store("bob").save("shared", "x = 1", is_public=True)
    shown = run("%resource show bob/shared")
    assert shown.outputs[0]["text/plain"].splitlines()[:4] == [
        "bob/shared",
        "  type: workflow",
        "  version: 1",
        "  owner: bob (public)",
    ]


# -- load and get ------------------------------------------------------------------


def test_load_puts_the_source_in_the_next_cell(run, shell, store):
    store.save("etl", "x = 1\n")
    store.save(
        "p",
        "Hi {{ who }}",
        resource_type="prompt",
        parameters={"who": "New York", "n": 5, "s": "5"},
    )
    store.save("cfg", {"model": "m"}, resource_type="agent_config")
    run("%resource load etl")
    assert shell.rl_next_input == "# %resource load etl\nx = 1\n"
    run("%resource load p")
    assert shell.rl_next_input == (
        "%%resource save p -t prompt --param n=5 --param \"s='5'\" "
        "--param \"who='New York'\"\nHi {{ who }}"
    )
    run("%resource load cfg")
    assert shell.rl_next_input == (
        '%%resource save cfg -t agent_config\n{\n  "model": "m"\n}'
    )


def test_a_loaded_prompt_saves_back_with_its_parameters(run, shell, store):
    store.save(
        "p", "Hi {{ who }}", resource_type="prompt", parameters={"who": "x y", "s": "5"}
    )
    run("%resource load p")
    shown = run(shell.rl_next_input.replace("Hi", "Hello"))
    assert shown.error is None
    record = store.get("p")
    assert record.version == 2 and record.content == "Hello {{ who }}\n"
    assert record.parameters == {"who": "x y", "s": "5"}


def test_get_returns_values(run, shell, store):
    store.save("etl", "x = 1\n")
    store.save("p", "Hi {{ who }}", resource_type="prompt")
    store.save("cfg", {"model": "m", "n": [1]}, resource_type="agent_config")
    run("code = %resource get etl")
    run("text = %resource get p")
    run("config = %resource get cfg")
    assert shell.user_ns["code"] == "x = 1\n" and isinstance(shell.user_ns["code"], str)
    assert shell.user_ns["text"] == "Hi {{ who }}"
    assert shell.user_ns["config"] == {"model": "m", "n": [1]}
    assert type(shell.user_ns["config"]) is dict
    shell.user_ns["config"]["n"].append(2)  # a copy: the stored value is untouched
    assert run("%resource get cfg").result == {"model": "m", "n": [1]}
    # text displays as itself, not as a quoted repr
    assert run("%resource get etl").stdout.endswith("x = 1\n\n")


# -- run ---------------------------------------------------------------------------


def test_run_workflow_with_parameters(run, shell, store):
    store.save(
        "etl",
        "result = f'{city}:{n * 2}'\nprint(result)\nresult\n",
        parameters={"n": 5, "city": "Paris"},
    )
    shown = run("%resource run etl")
    assert shown.error is None
    assert shown.stdout == "Paris:10\n"
    assert [o["text/plain"] for o in shown.outputs] == ["'Paris:10'"]
    assert shell.user_ns["n"] == 5
    shown = run('%resource run etl -p n=21 -p "city=New York"')
    assert shown.stdout == "New York:42\n"
    assert shell.user_ns["result"] == "New York:42" and shell.user_ns["n"] == 21
    record = store.get("etl")
    assert record.execution_count == 2 and record.last_executed_at is not None


def test_run_workflow_that_raises_is_not_counted(run, store):
    store.save("bad", "print('start')\nraise ValueError('boom')\n")
    shown = run("%resource run bad")
    assert shown.usage_error == (
        "The workflow 'bad' raised ValueError (see above), so this run was not counted."
    )
    assert "start" in shown.stdout and "ValueError: boom" in shown.stdout
    assert store.get("bad").execution_count == 0


def test_run_prompt_renders_without_executing(run, shell, store):
    store.save(
        "ask",
        'Reply in JSON like {"city": "{{ city }}"} about {{ topic }}.',
        resource_type="prompt",
        parameters={"city": "Paris"},
    )
    shown = run("%resource run ask -p \"topic=__import__('os').getcwd()\"")
    assert shown.error is None
    assert shown.result == (
        'Reply in JSON like {"city": "Paris"} about __import__(\'os\').getcwd().'
    )
    assert isinstance(shown.result, str)
    assert shown.stdout.startswith("Out[")  # shown as text, not as a quoted repr
    assert shown.stdout.rstrip().endswith("about __import__('os').getcwd().")
    run("text = %resource run ask -p city=Rome -p topic=food")
    assert shell.user_ns["text"] == 'Reply in JSON like {"city": "Rome"} about food.'
    assert store.get("ask").execution_count == 2


def test_run_agent_config_returns_the_dict(run, store):
    store.save("cfg", {"model": "m", "temperature": 0.2}, resource_type="agent_config")
    assert run("%resource run cfg").result == {"model": "m", "temperature": 0.2}
    assert run("%resource run cfg -p temperature=0.9").result == {
        "model": "m",
        "temperature": 0.9,
    }
    assert store.get("cfg").content == {"model": "m", "temperature": 0.2}
    assert store.get("cfg").execution_count == 2


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "%resource run etl -p m=1",
            "'etl' has no parameter 'm': it has city, n.",
        ),
        ("%resource run etl -p nn=1", "'etl' has no parameter 'nn'. Did you mean 'n'?"),
        (
            "%resource run plain -p n=1",
            "'plain' has no parameters: declare it when saving with --param n=DEFAULT.",
        ),
        (
            "%resource run ask",
            "The prompt needs a value for 'topic': give it with -p topic=VALUE.",
        ),
        (
            "%resource run ask -p topc=x",
            "'ask' has no placeholder 'topc'. Did you mean 'topic'?",
        ),
        (
            "%resource run ask -p 1x=2",
            "Parameter name '1x' is not a Python identifier: "
            "use letters, digits and _ (not starting with a digit).",
        ),
        (
            "%resource run hello -p x=1",
            "'hello' has no placeholders: there is nothing to fill.",
        ),
        (
            "%resource run bob/shared",
            "'bob/shared' is bob's workflow, and another user's code never runs in "
            "your kernel unread: fork it with `%resource fork bob/shared`, read your "
            "copy, then run it.",
        ),
        (
            "%resource run bob/private",
            "No public resource 'bob/private': check the spelling, or ask bob for a "
            "share token.",
        ),
        ("%resource run et", "No resource named 'et'. Did you mean 'etl'?"),
    ],
)
def test_run_mistakes_change_nothing(run, shell, make_store, line, message):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "ran = True", parameters={"n": 1, "city": "x"})
    alice.save("plain", "ran = True")
    alice.save("ask", "About {{ topic }}", resource_type="prompt")
    alice.save("hello", "Hello", resource_type="prompt")
    bob.save("shared", "ran = True", is_public=True)
    bob.save("private", "ran = True")
    shown = run(line)
    assert shown.usage_error == message
    assert not shown.traceback_shown
    assert "ran" not in shell.user_ns
    assert all(r.execution_count == 0 for r in alice.list().items)
    assert all(r.execution_count == 0 for r in bob.list().items)


def test_someones_public_prompt_and_config_run_without_a_fork(run, make_store):
    """Rendering is text substitution, so a public prompt renders (as plain text,
    even when it holds markup) and a public config is returned; nothing is counted
    on the owner's row, and a private one stays "not found"."""
    bob = make_store("bob")
    bob.save(
        "summarise",
        "<script>alert(1)</script> Summarise {{ topic }} for {{ who }}",
        resource_type="prompt",
        parameters={"who": "me"},
        is_public=True,
    )
    bob.save(
        "cfg", {"model": "m", "t": 1}, resource_type="agent_config", is_public=True
    )
    bob.save("secret", "Hi {{ x }}", resource_type="prompt")
    shown = run("text = %resource run bob/summarise -p topic=tests\ntext")
    assert shown.error is None, shown.text
    assert shown.result == "<script>alert(1)</script> Summarise tests for me"
    assert shown.outputs == [] and "text/html" not in str(shown.outputs)
    assert run("%resource run bob/cfg -p t=2").result == {"model": "m", "t": 2}
    assert [r.execution_count for r in bob.list(sort="name").items] == [0, 0, 0]
    assert run("%resource run bob/secret").usage_error == (
        "No public resource 'bob/secret': check the spelling, or ask bob for a "
        "share token."
    )
