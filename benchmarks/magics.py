"""End-to-end magic latency in a real InteractiveShell, its floor, and jupysql's peer.

Every figure is one notebook cell run with `shell.run_cell`, output captured the same
way for all three, so IPython's own cell machinery and the display of the result
(DataFrame text and HTML, as Jupyter computes both) are in every figure:

- magic: the `%resource` / `%%resource` cell a user types;
- floor: a registered magic `%bench_floor OP` that sends the same SQL through the raw
  driver (sqlite3 / psycopg, one transaction) and builds the same kind of result (a
  DataFrame of the same columns for listings, the content for show/open, the line a
  write prints). Reads replay exactly the statements the store sent for that cell
  (captured with SQLAlchemy's before_cursor_execute); writes, whose replay would
  collide on unique keys, run hand-written statements mirroring the store's
  (upsert + version row + read-back for save, copy + version + tags + counter for
  fork, ...);
- noop: `%bench_noop`, a registered magic that does nothing (IPython's share);
- jupysql: `%sql` (autopandas on) running the equivalent SELECT of a page of 50, as a
  whole cell and as the magic call alone (`shell.run_line_magic`, the DataFrame
  returned and not displayed), each interleaved with `%resource list` timed alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import event

from resource_magic.store import ResourceStore
from resource_magic.validate import search_text

from .rawdb import connect, paramstyle
from .seed import BENCH_USER, COMMON_TERM, RARE_TERM
from .timing import Stats, measure, measure_pair

OPS = (
    "save",
    "list",
    "list -s rare",
    "list -s common",
    "show",
    "run",
    "fork",
    "share",
    "open",
)


@dataclass
class OpResult:
    op: str
    magic: Stats
    floor: Stats
    source: str

    @property
    def ratio(self) -> float:
        return self.magic.median_ms / self.floor.median_ms


@dataclass
class MagicResults:
    noop: Stats
    ops: list[OpResult] = field(default_factory=list)
    jupysql: Stats | None = None
    jupysql_list: Stats | None = None  # our list, interleaved with jupysql's
    # The same two as the magic call alone (no cell machinery, nothing displayed):
    # `shell.run_line_magic`, each returning its DataFrame, interleaved.
    jupysql_call: Stats | None = None
    list_call: Stats | None = None


def make_shell(url: str, user: str = BENCH_USER):
    """A fresh IPython InteractiveShell with the extension loaded onto `url`."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    InteractiveShell.clear_instance()
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    shell = InteractiveShell.instance(config=config)
    run_cell(shell, "%load_ext resource_magic")
    run_cell(shell, f"%config ResourceMagic.database_url = {url!r}")
    run_cell(shell, f"%config ResourceMagic.user = {user!r}")
    return shell


def run_cell(shell, source: str):
    """Run one cell as a notebook would, capturing what it shows; fail loudly."""
    from IPython.utils.capture import capture_output

    with capture_output(stdout=True, stderr=True, display=True) as captured:
        result = shell.run_cell(source, store_history=True)
    error = result.error_before_exec or result.error_in_exec
    if error is not None:
        raise RuntimeError(f"{source!r} failed: {error}\n{captured.stdout}")
    return result.result


class _Sql:
    """Raw statements for both drivers: `?` placeholders, values in each one's form."""

    def __init__(self, url: str) -> None:
        self.conn = connect(url)
        self.sqlite = paramstyle(url) == "qmark"

    def q(self, sql: str) -> str:
        return sql if self.sqlite else sql.replace("?", "%s")

    def uid(self, value: uuid.UUID):
        return value.hex if self.sqlite else value

    def when(self, moment: datetime):
        if not self.sqlite:
            return moment
        m = moment.astimezone(UTC)
        return m.replace(tzinfo=None).isoformat(" ", "microseconds")

    @contextlib.contextmanager
    def transaction(self, write: bool):
        if self.sqlite:
            self.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield self.conn.cursor()
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
        else:
            with self.conn.transaction():
                yield self.conn.cursor()


