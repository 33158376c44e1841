"""labels, label history, version messages, shares pinned to a version or a label

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 02:10:00

Adds only new tables and nullable columns, so SQLite needs no table rebuild on the way
up (a rebuild of `resource` would drop migration 0002's search triggers) and existing
rows keep their meaning: a version without a message, a share without a version or a
label (it follows the current version, as before).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("resource_version", sa.Column("message", sa.Text(), nullable=True))
    op.add_column("resource_share", sa.Column("version", sa.Integer(), nullable=True))
    op.add_column(
        "resource_share", sa.Column("label", sa.String(length=64), nullable=True)
    )
    op.create_table(
        "resource_label",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_label_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", "label", name=op.f("pk_resource_label")),
    )
    op.create_table(
        "resource_label_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_label_event_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_label_event")),
    )
    op.create_index(
        "ix_resource_label_event_resource_id_id",
        "resource_label_event",
        ["resource_id", "id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_resource_label_event_resource_id_id", table_name="resource_label_event"
    )
    op.drop_table("resource_label_event")
    op.drop_table("resource_label")
    # Batch mode: SQLite rebuilds these two tables (neither carries 0002's triggers).
    with op.batch_alter_table("resource_share") as batch:
        batch.drop_column("label")
        batch.drop_column("version")
    with op.batch_alter_table("resource_version") as batch:
        batch.drop_column("message")
