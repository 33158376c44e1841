"""A workflow without IPython syntax is highlighted by Python's lexer: the same HTML."""

from __future__ import annotations

import pytest
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
