"""Share tokens on both backends: who may share, what a token is and what is kept of
it, expiry in UTC, listing and status, revoking, redeeming in one conditional UPDATE,
one message for every refused token, no plaintext token in the database or the logs."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from _dump import assert_token_absent
from _models import ResourceShare
from _sql_capture import capture_sql, one_line
from _team import admin_store
from sqlalchemy import select, text, update
from sqlalchemy.engine import make_url

from resource_magic import tokens
from resource_magic.errors import (
    TOKEN_REFUSED_MESSAGE,
    InvalidInput,
    NotFound,
    NotOwner,
    TokenRefused,
)
from resource_magic.store import ResourceStore


def _share_rows(store) -> list:
    with store._transaction() as conn:
        return conn.execute(select(ResourceShare.__table__)).all()


def _set_share(store, prefix: str, **values) -> None:
    """Change a share row directly: how a test makes a share expire without sleeping."""
    with admin_store(store)._transaction(write=True) as session:
        session.execute(
            update(ResourceShare)
            .where(ResourceShare.token_prefix == prefix)
            .values(**values)
        )


# -- who may share, and what a token is ------------------------------------------------


def test_only_the_owner_can_share(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("pub", "x = 1", is_public=True)
    alice.save("private", "x = 1")
    with pytest.raises(NotOwner) as caught:
        bob.share("alice/pub")
    assert str(caught.value) == (
        "'alice/pub' belongs to another user, so you cannot share it: fork it first "
        "with `%resource fork alice/pub`."
    )
    with pytest.raises(NotFound):
        bob.share("alice/private")
    assert _share_rows(alice) == []
    assert bob.shares() == [] and alice.shares() == []


def test_token_is_random_prefixed_and_only_its_digest_is_stored(store, monkeypatch):
    sizes = []
    real = secrets.token_urlsafe

    def spy(nbytes=None):
        sizes.append(nbytes)
        return real(nbytes)

    monkeypatch.setattr(tokens.secrets, "token_urlsafe", spy)
    store.save("etl", "x = 1")
    made = [store.share("etl").token for _ in range(3)]
    assert len(set(made)) == 3
    assert sizes and all(n >= 16 for n in sizes)  # at least 128 bits, from `secrets`
    for token in made:
        assert token.startswith("rmshr_")
        random_part = token.removeprefix("rmshr_")
        raw = base64.urlsafe_b64decode(random_part + "=" * (-len(random_part) % 4))
        assert len(raw) * 8 >= 128
    rows = {row.token_digest: row for row in _share_rows(store)}
    assert set(rows) == {hashlib.sha256(t.encode()).hexdigest() for t in made}
    for token in made:
        row = rows[hashlib.sha256(token.encode()).hexdigest()]
        assert row.token_prefix == token[:10] and len(row.token_prefix) < 16
        stored = [getattr(row, c.key) for c in ResourceShare.__table__.columns]
        assert len(stored) == len(row) > 10
        assert not any(token in str(value) for value in stored)


# -- expiry, in UTC --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expires", "lifetime"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        (" 2W ", timedelta(weeks=2)),
        (timedelta(hours=1), timedelta(hours=1)),
    ],
)
def test_expiry_durations(store, expires, lifetime):
    store.save("etl", "x = 1")
    made = store.share("etl", expires=expires).share
    assert made.expires_at - made.created_at == lifetime
    listed = store.shares()[0]
    assert listed.expires_at - listed.created_at == lifetime
    assert listed.expires_at.utcoffset() == timedelta(0)
    assert listed.created_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "expires",
    [
        "2031-06-01T12:00:00+02:00",
        "2031-06-01T10:00Z",
        "2031-06-01T05:00-05:00",
        datetime(2031, 6, 1, 12, tzinfo=timezone(timedelta(hours=2))),
    ],
)
def test_expiry_date_times_are_stored_in_utc(store, expires):
    store.save("etl", "x = 1")
    store.share("etl", expires=expires)
    listed = store.shares()[0]
    assert listed.expires_at == datetime(2031, 6, 1, 10, tzinfo=UTC)
    assert listed.expires_at.tzinfo == UTC
    with (
        store._transaction() as session
    ):  # the database holds 10:00 UTC on both backends
        stored = session.execute(text("SELECT expires_at FROM resource_share")).scalar()
    stored_text = str(stored)
    assert stored_text.startswith("2031-06-01 10:00:00"), stored_text


@pytest.mark.parametrize(
    ("expires", "max_accesses", "message"),
    [
        (
            "2031-06-01T12:00",
            None,
            "The date-time '2031-06-01T12:00' has no time zone: add one, e.g. "
            "2031-06-01T12:00Z for UTC.",
        ),
        (
            datetime(2031, 6, 1, 12),
            None,
            "The date-time '2031-06-01 12:00:00' has no time zone: add one, e.g. "
            "2031-06-01T12:00Z for UTC.",
        ),
        (
            "2001-01-01T00:00Z",
            None,
            "The expiry 2001-01-01T00:00:00+00:00 is not in the future: give a later "
            "time.",
        ),
        (
            "tomorrow",
            None,
            "Cannot read 'tomorrow' as an expiry: use a duration like 30m, 12h, 7d or "
            "an ISO date-time with a zone like 2026-12-31T18:00Z.",
        ),
        ("0d", None, "The duration '0d' must be positive."),
        (3, None, "Give the expiry as a duration like 7d or an ISO date-time."),
        (None, 0, "The use limit must be between 1 and 2,000,000,000."),
        (None, "ten", "The use limit 'ten' is not a whole number: give e.g. 10."),
    ],
)
def test_bad_share_options_are_refused_and_nothing_is_written(
    store, expires, max_accesses, message
):
    store.save("etl", "x = 1")
    with pytest.raises(InvalidInput) as caught:
        store.share("etl", expires=expires, max_accesses=max_accesses)
    assert str(caught.value) == message
    assert _share_rows(store) == []


# -- listing, status and revoking ------------------------------------------------------


def test_shares_list_every_status(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1")
    alice.save("other", "x = 2")
    active = alice.share("etl", expires="7d", max_accesses=5)
    exhausted = alice.share("etl", max_accesses=1)
    revoked = alice.share("etl")
    expired = alice.share("other", expires="1h")
    bob.open(active.token)
    bob.open(exhausted.token)
    alice.revoke(revoked.token)
    _set_share(
        alice,
        expired.share.prefix,
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    listed = {s.prefix: s for s in alice.shares()}
    assert {p: s.status for p, s in listed.items()} == {
        active.share.prefix: "active",
        exhausted.share.prefix: "exhausted",
        revoked.share.prefix: "revoked",
        expired.share.prefix: "expired",
    }
    first = listed[active.share.prefix]
    assert (first.resource, first.access_count, first.max_accesses) == ("etl", 1, 5)
    assert first.created_at == active.share.created_at
    assert first.expires_at == active.share.expires_at
    assert first.revoked_at is None
    assert listed[revoked.share.prefix].revoked_at is not None
    assert listed[exhausted.share.prefix].access_count == 1
    # newest first; per resource; nobody else's
    assert [s.prefix for s in alice.shares()][0] == expired.share.prefix
    assert {s.prefix for s in alice.shares("other")} == {expired.share.prefix}
    assert bob.shares() == []
    with pytest.raises(NotFound):
        bob.shares("alice/etl")


def test_revoke_by_token_or_display_prefix(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1")
    by_token = alice.share("etl").token
    by_prefix = alice.share("etl")
    assert alice.revoke(f" '{by_token}' ").status == "revoked"
    assert alice.revoke(by_prefix.share.prefix).status == "revoked"
    for token in (by_token, by_prefix.token):
        with pytest.raises(TokenRefused):
            bob.open(token)
    # revoking again changes nothing and still says revoked
    again = alice.revoke(by_token)
    assert again.status == "revoked"


def test_revoke_refuses_what_is_not_mine_or_is_ambiguous(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1")
    token = alice.share("etl").token
    with pytest.raises(NotFound) as caught:
        bob.revoke(tokens.display_prefix(token))
    assert str(caught.value) == (
        f"None of your shares matches '{tokens.display_prefix(token)}': see "
        "%resource shares."
    )
    with pytest.raises(NotFound):
        bob.revoke(token)
    (share,) = alice.shares()
    with pytest.raises(NotFound) as caught:
        bob.revoke(share.handle)
    assert str(caught.value) == (
        f"None of your shares matches '{share.handle}': see %resource shares."
    )
    with pytest.raises(NotFound):
        bob.revoke(str(share.id))
    with pytest.raises(InvalidInput) as caught:
        alice.revoke("  ")
    assert str(caught.value) == (
        "Give the share's id from %resource shares, or its token."
    )
    # neither a token, nor 8 to 32 hex digits of an id: no query at all
    for wrong in ("abc", "not-an-id", "0123456789abcdef0123456789abcdef0", "é" * 9):
        with pytest.raises(NotFound) as caught:
            alice.revoke(wrong)
        assert str(caught.value) == (
            f"None of your shares matches '{wrong[:16]}': see %resource shares."
        )
    assert {s.status for s in alice.shares()} == {"active"}
    assert bob.open(token).resource.name == "etl"


def test_two_shares_with_one_prefix_are_each_revocable_by_their_id(
    make_store, monkeypatch
):
    """Regression: a 4-character display prefix is shared by about 3% of pairs at
    1,000 shares, and such shares could not be revoked at all."""
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1")
    monkeypatch.setattr(
        tokens, "new_token", lambda: "rmshr_SAME" + secrets.token_urlsafe(21)
    )
    first, second = alice.share("etl"), alice.share("etl", max_accesses=3)
    assert first.share.prefix == second.share.prefix == "rmshr_SAME"
    with pytest.raises(InvalidInput) as caught:
        alice.revoke("rmshr_SAME")
    assert str(caught.value) == (
        "'rmshr_SAME' matches more than one of your shares: give its id (the id "
        "column of %resource shares)."
    )
    listed = {s.id: s.handle for s in alice.shares()}
    assert listed == {
        first.share.id: first.share.handle,
        second.share.id: second.share.handle,
    }
    assert len(set(listed.values())) == 2
    revoked = alice.revoke(second.share.handle)
    assert (revoked.id, revoked.status) == (second.share.id, "revoked")
    with pytest.raises(TokenRefused):
        bob.open(second.token)
    assert bob.open(first.token).resource.name == "etl"  # the other one still works
    # the whole id (with or without dashes, any case) names it too
    assert alice.revoke(str(first.share.id).upper()).id == first.share.id
    assert alice.revoke(first.share.id.hex).status == "revoked"
    with pytest.raises(TokenRefused):
        bob.open(first.token)


def test_handles_grow_until_they_are_unique(make_store):
    """Two of my share ids that begin alike get longer handles; revoke by the common
    start is refused as ambiguous, by each handle revokes exactly that share."""
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1")
    bob.save("own", "x = 1")
    made = [alice.share("etl") for _ in range(3)] + [bob.share("own")]
    forced = [
        uuid.UUID("abcdef01" + "2" * 24),
        uuid.UUID("abcdef01" + "23" + "0" * 22),
        uuid.UUID("abcdef01" + "3" * 24),
        uuid.UUID("abcdef01" + "4" * 24),  # bob's: other users' ids do not count
    ]
    for new, share_id in zip(made, forced, strict=True):
        _set_share(alice, new.share.prefix, id=share_id)
    handles = {s.id: s.handle for s in alice.shares()}
    assert handles == {
        forced[0]: "abcdef0122",
        forced[1]: "abcdef0123",
        forced[2]: "abcdef013",
    }
    assert [s.handle for s in bob.shares()] == ["abcdef01"]
    for ambiguous in ("abcdef01", "ABCDEF01-2"):
        with pytest.raises(InvalidInput) as caught:
            alice.revoke(ambiguous)
        assert str(caught.value) == (
            f"'{ambiguous}' matches more than one of your shares: give more of its "
            "id (the id column of %resource shares)."
        )
    assert {s.status for s in alice.shares()} == {"active"}
    for share_id, handle in handles.items():
        # the revoked share's record has the handle the whole listing gave it (the
        # store measures it against its neighbours' ids only)
        revoked = alice.revoke(handle)
        assert (revoked.id, revoked.handle) == (share_id, handle)
    assert {s.status for s in alice.shares()} == {"revoked"}
    assert bob.shares()[0].status == "active"


@pytest.mark.parametrize(
    ("new_id", "handle"),
    [
        ("abcdef01" + "25" + "0" * 22, "abcdef0125"),  # between two that begin alike
        ("abcdef0f" + "f" * 24, "abcdef0f"),  # 7 digits in common with one below
        ("abcdef01" + "5" * 24, "abcdef015"),  # 8 in common with one below
        ("abcdef10" + "0" * 24, "abcdef10"),
        ("abcdef01" + "24" + "0" * 22, "abcdef0124"),  # next to bob's, which no
    ],  # share of alice's measures
)
def test_a_new_shares_handle_is_the_one_its_listing_gives(
    make_store, monkeypatch, new_id, handle
):
    """share() measures the new handle against a few ids only: the same handle as
    the listing's, measured against all of them."""
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1")
    bob.save("own", "x = 1")
    made = [alice.share("etl") for _ in range(3)] + [bob.share("own")]
    forced = [
        uuid.UUID("abcdef01" + "2" * 24),
        uuid.UUID("abcdef01" + "3" * 24),
        uuid.UUID("abcdef0e" + "0" * 24),
        uuid.UUID("abcdef01" + "24" + "1" * 22),  # bob's
    ]
    for new, share_id in zip(made, forced, strict=True):
        _set_share(alice, new.share.prefix, id=share_id)
    with monkeypatch.context() as patched:
        patched.setattr(uuid, "uuid4", lambda: uuid.UUID(new_id))
        new = alice.share("etl")
    assert (new.share.id, new.share.handle) == (uuid.UUID(new_id), handle)
    assert {s.id: s.handle for s in alice.shares()}[new.share.id] == handle


