"""The resource browser, driven headless as a user would: set `.value`, `.click()`, then
check what the view shows and what the store holds. Every test runs on both backends."""

from __future__ import annotations

import ast
import base64
import logging
import secrets
import shutil
from pathlib import Path

import ipywidgets as w
import pytest
from IPython.core.interactiveshell import InteractiveShell

from resource_magic import tokens
from resource_magic.errors import TOKEN_REFUSED_MESSAGE, NotFound
from resource_magic.store import ResourceStore
from resource_magic.widgets import BrowserState, ResourceBrowser
from resource_magic.widgets.render import NBSP
from resource_magic.widgets.view import css_classes, descendants

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)


@pytest.fixture
def shell():
    shell = InteractiveShell.instance()
    yield shell
    for name in ("rows", "factor", "doubled"):
        shell.user_ns.pop(name, None)


@pytest.fixture
def browse(shell):
    """browse(store, **options) -> a ResourceBrowser that queries without waiting."""

    def make(store, **options) -> ResourceBrowser:
        options.setdefault("debounce_seconds", 0)
        return ResourceBrowser(store=store, shell=shell, **options)

    return make


def seed(store: ResourceStore, count: int, prefix: str = "wf", **options) -> None:
    for i in range(count):
        store.save(
            f"{prefix}{i:02d}",
            f"x = {i}",
            description=f"step {i} of the pipeline",
            **options,
        )


def shown(browser: ResourceBrowser) -> list[str]:
    """The names in the results list, as the user reads them."""
    column = 1 if browser.state.scope == "public" else 0
    return [
        [cell for cell in label.split(NBSP) if cell][column]
        for label, _ in browser.find("rm-results").options
    ]


def pick(browser: ResourceBrowser, name: str) -> None:
    """Click a result by its name."""
    results = browser.find("rm-results")
    results.value = results.options[shown(browser).index(name)][1]


def status(browser: ResourceBrowser) -> str:
    return browser.state.status


def rows(browser: ResourceBrowser, button: str, label: str) -> list[tuple]:
    """(button, label) of each row of a panel (shares, history), top to bottom."""
    return list(zip(browser.find_all(button), browser.find_all(label), strict=True))


# -- searching and paging -------------------------------------------------------------
def test_first_page_shows_rows_and_total(store, browse):
    seed(store, 30)
    b = browse(store, page_size=25)
    assert len(b.find("rm-results").options) == 25
    assert b.find("rm-page-label").value == "Page 1 of 2 \u00b7 1-25 of 30 resources"
    header = b.find("rm-results-header").value
    for column in ("name", "type", "description", "runs", "forks", "updated"):
        assert column in header
    assert "owner" not in header
    first = b.find("rm-results").options[0][0]
    assert "wf29" in first and "workflow" in first and "step" in first


def test_search_narrows_results_as_you_type(store, browse):
    seed(store, 12)
    store.save("report", "print('r')", description="Monthly REPORT for finance")
    b = browse(store)
    assert len(shown(b)) == 13
    b.find("rm-search").value = "rep"
    assert shown(b) == ["report"]
    b.find("rm-search").value = "report for fin"
    assert shown(b) == ["report"]
    b.find("rm-search").value = "step 1"
    assert sorted(shown(b)) == ["wf01", "wf10", "wf11"]
    assert b.find("rm-page-label").value == "Page 1 of 1 \u00b7 1-3 of 3 resources"
    b.find("rm-search").value = "nothing like this"
    assert shown(b) == []
    assert b.find("rm-page-label").value == "No resources match."
    b.find("rm-search").value = ""
    assert len(shown(b)) == 13


def test_type_tag_scope_and_sort_filters(make_store, browse):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("clean", "df = 1", tags=["etl"])
    alice.save("ask", "Say {{ x }}", resource_type="prompt", parameters={"x": "hi"})
    alice.save("cfg", {"model": "m"}, resource_type="agent_config", tags=["etl"])
    bob.save("bobs-public", "y = 2", is_public=True, description="shared by bob")
    bob.save("bobs-private", "z = 3")
    b = browse(alice)
    b.find("rm-type").value = "prompt"
    assert shown(b) == ["ask"]
    b.find("rm-type").value = ""
    b.find("rm-tag").value = "etl"
    assert sorted(shown(b)) == ["cfg", "clean"]
    b.find("rm-tag").value = "two tags"
    assert status(b) == "Filter by one tag at a time: remove the space or comma."
    b.find("rm-tag").value = ""
    assert status(b) == ""  # the problem is gone, so is its message
    b.find("rm-sort").value = "name"
    assert shown(b) == ["ask", "cfg", "clean"]
    b.find("rm-scope").value = "public"
    assert "owner" in b.find("rm-results-header").value
    assert shown(b) == ["bobs-public"]
    assert b.find("rm-results").options[0][0].startswith("bob" + NBSP)


