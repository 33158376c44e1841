"""fork, lineage, share, shares, revoke and open: two users in one shell via %config."""

from __future__ import annotations

import re

import pytest

from resource_magic.errors import TOKEN_REFUSED_MESSAGE
from resource_magic.frames import LINEAGE_COLUMNS, SHARE_COLUMNS

TOKEN_RE = re.compile(r"rmshr_[A-Za-z0-9_-]{32}")


def share_token(run, line: str) -> str:
    shown = run(line)
    assert shown.error is None, shown.text
    tokens = set(TOKEN_RE.findall(shown.stdout))
    assert len(tokens) == 1
    return tokens.pop()


def test_share_shows_the_token_once_with_the_line_to_give(run, store):
    store.save("etl", "x = 1")
    shown = run("%resource share etl --max-uses 2")
    token = TOKEN_RE.search(shown.stdout).group(0)
    prefix = token[:10]
    (share,) = store.shares()
    # the message, then the cell's value (the token) shows nothing more: IPython's
    # output prompt stays empty in a terminal, and a kernel sends no result at all
    assert shown.stdout.splitlines()[-1].startswith("Out[")
    assert shown.stdout.splitlines()[-1].endswith("]: ")
    assert shown.result == token and shown.outputs == []
    assert shown.stdout.splitlines()[:-1] == [
        "Shared 'etl' (never expires, up to 2 uses). The token:",
        f"    {token}",
        "Give the recipient this line:",
        f"    %resource open {token}",
        "The token is shown only this once; see your shares with %resource shares "
        f"and stop this one with %resource revoke {share.handle}.",
    ]
    frame = run("%resource shares").result
    assert tuple(frame.columns) == SHARE_COLUMNS
    assert token not in run("%resource shares").text
    assert frame[
        ["id", "token", "resource", "status", "uses", "max_uses"]
    ].values.tolist() == [[share.handle, prefix + "…", "etl", "active", 0, 2]]
    assert re.fullmatch("[0-9a-f]{8}", share.handle)
    assert share.id.hex.startswith(share.handle)


def test_the_token_is_the_value_and_the_message_shows_once(run, store, make_store):
    store.save("etl", "x = 1")
    shown = run("tok = %resource share etl --max-uses 1")
    assert shown.error is None, shown.text
    token = TOKEN_RE.search(shown.stdout).group(0)
    (share,) = store.shares()
    assert shown.stdout.splitlines() == [
        "Shared 'etl' (never expires, up to 1 use). The token:",
        f"    {token}",
        "Give the recipient this line:",
        f"    %resource open {token}",
        "The token is shown only this once; see your shares with %resource shares "
        f"and stop this one with %resource revoke {share.handle}.",
    ]
    tok = run("tok").result
    assert tok == token and isinstance(tok, str)
    assert f"{tok}" == token and repr(tok) == repr(token)  # a str like any other
    assert run("print(tok)").stdout == token + "\n"
    assert make_store("bob").open(tok).resource.name == "etl"


def test_share_with_expiry(run, store):
    store.save("etl", "x = 1")
    shown = run("%resource share etl --expires 7d")
    first = shown.stdout.splitlines()[0]
    assert re.fullmatch(
        r"Shared 'etl' \(expires \d{4}-\d\d-\d\d \d\d:\d\d UTC, no use limit\)\. "
        r"The token:",
        first,
    )
    run("%resource share etl --expires 2999-01-01T00:00Z")
    expiries = sorted(str(s.expires_at.date()) for s in store.shares())
    assert expiries[-1] == "2999-01-01"


def test_open_and_fork_as_another_user_counts_uses(run, as_user, store, make_store):
    store.save("etl", "x = 1\n", description="Daily", tags=["etl"])
    token = share_token(run, "%resource share etl --expires 1d --max-uses 2")
    as_user("bob")
    shown = run(f"%resource open {token}")
    assert shown.error is None
    head = shown.outputs[0]["text/plain"].splitlines()
    assert head[0] == "alice/etl"
    assert re.fullmatch(
        r"Opened with a share token \(use 1 of 2, expires .+ UTC\)\. Keep your own "
        r"copy with %resource fork TOKEN \(that uses the token once more\)\.",
        head[-1],
    )
    assert shown.outputs[1]["text/plain"] == "x = 1\n"
    shown = run(f"%resource fork {token} --as my-etl")
    assert shown.stdout == (
        "Forked the shared resource into 'my-etl' (yours, private, version 1): see it "
        "with %resource show my-etl.\n"
    )
    bob = make_store("bob")
    assert bob.get("my-etl").content == "x = 1\n"
    # used up: the refusal reads the same as for any bad token
    for line in (f"%resource open {token}", f"%resource fork {token}"):
        shown = run(line)
        assert shown.usage_error == TOKEN_REFUSED_MESSAGE
        assert not shown.traceback_shown
    assert bob.names() == ["my-etl"]
    as_user("alice")
    frame = run("%resource shares etl").result
    assert frame[["status", "uses"]].values.tolist() == [["exhausted", 2]]
    assert store.get("etl").fork_count == 1


def test_revoke_by_prefix_then_the_token_is_refused(run, store):
    store.save("etl", "x = 1")
    token = share_token(run, "%resource share etl")
    (share,) = store.shares()
    shown = run(f"%resource revoke {token[:10]}")
    assert shown.stdout == (
        f"Revoked the share {share.handle} ({token[:10]}…) of 'etl' (used 0 times): "
        "the token no longer works.\n"
    )
    assert run(f"%resource open {token}").usage_error == TOKEN_REFUSED_MESSAGE
    assert run("%resource shares").result["status"].tolist() == ["revoked"]
    # and by the whole token
    second = share_token(run, "%resource share etl")
    run(f"%resource open {second}")
    shown = run(f"%resource revoke {second}")
    assert shown.stdout.startswith("Revoked the share ")
    assert shown.stdout.endswith(
        f" ({second[:10]}…) of 'etl' (used 1 time): the token no longer works.\n"
    )


