"""What another person hands us (an export file, a resource name, parameters, a long
line) is checked the same way everywhere, refused in one line, and changes nothing."""

from __future__ import annotations

import json

import pytest

from resource_magic.errors import ResourceError
from resource_magic.store import EXPORT_FORMAT, ResourceStore


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


# -- issue 12 defect 2: only JSON true/false is a flag ---------------------------------
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