def test_the_sort_dropdown_offers_every_field_and_most_run_is_most_run_first(
    store, browse
):
    from resource_magic.store import SORTS

    for name, runs in (("once", 1), ("often", 3), ("never", 0)):
        store.save(name, "x = 1")
        for _ in range(runs):
            store.record_execution(name)
    b = browse(store)
    sort = b.find("rm-sort")
    labels = dict(sort.options)
    fields = {value.lstrip("-") for value in labels.values()}
    assert fields == set(SORTS)
    assert shown(b) == ["never", "often", "once"]  # recently updated first
    sort.value = labels["most run"]
    assert shown(b) == ["often", "once", "never"]
    sort.value = labels["name"]
    assert shown(b) == ["never", "often", "once"]


def test_paging_next_previous_and_page_size(store, browse):
    seed(store, 23)
    b = browse(store, page_size=10)
    assert b.find("rm-prev").disabled and not b.find("rm-next").disabled
    first = shown(b)
    b.find("rm-next").click()
    assert b.find("rm-page-label").value == "Page 2 of 3 \u00b7 11-20 of 23 resources"
    second = shown(b)
    assert len(second) == 10 and not set(first) & set(second)
    b.find("rm-next").click()
    assert b.find("rm-page-label").value == "Page 3 of 3 \u00b7 21-23 of 23 resources"
    assert len(shown(b)) == 3 and b.find("rm-next").disabled
    b.find("rm-next").click()  # nothing beyond the last page
    assert b.state.page == 2
    b.find("rm-prev").click()
    assert shown(b) == second
    b.find("rm-page-size").value = 25
    assert b.find("rm-page-label").value == "Page 1 of 1 \u00b7 1-23 of 23 resources"
    assert len(shown(b)) == 23


class CountingStore(ResourceStore):
    """A real store that remembers each page it was asked for: (limit, the name of
    the row it read after, or None, rows returned)."""

    def list(self, *args, **kwargs):
        page = super().list(*args, **kwargs)
        after = kwargs.get("after")
        self.pages.append((kwargs["limit"], after and after.name, len(page.items)))
        return page


def test_every_query_loads_one_page(url_for, browse):
    store = CountingStore(url_for("alice"), user="alice")
    store.pages = []
    seed(store, 30)
    b = browse(store, page_size=10)
    b.find("rm-search").value = "step"
    first = shown(b)
    b.find("rm-next").click()
    second = shown(b)
    b.find("rm-next").click()
    b.find("rm-sort").value = "name"
    assert store.pages == [
        (10, None, 10),  # opening
        (10, None, 10),  # typed
        (10, first[-1], 10),  # next: by keyset, after the last row shown
        (10, second[-1], 10),
        (10, None, 10),  # sorted: back to page 1
    ]


def test_typing_without_an_event_loop_queries_at_once(store, browse):
    """No event loop (a script, these tests): nothing to wait on, each key queries."""
    counting = CountingStore(engine=store.engine, user="alice")
    counting.pages = []
    seed(store, 5)
    b = browse(counting, debounce_seconds=0.05)
    b.find("rm-search").value = "wf03"
    assert shown(b) == ["wf03"]
    b.find("rm-search").value = "wf0"
    assert len(shown(b)) == 5
    assert len(counting.pages) == 3  # the opening query, then one per change


def test_typing_is_debounced_on_the_event_loop(store, browse):
    """In a kernel the asyncio loop is running: a burst of keys makes one query, a
    moment after the last."""
    import asyncio

    counting = CountingStore(engine=store.engine, user="alice")
    counting.pages = []
    seed(store, 5)

    async def scenario():
        b = browse(counting, debounce_seconds=0.05)
        for text in ("w", "wf0", "wf01"):
            b.find("rm-search").value = text
        assert len(counting.pages) == 1  # only the opening query so far
        for _ in range(200):
            if shown(b) == ["wf01"]:
                break
            await asyncio.sleep(0.01)
        return shown(b)

    assert asyncio.run(scenario()) == ["wf01"]
    assert len(counting.pages) == 2


def test_work_for_idle_moments_runs_one_step_per_turn_of_the_loop():
    """Steps wait for the delay, then take turns with whatever else the loop has to do
    (a click arriving meanwhile waits for one step, not all); without a loop, none."""
    import asyncio

    from resource_magic.widgets.idle import run_in_steps

    seen, began = [], []

    def steps():
        loop = asyncio.get_running_loop()
        began.append(loop.time())
        for n in range(3):
            seen.append(f"step {n}")
            loop.call_soon(seen.append, "other work")
            yield

    async def scenario():
        called = asyncio.get_running_loop().time()
        assert run_in_steps(steps(), 0.05)
        assert seen == []  # nothing runs while the caller (the opening cell) does
        for _ in range(500):
            if len(seen) == 6:
                break
            await asyncio.sleep(0.01)
        return called

    called = asyncio.run(scenario())
    assert began[0] - called >= 0.05 - 0.001  # nor before the delay
    assert seen == ["step 0", "other work", "step 1", "other work", "step 2"] + [
        "other work"
    ]
    assert run_in_steps(steps(), 0) is False and len(seen) == 6


