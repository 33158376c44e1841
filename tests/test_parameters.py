"""Declared parameters: types fixed by defaults, required ones, and binding values."""

from __future__ import annotations

import pytest

from resource_magic.errors import InvalidInput
from resource_magic.references import clean_label_name, split_selector
from resource_magic.templates import (
    bind_parameters,
    parameter_list,
    parse_declarations,
    required_parameter,
)

DECLARED = parameter_list(
    {
        "n": 5,
        "rate": 0.5,
        "dry": False,
        "city": "Paris",
        "cols": ["a"],
        "opts": {"k": 1},
        "anything": None,
        "region": required_parameter(),
        "limit": required_parameter("int"),
    }
)
DEFAULTS = {"region": "eu", "limit": 3}


def test_parameter_list_reads_types_defaults_and_required():
    assert [p.describe() for p in DECLARED] == [
        "anything = None",
        "city: str = 'Paris'",
        "cols: list = ['a']",
        "dry: bool = False",
        "limit: int (required)",
        "n: int = 5",
        "opts: dict = {'k': 1}",
        "rate: float = 0.5",
        "region (required)",
    ]


def test_prompt_placeholders_without_default_are_required_text():
    found = parameter_list({"tone": "dry"}, "Write about {{ topic }} in a {{tone}} way")
    assert [p.describe() for p in found] == [
        "tone: str = 'dry'",
        "topic: str (required)",
    ]


def test_bind_fills_defaults_and_accepts_right_types():
    values = bind_parameters(
        "etl", DECLARED, {"n": 7, "rate": 2, "cols": ("x", "y"), **DEFAULTS}
    )
    assert values == {
        "anything": None,
        "city": "Paris",
        "cols": ["x", "y"],
        "dry": False,
        "limit": 3,
        "n": 7,
        "opts": {"k": 1},
        "rate": 2,
        "region": "eu",
    }


def test_text_parameters_take_the_typed_text():
    values = bind_parameters(
        "etl", DECLARED, {"city": 2139, **DEFAULTS}, raw={"city": "02139"}
    )
    assert values["city"] == "02139"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"nn": 1}, "'etl' has no parameter 'nn'. Did you mean 'n'?"),
        ({"zzz": 1}, "'etl' has no parameter 'zzz': it has anything, city, cols, dry, "
         "limit, n, opts, rate, region."),
        ({}, "'etl' needs values for 'limit' and 'region': give them with "
         "-p limit=VALUE -p region=VALUE."),
        ({"region": "eu"}, "'etl' needs a value for 'limit': give it with "
         "-p limit=VALUE."),
        ({"n": "ten", **DEFAULTS}, "The parameter 'n' of 'etl' takes an int, not str "
         "'ten': give e.g. -p n=5."),
        ({"n": True, **DEFAULTS}, "The parameter 'n' of 'etl' takes an int, not bool "
         "True: give e.g. -p n=5."),
        ({"n": 2.5, **DEFAULTS}, "The parameter 'n' of 'etl' takes an int, not float "
         "2.5: give e.g. -p n=5."),
        ({"rate": "x", **DEFAULTS}, "The parameter 'rate' of 'etl' takes a float, not "
         "str 'x': give e.g. -p rate=0.5."),
        ({"dry": 1, **DEFAULTS}, "The parameter 'dry' of 'etl' takes a bool, not int "
         "1: give e.g. -p dry=True."),
        ({"city": 5, **DEFAULTS}, "The parameter 'city' of 'etl' takes a str, not int "
         "5: give e.g. -p city=text."),
        ({"cols": "a", **DEFAULTS}, "The parameter 'cols' of 'etl' takes a list, not "
         "str 'a': give e.g. -p cols=[1, 2]."),
        ({"opts": [1], **DEFAULTS}, "The parameter 'opts' of 'etl' takes a dict, not "
         "list [1]: give e.g. -p opts={'k': 1}."),
        ({"region": "eu", "limit": "3"}, "The parameter 'limit' of 'etl' takes an int, "
         "not str '3': give e.g. -p limit=5."),
    ],
)  # fmt: skip
def test_bind_refuses_with_one_line(given, message):
    with pytest.raises(InvalidInput) as caught:
        bind_parameters("etl", DECLARED, given)
    assert str(caught.value) == message


def test_prompt_wording_for_a_missing_placeholder():
    found = parameter_list(None, "About {{ topic }}")
    with pytest.raises(InvalidInput, match=r"^The prompt needs a value for 'topic'"):
        bind_parameters("p", found, {}, what="placeholder")


def test_parse_declarations():
    assert parse_declarations(["n=5", "city", "limit:int", "x= [1]"]) == {
        "n": 5,
        "city": required_parameter(),
        "limit": required_parameter("int"),
        "x": [1],
    }


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("n:integer", "Unknown parameter type 'integer' in 'n:integer': use one of "
         "int, float, bool, str, list, dict, like --param n:int."),
        (":int", "Cannot read the parameter ':int': write NAME=DEFAULT, NAME "
         "(required) or NAME:TYPE (required, of a type), like n=5 or city."),
        ("1x", "Parameter name '1x' is not a Python identifier"),
    ],
)  # fmt: skip
def test_parse_declarations_refuses(item, message):
    with pytest.raises(InvalidInput) as caught:
        parse_declarations([item])
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("etl", ("etl", None)),
        ("etl@3", ("etl", 3)),
        ("etl@ production ", ("etl", "production")),
        ("etl@latest", ("etl", None)),
        ("etl@v2-candidate", ("etl", "v2-candidate")),
        ("a@b@2", ("a@b", 2)),
    ],
)
def test_split_selector(ref, expected):
    assert split_selector(ref) == expected


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("etl@", "Nothing follows '@': give a version number (NAME@3) or a label "
         "(NAME@production)."),
        ("etl@Prod", "'Prod' is not a label: use a short lowercase word like "
         "production, staging or v2-candidate (a-z, 0-9, - and _, starting with a "
         "letter, at most 32 characters)."),
        ("etl@-1", "'-1' is not a label"),
        ("etl@٣", "'٣' is not a label"),
    ],
)  # fmt: skip
def test_split_selector_refuses(ref, message):
    with pytest.raises(InvalidInput) as caught:
        split_selector(ref)
    assert str(caught.value).startswith(message)


def test_label_names():
    assert clean_label_name(" staging ") == "staging"
    with pytest.raises(InvalidInput, match="is not a label"):
        clean_label_name("x" * 33)
