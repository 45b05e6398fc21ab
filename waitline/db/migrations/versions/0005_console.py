"""console: signed-in sessions and first-run setup tokens

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import waitline.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column(
            "user_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", waitline.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", waitline.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_console_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_console_sessions")),
    )
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "console_setup_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", waitline.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", waitline.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_console_setup_tokens")),
    )


def downgrade() -> None:
    op.drop_table("console_setup_tokens")
    with op.batch_alter_table("console_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_sessions_user_id"))
    op.drop_table("console_sessions")