def test_refresh_shows_changes_made_elsewhere(make_store, browse):
    store = make_store("alice")
    store.save("first", "a = 1")
    b = browse(store)
    pick(b, "first")
    elsewhere = make_store("alice")  # e.g. a magic in another cell
    elsewhere.save("second", "b = 2")
    elsewhere.update("first", description="now described")
    assert shown(b) == ["first"]
    b.find("rm-refresh").click()
    assert sorted(shown(b)) == ["first", "second"]
    assert "now described" in b.find("rm-metadata").value
    assert status(b) == "Refreshed."
    elsewhere.delete("first")
    b.find("rm-refresh").click()
    assert shown(b) == ["second"]
    assert b.state.preview is None
    assert status(b) == "'alice/first' is gone (deleted or made private elsewhere)."


# -- preview -------------------------------------------------------------------
def test_selecting_a_workflow_shows_source_metadata_and_outputs(make_store, browse):
    alice, bob = make_store("alice"), make_store("bob")
    bob.save("base", "import math", is_public=True)
    alice.fork("bob/base", "chart")
    alice.save(
        "chart",
        "import math\nprint(math.pi)",
        description="Draws <b>a</b> chart",
        tags=["plots", "demo"],
        attachments=[
            ("image/png", PNG),
            ("text/html", "<table><tr><td>cell</td></tr></table>"),
            ("text/plain", "3.14 <not html>"),
        ],
    )
    alice.record_execution("chart")
    b = browse(alice)
    assert b.find("rm-insert").disabled  # nothing picked yet
    pick(b, "chart")
    assert (
        "alice/chart" in b.find("rm-preview-title").value
        and "v2" in b.find("rm-preview-title").value
    )
    source = b.find("rm-source").value
    assert "<span" in source and "math" in source and "print" in source  # Pygments
    meta = b.find("rm-metadata").value
    for text in (
        "alice",
        "demo, plots",
        "bob/base",
        "Draws &lt;b&gt;a&lt;/b&gt; chart",
        '<th style="text-align:left;padding-right:1em">version</th><td>2</td>',
        '<th style="text-align:left;padding-right:1em">executions</th><td>1 (last ',
    ):
        assert text in meta
    image, table, plain = b.find("rm-attachments").children
    assert isinstance(image, w.Image) and image.value == PNG and image.format == "png"
    assert table.value == "<table><tbody><tr><td>cell</td></tr></tbody></table>"
    assert "3.14 &lt;not html&gt;" in plain.value
    assert not b.find("rm-run").disabled and not b.find("rm-delete").disabled


def test_prompt_and_agent_config_previews(store, browse):
    store.save("greet", 'Hello {{ who }}, here is {"json": 1}', resource_type="prompt")
    store.save("agent", {"model": "m", "tools": ["a"]}, resource_type="agent_config")
    b = browse(store)
    pick(b, "greet")
    assert "{{ who }}</b>" in b.find("rm-source").value
    assert "{&quot;json&quot;: 1}" in b.find("rm-source").value
    pick(b, "agent")
    assert '"model"' in b.state.source() and '  "tools": [' in b.state.source()
    assert "model" in b.find("rm-source").value and "<span" in b.find("rm-source").value


# -- actions -------------------------------------------------------------------
def test_run_counts_an_execution_and_shows_output(store, browse, shell):
    store.save(
        "double",
        "doubled = rows * factor\nprint('doubled', doubled)\ndoubled + 1",
        parameters={"rows": 4, "factor": 2},
    )
    b = browse(store)
    pick(b, "double")
    b.find("rm-run").click()
    assert status(b) == "Ran 'double' (run 1)."
    assert b.find("rm-output").outputs == (
        {"output_type": "stream", "name": "stdout", "text": "doubled 8\n"},
        {"output_type": "display_data", "data": {"text/plain": "9"}, "metadata": {}},
    )
    assert shell.user_ns["doubled"] == 8
    assert store.get("double").execution_count == 1
    assert "<td>1</td>" in b.find("rm-metadata").value
    b.find("rm-run").click()
    assert store.get("double").execution_count == 2


def test_run_of_a_failing_workflow_shows_its_error(store, browse):
    store.save("broken", "1 / 0")
    b = browse(store)
    pick(b, "broken")
    b.find("rm-run").click()
    assert status(b) == (
        "'broken' raised ZeroDivisionError (see its output below), so this run was "
        "not counted."
    )
    (error,) = b.find("rm-output").outputs
    assert error["output_type"] == "error" and error["ename"] == "ZeroDivisionError"
    assert store.get("broken").execution_count == 0  # as %resource run counts


