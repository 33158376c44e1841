"""A team database under load: many members, each their own login, at once.

    python -m benchmarks.team_load --count 100000 --seconds 60 [--url ADMIN_URL]

ADMIN_URL names a PostgreSQL server and a role that may create databases and roles
(default: RESOURCE_MAGIC_BENCH_POSTGRES_URL, else the local server). The run makes two
databases with the same data (benchmarks/seed.py: `count` resources over 100 users):
rm_team_bench_<count>, made a team database (`Admin.init`) whose first
processes x threads users become members, each a login role of their own, and
rm_plain_bench_<count>, a plain one. Shares are planted through the admin's
connection in both: two per member (one unlimited, one of LIMIT uses) and a few hot
tokens that every member opens.

Then, in order:
1. team against plain, interleaved, as member bench-000 (its own login there, the
   superuser with user=bench-000 here): list (mine and public), show, save and open
   of another member's private resource by token; median and p95 of each and their
   ratio (goal: within 1.3x).
2. The load: `processes` forked processes x `threads` threads, each thread a member
   with its own store (its own login, its own connection), looping over save, list,
   show, open, fork (by token or by a public name) and share for `seconds`.
   Refusals of tokens past their limit are expected and counted; anything else is an
   error (the target is none).
3. The invariants, through the admin's connection: every share's access_count equals
   the successful opens and forks by its token (step 1's opens included) and never
   exceeds max_accesses; every fork_count equals the resource's children; every
   resource's versions are 1..current_version; `team check` passes.

The figures go to results.json (key "team") and RESULTS.md. The databases and the
roles this run created are dropped at the end (--keep leaves both: drop them by
hand).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import multiprocessing
import os
import random
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from resource_magic import tokens
from resource_magic.errors import TokenRefused
from resource_magic.store import ResourceStore
from resource_magic.team import Admin, roles_for

from . import report, seed
from .connections import LoadResult, markdown, percentile, sample_waits
from .rawdb import connect
from .run import DEFAULT_PG, _context, _stats
from .timing import Stats, measure_pair

OPS = ("save", "list", "show", "open", "fork", "share")
COMPARED = ("list", "list public", "show", "save", "open")
RATIO_TARGET = 1.3
LIMIT = 5  # uses of each member's limited token
HOT = (None, None, 20, 20)  # max_accesses of the tokens every member opens
HOT_SHARE = 0.3  # how often an open or fork by token picks a hot one
OWN_NAMES = 20  # a member's seeded resources the load shows and shares
PUBLIC_REFS = 300  # public resources of the members the load shows and forks


@dataclass
class Plan:
    """What the load needs to know, handed to the forked processes."""

    team_url: str
    members: list[str]
    own_names: dict[str, list[str]]
    public_refs: list[str]
    tokens: dict[str, tuple[str, int | None]]  # token -> (owner, max_accesses)
    hot: list[str]
    compare_token: str
    compare_name: str


@dataclass
class TeamLoad:
    load: LoadResult
    refused: collections.Counter = field(default_factory=collections.Counter)
    redeemed: collections.Counter = field(default_factory=collections.Counter)


def _url(admin_url: str, database: str, user: str | None = None) -> str:
    parsed = make_url(admin_url).set(database=database)
    if user is not None:
        parsed = parsed.set(username=user, password=None)
    return parsed.render_as_string(hide_password=False)


def _admin_run(admin_url: str, *statements: str, **params) -> list:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            results = [conn.execute(text(s), params) for s in statements]
            return [r.all() if r.returns_rows else [] for r in results]
    finally:
        engine.dispose()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- setup
# ---------------------------------------------------------------------------------
def _add_members(team_url: str, names: list[str]) -> list[str]:
    """Make each name a member (a login role of its own); the roles this run made."""
    admin = Admin(team_url)
    made = []
    try:
        for name in names:
            (rows,) = _admin_run(
                team_url, "SELECT 1 FROM pg_roles WHERE rolname = :n", n=name
            )
            admin.add(name, existing=bool(rows))
            if not rows:
                made.append(name)
    finally:
        admin.close()
    return made


def _plant_shares(urls: list[str], members: list[str]) -> Plan:
    """The same share rows in every database (the seed's ids are the same)."""
    conns = [connect(url) for url in urls]
    try:
        rows = (
            conns[0]
            .execute(
                "SELECT u.name, r.id, r.name, r.is_public FROM resource r "
                'JOIN "user" u ON u.id = r.user_id WHERE u.name = ANY(%s) '
                "ORDER BY u.name, r.created_at, r.id",
                (members,),
            )
            .fetchall()
        )
        by_member: dict[str, list] = collections.defaultdict(list)
        for owner, rid, name, public in rows:
            by_member[owner].append((rid, name, public))
        rng = random.Random(16)
        public = [f"{o}/{n}" for o, (_, n, p) in _flat(by_member) if p]
        plan = Plan(
            team_url=urls[0],
            members=members,
            own_names={m: [n for _, n, _ in by_member[m][:OWN_NAMES]] for m in members},
            public_refs=rng.sample(public, min(PUBLIC_REFS, len(public))),
            tokens={},
            hot=[],
            compare_token="",
            compare_name=by_member[members[0]][0][1],
        )
        shares = []  # (share id, resource id, token, max_accesses)
        for m in members:
            first, second = by_member[m][0], by_member[m][1]
            for (rid, _, _), limit in ((first, None), (second, LIMIT)):
                token = tokens.new_token()
                shares.append((uuid.uuid4(), rid, token, limit))
                plan.tokens[token] = (m, limit)
        for i, limit in enumerate(HOT):
            rid = by_member[members[(i + 1) % len(members)]][2][0]
            token = tokens.new_token()
            shares.append((uuid.uuid4(), rid, token, limit))
            plan.tokens[token] = (members[(i + 1) % len(members)], limit)
            plan.hot.append(token)
        # The comparison opens another member's private resource.
        other = next(r for r in by_member[members[1]] if not r[2])
        plan.compare_token = tokens.new_token()
        shares.append((uuid.uuid4(), other[0], plan.compare_token, None))
        now = datetime.now(UTC)
        for conn in conns:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO resource_share (id, resource_id, token_digest, "
                    "token_prefix, access_count, max_accesses, created_at) "
                    "VALUES (%s, %s, %s, %s, 0, %s, %s)",
                    [
                        (
                            sid,
                            rid,
                            tokens.digest(t),
                            tokens.display_prefix(t),
                            limit,
                            now,
                        )
                        for sid, rid, t, limit in shares
                    ],
                )
        return plan
    finally:
        for conn in conns:
            conn.close()


def _flat(by_member):
    for owner, rows in by_member.items():
        for row in rows:
            yield owner, row


# -- team against plain, interleaved
# ---------------------------------------------------------------------------------
def compare(plan: Plan, plain_url: str, repeat: int) -> dict[str, tuple[Stats, Stats]]:
    """The same calls as member bench-000 on both databases, interleaved."""
    me = plan.members[0]
    team = ResourceStore(_member_url(plan, me))
    plain = ResourceStore(plain_url, user=me)
    counter = iter(range(10**9))
    calls = {
        "list": lambda s: s.list(),
        "list public": lambda s: s.list(scope="public"),
        "show": lambda s: s.get_with_attachments(plan.compare_name),
        "save": lambda s: s.save("team-compare", f"x = {next(counter)}"),
        "open": lambda s: s.open(plan.compare_token),
    }
    out = {}
    for op in COMPARED:
        call = calls[op]
        out[op] = measure_pair(lambda c=call: c(team), lambda c=call: c(plain), repeat)
    return out


def explain_list(plan: Plan, plain_url: str, repeat: int = 5) -> list[dict]:
    """Where a listing's time goes in the server: each statement `list` sends (mine
    and public), EXPLAIN ANALYZE'd as the member on the team database and as the
    superuser on the plain one, on warm connections; the median execution time."""
    from sqlalchemy import event

    me = plan.members[0]
    store = ResourceStore(_member_url(plan, me))
    caught: list[tuple[str, str, object]] = []
    scope = "mine"

    def grab(conn, cursor, statement, parameters, context, executemany):
        if "resource" in statement:
            caught.append((scope, statement, parameters))

    event.listen(store.engine, "before_cursor_execute", grab)
    try:
        for scope in ("mine", "public"):  # grab reads it
            store.list(scope=scope)
    finally:
        event.remove(store.engine, "before_cursor_execute", grab)
    conns = {"team": connect(_member_url(plan, me)), "plain": connect(plain_url)}
    out = []
    try:
        for scope_, statement, params in caught:
            row = {"scope": scope_, "statement": " ".join(statement.split())[:60]}
            for side, conn in conns.items():
                times = []
                for _ in range(repeat):
                    (plan_json,) = conn.execute(
                        "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params
                    ).fetchone()
                    times.append(plan_json[0]["Execution Time"])
                row[side] = sorted(times)[len(times) // 2]
                row[f"{side}_plan"] = plan_json[0]["Plan"]["Node Type"]
            out.append(row)
    finally:
        for conn in conns.values():
            conn.close()
    return out


def explain_markdown(rows: list[dict]) -> str:
    lines = [
        "| list | statement | team ms | plain ms | team / plain |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['scope']} | `{r['statement']}...` | {r['team']:.2f} | "
            f"{r['plain']:.2f} | {r['team'] / r['plain']:.1f} |"
        )
    return "\n".join(lines)


def _member_url(plan: Plan, member: str) -> str:
    return _url(plan.team_url, make_url(plan.team_url).database, member)


# -- the load
# ---------------------------------------------------------------------------------
def _thread(plan: Plan, me: str, seed_: int, stop_at: float, out: dict) -> None:
    rng = random.Random(seed_)
    lat, errors = out["latencies"], out["errors"]
    refused, redeemed = out["refused"], out["redeemed"]
    try:
        store = ResourceStore(_member_url(plan, me))
        mine = f"load-{me}"
        store.save(mine, "x = 0", description="the load's own resource")
    except Exception:
        errors.append(f"setup {me}: {traceback.format_exc(limit=3)}")
        return
    own = plan.own_names[me] + [mine]
    limits = dict(plan.tokens)
    pool = [t for t, (owner, _) in plan.tokens.items() if owner != me]

    def token() -> str:
        return rng.choice(plan.hot if rng.random() < HOT_SHARE else pool)

    k = 0
    while time.perf_counter() < stop_at:
        op = OPS[k % len(OPS)] if k < len(OPS) else rng.choice(OPS)
        k += 1
        used = None
        started = time.perf_counter()
        try:
            if op == "save":
                store.save(mine, f"x = {k}")
            elif op == "list":
                store.list(scope=rng.choice(("mine", "public")))
            elif op == "show":
                shown = plan.public_refs if rng.random() < 0.5 else own
                store.get_with_attachments(rng.choice(shown))
            elif op == "open":
                used = token()
                store.open(used)
            elif op == "fork":
                name = f"fork-{me}-{k}"
                if rng.random() < 0.5:
                    used = token()
                    store.fork(used, name)
                else:
                    store.fork(rng.choice(plan.public_refs), name)
            elif op == "share":
                new = store.share(rng.choice(own))
                limits[new.token] = (me, None)
                pool.append(new.token)
        except TokenRefused:
            if used is not None and limits[used][1] is not None:
                refused[op] += 1  # past its limit: expected
            else:
                errors.append(f"{op}: an unlimited token refused")
            continue
        except Exception:
            errors.append(f"{op} as {me}: {traceback.format_exc(limit=3)}")
            continue
        lat[op].append((time.perf_counter() - started) * 1000)
        if used is not None:
            redeemed[tokens.digest(used)] += 1


def _process(plan: Plan, members: list[str], seconds: float, queue) -> None:
    out = {
        "latencies": collections.defaultdict(list),
        "errors": [],
        "refused": collections.Counter(),
        "redeemed": collections.Counter(),
    }
    stop_at = time.perf_counter() + seconds
    workers = [
        threading.Thread(target=_thread, args=(plan, m, i, stop_at, out))
        for i, m in enumerate(members)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    out["latencies"] = dict(out["latencies"])
    out["cpu"] = sum(os.times()[:2])
    queue.put(out)


def run_load(plan: Plan, processes: int, threads: int, seconds: float) -> TeamLoad:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    waits: collections.Counter = collections.Counter()
    stop = threading.Event()
    sampler = threading.Thread(target=sample_waits, args=(plan.team_url, stop, waits))
    sampler.start()
    started = time.perf_counter()
    procs = [
        context.Process(
            target=_process,
            args=(plan, plan.members[i * threads : (i + 1) * threads], seconds, queue),
        )
        for i in range(processes)
    ]
    for p in procs:
        p.start()
    reports = [queue.get(timeout=seconds + 600) for _ in procs]
    for p in procs:
        p.join(60)
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    result = TeamLoad(LoadResult(wall, processes, threads, 0, waits=dict(waits)))
    for out in reports:
        for op, samples in out["latencies"].items():
            result.load.latencies_ms.setdefault(op, []).extend(samples)
            result.load.operations += len(samples)
        result.load.errors += out["errors"]
        result.load.client_cpu_s += out["cpu"]
        result.refused.update(out["refused"])
        result.redeemed.update(out["redeemed"])
    return result


# -- afterwards
# ---------------------------------------------------------------------------------
def invariants(team_url: str, redeemed: collections.Counter) -> dict[str, int]:
    """How many rows break each invariant (all should be 0), and a few totals."""
    conn = connect(team_url)
    try:
        shares = conn.execute(
            "SELECT token_digest, access_count, max_accesses FROM resource_share"
        ).fetchall()
        forks_off, forks, versions_off, versions = conn.execute(
            "SELECT count(*) FILTER (WHERE p.fork_count <> coalesce(c.n, 0)), "
            "coalesce(sum(c.n), 0), "
            "count(*) FILTER (WHERE v.resource_id IS NULL OR v.lo <> 1 "
            "OR v.hi <> v.n OR p.current_version <> v.hi), sum(v.n) "
            "FROM resource p "
            "LEFT JOIN (SELECT parent_resource_id AS id, count(*) AS n FROM resource "
            "WHERE parent_resource_id IS NOT NULL GROUP BY 1) c ON c.id = p.id "
            "LEFT JOIN (SELECT resource_id, min(version) AS lo, max(version) AS hi, "
            "count(*) AS n FROM resource_version GROUP BY 1) v "
            "ON v.resource_id = p.id"
        ).fetchone()
    finally:
        conn.close()
    failed = Admin(team_url)
    try:
        checks = failed.check()
    finally:
        failed.close()
    return {
        "shares": len(shares),
        "accesses": sum(a for _, a, _ in shares),
        "access_count != successful uses": sum(
            1 for d, a, _ in shares if a != redeemed.get(d, 0)
        ),
        "access_count > max_accesses": sum(
            1 for _, a, m in shares if m is not None and a > m
        ),
        "children": int(forks),
        "fork_count != children": int(forks_off),
        "versions": int(versions),
        "versions not 1..current_version": int(versions_off),
        "team check failures": sum(1 for c in checks if not c.ok),
    }


# -- the whole run
# ---------------------------------------------------------------------------------
def bench_team(
    admin_url: str,
    count: int,
    seconds: float,
    processes: int = 10,
    threads: int = 5,
    repeat: int = 30,
    keep: bool = False,
) -> dict:
    team_db, plain_db = f"rm_team_bench_{count}", f"rm_plain_bench_{count}"
    team_url, plain_url = _url(admin_url, team_db), _url(admin_url, plain_db)
    members = [seed.user_name(i) for i in range(processes * threads)]
    made: list[str] = []
    result: dict = {"count": count, "members": len(members), "seconds": seconds}
    for db in (team_db, plain_db):
        _admin_run(
            admin_url,
            f"DROP DATABASE IF EXISTS {_quote(db)} WITH (FORCE)",
            f"CREATE DATABASE {_quote(db)}",
        )
    try:
        started = time.perf_counter()
        seed.seed(team_url, count)
        seed.seed(plain_url, count)
        admin = Admin(team_url)
        admin.init()
        admin.close()
        made = _add_members(team_url, members)
        plan = _plant_shares([team_url, plain_url], members)
        result["setup_s"] = time.perf_counter() - started
        print(f"set up in {result['setup_s']:.0f} s", flush=True)

        context = _context()
        pairs = compare(plan, plain_url, repeat)
        result["compare"] = {
            op: {"team": _stats(t), "plain": _stats(p), "ratio": _ratio(t, p)}
            for op, (t, p) in pairs.items()
        }
        result["compare_context"] = f"{context} to {_context().split()[-1]}"
        result["repeat"] = repeat
        result["compare_markdown"] = compare_markdown(result)
        print(result["compare_markdown"], flush=True)
        result["explain_markdown"] = explain_markdown(explain_list(plan, plain_url))
        print(result["explain_markdown"], flush=True)

        from resource_magic.db import dispose_engines

        dispose_engines()  # the children start with no connections of ours
        context = _context()
        load = run_load(plan, processes, threads, seconds)
        redeemed = collections.Counter(load.redeemed)
        # step 1's opens: its warm-up and measured calls
        redeemed[tokens.digest(plan.compare_token)] += repeat + 2
        result["load_context"] = f"{context} to {_context().split()[-1]}"
        result["load_markdown"] = markdown(load.load, OPS)
        result["throughput"] = load.load.throughput
        result["errors"] = len(load.load.errors)
        result["refused"] = dict(load.refused)
        result["p"] = {
            op: [percentile(s, 0.5), percentile(s, 0.95)]
            for op, s in load.load.latencies_ms.items()
        }
        result["invariants"] = invariants(team_url, redeemed)
        print(result["load_markdown"], flush=True)
        print(result["invariants"], flush=True)
    finally:
        from resource_magic.db import dispose_engines

        dispose_engines()
        if not keep:
            for db in (team_db, plain_db):
                _admin_run(
                    admin_url, f"DROP DATABASE IF EXISTS {_quote(db)} WITH (FORCE)"
                )
            roles = [*made, *vars(roles_for(team_db)).values()]
            for role in roles:
                # a role still used by another database stays
                with contextlib.suppress(Exception):
                    _admin_run(admin_url, f"DROP ROLE IF EXISTS {_quote(role)}")
    return result


def _ratio(team: Stats, plain: Stats) -> float:
    return team.median_ms / plain.median_ms if plain.median_ms else 0.0


def compare_markdown(result: dict) -> str:
    lines = [
        "| call | team | plain | team / plain (median) | team / plain (p95) |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    for op, pair in result["compare"].items():
        t, p = pair["team"], pair["plain"]
        lines.append(
            f"| {op} | {t['median_ms']:.1f} / {t['p95_ms']:.1f} | "
            f"{p['median_ms']:.1f} / {p['p95_ms']:.1f} | {pair['ratio']:.2f} | "
            f"{t['p95_ms'] / p['p95_ms']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("RESOURCE_MAGIC_BENCH_POSTGRES_URL", DEFAULT_PG),
        help="a PostgreSQL URL of a role that may create databases and roles",
    )
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--processes", type=int, default=10)
    parser.add_argument("--threads", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave results.json alone"
    )
    args = parser.parse_args(argv)
    result = bench_team(
        args.url,
        args.count,
        args.seconds,
        args.processes,
        args.threads,
        args.repeat,
        args.keep,
    )
    if not args.no_write:
        data = report.load()
        data["team"] = result
        report.save(data)
        print(f"wrote {report.write(data)}")
    broken = sum(v for k, v in result["invariants"].items() if "!=" in k or ">" in k)
    broken += result["invariants"]["versions not 1..current_version"]
    broken += result["invariants"]["team check failures"]
    return 1 if result["errors"] or broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
