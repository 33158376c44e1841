"""Tab completion of %resource lines: in a real shell, in a real kernel
(complete_request over ZMQ), and the store's prefix look-ups, on both backends."""

from __future__ import annotations

import jupyter_client.manager
import pytest


def completions(shell, line: str) -> list[str]:
    """What Tab offers at the end of `line`, as IPython's completer computes it."""
    from IPython.core.completer import provisionalcompleter

    with provisionalcompleter():
        found = shell.Completer.completions(line, len(line))
        return [line[: c.start] + c.text for c in found]


@pytest.fixture
def seeded(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl-daily", "x = 1", tags=["etl", "daily"])
    alice.save("etl-daily", "x = 2")
    alice.set_label("etl-daily", "production", 1)
    alice.save("a_b", "x = 1")
    alice.save("axb", "x = 1")
    bob.save("etl-public", "x = 1", is_public=True)
    bob.save("etl-secret", "x = 1", tags=["ettl"])
    return alice, bob


def test_store_prefix_lookups_are_scoped_escaped_and_limited(seeded, make_store):
    alice, bob = seeded
    assert alice.complete_names("etl") == ["etl-daily"]  # not bob's
    assert alice.complete_names("a_") == ["a_b"]  # _ is not a wildcard
    assert alice.complete_names("a%") == []
    assert alice.complete_names("bob/etl") == ["bob/etl-public"]  # public only
    assert alice.complete_names("nobody/") == []
    assert alice.complete_names("", limit=2) == ["a_b", "axb"]
    assert alice.complete_tags("") == ["daily", "etl"]  # not bob's "ettl"
    assert make_store("carol").complete_names("") == []


@pytest.mark.parametrize(
    ("line", "offered"),
    [
        ("%resource sh", ["share", "shares", "show"]),
        ("%resource list --t", ["--tag", "--type"]),
        ("%resource list -t p", ["prompt"]),
        ("%resource list --tag e", ["etl"]),
        ("%resource list --sort -e", ["-executions"]),
        ("%resource show e", ["etl-daily"]),
        ("%resource show bob/", ["bob/etl-public"]),
        (
            "%resource show etl-daily@",
            ["etl-daily@1", "etl-daily@2", "etl-daily@latest", "etl-daily@production"],
        ),
        ("%resource run etl-daily@p", ["etl-daily@production"]),
        ("df = %resource get a", ["a_b", "axb"]),
        ("%%resource save x --pu", ["--public"]),
        ("%resource help sha", ["share", "shares"]),
    ],
)
def test_tab_completes_a_resource_line(shell, seeded, line, offered):
    fragment = line.rsplit(" ", 1)[1]
    head = line[: len(line) - len(fragment)]
    assert completions(shell, line) == [head + o for o in offered]


def test_an_unreachable_database_completes_no_names_and_never_raises(shell, seeded):
    from IPython.core.completer import CompletionContext

    (matcher,) = [
        m for m in shell.Completer.custom_matchers if getattr(m, "resource_magic", 0)
    ]
    line = "%resource show e"
    context = CompletionContext(
        token="e", full_text=line, cursor_position=len(line), cursor_line=0, limit=None
    )
    assert [c.text for c in matcher(context)["completions"]] == ["etl-daily"]
    shell.run_line_magic(  # nothing listens on port 1
        "config",
        "ResourceMagic.database_url = 'postgresql+psycopg://nobody@127.0.0.1:1/x'",
    )
    assert matcher(context)["completions"] == []  # no exception either
    assert not [c for c in completions(shell, line) if "etl" in c]
    assert completions(shell, "%resource sho") == ["%resource show"]


def test_unloading_removes_the_completer(shell, as_user, seeded):
    shell.run_line_magic("unload_ext", "resource_magic")
    assert "%resource show etl-daily" not in completions(shell, "%resource show e")
    shell.run_line_magic("load_ext", "resource_magic")
    as_user("alice")
    matchers = shell.Completer.custom_matchers
    assert sum(getattr(m, "resource_magic", False) for m in matchers) == 1


@pytest.fixture
def kernel(backend):
    manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3")
    client.wait_for_ready(timeout=60)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_complete_request_in_a_real_kernel(kernel, url_for, seeded):
    reply = kernel.execute_interactive(
        "%load_ext resource_magic\n"
        f"%config ResourceMagic.database_url = {url_for('alice')!r}\n"
        "%config ResourceMagic.user = 'alice'\n",
        timeout=60,
    )
    assert reply["content"]["status"] == "ok"

    def offered(code: str) -> tuple[list[str], int]:
        kernel.complete(code, len(code))
        content = kernel.get_shell_msg(timeout=30)["content"]
        assert content["status"] == "ok"
        return content["matches"], content["cursor_start"]

    assert offered("%resource show e") == (["etl-daily"], len("%resource show "))
    assert offered("%resource show bob/e") == (
        ["bob/etl-public"],
        len("%resource show "),
    )
    matches, _ = offered("%resource hist")
    assert matches == ["history"]
    matches, _ = offered("%%resource save etl-daily --t")
    assert matches == ["--tag", "--type"]
