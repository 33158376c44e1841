"""Prompt rendering and parameter parsing: pure, tables with exact messages."""

from __future__ import annotations

import pytest

from resource_magic.errors import InvalidInput
from resource_magic.templates import (
    parse_parameters,
    parse_value,
    placeholders,
    render_prompt,
)


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("Hello {{ name }}!", {"name": "Ada"}, "Hello Ada!"),
        ("Hello {{name}}!", {"name": "Ada"}, "Hello Ada!"),
        ("{{  a }}{{b  }}", {"a": 1, "b": 2.5}, "12.5"),
        ("{{ x }} and {{ x }}", {"x": "twice"}, "twice and twice"),
        # single braces are plain text: JSON and code survive
        (
            'Answer as {"city": "{{ city }}"}',
            {"city": "Paris"},
            'Answer as {"city": "Paris"}',
        ),
        ("def f(): return {'a': {1}}", {}, "def f(): return {'a': {1}}"),
        ('{"a": {"b": 1}}', {}, '{"a": {"b": 1}}'),
        # not placeholders: no identifier inside
        ("{{ not valid }} {{1x}} {{}}", {}, "{{ not valid }} {{1x}} {{}}"),
        # a value is inserted once, never rendered again or evaluated
        ("{{ a }}", {"a": "{{ b }}", "b": "no"}, "{{ b }}"),
        (
            "{{ a }}",
            {"a": "__import__('os').system('x')"},
            "__import__('os').system('x')",
        ),
        ("{{ n }}", {"n": None}, "None"),
        ("{{ items }}", {"items": [1, 2]}, "[1, 2]"),
        ("no placeholders", {"extra": 1}, "no placeholders"),
    ],
)
def test_render_prompt(text, values, expected):
    assert render_prompt(text, values) == expected


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        (
            "Summarise {{ topic }}",
            {},
            "The prompt needs a value for 'topic': give it with -p topic=VALUE.",
        ),
        (
            "{{ a }} {{ b }} {{ c }}",
            {"b": 1},
            "The prompt needs values for 'a' and 'c': give them with "
            "-p a=VALUE -p c=VALUE.",
        ),
        (
            "{{ a }} {{ b }} {{ c }}",
            {},
            "The prompt needs values for 'a', 'b' and 'c': give them with "
            "-p a=VALUE -p b=VALUE -p c=VALUE.",
        ),
    ],
)
def test_render_prompt_names_missing_values(text, values, message):
    with pytest.raises(InvalidInput) as caught:
        render_prompt(text, values)
    assert str(caught.value) == message


def test_placeholders_in_order_each_once():
    assert placeholders("{{ b }} {{a}} {{ b }} { c } {{ d e }}") == ["b", "a"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", 5),
        ("2.5", 2.5),
        ("True", True),
        ("None", None),
        ("'quoted'", "quoted"),
        ("[1, 'a']", [1, "a"]),
        ("{'k': (1, 2)}", {"k": (1, 2)}),
        (" 7 ", 7),
        ("Paris", "Paris"),
        ("New York", "New York"),
        ("05", "05"),
        ("", ""),
        ("__import__('os')", "__import__('os')"),
        ("1 + 1", "1 + 1"),  # expressions are text: nothing is evaluated
        ("[" * 5000, "[" * 5000),
    ],
)
def test_parse_value(text, expected):
    assert parse_value(text) == expected


def test_parse_parameters():
    assert parse_parameters(["n=5", "city=New York", "flag=True", "n=6", "eq=a=b"]) == {
        "n": 6,
        "city": "New York",
        "flag": True,
        "eq": "a=b",
    }
    assert parse_parameters([]) == {}


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        (
            "n",
            "Cannot read the parameter 'n': write KEY=VALUE, like n=5 or city=Paris.",
        ),
        (
            "=5",
            "Cannot read the parameter '=5': write KEY=VALUE, like n=5 or city=Paris.",
        ),
        (
            "1n=5",
            "Parameter name '1n' is not a Python identifier: use letters, "
            "digits and _ (not starting with a digit).",
        ),
        (
            "class=5",
            "Parameter name 'class' is a Python keyword: choose another, like class_.",
        ),
        (
            "a-b=1",
            "Parameter name 'a-b' is not a Python identifier: use letters, "
            "digits and _ (not starting with a digit).",
        ),
    ],
)
def test_parse_parameters_refuses(pair, message):
    with pytest.raises(InvalidInput) as caught:
        parse_parameters(["ok=1", pair])
    assert str(caught.value) == message
