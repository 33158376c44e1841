"""Run as a script: a process that has used the store forks children that use it too.

`python _fork_worker.py URLS multiprocessing|os.fork` (URLS: a JSON object, user ->
the URL that user logs in with, for "owner" and "parent") prints one JSON line: each
child's errors and how many times it checked out a pooled connection that another
process had opened, then whether the parent's next operation worked. A connection event
records the pid that opened each connection; nothing else is instrumented.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import traceback

from sqlalchemy import event, text

from resource_magic.db import get_engine
from resource_magic.store import ResourceStore

CHILDREN = 10
_borrowed = 0  # checkouts of a connection opened by another process (per process)


def watch(url: str) -> None:
    engine = get_engine(url)

    @event.listens_for(engine, "connect")
    def _opened(_dbapi, record):
        record.info["pid"] = os.getpid()

    @event.listens_for(engine, "checkout")
    def _checked_out(_dbapi, record, _proxy):
        global _borrowed
        if record.info.get("pid") != os.getpid():
            _borrowed += 1


def child_work(store: ResourceStore, token: str, i: int) -> dict:
    """What one child does with the store its parent opened: save, list and open."""
    errors = []
    try:
        store.save(f"child-{i}", f"print({i})")
        names = {r.name for r in store.list(limit=100).items}
        if f"child-{i}" not in names:
            errors.append(f"child-{i} missing from its own listing")
        opened = store.open(token)
        if opened.resource.name != "shared":
            errors.append(f"opened {opened.resource.name!r}")
    except Exception:
        errors.append(traceback.format_exc(limit=3))
    return {"errors": errors, "borrowed": _borrowed}


def _run_and_report(store, token, i, queue) -> None:
    queue.put(child_work(store, token, i))


def with_multiprocessing(store: ResourceStore, token: str) -> list[dict]:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    procs = [
        context.Process(target=_run_and_report, args=(store, token, i, queue))
        for i in range(CHILDREN)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(120)
    return results


def with_os_fork(store: ResourceStore, token: str) -> list[dict]:
    pipes = []
    for i in range(CHILDREN):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report through the pipe and leave at once
            os.close(read_end)
            try:
                payload = json.dumps(child_work(store, token, i)).encode()
                os.write(write_end, payload)
            finally:
                os._exit(0)
        os.close(write_end)
        pipes.append((pid, read_end))
    results = []
    for pid, read_end in pipes:
        with os.fdopen(read_end, "rb") as stream:
            results.append(json.loads(stream.read() or b'{"errors": ["no report"]}'))
        os.waitpid(pid, 0)
    return results


def main(urls: dict[str, str], how: str) -> None:
    url = urls["parent"]
    watch(url)
    owner = ResourceStore(urls["owner"], user="owner")
    owner.save("shared", "print('shared')")
    token = owner.share("shared").token
    store = ResourceStore(url, user="parent")
    store.save("before", "print(0)")
    store.list()  # the parent has used its pool: idle connections wait in it
    run = with_multiprocessing if how == "multiprocessing" else with_os_fork
    children = run(store, token)
    parent = {"errors": [], "borrowed": _borrowed}
    try:
        store.save("after", "print(1)")
        parent["names"] = sorted(r.name for r in store.list(limit=100).items)
        with get_engine(url).connect() as conn:
            if conn.dialect.name == "sqlite":
                parent["integrity"] = conn.execute(
                    text("PRAGMA integrity_check")
                ).scalar()
    except Exception:
        parent["errors"].append(traceback.format_exc(limit=3))
    print(json.dumps({"children": children, "parent": parent}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]), sys.argv[2])
