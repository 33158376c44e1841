"""A process that is killed with SIGKILL in the middle of a multi-statement write.

`crash_main` runs in a forkserver child and does forks, saves with attachments and
imports (each one transaction of several INSERT/UPDATE statements) until it is killed:

- mode "pause": after a few complete operations it stops *inside* the next one, right
  after its k-th write statement, tells the parent where (operation, name, marker) and
  sleeps, so the kill lands in an open transaction with part of the writes sent;
- mode "free": it loops without stopping and the parent kills it after a random delay;
  the number of writes sent in the open transaction is published in `in_tx`, so the
  parent can count the kills that landed mid-transaction;
- mode "split" (the negative control): the same three operations done wrongly, in two
  transactions; it stops between them, so after the kill the database holds half of the
  operation and the invariant checker must say so.
"""

from __future__ import annotations

import os
import random
import time
import uuid

from _invariants import manifest_content
from _models import Attachment, Resource, ResourceVersion
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from resource_magic.store import EXPORT_FORMAT, ResourceStore
from resource_magic.validate import search_text

SOURCES = 3  # src-0..2: the resources every fork copies (with tags and attachments)
SAVE_NAMES = 3  # att-0..2: the names every save adds a version to
WRITES = ("INSERT", "UPDATE", "DELETE")
FOREVER_S = 3600


def prepare(url: str, user: str) -> None:
    """The sources the workers fork and the names they save to (`url`: `user`'s)."""
    store = ResourceStore(url, user=user)
    for k in range(SOURCES):
        files = [os.urandom(2048), os.urandom(100)]
        store.save(
            f"src-{k}",
            manifest_content(files, body=f"src = {k}"),
            attachments=[("application/octet-stream", f) for f in files],
            tags=["source", f"s{k}"],
        )
    for k in range(SAVE_NAMES):
        store.save(f"att-{k}", manifest_content([]))


def crash_main(url, user, seed, mode, pause_at, channel, in_tx) -> None:
    """forkserver target: write until killed (see the module docstring)."""
    rng = random.Random(seed)
    store = ResourceStore(url, user=user)
    state = {"armed": False, "writes": 0}

    def after(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(WRITES):
            return
        state["writes"] += 1
        in_tx.value = state["writes"]
        if state["armed"] and state["writes"] == pause_at:
            channel.send(("paused", *state["target"], state["writes"]))
            time.sleep(FOREVER_S)

    def ended(conn):
        state["writes"] = 0
        in_tx.value = 0

    event.listen(store.engine, "after_cursor_execute", after)
    event.listen(store.engine, "commit", ended)
    event.listen(store.engine, "rollback", ended)

    if mode == "split":
        SPLIT[pause_at % len(SPLIT)](store, rng, channel)
        return
    warmup = rng.randint(0, 3) if mode == "pause" else -1
    if mode == "free":
        channel.send(("ready",))
    done = 0
    while True:
        op = rng.choice(OPERATIONS)
        unique = f"{seed}-{done}-{uuid.uuid4().hex[:6]}"
        name, marker, run = op(store, rng, unique)
        if done == warmup:
            state["target"] = (op.__name__, name, marker)
            state["armed"] = True
        run()
        done += 1
        if mode == "free":
            channel.send(("done", op.__name__, name))


def _attachments(rng: random.Random) -> list[bytes]:
    # Now and then a few MB: SQLite then spills uncommitted pages into the WAL before
    # the kill, and recovery must ignore them.
    big = rng.random() < 0.05
    return [
        os.urandom(rng.randint(1_000_000, 3_000_000) if big else rng.randint(1, 65_536))
        for _ in range(rng.randint(1, 4))
    ]


# -- operations: (store, rng, unique) -> (name, marker, run) --------------------------
# `name` is what a completed run creates or changes and `marker` is text only its
# content holds, so the parent can check a killed run left no trace.
def fork(store, rng, unique):
    name = f"fork-{unique}"
    return name, name, lambda: store.fork(f"src-{rng.randrange(SOURCES)}", name)


def save_with_attachments(store, rng, unique):
    name = f"att-{rng.randrange(SAVE_NAMES)}"
    files = _attachments(rng)
    content = manifest_content(files, body=f"marker = {unique!r}")
    return (
        name,
        unique,
        lambda: store.save(
            name,
            content,
            attachments=[("application/octet-stream", f) for f in files],
            tags=[f"v{rng.randrange(5)}", "saved"],
        ),
    )


def import_group(store, rng, unique, size: int = 3, versions: int = 2):
    group = f"imp-{unique}"
    return group, group, lambda: store.import_(_export(rng, group, size, versions))


def _export(rng, group, size, versions, members=None) -> dict:
    members = range(size) if members is None else members
    resources = []
    for j in members:
        history = []
        for _ in range(versions):
            files = _attachments(rng) if rng.random() < 0.5 else []
            history.append(
                {
                    "content": manifest_content(
                        files, group=group, size=size, versions=versions
                    ),
                    "attachments": [
                        {
                            "mime_type": "application/octet-stream",
                            "data": _b64(f),
                        }
                        for f in files
                    ],
                }
            )
        resources.append(
            {
                "name": f"{group}-{j}",
                "resource_type": "workflow",
                "tags": ["imported"],
                "versions": history,
            }
        )
    return {"format": EXPORT_FORMAT, "resources": resources}


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode("ascii")


OPERATIONS = [fork, save_with_attachments, import_group]


# -- the negative control: the same operations split into two transactions ------------
def _between(channel, kind: str) -> None:
    channel.send(("between", kind))
    time.sleep(FOREVER_S)


def split_fork(store, rng, channel) -> None:
    """The copy in one transaction, the source's fork_count in another."""
    with Session(store.engine) as session, session.begin():
        source = session.scalar(
            select(Resource).where(Resource.name == f"src-{rng.randrange(SOURCES)}")
        )
        copy = Resource(
            user_id=source.user_id,
            name=f"split-fork-{uuid.uuid4().hex[:8]}",
            resource_type=source.resource_type,
            content=source.content,
            parameters=source.parameters,
            parent_resource_id=source.id,
            search_text="",
        )
        copy.search_text = search_text(copy.name, None)
        session.add(copy)
        session.flush()
        session.add(
            ResourceVersion(resource_id=copy.id, version=1, content=copy.content)
        )
        source_id = source.id
    _between(channel, "fork")
    with Session(store.engine) as session, session.begin():
        session.execute(
            update(Resource)
            .where(Resource.id == source_id)
            .values(fork_count=Resource.fork_count + 1)
        )


def split_save(store, rng, channel) -> None:
    """The new version in one transaction, its attachments in another."""
    files = [os.urandom(1000), os.urandom(10)]
    saved = store.save("att-0", manifest_content(files, body="split = True"))
    _between(channel, "save")
    with Session(store.engine) as session, session.begin():
        version_id = session.scalar(
            select(ResourceVersion.id).where(
                ResourceVersion.resource_id == saved.resource.id,
                ResourceVersion.version == saved.version,
            )
        )
        for position, data in enumerate(files):
            session.add(
                Attachment(
                    version_id=version_id,
                    position=position,
                    mime_type="application/octet-stream",
                    data=data,
                    size=len(data),
                )
            )


def split_import(store, rng, channel) -> None:
    """The first resource of an import in one transaction, the others in another."""
    group = f"split-imp-{uuid.uuid4().hex[:8]}"
    store.import_(_export(rng, group, 3, 1, members=[0]))
    _between(channel, "import")
    store.import_(_export(rng, group, 3, 1, members=[1, 2]))


SPLIT = [split_fork, split_save, split_import]
