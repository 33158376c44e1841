"""A process that has used the store forks workers: each child opens connections of its
own, and the parent's connections survive (issue: inherited pools crashed threads with
"server closed the connection unexpectedly" on PostgreSQL)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("_fork_worker.py")


@pytest.mark.parametrize("how", ["multiprocessing", "os.fork"])
def test_forked_children_never_use_the_parents_connections(url_for, how):
    urls = {user: url_for(user) for user in ("owner", "parent")}
    done = subprocess.run(
        [sys.executable, str(WORKER), json.dumps(urls), how],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    children = report["children"]
    assert len(children) == 10
    assert [c["errors"] for c in children] == [[]] * 10
    # No child checked out a connection its parent (or a sibling) had opened.
    assert [c["borrowed"] for c in children] == [0] * 10
    parent = report["parent"]
    assert parent["errors"] == []
    assert parent["names"] == sorted(
        ["after", "before", *(f"child-{i}" for i in range(10))]
    )
    assert parent.get("integrity", "ok") == "ok"
