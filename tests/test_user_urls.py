"""Tests reach user X on their database only through conftest's url_for, users_on and
as_user: on a backend whose users are database logins, the backend URL logs in as one
user only, so a test pairing it with another user name itself would be refused there.

Read from the sources (ast): no call passes `backend` together with `user=`, and only
the tests of the setting itself, a kernel's setup cell (whose URL comes from url_for)
and processes on databases of their own write `ResourceMagic.user` by hand.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# Files that may write `ResourceMagic.user = ...` themselves, and why.
WRITES_THE_SETTING = {
    "conftest.py": "as_user itself",
    "test_config.py": "the setting and its defaults (plain-only)",
    "test_magic_core.py": "a bad user name; a fresh process without a database",
    "test_first_command.py": "a fresh process, given url_for('alice')",
    "test_pg_restart.py": "a private server of its own (plain-only)",
    "test_magic_kernel.py": "a kernel's setup cell, given url_for('alice')",
    "test_completion.py": "a kernel's setup cell, given url_for('alice')",
    "test_user_urls.py": "this check's own examples",
}


def pairings(source: str) -> list[str]:
    """Where `source` pairs the backend URL with a user, or sets the user by hand."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id == "backend"
            and any(k.arg == "user" for k in node.keywords)
        ):
            found.append(f"line {node.lineno}: backend with user=")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "ResourceMagic.user =" in node.value
        ):
            found.append(f"line {node.lineno}: sets ResourceMagic.user")
    return found


def test_no_test_pairs_the_backend_url_with_a_user_itself():
    problems = []
    for path in sorted(TESTS.glob("*.py")):
        if path.name in WRITES_THE_SETTING:
            continue
        problems += [f"{path.name} {p}" for p in pairings(path.read_text("utf-8"))]
    assert not problems, "use url_for/users_on/as_user:\n" + "\n".join(problems)


def test_the_check_sees_both_pairings():
    source = (
        "def test_x(backend, run):\n"
        "    ResourceStore(backend, user='bob')\n"
        "    run(\"%config ResourceMagic.user = 'bob'\")\n"
    )
    assert pairings(source) == [
        "line 2: backend with user=",
        "line 3: sets ResourceMagic.user",
    ]


def test_every_exempt_file_exists():
    assert {p.name for p in TESTS.glob("*.py")} >= set(WRITES_THE_SETTING)
