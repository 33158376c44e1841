"""Listing at any depth: keyset pages (after / before / last) give exactly the rows
OFFSET pages give, in every sort order and scope; counts stop at the store's cap and say
so, in the store, the magic, the DataFrame and the browser."""

from __future__ import annotations

import pytest
from _cells import run_cell

from resource_magic.errors import InvalidInput
from resource_magic.store import SORTS
from resource_magic.widgets import ResourceBrowser

N = 23  # not a multiple of the page size: a short last page
PAGE = 5


def _fill(make_store):
    """alice: N resources with ties in every sort but name (and half public); bob: 3
    public ones, so the public scope mixes owners."""
    alice, bob = make_store("alice"), make_store("bob")
    types = ("workflow", "prompt", "agent_config")
    for i in range(N):
        kind = types[i % 3]
        content = {"k": i} if kind == "agent_config" else f"x = {i}"
        alice.save(f"r{i:02d}", content, resource_type=kind, is_public=i % 2 == 0)
        for _ in range(i % 4):
            alice.record_execution(f"r{i:02d}")
        if i % 5 == 0:
            alice.save(f"r{i:02d}", content, resource_type=kind)  # version 2
    for i in range(3):
        bob.save(f"b{i}", f"y = {i}", is_public=True)
    return alice


def _ids(page):
    return [r.id for r in page.items]


def _walk_offsets(store, **query):
    rows, offset = [], 0
    while True:
        page = store.list(limit=PAGE, offset=offset, **query)
        rows += _ids(page)
        if not page.more:
            return rows
        offset += PAGE


@pytest.mark.parametrize("scope", ["mine", "public"])
def test_keyset_pages_are_the_offset_pages_in_every_order(make_store, scope):
    store = _fill(make_store)
    for key in SORTS:
        for sort in (key, f"-{key}"):
            query = {"scope": scope, "sort": sort}
            expected = _walk_offsets(store, **query)
            everything = store.list(limit=1000, **query)
            assert _ids(everything) == expected, sort
            assert len(expected) == everything.total == (N if scope == "mine" else 15)

            forwards, page = [], store.list(limit=PAGE, **query)
            forwards += _ids(page)
            while page.more:
                page = store.list(limit=PAGE, after=page.items[-1], **query)
                forwards += _ids(page)
            assert forwards == expected, sort

            page = store.list(limit=PAGE, last=True, **query)
            backwards = _ids(page)
            while page.more:
                page = store.list(limit=PAGE, before=page.items[0], **query)
                backwards = _ids(page) + backwards
            assert backwards == expected, sort


def test_keyset_pages_keep_filters_and_search(make_store):
    store = _fill(make_store)
    query = {"search": "r1", "resource_type": "workflow", "sort": "-executions"}
    expected = _ids(store.list(limit=1000, **query))
    assert expected  # r12, r15, r18 ...
    page = store.list(limit=2, **query)
    walked = _ids(page)
    while page.more:
        page = store.list(limit=2, after=page.items[-1], **query)
        walked += _ids(page)
    assert walked == expected


def test_more_says_whether_another_page_follows(store):
    for i in range(4):
        store.save(f"wf{i}", "x = 1")
    assert store.list(limit=4).more is False
    assert store.list(limit=3).more is True
    last = store.list(limit=3, last=True)
    assert last.more is True and len(last.items) == 3
    assert store.list(limit=3, before=last.items[0]).more is False


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"offset": 5, "last": True}, "Page by one of offset, after, before or last"),
        ({"after": "wf0"}, "after/before take a resource from the page in view."),
    ],
)
def test_paging_two_ways_at_once_is_refused(store, options, message):
    store.save("wf0", "x = 1")
    if "after" in options:
        options = {"after": "wf0"}
    with pytest.raises(InvalidInput, match=message):
        store.list(**options)


def test_two_anchors_at_once_are_refused(store):
    store.save("wf0", "x = 1")
    row = store.list().items[0]
    with pytest.raises(InvalidInput, match="Page by one of"):
        store.list(after=row, before=row)


def test_counts_stop_at_the_cap_and_say_so(store):
    for i in range(12):
        store.save(f"wf{i:02d}", "x = 1", description="common words")
    store.count_cap = 10
    page = store.list("common", limit=5)
    assert (page.total, page.total_capped, page.total_label) == (10, True, "10+")
    assert len(page.items) == 5 and page.more
    exact = store.list("wf00", limit=5)
    assert (exact.total, exact.total_capped, exact.total_label) == (1, False, "1")
    # An offset past the cap is counted up to the page in view.
    deep = store.list("common", limit=5, offset=10)
    assert (deep.total, deep.total_capped, len(deep.items)) == (12, False, 2)
    store.count_cap = 10_000
    assert store.list("common").total == 12


def test_a_search_counts_to_its_own_lower_cap(store):
    """A search tests its needle on every row it counts: it stops sooner ("1,000+")."""
    assert (store.count_cap, store.search_count_cap) == (10_000, 1_000)
    for i in range(12):
        store.save(f"wf{i:02d}", "x = 1", description="common words")
    store.search_count_cap = 10
    searched = store.list("common", limit=5)
    assert (searched.total, searched.total_capped, searched.total_label) == (
        10,
        True,
        "10+",
    )
    listed = store.list(limit=5)  # no needle: the listing's own cap
    assert (listed.total, listed.total_capped) == (12, False)
    store.count_cap = 8  # the lower of the two caps counts
    assert (
        store.list("common", limit=5).total,
        store.list("common", limit=5).total_capped,
    ) == (8, True)


def test_the_magic_and_its_dataframe_say_a_count_is_capped(shell, backend):
    for i in range(12):
        run_cell(shell, f"%%resource save wf{i:02d}\nx = {i}")
    magic = shell.magics_manager.registry["ResourceMagic"]
    magic.store().count_cap = 10
    shown = run_cell(shell, "%resource list --limit 5")
    assert "Showing 1-5 of 10+ matching resources; see more with --offset 5." in (
        shown.stdout
    )
    assert shown.result.attrs == {"total": 10, "total_capped": True}
    magic.store().count_cap = 10_000
    exact = run_cell(shell, "%resource list --limit 5")
    assert "Showing 1-5 of 12 matching resources" in exact.stdout
    assert exact.result.attrs == {"total": 12, "total_capped": False}


def test_the_browser_pages_a_capped_total_from_both_ends(store):
    for i in range(12):
        store.save(f"wf{i:02d}", "x = 1")
    store.count_cap = 10
    b = ResourceBrowser(store=store, page_size=5, debounce_seconds=0)
    label = b.find("rm-page-label")
    assert label.value == "Page 1 \u00b7 1-5 of 10+ resources"
    b.find("rm-next").click()
    b.find("rm-next").click()
    assert label.value == "Page 3 \u00b7 11-12 of 10+ resources"
    assert b.find("rm-next").disabled and not b.find("rm-prev").disabled
    b.state.last_page()
    assert label.value == "Last page of 10+ resources"
    assert [r.name for r in b.state.items] == [f"wf0{i}" for i in (4, 3, 2, 1, 0)]
    b.find("rm-prev").click()
    assert label.value == "Page 2 from the end of 10+ resources"
    assert [r.name for r in b.state.items] == ["wf09", "wf08", "wf07", "wf06", "wf05"]
    b.find("rm-prev").click()
    assert [r.name for r in b.state.items] == ["wf11", "wf10"]
    assert b.find("rm-prev").disabled
    b.state.first_page()
    assert label.value == "Page 1 \u00b7 1-5 of 10+ resources"