def test_run_renders_a_prompt_with_its_defaults(store, browse):
    store.save(
        "greet",
        'Hi {{ who }} {"k": 1}',
        resource_type="prompt",
        parameters={"who": "Ada"},
    )
    store.save("needs", "Hi {{ who }} and {{ other }}", resource_type="prompt")
    b = browse(store)
    pick(b, "greet")
    b.find("rm-run").click()
    assert b.find("rm-output").outputs == (
        {"output_type": "stream", "name": "stdout", "text": 'Hi Ada {"k": 1}'},
    )
    assert store.get("greet").execution_count == 1
    pick(b, "needs")
    b.find("rm-run").click()
    assert status(b) == (
        "'needs' has no default for 'other', 'who': run it with "
        "`%resource run needs -p other=VALUE -p who=VALUE`."
    )
    assert store.get("needs").execution_count == 0


def test_someone_elses_resource_cannot_run_but_can_fork(make_store, browse):
    alice, bob = make_store("alice"), make_store("bob")
    bob.save("tool", "t = 1", is_public=True)
    b = browse(alice)
    b.find("rm-scope").value = "public"
    pick(b, "tool")
    assert (
        b.find("rm-run").disabled
        and b.find("rm-share").disabled
        and b.find("rm-delete").disabled
    )
    assert not b.find("rm-fork").disabled and not b.find("rm-insert").disabled
    b.find("rm-run").click()  # even if the click gets through
    assert status(b) == (
        "'bob/tool' belongs to bob, so you cannot run it: fork it, then run your copy."
    )
    assert bob.get("tool").execution_count == 0
    b.find("rm-fork").click()
    assert b.find("rm-fork-panel").layout.display == ""
    b.find("rm-fork-confirm").click()
    assert status(b) == "Forked bob/tool as 'tool', now yours."
    assert b.state.scope == "mine" and b.find("rm-scope").value == "mine"
    assert shown(b) == ["tool"]
    assert "alice/tool" in b.find("rm-preview-title").value
    assert alice.get("tool").parent == "bob/tool"
    assert bob.get("tool").fork_count == 1


def test_fork_asks_for_a_name_and_reports_a_taken_one(store, browse):
    store.save("etl", "e = 1")
    store.save("taken", "t = 1")
    b = browse(store)
    pick(b, "etl")
    b.find("rm-fork").click()
    assert (
        b.find("rm-fork-panel").layout.display == ""
        and b.find("rm-fork-name").value == ""
    )
    b.find("rm-fork-name").value = "taken"
    b.find("rm-fork-confirm").click()
    assert status(b) == (
        "You already have a resource named 'taken': type another name for the copy."
    )
    assert store.get("taken").content == "t = 1"
    assert store.get("etl").fork_count == 0
    b.find("rm-fork-name").value = "etl-copy"
    b.find("rm-fork-confirm").click()
    assert status(b) == "Forked alice/etl as 'etl-copy', now yours."
    assert b.find("rm-fork-panel").layout.display == "none"
    assert "etl-copy" in shown(b)
    assert store.get("etl-copy").parent == "alice/etl"
    assert store.get("etl").fork_count == 1


def test_share_shows_the_token_once_with_the_open_line(store, browse):
    store.save("etl", "e = 1")
    b = browse(store)
    pick(b, "etl")
    b.find("rm-share").click()
    b.find("rm-share-expires").value = "yesterday"
    b.find("rm-share-create").click()
    assert status(b) == (
        "Cannot read 'yesterday' as an expiry: use a duration like 30m, 12h, 7d or an "
        "ISO date-time with a zone like 2026-12-31T18:00Z."
    )
    assert store.shares("etl") == []
    b.find("rm-share-expires").value = "7d"
    b.find("rm-share-max-uses").value = "3"
    b.find("rm-share-create").click()
    assert status(b) == "Shared 'etl': copy the token now, it is shown only once."
    token = b.state.new_share.token
    assert b.find("rm-share-line").value == f"%resource open {token}"
    assert token in b.find("rm-share-token").value
    (share,) = store.shares("etl")
    assert share.max_accesses == 3 and share.expires_at is not None
    assert share.status == "active"
    store.save("other", "o = 1")
    b.find("rm-refresh").click()
    pick(b, "other")  # picking another forgets the token: it was shown once
    assert b.find("rm-share-line").value == "" and b.state.new_share is None


def test_shares_panel_revokes_exactly_that_share(make_store, browse, monkeypatch):
    """Two shares whose tokens begin alike: each row's Revoke stops its own share."""
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "e = 1")
    monkeypatch.setattr(
        tokens, "new_token", lambda: "rmshr_SAME" + secrets.token_urlsafe(21)
    )
    kept = alice.share("etl")
    gone = alice.share("etl", max_accesses=5)
    b = browse(alice)
    pick(b, "etl")
    b.find("rm-shares").click()
    assert b.find("rm-shares-panel").layout.display == ""
    assert len(rows(b, "rm-revoke", "rm-share-row")) == 2
    revoke, label = next(
        (button, label)
        for button, label in rows(b, "rm-revoke", "rm-share-row")
        if label.value.startswith(gone.share.handle + " ")
    )
    assert "rmshr_SAME\u2026" in label.value
    assert "uses 0/5" in label.value
    revoke.click()
    assert status(b) == (
        f"Revoked {gone.share.handle} (rmshr_SAME\u2026) of 'etl': "
        "that token no longer opens anything."
    )
    statuses = {s.id: s.status for s in alice.shares("etl")}
    assert statuses == {gone.share.id: "revoked", kept.share.id: "active"}
    revoke, label = next(
        (button, label)
        for button, label in rows(b, "rm-revoke", "rm-share-row")
        if label.value.startswith(gone.share.handle + " ")
    )
    assert "revoked" in label.value and revoke.disabled
    other = browse(bob)
    other.find("rm-token").value = gone.token
    other.find("rm-open-token").click()
    assert status(other) == TOKEN_REFUSED_MESSAGE
    other.find("rm-token").value = kept.token
    other.find("rm-open-token").click()
    assert "alice/etl" in other.find("rm-preview-title").value


