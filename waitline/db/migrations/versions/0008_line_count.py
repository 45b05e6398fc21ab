"""line_buckets level 2: the whole line's waiting count, one row per waitlist

A signup needs the number waiting (its position is the last); summing the blocks for it
read n / 4,096 rows. Level 2 keeps that sum in one row, bumped as each transaction that
changes the line commits (entries/line.py, db/counters.py).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO line_buckets (waitlist_id, level, bucket, count)"
        " SELECT waitlist_id, 2, 0, SUM(count) FROM line_buckets WHERE level = 1"
        " GROUP BY waitlist_id"
    )


def downgrade() -> None:
    op.execute("DELETE FROM line_buckets WHERE level = 2")
