"""What another person hands us (an export file, a resource name, parameters, a long
line) is checked the same way everywhere, refused in one line, and changes nothing."""

from __future__ import annotations

import json
import shlex

import pytest

from resource_magic.errors import ResourceError
from resource_magic.magic.words import MAX_LINE
from resource_magic.store import EXPORT_FORMAT, ResourceStore
from resource_magic.templates import MAX_RENDERED
from resource_magic.vocabulary import MAX_CONTENT_BYTES


def _export(*items: dict) -> dict:
    return {"format": EXPORT_FORMAT, "user": "mallory", "resources": list(items)}


def _item(name: str, **fields) -> dict:
    item = {
        "name": name,
        "resource_type": "prompt",
        "versions": [{"content": "Hello {{ who }}", "parameters": {"who": "you"}}],
    }
    item.update(fields)
    return item


def _state(store: ResourceStore) -> list:
    """Everything an import could change, for `store`'s user."""
    return [
        (r.name, r.version, r.is_public, r.parameters, r.content)
        for r in (store.get(name) for name in store.names())
    ]


# -- only JSON true/false is a flag ----------------------------------------------------
NOT_FLAGS = [
    ("false", '"false"'),
    ("no", '"no"'),
    ("0", '"0"'),
    ("", '""'),
    (0.0, "0.0"),
    (0, "0"),
    (1, "1"),
    (None, "null"),
    ([], "[]"),
    ({}, "{}"),
    ("x" * 100, '"' + "x" * 36 + "..."),
    ("line\nbreak", '"line\\nbreak"'),
]


@pytest.mark.parametrize(("value", "shown"), NOT_FLAGS)
def test_import_refuses_a_flag_that_is_not_json_true_or_false(store, value, shown):
    store.save("mine", "x = 1")
    before = _state(store)
    data = _export(_item("fine", is_public=False), _item("notes", is_public=value))
    with pytest.raises(ResourceError) as caught:
        store.import_(json.loads(json.dumps(data)))
    assert str(caught.value) == (
        f"'notes' in the export has is_public {shown}, which is not true or false: "
        "fix the file (JSON true or false); nothing was imported."
    )
    assert _state(store) == before


def test_import_keeps_true_false_and_absent_flags(store):
    data = _export(
        _item("open", is_public=True),
        _item("closed", is_public=False),
        _item("unsaid"),
    )
    store.import_(json.loads(json.dumps(data)))
    assert {name: store.get(name).is_public for name in store.names()} == {
        "open": True,
        "closed": False,
        "unsaid": False,
    }


def test_import_magic_refuses_a_string_flag_in_one_line(run, store, tmp_path):
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(_export(_item("notes", is_public="false"))))
    result = run(f"%resource import {path}")
    assert not result.traceback_shown, result.text
    assert result.usage_error == (
        "'notes' in the export has is_public \"false\", which is not true or false: "
        "fix the file (JSON true or false); nothing was imported."
    )
    assert store.names() == []


# -- one rule for parameter names, at every door ---------------------------------------
IDENTIFIER = "use letters, digits and _ (not starting with a digit)."
BAD_PARAMETER_NAMES = [
    ("class", "Parameter name 'class' is a Python keyword: choose another, like "
     "class_."),
    ("None", "Parameter name 'None' is a Python keyword: choose another, like None_."),
    (
        "__builtins__",
        "Parameter name '__builtins__' is kept for Python's own names (__...__): "
        "choose another.",
    ),
    (
        "größe",
        "Parameter name 'größe' has letters outside ASCII: use a-z, A-Z, digits and _.",
    ),
    (
        "\uff4e",  # fullwidth n: Python reads it as n
        "Parameter name 'ｎ' has letters outside ASCII: use a-z, A-Z, digits and _.",
    ),
    ("1x", f"Parameter name '1x' is not a Python identifier: {IDENTIFIER}"),
    ("a-b", f"Parameter name 'a-b' is not a Python identifier: {IDENTIFIER}"),
    ("x" * 50 + "-", f"Parameter name '{'x' * 36}... is not a Python identifier: "
     f"{IDENTIFIER}"),
]  # fmt: skip
GOOD_PARAMETER_NAMES = ["n", "_", "class_", "match", "__init", "Big_2"]

