"""A workflow without IPython syntax is highlighted by Python's lexer: the same HTML.
And `warm_highlighter` leaves nothing for the first resource shown to compile."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from _lexer_probe import PROBE
from ipython_pygments_lexers import IPython3Lexer
from pygments import highlight
from pygments.formatters import HtmlFormatter

from resource_magic.present import content_html
from resource_magic.records import ResourceRecord

SOURCES = [
    "df = load('x')\nresult = df.head(0)\n",
    "def f(a, b=2):\n    '''doc'''\n    return a != b  # not IPython\n",
    "%timeit f(1)\n",
    "!ls -la\nx = 1\n",
    "f?\n",
    "x = 5 % 3\ny = '%s' % x\n",
    "%%time\nx = [i for i in range(3)]\n",
    "async def g():\n    await h()\n",
    "",
]


def _record(content: str) -> ResourceRecord:
    return ResourceRecord(
        id=None,
        owner="me",
        name="w",
        resource_type="workflow",
        description=None,
        content=content,
        parameters=None,
        tags=(),
        version=1,
        execution_count=0,
        last_executed_at=None,
        fork_count=0,
        parent_id=None,
        parent=None,
        is_public=False,
        created_at=None,
        updated_at=None,
    )


@pytest.mark.parametrize("source", SOURCES)
def test_workflow_html_is_what_ipythons_lexer_gives(source):
    expected = highlight(source, IPython3Lexer(), HtmlFormatter(noclasses=True))
    assert content_html(_record(source)) == expected


_AFTER_WARMING = textwrap.dedent(
    """
    from resource_magic import present
    from resource_magic.records import ResourceRecord
    from resource_magic.vocabulary import RESOURCE_TYPES

    def record(kind, content):
        return ResourceRecord(
            None, "me", "r", kind, None, content, None, (), 1, 0, None, 0, None,
            None, False, None, None,
        )

    samples = {
        "workflow": ["x = 1", "%time x"], "prompt": ["Hi {name}"],
        "agent_config": [{"model": "m"}],
    }
    assert set(samples) == set(RESOURCE_TYPES), "a new type needs samples here"
    if sys.argv[1] == "warm":
        for _ in present.warm_highlighter():
            pass
    print(compiled_by(c_lexer)[0])
    for kind, contents in samples.items():
        for content in contents:
            shown = record(kind, content)
            print(kind, compiled_by(lambda: present.content_html(shown)))
    """
)


def _first_previews(warm: bool) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE + _AFTER_WARMING, "warm" if warm else "cold"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_after_warming_no_resource_type_compiles_or_imports_anything():
    """In a fresh process: every type's first content_html, after warm_highlighter."""
    assert _first_previews(warm=True) == [
        "['CLexer']",  # the probe sees a compile
        "workflow ([], [])",
        "workflow ([], [])",
        "prompt ([], [])",
        "agent_config ([], [])",
    ]


def test_without_warming_the_first_workflow_compiles_its_lexer():
    """The control: the same process without warm_highlighter pays on first use."""
    seen = _first_previews(warm=False)
    assert seen[1].startswith("workflow (['PythonLexer'], [")
    assert seen[2].startswith("workflow (['IPython3Lexer'], [")