class Floors:
    """The `%bench_floor OP` implementations."""

    def __init__(self, url: str, shell, fixtures: dict) -> None:
        self.sql = _Sql(url)
        self.shell = shell
        self.fx = fixtures
        self.replays: dict[str, list[tuple[str, object]]] = {}
        self.counter = itertools.count()

    # -- reads: the store's own statements, replayed ----------------------------------
    def replay(self, op: str):
        sql = self.sql
        results = []
        with sql.transaction(write=False) as cur:
            for statement, parameters in self.replays[op]:
                cur.execute(statement, parameters)
                names = [d[0] for d in cur.description] if cur.description else []
                results.append((names, cur.fetchall()))
        return results

    def listing(self, op: str):
        import pandas as pd

        results = self.replay(op)
        page = next(r for r in results if "updated_at" in r[0])
        tags: dict = {}
        for names, rows in results:
            if names == ["resource_id", "tag"]:
                for resource_id, tag in rows:
                    tags.setdefault(resource_id, []).append(tag)
        names, rows = page
        index: dict[str, int] = {}
        for i, name in enumerate(names):
            index.setdefault(name, i)
        wanted = {
            "name": "name",
            "type": "resource_type",
            "description": "description",
            "version": "current_version",
            "executions": "execution_count",
            "forks": "fork_count",
            "parent": "parent_name",
            "public": "is_public",
            "updated": "updated_at",
        }
        columns = {k: index[v] for k, v in wanted.items()}
        ident = index["id"]
        frame = pd.DataFrame(
            [
                {
                    **{k: row[i] for k, i in columns.items()},
                    "tags": ", ".join(tags.get(row[ident], ())),
                }
                for row in rows
            ],
            columns=[*wanted, "tags"],
        )
        return frame

    def show(self):
        names, rows = next(r for r in self.replay("show") if "content" in r[0])
        row = dict(zip(names, rows[0], strict=False))
        print(f"{row['name']} ({row['resource_type']})")
        print(row["content"])

    # -- writes: hand-written, the store's statements in spirit -----------------------
    def save(self):
        sql, fx = self.sql, self.fx
        now = datetime.now(UTC)
        name = fx["save_floor_name"]
        content = json.dumps(f"x = {next(self.counter)}\n")
        with sql.transaction(write=True) as cur:
            cur.execute(
                sql.q(
                    "INSERT INTO resource (id, user_id, name, resource_type, content, "
                    "parameters, execution_count, fork_count, is_public, "
                    "current_version, search_text, created_at, updated_at) "
                    "VALUES (?, ?, ?, 'workflow', ?, 'null', 0, 0, ?, 1, ?, ?, ?) "
                    "ON CONFLICT (user_id, name) DO UPDATE SET "
                    "current_version = resource.current_version + 1, "
                    "content = excluded.content, parameters = excluded.parameters, "
                    "updated_at = excluded.updated_at "
                    "WHERE resource.resource_type = excluded.resource_type "
                    "RETURNING id, current_version"
                ),
                (
                    sql.uid(uuid.uuid4()),
                    fx["uid"],
                    name,
                    content,
                    False,
                    search_text(name, None),
                    sql.when(now),
                    sql.when(now),
                ),
            )
            rid, version = cur.fetchone()
            cur.execute(
                sql.q(
                    "INSERT INTO resource_version (resource_id, version, content, "
                    "parameters, created_at) VALUES (?, ?, ?, 'null', ?) RETURNING id"
                ),
                (rid, version, content, sql.when(now)),
            )
            cur.fetchone()
            self._read_back(cur, rid)
        print(f"Saved workflow '{name}' as version {version}.")

    def _read_back(self, cur, rid):
        sql = self.sql
        cur.execute(
            sql.q(
                'SELECT r.*, u.name FROM resource r JOIN "user" u ON u.id = r.user_id '
                "WHERE r.id = ?"
            ),
            (rid,),
        )
        row = cur.fetchone()
        cur.execute(
            sql.q("SELECT tag FROM resource_tag WHERE resource_id = ? ORDER BY tag"),
            (rid,),
        )
        cur.fetchall()
        return row

    def run(self):
        sql, fx = self.sql, self.fx
        with sql.transaction(write=False) as cur:
            cur.execute(
                sql.q(
                    "SELECT id, content FROM resource WHERE user_id = ? AND name = ?"
                ),
                (fx["uid"], fx["run_name"]),
            )
            rid, content = cur.fetchone()
        code = json.loads(content) if sql.sqlite else content  # psycopg decodes
        self.shell.run_cell(code, store_history=False)
        with sql.transaction(write=True) as cur:
            cur.execute(
                sql.q(
                    "UPDATE resource SET execution_count = execution_count + 1, "
                    "last_executed_at = ? WHERE id = ? RETURNING execution_count"
                ),
                (sql.when(datetime.now(UTC)), rid),
            )
            cur.fetchone()

    def fork(self):
        sql, fx = self.sql, self.fx
        owner, source = fx["fork_source"].split("/")
        name = f"bench-floor-fork-{fx['run_tag']}-{next(self.counter)}"
        now = sql.when(datetime.now(UTC))
        new_id = sql.uid(uuid.uuid4())
        with sql.transaction(write=True) as cur:
            cur.execute(
                sql.q(
                    "SELECT r.id, r.description, r.resource_type, r.content, "
                    'r.parameters FROM resource r JOIN "user" u ON u.id = r.user_id '
                    "WHERE u.name = ? AND r.name = ? "
                    "AND (r.user_id = ? OR r.is_public = ?)"
                ),
                (owner, source, fx["uid"], True),
            )
            src, description, kind, content, parameters = cur.fetchone()
            if not sql.sqlite:  # psycopg hands JSONB back as Python values
                content, parameters = json.dumps(content), json.dumps(parameters)
            cur.execute(
                sql.q(
                    "INSERT INTO resource (id, user_id, name, description, "
                    "resource_type, content, parameters, execution_count, "
                    "parent_resource_id, fork_count, is_public, current_version, "
                    "search_text, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, 0, ?, 1, ?, ?, ?)"
                ),
                (
                    new_id,
                    fx["uid"],
                    name,
                    description,
                    kind,
                    content,
                    parameters,
                    src,
                    False,
                    search_text(name, description),
                    now,
                    now,
                ),
            )
            cur.execute(
                sql.q(
                    "INSERT INTO resource_version (resource_id, version, content, "
                    "parameters, created_at) VALUES (?, 1, ?, ?, ?)"
                ),
                (new_id, content, parameters, now),
            )
            cur.execute(
                sql.q(
                    "INSERT INTO resource_tag (resource_id, tag) "
                    "SELECT ?, tag FROM resource_tag WHERE resource_id = ?"
                ),
                (new_id, src),
            )
            cur.execute(
                sql.q("UPDATE resource SET fork_count = fork_count + 1 WHERE id = ?"),
                (src,),
            )
            self._read_back(cur, new_id)
        print(f"Forked {fx['fork_source']} as '{name}'.")

    def share(self):
        sql, fx = self.sql, self.fx
        token = "rmshr_" + secrets.token_urlsafe(24)
        with sql.transaction(write=True) as cur:
            cur.execute(
                sql.q("SELECT id FROM resource WHERE user_id = ? AND name = ?"),
                (fx["uid"], fx["run_name"]),
            )
            (rid,) = cur.fetchone()
            cur.execute(
                sql.q(
                    "INSERT INTO resource_share (id, resource_id, token_digest, "
                    "token_prefix, access_count, created_at) VALUES (?, ?, ?, ?, 0, ?)"
                ),
                (
                    sql.uid(uuid.uuid4()),
                    rid,
                    hashlib.sha256(token.encode()).hexdigest(),
                    token[:12],
                    sql.when(datetime.now(UTC)),
                ),
            )
        print(f"Shared. The token:\n    {token}")

    def open(self):
        sql, fx = self.sql, self.fx
        now = sql.when(datetime.now(UTC))
        with sql.transaction(write=True) as cur:
            cur.execute(
                sql.q(
                    "UPDATE resource_share SET access_count = access_count + 1 "
                    "WHERE token_digest = ? AND revoked_at IS NULL "
                    "AND (expires_at IS NULL OR expires_at > ?) "
                    "AND (max_accesses IS NULL OR access_count < max_accesses) "
                    "RETURNING resource_id, access_count"
                ),
                (fx["open_digest"], now),
            )
            rid, _ = cur.fetchone()
            row = self._read_back(cur, rid)
            cur.execute(
                sql.q(
                    "SELECT a.mime_type, a.data FROM attachment a "
                    "JOIN resource_version v ON v.id = a.version_id "
                    "WHERE v.resource_id = ? AND v.version = ? ORDER BY a.position"
                ),
                (rid, fx["open_version"]),
            )
            cur.fetchall()
        print(row)