def test_a_handle_is_no_token(make_store):
    """The handle is a start of the share's random id, made apart from the token: it
    opens nothing, and nothing of the token is in it."""
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1")
    new = alice.share("etl")
    for handle in (new.share.handle, str(new.share.id), "rmshr_" + new.share.id.hex):
        with pytest.raises(TokenRefused) as caught:
            bob.open(handle)
        assert str(caught.value) == TOKEN_REFUSED_MESSAGE
        with pytest.raises((TokenRefused, NotFound)):  # a name, or a bad token
            bob.fork(handle)
    assert new.token[len(tokens.TOKEN_PREFIX) :] not in new.share.id.hex
    assert alice.shares()[0].access_count == 0


# -- redeeming -------------------------------------------------------------------------


def test_open_reads_content_metadata_and_attachments_and_counts_one(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save(
        "etl",
        "df = load()\n",
        description="Daily clean",
        tags=["etl"],
        parameters={"path": "a.csv"},
        attachments=[("text/html", "<b>ok</b>")],
    )
    new = alice.share("etl", max_accesses=3, expires="1d")
    opened = bob.open(new.token)
    record = opened.resource
    assert (record.owner, record.name, record.content, record.description) == (
        "alice",
        "etl",
        "df = load()\n",
        "Daily clean",
    )
    assert record.tags == ("etl",) and record.parameters == {"path": "a.csv"}
    assert [(a.mime_type, a.data, a.size) for a in opened.attachments] == [
        ("text/html", b"<b>ok</b>", 9)
    ]
    assert (opened.access_count, opened.max_accesses) == (1, 3)
    assert opened.expires_at == new.share.expires_at
    assert bob.open(new.token).access_count == 2
    assert alice.shares()[0].access_count == 2
    # opening does not make it bob's, nor visible to him by name
    with pytest.raises(NotFound):
        bob.get("alice/etl")


def test_fork_by_token_counts_one_access(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1")
    token = alice.share("etl", max_accesses=1).token
    assert bob.fork(token).name == "etl"
    assert alice.shares()[0].access_count == 1
    assert alice.shares()[0].status == "exhausted"
    with pytest.raises(TokenRefused):
        bob.open(token)


def _refused_tokens(alice, bob) -> dict[str, str]:
    """One token in each refused state, plus an unknown and a malformed one."""
    alice.save("etl", "x = 1")
    expired = alice.share("etl", expires="1h")
    _set_share(
        alice,
        expired.share.prefix,
        expires_at=datetime.now(UTC) - timedelta(microseconds=1),
    )
    exhausted = alice.share("etl", max_accesses=1).token
    bob.open(exhausted)
    revoked = alice.share("etl").token
    alice.revoke(revoked)
    return {
        "expired": expired.token,
        "exhausted": exhausted,
        "revoked": revoked,
        "unknown": tokens.new_token(),
        "malformed": "rmshr_tooshort",
    }


def test_every_refused_token_reads_the_same(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    refused = _refused_tokens(alice, bob)
    before = {s.prefix: s.access_count for s in alice.shares()}
    messages = set()
    for _state, token in refused.items():
        for redeem in (bob.open, bob.fork):
            with pytest.raises(TokenRefused) as caught:
                redeem(token)
            messages.add(str(caught.value))
    assert messages == {TOKEN_REFUSED_MESSAGE}
    assert {s.prefix: s.access_count for s in alice.shares()} == before
    assert bob.list().total == 0


def test_redemption_is_one_conditional_update_returning(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    refused = _refused_tokens(alice, bob)
    good = alice.share("etl", max_accesses=5).token
    bob.open(good)  # warm-up
    for token in (good, refused["expired"], refused["unknown"]):
        for redeem in (bob.open, bob.fork):
            with capture_sql(bob.engine) as sql, contextlib.suppress(TokenRefused):
                redeem(token)
            if bob.team:
                # A member cannot touch others' share rows: one call of the team's
                # function, whose body is the same conditional UPDATE (checked below).
                calls = [s for s in sql.statements if "rm_redeem" in s]
                assert len(calls) == 1 and "resource_share" not in calls[0].lower()
                continue
            # The token is looked up (a plain read) and its use counted by one
            # conditional UPDATE ... RETURNING, the last statement of the
            # transaction (so the share's row is locked only until the commit); a
            # refused token is refused by the read and writes nothing.
            statements = [one_line(s) for s in sql.statements]
            touching = [s for s in statements if "resource_share" in s.lower()]
            updates = [s for s in touching if not s.startswith("SELECT ")]
            if token != good:
                assert updates == [], updates
                assert not any(s.startswith(("INSERT", "UPDATE")) for s in statements)
                continue
            assert len(updates) == 1 and statements[-1] == updates[0], statements
            statement = updates[0]
            assert statement.startswith("UPDATE resource_share SET access_count=")
            assert re.search(
                r"access_count=\(resource_share\.access_count \+ \S+\)", statement
            )
            for condition in (
                "resource_share.id = ",
                "resource_share.revoked_at IS NULL",
                "resource_share.expires_at IS NULL OR resource_share.expires_at > ",
                "resource_share.max_accesses IS NULL OR resource_share.access_count "
                "< resource_share.max_accesses",
            ):
                assert condition in statement, (condition, statement)
            assert " RETURNING " in statement
    assert [s.access_count for s in alice.shares() if s.max_accesses == 5] == [3]


def test_a_team_redeems_with_the_same_conditional_update(team_database):
    """On a team database the redemption runs inside rm_redeem: its body is the one
    conditional UPDATE ... RETURNING, with every condition of the plain store's."""
    admin = make_url(team_database).username
    with ResourceStore(team_database, user=admin).engine.connect() as conn:
        body = " ".join(
            conn.execute(text("SELECT prosrc FROM pg_proc WHERE proname = 'rm_redeem'"))
            .scalar_one()
            .split()
        )
    assert "UPDATE resource_share SET access_count = access_count + 1" in body
    for condition in (
        "token_digest = p_digest",
        "revoked_at IS NULL",
        "(expires_at IS NULL OR expires_at > now())",
        "(max_accesses IS NULL OR access_count < max_accesses)",
        "RETURNING * INTO s",
    ):
        assert condition in body, condition


def test_malformed_tokens_are_refused_without_a_query(store):
    store.save("etl", "x = 1")
    store.open(store.share("etl").token)  # warm-up
    with capture_sql(store.engine) as sql:
        for junk in ("rmshr_short", "", "   ", "not a token at all"):
            with pytest.raises(TokenRefused):
                store.open(junk)
    assert not any("resource_share" in s for s in sql.statements)


# -- the plaintext token is kept nowhere -----------------------------------------------


def test_no_plaintext_token_in_the_database_or_the_logs(make_store, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.pool")
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1", attachments=[("text/plain", "out")])
    made = [
        alice.share("etl", max_accesses=2).token,
        alice.share("etl", expires="1d").token,
        alice.share("etl").token,
    ]
    alice.shares()
    alice.shares("etl")
    bob.open(made[0])
    bob.fork(made[0])
    with pytest.raises(TokenRefused):
        bob.open(made[0])
    bob.open(made[1])
    alice.revoke(made[2])
    with pytest.raises(TokenRefused):
        bob.fork(made[2])
    # tokens pasted where a name or prefix belongs are not sent to the database either
    for mistake in (alice.get, alice.history, alice.lineage, alice.record_execution):
        with pytest.raises(NotFound):
            mistake(made[1])
    with pytest.raises(NotFound):
        alice.revoke(made[1][:-1])  # a token with a character lost in copy-paste
    with pytest.raises(NotFound):
        alice.get(f"bob/{made[1]}")
    alice.shares()

    logged = (
        "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records) + caplog.text
    )
    assert "resource_share" in logged  # the SQL log really was captured
    for token in made:
        dump = assert_token_absent(alice, token)
        secret_part = token.removeprefix("rmshr_")
        for needle in (token, secret_part, secret_part[:-1]):
            assert needle not in logged
    assert tokens.digest(made[0]) in dump  # and the dump really holds the shares
