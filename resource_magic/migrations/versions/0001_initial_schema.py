"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 13:12:50.870787
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("name", name=op.f("uq_user_name")),
    )
    op.create_table(
        "resource",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("resource_type", sa.String(length=20), nullable=False),
        sa.Column(
            "content",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column("execution_count", sa.Integer(), nullable=False),
        sa.Column("last_executed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("parent_resource_id", sa.Uuid(), nullable=True),
        sa.Column("fork_count", sa.Integer(), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "resource_type IN ('workflow', 'prompt', 'agent_config')",
            name=op.f("ck_resource_resource_type"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_parent_resource_id_resource"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_resource_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_resource_user_id_name")),
    )
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.create_index(
            "ix_resource_is_public_updated_at",
            ["is_public", "updated_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_resource_parent_resource_id"),
            ["parent_resource_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_resource_user_id_resource_type",
            ["user_id", "resource_type"],
            unique=False,
        )
        batch_op.create_index(
            "ix_resource_user_id_updated_at", ["user_id", "updated_at"], unique=False
        )

    op.create_table(
        "resource_share",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("token_prefix", sa.String(length=16), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("access_count", sa.Integer(), nullable=False),
        sa.Column("max_accesses", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_share_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_share")),
        sa.UniqueConstraint(
            "token_digest", name=op.f("uq_resource_share_token_digest")
        ),
    )
    with op.batch_alter_table("resource_share", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resource_share_resource_id"), ["resource_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_resource_share_token_prefix"), ["token_prefix"], unique=False
        )

    op.create_table(
        "resource_tag",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_tag_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("resource_id", "tag", name=op.f("pk_resource_tag")),
    )
    with op.batch_alter_table("resource_tag", schema=None) as batch_op:
        batch_op.create_index(
            "ix_resource_tag_tag_resource_id", ["tag", "resource_id"], unique=False
        )

    op.create_table(
        "resource_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "content",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=False,
        ),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(
                postgresql.JSONB(astext_type=sa.Text()), "postgresql"
            ),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_version_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_version")),
        sa.UniqueConstraint(
            "resource_id",
            "version",
            name=op.f("uq_resource_version_resource_id_version"),
        ),
    )
    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["resource_version.id"],
            name=op.f("fk_attachment_version_id_resource_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
        sa.UniqueConstraint(
            "version_id", "position", name=op.f("uq_attachment_version_id_position")
        ),
    )


def downgrade() -> None:
    op.drop_table("attachment")
    op.drop_table("resource_version")
    with op.batch_alter_table("resource_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_resource_tag_tag_resource_id")

    op.drop_table("resource_tag")
    with op.batch_alter_table("resource_share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_share_token_prefix"))
        batch_op.drop_index(batch_op.f("ix_resource_share_resource_id"))

    op.drop_table("resource_share")
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_index("ix_resource_user_id_updated_at")
        batch_op.drop_index("ix_resource_user_id_resource_type")
        batch_op.drop_index(batch_op.f("ix_resource_parent_resource_id"))
        batch_op.drop_index("ix_resource_is_public_updated_at")

    op.drop_table("resource")
    op.drop_table("user")