def test_shares_empty_messages(run, store):
    store.save("etl", "x = 1")
    shown = run("df = %resource shares")
    assert (
        shown.stdout == "You have no shares yet: make one with %resource share NAME.\n"
    )
    shown = run("df = %resource shares etl")
    assert shown.stdout == "'etl' has no shares: make one with %resource share etl.\n"
    assert tuple(run("%resource shares").result.columns) == SHARE_COLUMNS


def test_fork_public_by_owner_name_and_lineage(run, as_user, make_store):
    bob = make_store("bob")
    bob.save("base", "x = 1", is_public=True)
    shown = run("%resource fork bob/base")
    assert shown.stdout == (
        "Forked 'bob/base' into 'base' (yours, private, version 1): see it with "
        "%resource show base.\n"
    )
    assert run("%resource fork base").stdout.startswith("Forked 'base' into 'base-2'")
    shown = run("%resource lineage base")
    frame = shown.result
    assert tuple(frame.columns) == LINEAGE_COLUMNS
    assert frame.values.tolist() == [
        [-1, "ancestor", "bob", "base", "workflow", 1],
        [0, "this", "alice", "base", "workflow", 1],
        [1, "descendant", "alice", "base-2", "workflow", 0],
    ]
    listed = run("%resource list --sort name").result
    assert listed[["name", "parent"]].values.tolist() == [
        ["base", "bob/base"],
        ["base-2", "alice/base"],
    ]
    assert "Also in this lineage" not in shown.stdout  # nothing hidden from alice
    as_user("bob")
    shown = run("%resource lineage base")
    assert shown.stdout.startswith(
        "Also in this lineage: 2 private resources of other users, not shown.\n"
    )
    assert shown.result[["depth", "owner", "name"]].values.tolist() == [
        [0, "bob", "base"]
    ]
    as_user("alice")
    run("%resource update base-2 --public")
    as_user("bob")
    shown = run("%resource lineage base")
    assert shown.stdout.startswith(
        "Also in this lineage: 1 private resource of other users, not shown.\n"
    )
    assert shown.result[["depth", "owner", "name"]].values.tolist() == [
        [0, "bob", "base"],
        [2, "alice", "base-2"],
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("%resource open rmshr_nope", TOKEN_REFUSED_MESSAGE),
        ("%resource open " + "rmshr_" + "A" * 32, TOKEN_REFUSED_MESSAGE),
        ("%resource fork rmshr_" + "B" * 32, TOKEN_REFUSED_MESSAGE),
        (
            "%resource share etl --expires soon",
            "Cannot read 'soon' as an expiry: use a duration like 30m, 12h, 7d or an "
            "ISO date-time with a zone like 2026-12-31T18:00Z.",
        ),
        (
            "%resource share etl --expires 2020-01-01T00:00Z",
            "The expiry 2020-01-01T00:00:00+00:00 is not in the future: give a later "
            "time.",
        ),
        (
            "%resource share etl --expires 2999-01-01T00:00",
            "The date-time '2999-01-01T00:00' has no time zone: add one, e.g. "
            "2999-01-01T00:00Z for UTC.",
        ),
        (
            "%resource share etl --max-uses many",
            "The use limit 'many' is not a whole number: give e.g. 10.",
        ),
        (
            "%resource share etl --max-uses 0",
            "The use limit must be between 1 and 2,000,000,000.",
        ),
        ("%resource share et", "No resource named 'et'. Did you mean 'etl'?"),
        (
            "%resource share bob/pub",
            "'bob/pub' belongs to another user, so you cannot share it: fork it first "
            "with `%resource fork bob/pub`.",
        ),
        (
            "%resource revoke rmshr_zzzz",
            "None of your shares matches 'rmshr_zzzz': see %resource shares.",
        ),
        (
            "%resource fork bob/secret",
            "No public resource 'bob/secret': check the spelling, or ask bob for a "
            "share token.",
        ),
        (
            "%resource fork etl --as etl",
            "You already have a resource named 'etl': fork under another name with "
            "--as NEW_NAME.",
        ),
        (
            "%resource lineage bob/secret",
            "No public resource 'bob/secret': check the spelling, or ask bob for a "
            "share token.",
        ),
        (
            "%resource shares nope",
            "No resource named 'nope': see your resources with %resource list.",
        ),
    ],
)
def test_sharing_mistakes_change_nothing(run, make_store, line, message):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "x = 1")
    bob.save("pub", "x = 1", is_public=True)
    bob.save("secret", "x = 1")
    bob.share("secret")
    before = (alice.export(), bob.export(), alice.shares(), bob.shares())
    shown = run(line)
    assert shown.usage_error == message
    assert not shown.traceback_shown
    assert (alice.export(), bob.export(), alice.shares(), bob.shares()) == before


def test_someone_elses_token_cannot_be_revoked_by_me(run, make_store):
    bob = make_store("bob")
    bob.save("secret", "x = 1")
    token = bob.share("secret").token
    shown = run(f"%resource revoke {token}")
    assert shown.usage_error == (
        f"None of your shares matches '{token[:16]}': see %resource shares."
    )
    assert bob.shares()[0].status == "active"