def _capture(engine, action: Callable[[], object]) -> list[tuple[str, object]]:
    sent: list[tuple[str, object]] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    return sent


def _fixtures(store: ResourceStore) -> dict:
    """Resources the cells act on, made once per database."""
    store.save("bench-save-target", "x = 0\n")
    store.save("bench-save-floor", "x = 0\n")
    store.save("bench-tiny", "bench_value = 1 + 1\n")
    mine = store.list(sort="name", limit=1).items[0]  # a seeded one
    public = next(
        r for r in store.list(scope="public", limit=50).items if r.owner != store.user
    )
    token = store.share("bench-tiny").token
    shared = store.get("bench-tiny")
    with store.engine.connect() as conn:
        from sqlalchemy import text

        uid = conn.execute(
            text('SELECT id FROM "user" WHERE name = :n'), {"n": store.user}
        ).scalar_one()
    return {
        "uid": uid,
        "save_floor_name": "bench-save-floor",
        "run_name": "bench-tiny",
        "show_name": mine.name,
        "fork_source": public.qualified_name,
        "open_token": token,
        "open_digest": hashlib.sha256(token.encode()).hexdigest(),
        "open_version": shared.version,
        # Fork names of this run: a database kept from an earlier run (--keep) has
        # that run's forks already.
        "run_tag": secrets.token_hex(3),
    }