def test_history_restores_an_old_version(store, browse):
    store.save("etl", "v = 1")
    store.save("etl", "v = 2")
    b = browse(store)
    pick(b, "etl")
    b.find("rm-history").click()
    versions = rows(b, "rm-restore", "rm-version-row")
    assert [button.description for button, _ in versions] == [
        "Restore v2",
        "Restore v1",
    ]
    assert versions[0][0].disabled  # the current version
    versions[1][0].click()
    assert status(b) == "Restored 'etl' to version 1, saved as version 3."
    record = store.get("etl")
    assert record.version == 3 and record.content == "v = 1"
    assert [v.version for v in store.history("etl")] == [1, 2, 3]
    assert b.find("rm-history-panel").layout.display == ""
    assert len(rows(b, "rm-restore", "rm-version-row")) == 3
    assert "v = 1" in b.state.source() and "v3" in b.find("rm-preview-title").value


def test_history_shows_labels_and_messages_diffs_and_sets_labels(store, browse):
    store.save("other", "o = 1")
    store.save("etl", "v = 1\n", message="first")
    store.save("etl", "v = 2\n", parameters={"n": 2}, message="<b>bold</b> move")
    store.save("etl", "v = 3\n", parameters={"n": 3})
    store.set_label("etl", "production", 1)
    b = browse(store)
    pick(b, "etl")
    b.find("rm-history").click()
    labels = [label.value for _, label in rows(b, "rm-set-label", "rm-version-row")]
    assert [text.split(" \u00b7 ")[0] for text in labels] == [
        "v3 (current)",
        "v2",
        "v1",
    ]
    assert labels[2].endswith(" \u00b7 [production] \u00b7 first")
    assert labels[1].endswith(" \u00b7 &lt;b&gt;bold&lt;/b&gt; move")  # text, not HTML
    diffs = b.find_all("rm-version-diff")
    assert [d.disabled for d in diffs] == [True, False, False]
    assert b.find("rm-diff").layout.display == "none"
    diffs[2].click()  # v1 against the current v3
    shown = b.find("rm-diff")
    assert shown.layout.display == ""
    assert "etl@1" in shown.value and "etl@3" in shown.value
    assert "v = 3" in shown.value and "n: int = 3" in shown.value
    b.find("rm-label-name").value = "production"
    b.find_all("rm-set-label")[0].click()  # move production to v3
    assert status(b) == "'etl@production' is now v3 (it was v1)."
    assert [(x.label, x.version) for x in store.labels("etl")] == [("production", 3)]
    first = rows(b, "rm-set-label", "rm-version-row")[0][1].value
    assert "[production]" in first
    b.find("rm-label-name").value = "Not A Label"
    b.find_all("rm-set-label")[1].click()
    assert status(b).startswith("'Not A Label' is not a label: use a short lowercase")
    assert [(x.label, x.version) for x in store.labels("etl")] == [("production", 3)]
    pick(b, "other")  # another resource: the diff is gone
    assert b.state.version_diff is None and b.find("rm-diff").value == ""


def test_delete_asks_first(store, browse):
    store.save("keep", "k = 1")
    store.save("drop", "d = 1")
    b = browse(store)
    pick(b, "drop")
    b.find("rm-delete").click()
    assert b.find("rm-delete-panel").layout.display == ""
    assert "Delete <b>drop</b>" in b.find("rm-delete-question").value
    b.find("rm-delete-cancel").click()
    assert b.find("rm-delete-panel").layout.display == "none"
    assert store.get("drop").name == "drop"
    b.find("rm-delete").click()
    b.find("rm-delete-confirm").click()
    assert status(b) == "Deleted 'drop' and its history."
    with pytest.raises(NotFound):
        store.get("drop")
    assert shown(b) == ["keep"]
    assert b.state.preview is None and b.find("rm-delete").disabled