# Each door a parameter name comes through: (how, door(store, run, name)).
STORE_DOORS = {
    "save": lambda s, name: s.save(
        "p", "Hi", resource_type="prompt", parameters={name: 1}
    ),
    "update": lambda s, name: s.update("mine", parameters={name: 1}),
    "import": lambda s, name: s.import_(
        _export(
            _item("fine"),
            _item("p", versions=[{"content": "Hi", "parameters": {name: 1}}]),
        )
    ),
}
MAGIC_DOORS = {
    "%%resource save --param": "%%resource save p -t prompt --param {name}=1\nHi",
    "%resource update --param": "%resource update mine --param {name}=1",
    "%resource run -p": "%resource run ask -p {name}=1",
}


@pytest.mark.parametrize(("name", "message"), BAD_PARAMETER_NAMES)
@pytest.mark.parametrize("door", list(STORE_DOORS))
def test_store_refuses_a_bad_parameter_name_at_every_door(store, door, name, message):
    store.save("mine", "Hello {{ who }}", resource_type="prompt")
    before = _state(store)
    with pytest.raises(ResourceError) as caught:
        STORE_DOORS[door](store, name)
    assert str(caught.value) == message
    assert _state(store) == before


@pytest.mark.parametrize(("name", "message"), BAD_PARAMETER_NAMES[:4])
@pytest.mark.parametrize("door", list(MAGIC_DOORS))
def test_magics_refuse_a_bad_parameter_name_at_every_door(
    run, store, door, name, message
):
    store.save("mine", "Hello {{ who }}", resource_type="prompt")
    store.save("ask", "Hello {{ who }}", resource_type="prompt")
    before = _state(store)
    result = run(MAGIC_DOORS[door].format(name=name))
    assert not result.traceback_shown, result.text
    assert result.usage_error == message
    assert _state(store) == before


@pytest.mark.parametrize("name", GOOD_PARAMETER_NAMES)
def test_a_good_parameter_name_passes_every_door(run, store, name):
    """Save, update, import, placeholders and run -p all accept the same names, and a
    loaded header saves again."""
    store.save("mine", "x", resource_type="prompt")
    for door in STORE_DOORS.values():
        door(store, name)
    assert store.get("p").parameters == {name: 1}
    assert store.get("mine").parameters == {name: 1}
    store.save("ask", f"Hello {{{{ {name} }}}}", resource_type="prompt")
    assert run(f"%resource run ask -p {name}=Ada").result == "Hello Ada"
    assert run(MAGIC_DOORS["%%resource save --param"].format(name=name)).error is None


@pytest.mark.parametrize("name", [name for name, _ in BAD_PARAMETER_NAMES])
def test_a_placeholder_no_parameter_could_fill_is_plain_text(run, store, name):
    store.save("ask", f"Hello {{{{ {name} }}}}", resource_type="prompt")
    assert run("%resource run ask").result == f"Hello {{{{ {name} }}}}"