def magic_sources(fx: dict) -> dict[str, Callable[[int], str]]:
    return {
        "save": lambda i: f"%%resource save bench-save-target\nx = {i}\n",
        "list": lambda i: "%resource list",
        "list -s rare": lambda i: f"%resource list -s {RARE_TERM}",
        "list -s common": lambda i: f"%resource list -s {COMMON_TERM}",
        "show": lambda i: f"%resource show {fx['show_name']}",
        "run": lambda i: "%resource run bench-tiny",
        "fork": lambda i: (
            f"%resource fork {fx['fork_source']} --as bench-fork-{fx['run_tag']}-{i}"
        ),
        "share": lambda i: "%resource share bench-tiny",
        "open": lambda i: f"%resource open {fx['open_token']}",
    }


def jupysql_page_sql(sqlite: bool, uid: int) -> str:
    """The equivalent SELECT of `%resource list`'s page, for jupysql's %sql."""
    tags = (
        "group_concat(t.tag, ', ')"
        if sqlite
        else "string_agg(t.tag, ', ' ORDER BY t.tag)"
    )
    return (
        "SELECT r.name, r.resource_type AS type, r.description, "
        f"(SELECT {tags} FROM resource_tag t WHERE t.resource_id = r.id) AS tags, "
        "r.current_version AS version, r.execution_count AS executions, "
        "r.fork_count AS forks, pu.name || '/' || p.name AS parent, "
        "r.is_public AS public, r.updated_at AS updated "
        "FROM resource r LEFT JOIN resource p ON p.id = r.parent_resource_id "
        'LEFT JOIN "user" pu ON pu.id = p.user_id '
        f"WHERE r.user_id = {int(uid)} "
        "ORDER BY r.updated_at DESC, r.id DESC LIMIT 50"
    )


def bench_magics(url: str, repeat: int, with_jupysql: bool = True) -> MagicResults:
    """Every op: the magic and its floor interleaved; then noop and jupysql."""
    shell = make_shell(url)
    store = ResourceStore(url, user=BENCH_USER)
    fx = _fixtures(store)
    floors = Floors(url, shell, fx)

    def bench_floor(line, cell=None):
        op = line.strip()
        if op.startswith("list"):
            return floors.listing(op)
        return getattr(floors, op)()

    def bench_noop(line, cell=None):
        return None

    shell.register_magic_function(bench_floor, "line_cell", "bench_floor")
    shell.register_magic_function(bench_noop, "line_cell", "bench_noop")
    sources = magic_sources(fx)
    # The statements each read sends, once warm (the store's user id is cached).
    magic_store = shell.magics_manager.registry["ResourceMagic"].store()
    for op in ("list", "list -s rare", "list -s common", "show"):
        run_cell(shell, sources[op](0))
        floors.replays[op] = _capture(
            magic_store.engine, lambda op=op: run_cell(shell, sources[op](0))
        )
    results = MagicResults(noop=measure(lambda: run_cell(shell, "%bench_noop"), repeat))
    for op in OPS:
        counter = itertools.count(1)
        magic_stats, floor_stats = measure_pair(
            lambda op=op, counter=counter: run_cell(shell, sources[op](next(counter))),
            lambda op=op: run_cell(shell, f"%bench_floor {op}"),
            repeat,
        )
        shown = (
            sources[op](1)
            .replace(fx["open_token"], "TOKEN")
            .replace(f"-{fx['run_tag']}", "")
        )
        results.ops.append(OpResult(op, magic_stats, floor_stats, shown))
    if with_jupysql:
        run_cell(shell, "%load_ext sql")
        run_cell(shell, "%config SqlMagic.autopandas = True")
        run_cell(shell, "%config SqlMagic.displaycon = False")  # no "Running query"
        run_cell(shell, f"%sql {url}")
        page_sql = jupysql_page_sql(floors.sql.sqlite, fx["uid"])
        ours, theirs = measure_pair(
            lambda: run_cell(shell, "%resource list"),
            lambda: run_cell(shell, f"%sql {page_sql}"),
            repeat,
        )
        results.jupysql, results.jupysql_list = theirs, ours

        def call(name: str, line: str):
            with contextlib.redirect_stdout(io.StringIO()):  # our count line
                return shell.run_line_magic(name, line)

        ours_frame, theirs_frame = call("resource", "list"), call("sql", page_sql)
        if list(ours_frame["name"]) != list(theirs_frame["name"]):
            raise RuntimeError("%resource list and %sql returned different pages")
        ours, theirs = measure_pair(
            lambda: call("resource", "list"), lambda: call("sql", page_sql), repeat
        )
        results.jupysql_call, results.list_call = theirs, ours
        from IPython.utils.capture import capture_output
        from sql.connection import ConnectionManager

        with capture_output():  # it says goodbye on the display
            ConnectionManager.close_all()
    store.engine.dispose()
    return results
