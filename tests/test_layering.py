"""The layering rule of CONTRIBUTING.md, checked by walking every module's imports."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "resource_magic"

# layer -> the package's layers it may import
ALLOWED = {
    "errors": set(),
    "vocabulary": {"errors"},
    "records": set(),
    "config": {"errors"},
    "tokens": {"errors"},
    "validate": {"errors", "tokens", "vocabulary"},
    "references": {"errors", "validate"},
    "templates": {"errors", "vocabulary"},
    "secretscan": {"tokens"},
    "frames": {"errors", "records", "vocabulary", "present"},
    "present": {"errors", "records", "templates", "vocabulary", "lexing"},
    "lexing": set(),
    "execute": set(),
    "diffs": {"records", "templates"},
    "schema": {"errors", "vocabulary"},
    "db": {"errors", "schema", "config"},
    "migrate": {"errors", "schema", "db"},
    "migrations": {"schema"},
    "store": {
        "errors", "schema", "db", "migrate", "records", "tokens", "validate", "config",
        "vocabulary", "secretscan", "references",
    },
    "magic": {
        "store", "frames", "errors", "templates", "records", "config", "tokens",
        "validate", "widgets", "vocabulary", "present", "execute", "secretscan",
        "diffs", "references",
    },
    "widgets": {
        "store", "frames", "errors", "templates", "records", "tokens", "validate",
        "vocabulary", "present", "execute", "secretscan", "diffs",
    },
    # a team database's setup (an admin's, beside the store, never through it)
    "team": {"errors", "config", "db", "migrate", "vocabulary"},
    "team_cli": {"team", "errors", "config"},
    "__init__": {"magic", "store", "errors", "records", "templates"},
    # the command line: the magic's declarations and handlers, outside a notebook
    "cli": {"magic", "store", "errors", "config", "frames", "team_cli"},
    "__main__": {"cli"},
}  # fmt: skip
# third-party top-level names -> layers allowed to import them
RESTRICTED = {
    "sqlalchemy": {"schema", "db", "migrate", "migrations", "store", "team"},
    "alembic": {"migrate", "migrations"},
    "ipywidgets": {"widgets"},
    "ipylab": {"widgets"},
    # IPython itself: the front ends, and the execution module they share; the
    # presentation module they share stays pure
    "IPython": {"magic", "widgets", "execute", "cli"},
    "pandas": {"frames"},
    "detect_secrets": {"secretscan"},
}
MAGIC_MACHINERY = "IPython.core.magic"
# Every statement is Core on schema.py's tables: importing the ORM was a fifth of a
# kernel's first command. No layer imports it.
ORM = "sqlalchemy.orm"


def layer_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


def imports(source: str, module_parts: tuple[str, ...]):
    """(imported module, is_top_level) for every import in the source."""
    tree = ast.parse(source)
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, id(node) in top_level
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_parts[: len(module_parts) - node.level]
                if node.module is None:  # from .. import tokens
                    for alias in node.names:
                        name = ".".join(("resource_magic", *base, alias.name))
                        yield name, id(node) in top_level
                else:
                    name = ".".join(("resource_magic", *base, node.module))
                    yield name, id(node) in top_level
            else:
                yield node.module or "", id(node) in top_level


def violations(layer: str, source: str, module_parts: tuple[str, ...]) -> list[str]:
    found = []
    for name, top_level in imports(source, module_parts):
        root = name.split(".")[0]
        if root == "resource_magic":
            parts = name.split(".")
            target = parts[1] if len(parts) > 1 else "__init__"
            if target != layer and target not in ALLOWED[layer]:
                found.append(f"{layer} imports {target}")
        elif root in RESTRICTED and layer not in RESTRICTED[root]:
            found.append(f"{layer} imports {root}")
        elif root == "pandas" and top_level:
            found.append(f"{layer} imports pandas at module level")
        if name.startswith(MAGIC_MACHINERY) and layer != "magic":
            found.append(f"{layer} imports IPython's magic machinery")
        if name == ORM or name.startswith(f"{ORM}."):
            found.append(f"{layer} imports SQLAlchemy's ORM")
    return found


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = rel.parts
        package_parts = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
        # relative imports resolve against the module's package
        module_parts = (*package_parts, "_")
        yield path, layer_of(path), module_parts


@pytest.mark.parametrize(
    ("path", "layer", "module_parts"),
    list(modules()),
    ids=lambda value: (
        str(value.relative_to(PACKAGE)) if isinstance(value, Path) else ""
    ),
)
def test_module_respects_the_layering_rule(path, layer, module_parts):
    assert layer in ALLOWED, (
        f"{path.name}: a new layer; add it to ALLOWED and to CONTRIBUTING.md"
    )
    assert violations(layer, path.read_text(), module_parts) == []


def test_pandas_is_only_imported_inside_frames_functions():
    source = "import pandas as pd\n"
    assert violations("frames", source, ("frames", "_")) == [
        "frames imports pandas at module level"
    ]
    inside = (
        "def to_frame(rows):\n    import pandas as pd\n    return pd.DataFrame(rows)\n"
    )
    assert violations("frames", inside, ("frames", "_")) == []


@pytest.mark.parametrize(
    ("layer", "source", "expected"),
    [
        ("magic", "from sqlalchemy import select\n", ["magic imports sqlalchemy"]),
        (
            "store",
            "from sqlalchemy.orm import Session\n",
            ["store imports SQLAlchemy's ORM"],
        ),
        ("schema", "import sqlalchemy.orm\n", ["schema imports SQLAlchemy's ORM"]),
        (
            "present",
            "from IPython.display import display\n",
            ["present imports IPython"],
        ),
        ("present", "from .widgets import render\n", ["present imports widgets"]),
        ("execute", "import ipywidgets\n", ["execute imports ipywidgets"]),
        (
            "execute",
            "from IPython.core.magic import Magics\n",
            ["execute imports IPython's magic machinery"],
        ),
        ("store", "from ..magic import ResourceMagic\n", ["store imports magic"]),
        (
            "widgets",
            "from IPython.core.magic import Magics\n",
            ["widgets imports IPython's magic machinery"],
        ),
        ("errors", "from .schema import resource_table\n", ["errors imports schema"]),
    ],
)
def test_the_checker_catches_violations(layer, source, expected):
    parts = (layer, "_") if layer in ("magic", "store", "widgets") else ("_",)
    assert violations(layer, source, parts) == expected


def documented_layers() -> dict[str, set[str]]:
    """CONTRIBUTING.md's layer table: layer -> the layers it may import."""
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## The layers", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    layers = {}
    for row in rows[2:]:  # after the header and its rule
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        name = cells[0].strip("`").rstrip("/")
        layers[name] = set(re.findall(r"`(\w+)`", cells[-1]))
    return layers


def test_the_contributors_guide_states_the_same_rule():
    assert documented_layers() == ALLOWED