# -- issue 12 defect 9: a long line is read in linear time, or refused at once ---------
def test_a_value_as_large_as_the_content_limit_reaches_the_prompt(run, store):
    store.save("p", "<{{ a }}>", resource_type="prompt")
    value = "word " * ((MAX_LINE - 100) // 5)
    result = run(f"text = %resource run p -p 'a={value}'")
    assert result.error is None, result.text
    assert run("text").result == f"<{value}>"
    assert store.get("p").execution_count == 1


@pytest.mark.parametrize(
    "line",
    ["%resource run p -p a={long}", "%resource show {long}", "%resource {long}"],
)
def test_an_over_long_line_is_refused_in_one_line_and_changes_nothing(run, store, line):
    store.save("p", "<{{ a }}>", resource_type="prompt")
    before = _state(store)
    source = line.format(long="x" * (MAX_LINE + 1))
    result = run(source)
    length = len(source) - len("%resource ")
    assert not result.traceback_shown, result.text[:300]
    assert result.usage_error == (
        f"The line is {length:,} characters long: the limit is {MAX_LINE:,}; "
        "put long text in the cell body or a parameter's saved default."
    )
    assert _state(store) == before
    assert store.get("p").execution_count == 0


def test_an_unknown_long_subcommand_is_named_briefly(run):
    result = run("%resource " + "x" * 100_000)
    assert result.usage_error.startswith(f"Unknown subcommand '{'x' * 37}...': use one")


# -- issue 12 defect 3: a loaded header saves back exactly, whatever the name ----------
HEADER_NAMES = [
    "my notes",
    "notes --public",
    "--public",
    "-t workflow",
    "-5",
    "it's",
    'say "hi"',
    'it\'s "both"',
    "a # b",
    "#start",
    "a=b",
    "back\\slash\\",
    "ünïcødé 名前 ✓",
    "$HOME {x} `y` !z",
    "'; %resource delete notes",
]
HOSTILE_PARAMETERS = {
    "who": 'it\'s "x" \\ # --public',
    "n": 5,
    "flag": True,
    "items": [1, "a b"],
    "none": None,
    "mapping": {"k": "=v"},
}


@pytest.mark.parametrize("name", HEADER_NAMES)
@pytest.mark.parametrize("resource_type", ["prompt", "agent_config"])
def test_a_loaded_header_runs_and_saves_the_same_resource(
    run, shell, make_store, name, resource_type
):
    """bob publishes a resource with a hostile name; alice loads it and runs the loaded
    cell as it is: she gets a private copy with the same name, type and parameters."""
    bob = make_store("bob")
    content = "Hi {{ who }}" if resource_type == "prompt" else {"model": "m"}
    bob.save(
        name,
        content,
        resource_type=resource_type,
        is_public=True,
        parameters=HOSTILE_PARAMETERS,
    )
    bob_before = _state(bob)
    assert run(f"%resource load {shlex.quote('bob/' + name)}").error is None
    loaded = run(shell.rl_next_input)
    assert loaded.error is None, loaded.text
    alice = make_store("alice")
    assert alice.names() == [name]
    copy = alice.get(name)
    assert (copy.name, copy.resource_type, copy.parameters, copy.is_public) == (
        name,
        resource_type,
        HOSTILE_PARAMETERS,
        False,
    )
    assert copy.content == (content + "\n" if resource_type == "prompt" else content)
    assert _state(bob) == bob_before


# -- issue 12 defect 7: parameters have the content limit; rendering has a cap ---------
def _big_default(total_bytes: int) -> dict:
    """{"a": "xxx..."} whose JSON is exactly `total_bytes` bytes."""
    return {"a": "x" * (total_bytes - len('{"a": ""}'))}


PARAMETER_DOORS = {
    "save": lambda s, p: s.save("p", "Hi", resource_type="prompt", parameters=p),
    "update": lambda s, p: s.update("mine", parameters=p),
    "import": lambda s, p: s.import_(
        _export(
            _item("fine"), _item("p", versions=[{"content": "Hi", "parameters": p}])
        )
    ),
}


@pytest.mark.parametrize("door", list(PARAMETER_DOORS))
@pytest.mark.parametrize("size", [MAX_CONTENT_BYTES + 1, 30_000_000])
def test_parameters_over_the_content_limit_are_refused(store, door, size):
    store.save("mine", "Hello", resource_type="prompt")
    before = _state(store)
    with pytest.raises(ResourceError) as caught:
        PARAMETER_DOORS[door](store, _big_default(size))
    assert str(caught.value) == (
        f"The parameters are {size:,} bytes as JSON: the limit is 1,048,576 bytes, as "
        "for content; keep large data in files and give their paths."
    )
    assert _state(store) == before


@pytest.mark.parametrize("door", list(PARAMETER_DOORS))
def test_parameters_at_the_content_limit_are_kept(store, door):
    store.save("mine", "Hello", resource_type="prompt")
    PARAMETER_DOORS[door](store, _big_default(MAX_CONTENT_BYTES))
    changed = "mine" if door == "update" else "p"
    assert store.get(changed).parameters == _big_default(MAX_CONTENT_BYTES)


def test_a_magic_save_with_a_huge_default_is_refused(run, store):
    value = "x" * (MAX_CONTENT_BYTES // 2)
    size = len(json.dumps({"a": value, "b": value}))
    result = run(
        f"%%resource save p -t prompt --param a='{value}' --param b='{value}'\nHi"
    )
    assert result.usage_error == (
        f"The parameters are {size:,} bytes as JSON: the limit is 1,048,576 bytes, as "
        "for content; keep large data in files and give their paths."
    )
    assert store.names() == []


RENDER_LIMIT = "the limit is 4,194,304; give shorter values or use fewer placeholders."


def test_a_prompt_that_would_render_past_the_cap_is_refused(run, store):
    """The report's case: a 142 KB prompt of placeholders rendered to 40 MB."""
    store.save(
        "p", "{{ a }}" * 20_300, resource_type="prompt", parameters={"a": "x" * 2_000}
    )
    result = run("%resource run p")
    assert not result.traceback_shown
    assert result.usage_error == (
        f"The rendered prompt would be {20_300 * 2_000:,} characters: {RENDER_LIMIT}"
    )
    assert store.get("p").execution_count == 0


def test_a_prompt_renders_up_to_the_cap_and_not_one_character_more(run, store):
    a = "x" * (MAX_RENDERED // 5)
    rest = MAX_RENDERED - 5 * len(a)
    store.save("p", "{{ a }}" * 5 + "{{ b }}", resource_type="prompt")
    store.update("p", parameters={"a": a, "b": ""})
    result = run(f"text = %resource run p -p b={'y' * rest}")
    assert result.error is None and run("text").result == a * 5 + "y" * rest
    assert len(run("text").result) == MAX_RENDERED
    result = run(f"%resource run p -p b={'y' * (rest + 1)}")
    assert result.usage_error == (
        f"The rendered prompt would be {MAX_RENDERED + 1:,} characters: {RENDER_LIMIT}"
    )
    assert store.get("p").execution_count == 1


# -- issue 13 item 4: one source for the types, sort keys and column sizes -------------
def test_the_vocabulary_imports_without_sqlalchemy_or_ipython():
    import subprocess
    import sys

    code = (
        "import sys, resource_magic.vocabulary, resource_magic.validate;"
        "print(sorted({'sqlalchemy', 'IPython'} & {m.partition('.')[0] "
        "for m in sys.modules}))"
    )
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]", found.stderr


def test_the_database_takes_exactly_the_vocabulary_s_types(store, backend):
    """The CHECK constraint is built from RESOURCE_TYPES: each saves, others are
    refused by the database itself (not only by the store's checks)."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from resource_magic.db import get_engine
    from resource_magic.vocabulary import RESOURCE_TYPES

    for resource_type in RESOURCE_TYPES:
        content = {"k": 1} if resource_type == "agent_config" else "x"
        store.save(resource_type, content, resource_type=resource_type)
    engine = get_engine(backend)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE resource SET resource_type = 'macro'"))
    assert [store.get(t).resource_type for t in RESOURCE_TYPES] == list(RESOURCE_TYPES)


def test_every_sort_key_orders_the_list_both_ways(store):
    from resource_magic.vocabulary import SORT_FIELDS

    store.save("b", "x = 1", description="two")
    store.save("a", "x = 1")
    store.save("b", "x = 2")
    for key in SORT_FIELDS:
        up = [r.name for r in store.list(sort=key).items]
        down = [r.name for r in store.list(sort=f"-{key}").items]
        assert sorted(up) == ["a", "b"] and sorted(down) == ["a", "b"], key
    assert [r.name for r in store.list(sort="version").items] == ["a", "b"]
    assert [r.name for r in store.list(sort="-version").items] == ["b", "a"]
