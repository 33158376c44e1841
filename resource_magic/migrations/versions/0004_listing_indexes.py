"""an index per listing scope and sort order, the id last

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 02:40:00

Keyset paging reads a page as a short range of an index on (scope column, sort column,
id): one for each sort of `%resource list` and the browser, for my resources (user_id)
and for public ones (is_public). They replace the three (scope, column) indexes that
0001 made, each a prefix of a new one. Only indexes change, so SQLite needs no table
rebuild (which would drop 0002's search triggers).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported from the models: a migration stays as it was released.
SORT_INDEXES = (
    ("user_id", "updated_at"),
    ("user_id", "created_at"),
    ("user_id", "resource_type"),
    ("user_id", "execution_count"),
    ("user_id", "fork_count"),
    ("user_id", "current_version"),
    ("is_public", "updated_at"),
    ("is_public", "created_at"),
    ("is_public", "name"),
    ("is_public", "resource_type"),
    ("is_public", "execution_count"),
    ("is_public", "fork_count"),
    ("is_public", "current_version"),
)
REPLACED = (
    ("ix_resource_user_id_updated_at", ("user_id", "updated_at")),
    ("ix_resource_user_id_resource_type", ("user_id", "resource_type")),
    ("ix_resource_is_public_updated_at", ("is_public", "updated_at")),
)


def upgrade() -> None:
    for scope, column in SORT_INDEXES:
        op.create_index(
            f"ix_resource_{scope}_{column}_id", "resource", [scope, column, "id"]
        )
    for name, _ in REPLACED:
        op.drop_index(name, table_name="resource")


def downgrade() -> None:
    for name, columns in REPLACED:
        op.create_index(name, "resource", list(columns))
    for scope, column in reversed(SORT_INDEXES):
        op.drop_index(f"ix_resource_{scope}_{column}_id", table_name="resource")