# -- tokens --------------------------------------------------------------------
def test_open_token_previews_then_forks(make_store, browse):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save(
        "secret",
        "s = 42",
        description="private recipe",
        attachments=[("image/png", PNG)],
    )
    new = alice.share("secret", max_accesses=3)
    b = browse(bob)
    b.find("rm-token").value = f"  '{new.token}' "
    b.find("rm-open-token").click()
    assert status(b) == (
        "Opened alice/secret through a share token (use 1 of 3). Fork keeps a copy; "
        "forking uses the token once more."
    )
    assert "alice/secret" in b.find("rm-preview-title").value and "2 use(s) left" in (
        b.find("rm-preview-title").value
    )
    assert "s = 42" in b.state.source()
    assert isinstance(b.find("rm-attachments").children[0], w.Image)
    assert (
        b.find("rm-run").disabled
        and b.find("rm-share").disabled
        and not b.find("rm-fork").disabled
    )
    assert shown(b) == []  # bob has nothing yet
    b.find("rm-fork").click()
    b.find("rm-fork-confirm").click()
    assert status(b) == (
        "Forked alice/secret as 'secret', now yours (that used the share token once)."
    )
    assert shown(b) == ["secret"]
    assert bob.get("secret").content == "s = 42"
    assert len(bob.attachments("secret")) == 1
    (share,) = alice.shares("secret")
    assert share.access_count == 2
    assert alice.get("secret").fork_count == 1


def test_last_use_of_a_token_cannot_fork(make_store, browse):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("once", "o = 1")
    new = alice.share("once", max_accesses=1)
    b = browse(bob)
    b.find("rm-token").value = new.token
    b.find("rm-open-token").click()
    assert status(b) == (
        "Opened alice/once through a share token (use 1 of 1). That was its last use, "
        "so it cannot fork this: ask alice for a new token."
    )
    assert b.find("rm-fork").disabled


def test_fork_token_directly(make_store, browse):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("direct", "d = 1")
    new = alice.share("direct", max_accesses=1)
    b = browse(bob)
    b.find("rm-token").value = new.token
    b.find("rm-fork-token").click()
    assert status(b) == (
        "Forked a share token as 'direct', now yours (that used the share token once)."
    )
    assert shown(b) == ["direct"] and bob.get("direct").content == "d = 1"
    assert alice.shares("direct")[0].access_count == 1


@pytest.mark.parametrize(
    ("pasted", "message"),
    [
        ("rmshr_" + "x" * 32, TOKEN_REFUSED_MESSAGE),
        ("not a token at all", TOKEN_REFUSED_MESSAGE),
        ("   ", "Paste a share token (it starts with rmshr_) first."),
    ],
)
def test_invalid_token_shows_the_error_and_changes_nothing(
    make_store, browse, pasted, message
):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("etl", "e = 1")
    real = alice.share("etl", max_accesses=2)
    bob.save("mine", "m = 1")
    b = browse(bob)
    pick(b, "mine")
    for button in (b.find("rm-open-token"), b.find("rm-fork-token")):
        b.find("rm-token").value = pasted
        button.click()
        assert status(b) == message
        assert b.state.status_kind == "error"
        assert message in b.find("rm-status").value
    assert "bob/mine" in b.find("rm-preview-title").value  # the preview stayed
    assert bob.names() == ["mine"]
    assert alice.shares("etl")[0].access_count == 0
    assert alice.get("etl").fork_count == 0
    assert real.token  # the real token still works
    b.find("rm-token").value = real.token
    b.find("rm-open-token").click()
    assert "use 1 of 2" in status(b)


# -- insert --------------------------------------------------------------------
def test_insert_without_jupyterlab_offers_the_source(store, browse, shell):
    store.save("etl", "print('etl')")
    b = browse(store)
    pick(b, "etl")
    b.find("rm-insert").click()  # a terminal IPython: the next input
    assert shell.rl_next_input == "print('etl')"
    assert status(b) == "'etl' is ready as your next input."
    no_shell = ResourceBrowser(store=store, shell=None, debounce_seconds=0)
    no_shell.inserter.shell = None  # no IPython at all (e.g. a plain script)
    pick(no_shell, "etl")
    no_shell.find("rm-insert").click()
    assert no_shell.find("rm-insert-text").layout.display == ""
    assert no_shell.find("rm-insert-text").value == "print('etl')"
    assert status(no_shell) == (
        "This front end cannot add cells from a widget: copy the source from the box "
        "below into a new cell."
    )


