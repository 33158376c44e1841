"""A stateful model test: random sequences of store operations against plain Python.

Hypothesis drives a `RuleBasedStateMachine` through create, save-new-version, fork (by
name, owner/name or token; default or chosen name), share, redeem (open or fork),
revoke, delete, restore and making public/private, for two users, on SQLite and
PostgreSQL in the same run. Every step must do on both databases what the model says
(same outcome, same refusal message), and after every step everything either user can
see (names, versions, contents, fork counts, parents, share counts and statuses) must
equal the model. At the end of each run the database invariants of
`_invariants.violations` hold as well.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from _invariants import violations
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from resource_magic.errors import TOKEN_REFUSED_MESSAGE
from resource_magic.store import ResourceStore

NAMES = ["etl", "report", "etl-2", "clean"]
CONTENTS = ["x = 1", "x = 2", "print('hi')", "df = df.dropna()"]
RUNS = {"steps": 0, "runs": 0}


@dataclass
class Res:
    """What should be true of one resource."""

    owner: str
    name: str
    versions: list[str]
    parent: Res | None = None
    fork_count: int = 0
    public: bool = False
    alive: bool = True


@dataclass
class Share:
    resource: Res
    tokens: tuple[str, str]  # one per backend
    limit: int | None
    count: int = 0
    revoked: bool = False

    @property
    def usable(self) -> bool:
        return (
            self.resource.alive
            and not self.revoked
            and (self.limit is None or self.count < self.limit)
        )


def outcome(fn) -> tuple:
    try:
        return ("ok", fn())
    except Exception as exc:
        return (type(exc).__name__, str(exc))


class StoreModel(RuleBasedStateMachine):
    # Set by the test: the two databases, and the suite's users_on (database URL ->
    # url_for(user) on it).
    urls: tuple[str, str] = ("", "")
    users_on: Callable[[str], Callable[[str], str]]

    def __init__(self) -> None:
        super().__init__()
        run = uuid.uuid4().hex[:8]
        self.users = [f"alice-{run}", f"bob-{run}"]
        self.stores = {
            user: [
                ResourceStore(self.users_on(url)(user), user=user) for url in self.urls
            ]
            for user in self.users
        }
        self.resources: list[Res] = []
        self.shares: list[Share] = []
        self.forks = 0
        RUNS["runs"] += 1

    # -- helpers -----------------------------------------------------------------------
    def both(self, user: str, call) -> tuple:
        """`call(store)` on both backends: the same outcome; returns it (per backend
        values when they differ only in ids or tokens is the caller's business)."""
        results = [outcome(lambda s=s: call(s)) for s in self.stores[user]]
        assert results[0][0] == results[1][0], results
        if results[0][0] != "ok":
            assert results[0] == results[1], results
        RUNS["steps"] += 1
        return results[0][0], [r[1] for r in results]

    def live(self, owner: str | None = None) -> list[Res]:
        return [
            r for r in self.resources if r.alive and (owner is None or r.owner == owner)
        ]

    def find(self, owner: str, name: str) -> Res | None:
        return next((r for r in self.live(owner) if r.name == name), None)

    def free_name(self, user: str, base: str) -> str:
        taken = {r.name for r in self.live(user)}
        if base not in taken:
            return base
        used = {
            int(m.group(1))
            for n in taken
            if (m := re.fullmatch(re.escape(base) + r"-(\d+)", n))
        }
        n = 2
        while n in used:
            n += 1
        return f"{base}-{n}"

    def ref(self, user: str, res: Res) -> str:
        return res.name if res.owner == user else f"{res.owner}/{res.name}"

    def add_fork(self, user: str, source: Res, name: str) -> None:
        source.fork_count += 1
        self.resources.append(Res(user, name, [source.versions[-1]], parent=source))

    # -- rules -------------------------------------------------------------------------
    @rule(
        u=st.integers(0, 1), name=st.sampled_from(NAMES), body=st.sampled_from(CONTENTS)
    )
    def save(self, u, name, body):
        """Create `name`, or add a version to it if the user has it."""
        user = self.users[u]
        kind, versions = self.both(user, lambda s: s.save(name, body).version)
        assert kind == "ok", versions
        existing = self.find(user, name)
        if existing is None:
            self.resources.append(Res(user, name, [body]))
        else:
            existing.versions.append(body)
        assert versions == [len((existing or self.find(user, name)).versions)] * 2

    @precondition(lambda self: self.live())
    @rule(u=st.integers(0, 1), i=st.integers(0, 99), default_name=st.booleans())
    def fork(self, u, i, default_name):
        user = self.users[u]
        source = self.live()[i % len(self.live())]
        ref = self.ref(user, source)
        self.forks += 1
        wanted = None if default_name else f"fork{self.forks}"
        kind, names = self.both(user, lambda s: s.fork(ref, wanted).name)
        if source.owner != user and not source.public:
            assert kind == "NotFound", names
            return
        expected = wanted or self.free_name(user, source.name)
        assert (kind, names) == ("ok", [expected] * 2)
        self.add_fork(user, source, expected)

    @precondition(lambda self: self.live())
    @rule(i=st.integers(0, 99), limit=st.sampled_from([None, 1, 2]))
    def share(self, i, limit):
        res = self.live()[i % len(self.live())]
        kind, new = self.both(
            res.owner, lambda s: s.share(res.name, max_accesses=limit)
        )
        assert kind == "ok", new
        self.shares.append(Share(res, tuple(n.token for n in new), limit))

    @precondition(lambda self: self.live())
    @rule(i=st.integers(0, 99))
    def share_someone_elses(self, i):
        res = self.live()[i % len(self.live())]
        other = self.users[1 - self.users.index(res.owner)]
        ref = f"{res.owner}/{res.name}"
        kind, _ = self.both(other, lambda s: s.share(ref))
        assert kind == ("NotOwner" if res.public else "NotFound")

    @precondition(lambda self: self.shares)
    @rule(u=st.integers(0, 1), i=st.integers(0, 99), via_fork=st.booleans())
    def redeem(self, u, i, via_fork):
        user = self.users[u]
        share = self.shares[i % len(self.shares)]
        results = []
        for store, token in zip(self.stores[user], share.tokens, strict=True):
            call = (
                (lambda s=store, t=token: s.fork(t).name)
                if via_fork
                else (lambda s=store, t=token: s.open(t).access_count)
            )
            results.append(outcome(call))
        RUNS["steps"] += 1
        if not share.usable:
            assert results == [("TokenRefused", TOKEN_REFUSED_MESSAGE)] * 2
            return
        share.count += 1
        if via_fork:
            expected = self.free_name(user, share.resource.name)
            assert results == [("ok", expected)] * 2
            self.add_fork(user, share.resource, expected)
        else:
            assert results == [("ok", share.count)] * 2

    @precondition(lambda self: self.shares)
    @rule(i=st.integers(0, 99))
    def revoke(self, i):
        share = self.shares[i % len(self.shares)]
        owner = share.resource.owner
        results = [
            outcome(lambda s=s, t=t: s.revoke(t).status)
            for s, t in zip(self.stores[owner], share.tokens, strict=True)
        ]
        if not share.resource.alive:  # its shares went with it
            assert [r[0] for r in results] == ["NotFound"] * 2, results
            return
        assert results == [("ok", "revoked")] * 2
        share.revoked = True

    @precondition(lambda self: self.live())
    @rule(i=st.integers(0, 99))
    def delete(self, i):
        res = self.live()[i % len(self.live())]
        kind, names = self.both(res.owner, lambda s: s.delete(res.name))
        assert (kind, names) == ("ok", [res.name] * 2)
        res.alive = False
        for child in self.resources:
            if child.parent is res:
                child.parent = None

    @precondition(lambda self: self.live())
    @rule(i=st.integers(0, 99), v=st.integers(1, 6))
    def restore(self, i, v):
        res = self.live()[i % len(self.live())]
        kind, got = self.both(res.owner, lambda s: s.restore(res.name, v).content)
        if v > len(res.versions):
            assert kind == "NotFound", got
            return
        assert (kind, got) == ("ok", [res.versions[v - 1]] * 2)
        res.versions.append(res.versions[v - 1])

    @precondition(lambda self: self.live())
    @rule(i=st.integers(0, 99), public=st.booleans())
    def publish(self, i, public):
        res = self.live()[i % len(self.live())]
        kind, got = self.both(res.owner, lambda s: s.update(res.name, is_public=public))
        assert kind == "ok", got
        res.public = public

    # -- what must be true after every step -------------------------------------------
    @invariant()
    def everything_visible_matches_the_model(self):
        for user in self.users:
            mine = sorted(r.name for r in self.live(user))
            for store in self.stores[user]:
                assert store.names() == mine, store.backend
        for res in self.live():
            parent = res.parent
            shown_parent = (
                f"{parent.owner}/{parent.name}"
                if parent is not None and (parent.owner == res.owner or parent.public)
                else None
            )
            for store in self.stores[res.owner]:
                record = store.get(res.name)
                assert (
                    record.version,
                    record.content,
                    record.fork_count,
                    record.is_public,
                    record.parent,
                ) == (
                    len(res.versions),
                    res.versions[-1],
                    res.fork_count,
                    res.public,
                    shown_parent,
                ), (store.backend, res)
                history = [v.content for v in store.history(res.name)]
                assert history == res.versions, store.backend
        for backend, _ in enumerate(self.urls):
            for user in self.users:
                listed = {
                    s.prefix: (s.access_count, s.status)
                    for s in self.stores[user][backend].shares()
                }
                expected = {
                    share.tokens[backend][:10]: (
                        share.count,
                        "revoked"
                        if share.revoked
                        else "active"
                        if share.usable
                        else "exhausted",
                    )
                    for share in self.shares
                    if share.resource.owner == user and share.resource.alive
                }
                assert listed == expected, (backend, user)

    def teardown(self):
        for url in self.urls:
            problems = violations(url, exact_forks=False)
            assert not problems, problems


def _settings(examples: int, steps: int) -> settings:
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.mark.parametrize(
    ("examples", "steps"),
    [pytest.param(6, 20), pytest.param(20, 40, marks=pytest.mark.stress)],
)
def test_store_behaves_like_the_model(urls, users_on, examples, steps):
    StoreModel.urls = urls
    StoreModel.users_on = staticmethod(users_on)
    before = dict(RUNS)
    run_state_machine_as_test(StoreModel, settings=_settings(examples, steps))
    print(
        f"\nstate machine: {RUNS['runs'] - before['runs']} runs, "
        f"{RUNS['steps'] - before['steps']} steps on both backends, model held"
    )
    assert RUNS["steps"] > before["steps"]
