"""Store records -> DataFrames: fixed columns, readable values, on both backends."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

from resource_magic import frames


def test_resources_frame_columns_and_values(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save(
        "etl", "x = 1", description="Daily clean", tags=["b", "a"], is_public=True
    )
    alice.save("etl", "x = 2")
    alice.record_execution("etl")
    bob.fork("alice/etl")
    frame = frames.resources_frame(alice.list().items)
    assert tuple(frame.columns) == frames.RESOURCE_COLUMNS
    row = frame.iloc[0].to_dict()
    updated = row.pop("updated")
    assert row == {
        "name": "etl",
        "type": "workflow",
        "description": "Daily clean",
        "tags": "a, b",
        "version": 2,
        "executions": 1,
        "forks": 1,
        "parent": "",
        "public": True,
    }
    assert updated.tzname() == "UTC" and updated.microsecond == 0
    forks = frames.resources_frame(bob.list().items)
    assert forks.loc[0, "parent"] == "alice/etl"
    public = frames.resources_frame(bob.list(scope="public").items, with_owner=True)
    assert tuple(public.columns) == frames.PUBLIC_RESOURCE_COLUMNS
    assert public[["owner", "name"]].values.tolist() == [["alice", "etl"]]


def test_empty_frames_keep_their_columns():
    for build, columns in [
        (frames.resources_frame, frames.RESOURCE_COLUMNS),
        (frames.lineage_frame, frames.LINEAGE_COLUMNS),
        (frames.shares_frame, frames.SHARE_COLUMNS),
        (frames.history_frame, frames.HISTORY_COLUMNS),
    ]:
        frame = build([])
        assert isinstance(frame, pd.DataFrame) and frame.empty
        assert tuple(frame.columns) == columns


def test_lineage_frame_leaves_out_private_nodes(make_store):
    alice, bob = make_store("alice"), make_store("bob")
    alice.save("base", "x = 1", is_public=True)
    bob.fork("alice/base", "mine")
    alice.update("base", is_public=False)  # bob may no longer see the parent
    bob.fork("mine", "grandchild")
    frame = frames.lineage_frame(bob.lineage("mine"))
    assert tuple(frame.columns) == frames.LINEAGE_COLUMNS
    assert frame.values.tolist() == [
        [0, "this", "bob", "mine", "workflow", 1],
        [1, "descendant", "bob", "grandchild", "workflow", 0],
    ]


def test_shares_frame_never_shows_the_token(store):
    store.save("etl", "x = 1")
    new = store.share("etl", expires="7d", max_accesses=3)
    store.share("etl")
    frame = frames.shares_frame(store.shares())
    assert tuple(frame.columns) == frames.SHARE_COLUMNS
    assert new.token not in frame.to_string()
    limited = frame[frame["token"] == new.share.prefix + "…"].iloc[0]
    assert limited["status"] == "active" and limited["uses"] == 0
    assert limited["max_uses"] == 3
    assert pd.isna(frame["max_uses"]).sum() == 1
    assert str(frame["max_uses"].dtype) == "Int64"
    assert limited["expires"] > limited["created"]


def test_history_frame_previews_content(store):
    store.save("etl", "\n# first line\nx = 1\n", parameters={"n": 5})
    store.save("etl", "y" * 100)
    store.save("cfg", '{"model": "m"}', resource_type="agent_config")
    frame = frames.history_frame(store.history("etl"))
    assert tuple(frame.columns) == frames.HISTORY_COLUMNS
    assert frame[
        ["version", "current", "parameters", "attachments"]
    ].values.tolist() == [
        [1, False, "n: int = 5", 0],
        [2, True, "", 0],
    ]
    assert frame["preview"].tolist() == ["# first line", "y" * 59 + "…"]
    config = frames.history_frame(store.history("cfg"))
    assert config.loc[0, "preview"] == '{"model": "m"}'


def test_importing_frames_does_not_import_pandas():
    code = "import sys, resource_magic.frames; print('pandas' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