def test_insert_in_jupyterlab_sends_the_commands(store, browse, monkeypatch):
    """What reaches the front end through ipylab's comm once its model is live."""
    import comm
    from ipylab import JupyterFrontEnd

    sent = []

    class RecordingComm(comm.DummyComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            sent.append((msg_type, data))

    monkeypatch.setattr(comm, "create_comm", RecordingComm)
    frontend = JupyterFrontEnd()
    b = browse(store, frontend=frontend, insert_delay=0)
    store.save("etl", "print('etl')")
    b.find("rm-refresh").click()
    pick(b, "etl")
    b.find("rm-insert").click()  # ipylab's model is not live: no JupyterLab here yet
    assert status(b) == "'etl' is ready as your next input."
    assert [m for t, m in sent if t == "comm_msg" and m.get("method") == "custom"] == []
    frontend.set_state({"version": "4.2.0"})  # the Lab front end reports in
    b.find("rm-insert").click()
    commands = [
        data["content"]
        for msg_type, data in sent
        if msg_type == "comm_msg" and data.get("method") == "custom"
    ]
    assert commands == [
        {
            "func": "execute",
            "payload": {"id": "notebook:insert-cell-below", "args": {}},
        },
        {
            "func": "execute",
            "payload": {
                "id": "notebook:replace-selection",
                "args": {"text": "print('etl')"},
            },
        },
    ]
    assert status(b) == "Inserted 'etl' in a new cell below."


# -- errors --------------------------------------------------------------------
class BrokenStore(ResourceStore):
    """A real store with a bug in its attachments and, once `typo` is typed, in its
    search: to see how the browser reports what is not the user's mistake."""

    def attachments(self, ref, version=None):
        raise KeyError("position")

    def get_with_attachments(self, ref):  # how the browser reads a preview
        raise KeyError("position")

    def list(self, query=None, **options):
        if query == "typo":
            raise KeyError("position")
        return super().list(query, **options)


@pytest.mark.parametrize(
    ("act", "message"),
    [
        (lambda b: pick(b, "etl"), "Preview failed: KeyError: 'position'"),
        (
            lambda b: setattr(b.find("rm-search"), "value", "typo"),
            "Search failed: KeyError: 'position'",
        ),
    ],
    ids=["preview", "search"],
)
def test_unexpected_errors_reach_the_status_line_and_the_log(
    url_for, browse, caplog, act, message
):
    store = BrokenStore(url_for("alice"), user="alice")
    store.save("etl", "e = 1")
    b = browse(store)
    with caplog.at_level(logging.ERROR, logger="resource_magic.widgets"):
        act(b)
    assert status(b) == message
    assert b.state.status_kind == "error"
    (entry,) = [
        r for r in caplog.records if r.name.startswith("resource_magic.widgets")
    ]
    assert entry.exc_info and entry.exc_info[0] is KeyError
    assert shown(b) == ["etl"]  # what was shown before stays


@pytest.fixture(params=["sqlite", "postgresql"])
def doomed_url(request, tmp_path):
    """A database of its own that the test may break."""
    if request.param == "sqlite":
        (tmp_path / "doomed").mkdir()
        return f"sqlite:///{tmp_path / 'doomed' / 'resources.db'}"
    return request.getfixturevalue("fresh_postgres_url")


def test_database_unavailable_shows_in_the_status_line(doomed_url, browse, tmp_path):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from resource_magic.db import dispose_engines

    store = ResourceStore(doomed_url, user="alice")
    store.save("etl", "e = 1")
    b = browse(store)
    assert shown(b) == ["etl"]
    url = make_url(doomed_url)
    dispose_engines()
    if url.get_backend_name() == "sqlite":
        shutil.rmtree(Path(url.database).parent)  # e.g. an unmounted share
    else:
        admin = create_engine(
            url.set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{url.database}" WITH (FORCE)'))
        admin.dispose()
    store.engine.dispose()
    b.find("rm-search").value = "e"
    assert status(b).startswith("Cannot use the database ")
    assert status(b).endswith(
        "check that it is running and that ResourceMagic.database_url / "
        "RESOURCE_MAGIC_DATABASE_URL is right."
    )
    pick_before = b.state.preview
    b.find("rm-refresh").click()
    assert status(b).startswith("Cannot use the database ")
    assert b.state.preview is pick_before


@pytest.mark.filterwarnings("ignore:Query string argument")  # SQLite ignores it
def test_title_masks_credentials_in_the_url(url_for, browse):
    from sqlalchemy.engine import make_url

    url = url_for("alice")  # pgserver's has a query already (its socket directory)
    secrets = {"password": "s3cret", "sslpassword": "k3y"}
    with_secrets = make_url(url).update_query_dict(secrets)
    store = ResourceStore(with_secrets.render_as_string(hide_password=False), "alice")
    title = browse(store).find("rm-title")
    assert "s3cret" not in title.value and "k3y" not in title.value
    assert title.value.endswith("password=***&amp;sslpassword=***"), title.value
    assert f"/{with_secrets.database}?" in title.value


def test_browser_without_a_reachable_default_database(monkeypatch, tmp_path):
    """ResourceBrowser() on a broken default database: a message, no traceback."""
    bad = tmp_path / "garbage.db"
    bad.write_bytes(b"not sqlite at all" * 100)
    monkeypatch.setenv("RESOURCE_MAGIC_DATABASE_URL", f"sqlite:///{bad}")
    b = ResourceBrowser()
    assert b.state is None
    assert "Cannot use the database" in b.find("rm-status").value


def test_default_store_comes_from_the_environment(monkeypatch, tmp_path, shell):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("RESOURCE_MAGIC_DATABASE_URL", url)
    ResourceStore(url, user="tester").save("from-env", "e = 1")
    b = ResourceBrowser(debounce_seconds=0)
    assert b.state.store.user == "tester" and b.state.shell is shell
    assert shown(b) == ["from-env"]


# -- structure -----------------------------------------------------------------
@pytest.mark.parametrize("module", ["state", "actions", "debounce", "idle", "render"])
def test_state_modules_have_no_widgets(module):
    """The state must stay usable (and testable) without ipywidgets."""
    import importlib

    path = importlib.import_module(f"resource_magic.widgets.{module}").__file__
    tree = ast.parse(Path(path).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and not node.level
    }
    assert "ipywidgets" not in imported and "ipylab" not in imported
    assert issubclass(BrowserState, __import__("traitlets").HasTraits)


def test_every_control_has_a_css_class_and_a_label(store, browse):
    b = browse(store)
    controls = [
        widget
        for widget in descendants(b)
        if isinstance(
            widget,
            (w.Button, w.Text, w.Dropdown, w.Select, w.ToggleButtons, w.Textarea),
        )
    ]
    assert len(controls) >= 25
    for control in controls:
        assert any(c.startswith("rm-") for c in css_classes(control)), control
        label = (
            getattr(control, "description", "")
            or getattr(control, "placeholder", "")
            or control.tooltip
            or getattr(control, "tooltips", None)
        )
        assert label, control


def test_the_query_set_from_python_shows_in_its_controls(store, browse):
    """The query's controls and the state's traits are linked both ways."""
    seed(store, 12)
    b = browse(store)
    b.state.query = "wf1"
    assert b.find("rm-search").value == "wf1" and sorted(shown(b)) == ["wf10", "wf11"]
    b.state.sort = "name"
    assert b.find("rm-sort").value == "name" and shown(b) == ["wf10", "wf11"]
    b.state.tag = "etl"
    assert b.find("rm-tag").value == "etl" and shown(b) == []
    b.state.resource_type = "prompt"
    assert b.find("rm-type").value == "prompt"
    b.state.scope = "public"
    assert b.find("rm-scope").value == "public"
    for css, value in (("rm-type", ""), ("rm-tag", ""), ("rm-scope", "mine")):
        b.find(css).value = value  # and back from the controls
    assert (b.state.resource_type, b.state.tag, b.state.scope) == ("", "", "mine")
    assert sorted(shown(b)) == ["wf10", "wf11"]


def test_default_looks_are_shared_and_cannot_change(store, browse):
    """Controls with the default look share one Layout (one model, not one each); a
    change to it would show on all of them, so it is refused, and a control with a
    look of its own still changes freely."""
    b, other = browse(store), browse(store)
    prev, next_ = b.find("rm-prev"), other.find("rm-next")
    assert prev.layout is next_.layout and prev.style is next_.style
    with pytest.raises(AttributeError, match="shared by many widgets"):
        prev.layout.width = "10px"
    with pytest.raises(AttributeError, match="shared by many widgets"):
        prev.style.button_color = "red"
    assert next_.layout.width is None and next_.style.button_color is None
    b.find("rm-refresh").layout.width = "90px"  # its own layout
    assert other.find("rm-refresh").layout.width == "100px"


def test_fixed_looks_are_shared_too_and_a_widget_can_take_its_own(store, browse):
    """Controls with the same fixed look (a width, a row's alignment) share one
    Layout too, made once per kernel; it cannot change, and a control given a Layout
    of its own changes alone."""
    b, other = browse(store), browse(store)
    search, type_, page_size = (
        b.find(f"rm-{n}") for n in ("search", "type", "page-size")
    )
    assert search.layout is other.find("rm-search").layout
    assert search.layout.width == "280px" and type_.layout.width == "130px"
    assert type_.layout is page_size.layout  # the same look, one model
    assert b.find("rm-scope").style is other.find("rm-scope").style
    assert b.find("rm-scope").style.button_width == "70px"
    with pytest.raises(AttributeError, match="shared by many widgets"):
        search.layout.width = "400px"
    search.layout = w.Layout(width="400px")
    assert other.find("rm-search").layout.width == "280px"


def test_find_names_what_it_could_not_find(store, browse):
    b = browse(store)
    assert b.find_all("rm-revoke") == []  # no shares panel loaded
    with pytest.raises(LookupError, match="0 widgets carry the class 'rm-revoke'"):
        b.find("rm-revoke")
    assert len(b.find_all("rm-delete")) == 1 and b.find("rm-delete").description


def test_a_page_size_set_from_python_is_offered_in_the_dropdown(store):
    from resource_magic.widgets import ResourceBrowser

    for i in range(5):
        store.save(f"wf-{i}", f"x = {i}")
    browser = ResourceBrowser(store=store, debounce_seconds=0)
    browser.state.page_size = 2
    browser.state.flush()
    assert browser.find("rm-page-size").value == 2
    assert [v for _, v in browser.find("rm-page-size").options] == [2, 10, 25, 50, 100]
    assert len(browser.state.items) == 2 and browser.state.page_size == 2
    browser.find("rm-page-size").value = 10  # the user's pick still works afterwards
    browser.state.flush()
    assert len(browser.state.items) == 5
